import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TYPE_KEY_VALIDATION } from "../../components/domain/tokens";
import { AnthropicEmulator, EmulatedKey } from "../../offline/emulators/anthropicEmulator";
import { describeFinding, scanForLeaks } from "../support/leakScan";
import { PROCESS_SETUP_MS } from "../support/timeouts";
import { PROJECT_ROOT, ProviderCallError, ProviderHost, urnOf } from "../../offline/harness/providerHost";
import { addRotationKey, KEY_NAME } from "./support";

/**
 * The provider as the engine runs it: serialized by Pulumi's closure serializer in a ts-node child process
 * (registerKeyValidation.ts), then loaded from its text by the REAL dynamic provider host and driven over
 * gRPC (check → create → diff → update), against the emulator. Credentials live only in the host's
 * environment.
 */

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const emulator = new AnthropicEmulator();
let adminKey: string;
let key: EmulatedKey;
let registered: { type: string; name: string; inputs: Record<string, unknown> };
let providerText: string;
let host: ProviderHost;
const urn = urnOf(TYPE_KEY_VALIDATION, "prod-validation");

beforeAll(async () => {
    await emulator.start();
    adminKey = emulator.addAdminKey();
    key = addRotationKey(emulator);
    const dir = mkdtempSync(join(tmpdir(), "akr-kv-"));
    try {
        const out = join(dir, "registrations.json");
        const child = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", join(__dirname, "registerKeyValidation.ts"), out], {
            cwd: PROJECT_ROOT,
            env: { ...process.env, AKR_TEST_API_KEY: key.value, ANTHROPIC_ADMIN_API_KEY: adminKey },
            encoding: "utf8",
            timeout: PROCESS_SETUP_MS,
        });
        expect(child.status, child.stderr).toBe(0);
        const regs = JSON.parse(readFileSync(out, "utf8")) as (typeof registered)[];
        registered = regs.find((r) => r.type === TYPE_KEY_VALIDATION)!;
        providerText = registered.inputs.__provider as string;
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
    host = await ProviderHost.start({
        env: {
            ...process.env,
            ANTHROPIC_ADMIN_API_KEY: adminKey,
            ANTHROPIC_KEY_ROTATION_RETRY_BASE_MS: "5",
            ANTHROPIC_KEY_ROTATION_RETRY_MAX_DELAY_MS: "20",
        },
    });
}, PROCESS_SETUP_MS);

afterAll(async () => {
    await host?.stop();
    await emulator.stop();
});

/** Registered inputs with the key unwrapped (the engine hands the provider plaintext) and the emulator URL. */
function inputsWith(apiKey: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const { fingerprint: _fp, ...rest } = registered.inputs;
    void _fp;
    return { ...rest, apiKey, fingerprint: emulator.key(apiKey)!.fingerprint, baseUrl: emulator.url, maxRetrySeconds: 5, __provider: providerText, ...extra };
}

describe("registration", () => {
    it("uses the public token and registers the inputs the policy pack reads, with defaults filled in", () => {
        expect(registered.type).toBe("pulumi-nodejs:dynamic/anthropic:KeyValidation");
        expect(registered.inputs).toMatchObject({
            keyName: KEY_NAME, environment: "prod", createdAt: "2026-11-23", fingerprint: key.fingerprint,
            mode: "messages", model: "claude-haiku-4-5", maxTokens: 10, maxRetrySeconds: 60, baseUrl: "https://api.anthropic.com",
        });
    });

    it("registers apiKey as a secret", () => {
        expect(registered.inputs.apiKey).toMatchObject({ [SECRET_SIG]: expect.any(String), value: key.value });
    });

    it("the serialized provider holds no key, no admin key, no key prefix, and loads the SDK at run time", () => {
        const artifacts = [{ name: "__provider", text: providerText }];
        expect(scanForLeaks(artifacts, [key.value, adminKey]).map((f) => describeFinding(f, artifacts))).toEqual([]);
        expect(providerText).toContain('require("@anthropic-ai/sdk")');
        expect(providerText).toContain("ANTHROPIC_ADMIN_API_KEY"); // the variable's name, read at run time
    });
});

describe("through the real dynamic provider host", () => {
    let created: { id: string; properties: Record<string, unknown> };

    it("check, then create: validates against the API and runs the Admin API checks with the host's admin key", async () => {
        const checked = await host.check(urn, {}, inputsWith(key.value));
        expect(checked.failures).toEqual([]);
        created = await host.create(urn, checked.inputs);
        expect(created.id).toMatch(/^keyvalidation-/);
        expect(created.properties).toMatchObject({
            keyId: key.id,
            keyStatus: "active",
            respondingModel: "claude-haiku-4-5-20251001",
            adminChecks: expect.stringMatching(/^passed: /),
            fingerprint: key.fingerprint,
        });
        expect(emulator.messageCalls(key.fingerprint)).toHaveLength(1);
    });

    it("diff is offline: same inputs → no change; a new key → update", async () => {
        const before = emulator.server.requests.length;
        expect((await host.diff(created.id, urn, created.properties, inputsWith(key.value))).changes).toBe("none");
        const next = addRotationKey(emulator);
        expect((await host.diff(created.id, urn, created.properties, inputsWith(next.value))).changes).toBe("some");
        expect(emulator.server.requests.length).toBe(before);
    });

    it("update to a new key: validates it and reports that the previous key still works", async () => {
        const next = addRotationKey(emulator);
        const updated = await host.update(created.id, urn, created.properties, inputsWith(next.value));
        expect(updated.properties).toMatchObject({ keyId: next.id, previousKeyValid: true, previousFingerprint: key.fingerprint, fingerprint: next.fingerprint });
        expect(JSON.stringify(updated.properties)).not.toContain(key.value);
    });

    it("a rejected key fails create with the clear message over gRPC, and no key material", async () => {
        const bad = emulator.addKey({ status: "inactive" });
        let error: unknown;
        try {
            await host.create(urn, inputsWith(bad.value));
        } catch (err) {
            error = err;
        }
        expect(error).toBeInstanceOf(ProviderCallError);
        const message = (error as ProviderCallError).message;
        expect(message).toContain("the API rejected the new key (HTTP 401 authentication_error");
        expect(message).toContain("Nothing was propagated");
        const artifacts = [
            { name: "error", text: message },
            { name: "host stdout", text: host.stdout },
            { name: "host stderr", text: host.stderr },
        ];
        expect(scanForLeaks(artifacts, [bad.value, key.value, adminKey]).map((f) => describeFinding(f, artifacts))).toEqual([]);
    });

    it("an Admin API mismatch fails create with both values side by side over gRPC", async () => {
        const other = addRotationKey(emulator, { name: "raxx-prod-billing-2026-11-23" });
        const error = await host.create(urn, inputsWith(other.value)).then(
            () => undefined,
            (err: unknown) => err,
        );
        expect(error).toBeInstanceOf(ProviderCallError);
        const message = (error as ProviderCallError).message;
        expect(message).toContain(`name: config keyName "${KEY_NAME}" | Console name "raxx-prod-billing-2026-11-23"`);
        const artifacts = [{ name: "error", text: message }];
        expect(scanForLeaks(artifacts, [other.value, adminKey]).map((f) => describeFinding(f, artifacts))).toEqual([]);
    });
});
