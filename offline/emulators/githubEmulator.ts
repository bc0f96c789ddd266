import { EmulatorRequest, EmulatorResponse, LoopbackServer } from "./loopbackServer";

/**
 * GitHub REST API (Actions secrets) emulator. It holds an X25519 key pair per repository, environment and
 * organization, serves the public keys, accepts sealed-box PUTs (`crypto_box_seal`, as @pulumi/github and
 * `gh secret set` send them) and opens them with the private key, so a test can check the exact value a
 * secret received. Paths work with and without the Enterprise `/api/v3` prefix (@pulumi/github treats any
 * non-github.com base URL as Enterprise Server). The provider's configure-time `GET /user` and
 * `GET /orgs/{owner}` are answered too.
 */

interface Sodium {
    ready: Promise<void>;
    crypto_box_keypair(): { publicKey: Uint8Array; privateKey: Uint8Array };
    crypto_box_seal_open(cipher: Uint8Array, pk: Uint8Array, sk: Uint8Array): Uint8Array;
    to_base64(data: Uint8Array, variant: number): string;
    from_base64(data: string, variant: number): Uint8Array;
    to_string(data: Uint8Array): string;
    base64_variants: { ORIGINAL: number };
}

export interface StoredSecret {
    readonly scope: string;
    readonly name: string;
    /** The decrypted value. Only tests read it. */
    readonly value: string;
    readonly createdAt: string;
    readonly updatedAt: string;
    readonly visibility?: string;
}

interface KeyPair {
    readonly keyId: string;
    readonly publicKey: Uint8Array;
    readonly privateKey: Uint8Array;
}

export class GithubEmulator {
    readonly server: LoopbackServer;
    readonly secrets = new Map<string, StoredSecret>();
    /** Public-key fetches per scope: economy checks (one per repository per rotation). */
    readonly publicKeyFetches = new Map<string, number>();
    private readonly keys = new Map<string, KeyPair>();
    private readonly repos = new Map<string, number>();
    private sodium!: Sodium;
    private keySeq = 0;

    constructor(
        readonly token = "ghp_emulatortoken000000000000000000000",
        readonly owner = "raxx-app",
    ) {
        this.server = new LoopbackServer("github", (req) => this.handle(req));
    }

    get url(): string {
        return this.server.url;
    }

    async start(): Promise<string> {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        this.sodium = require("libsodium-wrappers") as Sodium;
        await this.sodium.ready;
        return this.server.start();
    }

    stop(): Promise<void> {
        return this.server.stop();
    }

    addRepository(fullName: string): number {
        const existing = this.repos.get(fullName);
        if (existing) return existing;
        const id = 100_000 + this.repos.size;
        this.repos.set(fullName, id);
        return id;
    }

    secret(scope: string, name: string): StoredSecret | undefined {
        return this.secrets.get(`${scope}|${name.toUpperCase()}`);
    }

    /** Sets a secret "from the GitHub UI" (out of band): a new value and a new `updated_at`, i.e. drift. */
    setOutOfBand(scope: string, name: string, value: string): void {
        const storeKey = `${scope}|${name.toUpperCase()}`;
        const existing = this.secrets.get(storeKey);
        const now = new Date(Math.max(Date.now(), existing ? Date.parse(existing.updatedAt) + 1000 : 0)).toISOString();
        this.secrets.set(storeKey, { scope, name: name.toUpperCase(), value, createdAt: existing?.createdAt ?? now, updatedAt: now, visibility: existing?.visibility });
    }

    private keyFor(scope: string): KeyPair {
        let pair = this.keys.get(scope);
        if (!pair) {
            const kp = this.sodium.crypto_box_keypair();
            pair = { keyId: `5687${String(++this.keySeq).padStart(14, "0")}`, publicKey: kp.publicKey, privateKey: kp.privateKey };
            this.keys.set(scope, pair);
        }
        return pair;
    }

