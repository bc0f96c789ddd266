import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from "crypto";
import { existsSync, readFileSync, writeFileSync } from "fs";

/**
 * The rehearsal's stand-in for a Pulumi checkpoint: per URN the id, inputs and outputs, with every secret value
 * encrypted (AES-256-GCM under a passphrase, like Pulumi's passphrase secrets provider), so the file can be
 * scanned for leaks like any other artifact.
 */

export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface ResourceState {
    readonly urn: string;
    readonly type: string;
    readonly id: string;
    readonly inputs: Record<string, unknown>;
    readonly outputs: Record<string, unknown>;
    /** Top-level property names whose values are secret (in inputs and outputs). */
    readonly secretKeys: readonly string[];
    readonly dependencies: readonly string[];
}

interface EncryptedValue {
    readonly [SECRET_SIG_KEY]: typeof SECRET_SIG;
    readonly ciphertext: string;
}

export class StateStore {
    private readonly key: Buffer;
    private resources = new Map<string, ResourceState>();

    constructor(
        readonly path: string,
        passphrase: string,
    ) {
        this.key = scryptSync(passphrase, "anthropic-key-rotation-rehearsal", 32);
        if (existsSync(path)) {
            const doc = JSON.parse(readFileSync(path, "utf8")) as { resources: ResourceState[] };
            for (const r of doc.resources) this.resources.set(r.urn, this.decryptState(r));
        }
    }

    get(urn: string): ResourceState | undefined {
        return this.resources.get(urn);
    }

    all(): ResourceState[] {
        return [...this.resources.values()];
    }

    set(state: ResourceState): void {
        this.resources.set(state.urn, state);
    }

    delete(urn: string): void {
        this.resources.delete(urn);
    }

    save(): void {
        const resources = this.all().map((r) => this.encryptState(r));
        writeFileSync(this.path, JSON.stringify({ version: 1, resources }, null, 2));
    }

    private encryptState(r: ResourceState): ResourceState {
        const enc = (props: Record<string, unknown>) =>
            Object.fromEntries(Object.entries(props).map(([k, v]) => [k, r.secretKeys.includes(k) && v !== undefined ? this.encrypt(v) : v]));
        return { ...r, inputs: enc(r.inputs), outputs: enc(r.outputs) };
    }

    private decryptState(r: ResourceState): ResourceState {
        const dec = (props: Record<string, unknown>) =>
            Object.fromEntries(Object.entries(props).map(([k, v]) => [k, isEncrypted(v) ? this.decrypt(v) : v]));
        return { ...r, inputs: dec(r.inputs), outputs: dec(r.outputs) };
    }

    private encrypt(value: unknown): EncryptedValue {
        const iv = randomBytes(12);
        const cipher = createCipheriv("aes-256-gcm", this.key, iv);
        const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
        return { [SECRET_SIG_KEY]: SECRET_SIG, ciphertext: Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64") };
    }

    private decrypt(value: EncryptedValue): unknown {
        const raw = Buffer.from(value.ciphertext, "base64");
        const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, 12));
        decipher.setAuthTag(raw.subarray(12, 28));
        return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8"));
    }
}

function isEncrypted(v: unknown): v is EncryptedValue {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG && "ciphertext" in v;
}