    private handle(req: EmulatorRequest): EmulatorResponse {
        const path = req.path.replace(/^\/api\/v3/, "");
        const headers = { "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4999", "x-ratelimit-resource": "core" };
        if (req.headers.authorization !== `Bearer ${this.token}` && req.headers.authorization !== `token ${this.token}`) {
            return { status: 401, headers, body: { message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" } };
        }
        if (path === "/user") return { status: 200, headers, body: { login: "rotation-bot", id: 1, type: "User" } };
        const org = /^\/orgs\/([^/]+)$/.exec(path);
        if (org && req.method === "GET") return { status: 200, headers, body: { login: org[1], id: 2 } };
        const repo = /^\/repos\/([^/]+)\/([^/]+)$/.exec(path);
        if (repo && req.method === "GET") {
            const full = `${repo[1]}/${repo[2]}`;
            const id = this.repos.get(full);
            return id ? { status: 200, headers, body: { id, name: repo[2], full_name: full, owner: { login: repo[1] } } } : notFound(headers);
        }

        const scopes: [RegExp, (m: RegExpExecArray) => string | undefined][] = [
            [/^\/repos\/([^/]+)\/([^/]+)\/actions\/secrets(\/.*)?$/, (m) => this.repoScope(`${m[1]}/${m[2]}`)],
            [/^\/repos\/([^/]+)\/([^/]+)\/environments\/([^/]+)\/secrets(\/.*)?$/, (m) => this.repoScope(`${m[1]}/${m[2]}`, m[3])],
            [/^\/repositories\/(\d+)\/environments\/([^/]+)\/secrets(\/.*)?$/, (m) => this.repoScopeById(Number(m[1]), m[2]!)],
            [/^\/orgs\/([^/]+)\/actions\/secrets(\/.*)?$/, (m) => `org:${m[1]}`],
        ];
        for (const [pattern, scopeOf] of scopes) {
            const m = pattern.exec(path);
            if (!m) continue;
            const scope = scopeOf(m);
            if (!scope) return notFound(headers);
            const rest = m[m.length - 1] ?? "";
            return this.secretsCall(req, scope, rest, headers);
        }
        return notFound(headers);
    }

    private repoScope(full: string, env?: string): string | undefined {
        if (!this.repos.has(full)) return undefined;
        return env ? `env:${full}:${env}` : `repo:${full}`;
    }

    private repoScopeById(id: number, env: string): string | undefined {
        const full = [...this.repos.entries()].find(([, v]) => v === id)?.[0];
        return full ? `env:${full}:${env}` : undefined;
    }

    private secretsCall(req: EmulatorRequest, scope: string, rest: string, headers: Record<string, string>): EmulatorResponse {
        const s = this.sodium;
        if (rest === "/public-key" && req.method === "GET") {
            this.publicKeyFetches.set(scope, (this.publicKeyFetches.get(scope) ?? 0) + 1);
            const pair = this.keyFor(scope);
            return { status: 200, headers, body: { key_id: pair.keyId, key: s.to_base64(pair.publicKey, s.base64_variants.ORIGINAL) } };
        }
        const named = /^\/([^/]+)$/.exec(rest);
        if (!named) return notFound(headers);
        const name = decodeURIComponent(named[1]!).toUpperCase();
        const storeKey = `${scope}|${name}`;
        if (req.method === "GET") {
            const secret = this.secrets.get(storeKey);
            if (!secret) return notFound(headers);
            return { status: 200, headers, body: { name, created_at: secret.createdAt, updated_at: secret.updatedAt, visibility: secret.visibility } };
        }
        if (req.method === "DELETE") {
            return this.secrets.delete(storeKey) ? { status: 204, headers } : notFound(headers);
        }
        if (req.method === "PUT") {
            if (!/^[A-Z_][A-Z0-9_]*$/.test(name) || name.startsWith("GITHUB_")) {
                return { status: 422, headers, body: { message: "Invalid secret name", documentation_url: "https://docs.github.com/rest" } };
            }
            const body = (req.json ?? {}) as { encrypted_value?: string; key_id?: string; visibility?: string };
            const pair = this.keyFor(scope);
            if (body.key_id !== pair.keyId || !body.encrypted_value) {
                return { status: 422, headers, body: { message: "Bad request: key_id does not match the current public key" } };
            }
            let value: string;
            try {
                value = s.to_string(s.crypto_box_seal_open(s.from_base64(body.encrypted_value, s.base64_variants.ORIGINAL), pair.publicKey, pair.privateKey));
            } catch {
                return { status: 422, headers, body: { message: "Bad request: could not decrypt the value" } };
            }
            const now = new Date().toISOString();
            const existing = this.secrets.get(storeKey);
            this.secrets.set(storeKey, { scope, name, value, createdAt: existing?.createdAt ?? now, updatedAt: now, visibility: body.visibility });
            return { status: existing ? 204 : 201, headers };
        }
        return { status: 405, headers, body: { message: "Method not allowed" } };
    }
}

function notFound(headers: Record<string, string>): EmulatorResponse {
    return { status: 404, headers, body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" } };
}
