import { randomBytes, randomUUID } from "crypto";
import { EmulatorRequest, EmulatorResponse, FaultRule, LoopbackServer, RecordedRequest } from "./loopbackServer";

/**
 * A loopback emulator of the parts of the Infisical API that `@infisical/sdk` 5.x calls for the rotation:
 * universal-auth login and the v3 "raw" secret endpoints. Request shapes follow what the installed SDK
 * actually sends (verified by the tests in test/infisical, which drive the real SDK against this server):
 *
 *   POST   /api/v1/auth/universal-auth/login   JSON {clientId, clientSecret}
 *   GET    /api/v3/secrets/raw/{name}          query workspaceId, environment, secretPath, type, secretName,
 *                                              expandSecretReferences, includeImports, viewSecretValue, version
 *   POST   /api/v3/secrets/raw/{name}          JSON {workspaceId, environment, secretValue, secretPath, type, …}
 *   PATCH  /api/v3/secrets/raw/{name}          JSON {workspaceId, environment, secretValue?, secretPath, type, …}
 *   DELETE /api/v3/secrets/raw/{name}          JSON {workspaceId, environment, secretPath, type}
 *
 * Behaviour follows Infisical's server (backend/src/server/plugins/error-handler.ts and the secret services):
 * errors are `{reqId, statusCode, message, error}`; bad login credentials → 401 UnauthorizedError
 * "Invalid credentials"; an invalid or expired access token → **403** TokenError (not 401); a missing
 * project / folder / secret → 404 NotFound; schema failures → 422 ValidationFailure whose `message` is an
 * array of zod issues (not a string); creating an existing secret → 400 "Secret already exist"; rate limits
 * → 429 with `retry-after` and "Rate limit exceeded. Please try again in N seconds". Every update that
 * carries a value makes a new version; the history is kept and inspectable.
 *
 * Secret values live only in this process's memory for assertions; nothing here logs them.
 */

export const INFISICAL_LOGIN_PATH = "/api/v1/auth/universal-auth/login";
export const INFISICAL_SECRET_PATH_PREFIX = "/api/v3/secrets/raw/";
/** Matches every secret endpoint, for fault rules. */
export const INFISICAL_SECRET_PATH_PATTERN = "^/api/v3/secrets/raw/";

export interface EmulatorLocation {
    readonly projectId: string;
    readonly environment: string;
    readonly secretPath?: string;
    readonly secretName: string;
}

export interface SecretVersion {
    readonly version: number;
    readonly value: string;
    readonly at: number;
    /** What made this version: our API calls, or an out-of-band edit in the emulator (drift). */
    readonly by: "create" | "update" | "seed" | "out-of-band";
}

export interface StoredSecret {
    readonly id: string;
    readonly projectId: string;
    readonly environment: string;
    readonly secretPath: string;
    readonly secretName: string;
    readonly createdAt: string;
    updatedAt: string;
    readonly versions: SecretVersion[];
}

export interface EmulatorProject {
    readonly environments: Set<string>;
    /** Folder paths per environment; "/" always exists. */
    readonly folders: Map<string, Set<string>>;
}

interface IssuedToken {
    readonly clientId: string;
    expiresAt: number;
    /** Expires after this many more authenticated calls (forced expiry mid-run). */
    callsLeft?: number;
}

export interface InfisicalEmulatorOptions {
    readonly clientId?: string;
    readonly clientSecret?: string;
    /** Projects to create at start, each with these environments (default dev, staging, prod). */
    readonly projects?: readonly string[];
    readonly environments?: readonly string[];
}

const TOKEN_EXPIRED = "Your token has expired. Please re-authenticate.";
const TOKEN_MALFORMED = "The provided access token is malformed. Please use a valid token or generate a new one and try again.";

export class InfisicalEmulator {
    readonly server: LoopbackServer;
    readonly clientId: string;
    readonly clientSecret: string;
    readonly projects = new Map<string, EmulatorProject>();
    /** Live secrets by location key. */
    readonly secrets = new Map<string, StoredSecret>();
    /** Secrets deleted through the API, with their history, newest last. */
    readonly deleted: StoredSecret[] = [];
    /** Every access token issued, in order (tests assert none of them leaks). */
    readonly issuedTokens: string[] = [];
    /** Lifetime of issued tokens (Infisical's default accessTokenTTL is 2592000 s; 7200 s here). */
    tokenTtlSeconds = 7200;
    /** When true, GET answers `<hidden-by-infisical>` like an identity without the read-value permission. */
    hideValues = false;
    private readonly tokens = new Map<string, IssuedToken>();
    /** project/environment pairs the identity may not touch: 403 PermissionDenied. */
    private readonly denied = new Set<string>();
    private nextTokenCalls: number | undefined;

    constructor(options: InfisicalEmulatorOptions = {}) {
        this.clientId = options.clientId ?? randomUUID();
        this.clientSecret = options.clientSecret ?? randomBytes(32).toString("hex");
        for (const p of options.projects ?? []) this.addProject(p, options.environments);
        this.server = new LoopbackServer("infisical", (req) => this.route(req));
    }

    async start(port = 0): Promise<string> {
        return this.server.start(port);
    }

    async stop(): Promise<void> {
        await this.server.stop();
    }

    get url(): string {
        return this.server.url;
    }

    get requests(): RecordedRequest[] {
        return this.server.requests;
    }

    calls(method?: string, path?: string | RegExp): RecordedRequest[] {
        return this.server.calls(method, path);
    }

    /** Calls to the secret endpoints (any name), optionally by method. */
    secretCalls(method?: string): RecordedRequest[] {
        return this.server.calls(method, new RegExp(INFISICAL_SECRET_PATH_PATTERN));
    }

    loginCalls(): RecordedRequest[] {
        return this.server.calls("POST", INFISICAL_LOGIN_PATH);
    }

    injectFault(rule: FaultRule): void {
        this.server.injectFault(rule);
    }

    clearFaults(): void {
        this.server.clearFaults();
    }

    /** A 429 exactly as Infisical's rate limiter sends it (optionally without `retry-after`). */
    rateLimit(options: { times?: number; method?: string; path?: string; retryAfterSeconds?: number | null } = {}): void {
        const seconds = options.retryAfterSeconds === undefined ? 30 : options.retryAfterSeconds;
        const headers: Record<string, string> = { "x-ratelimit-limit": "600", "x-ratelimit-remaining": "0" };
        if (seconds !== null) {
            headers["retry-after"] = String(seconds);
            headers["x-ratelimit-reset"] = String(seconds);
        }
        this.injectFault({
            method: options.method,
            path: options.path ?? INFISICAL_SECRET_PATH_PATTERN,
            times: options.times ?? 1,
            fault: {
                kind: "status",
                status: 429,
                headers,
                body: errorBody(429, "RateLimitExceeded", `Rate limit exceeded. Please try again in ${seconds ?? 60} seconds`),
            },
        });
    }

    /** A server failure with Infisical's body (500 InternalServerError, 502/503/504 from a proxy). */
    serverError(options: { status?: number; times?: number; method?: string; path?: string } = {}): void {
        const status = options.status ?? 500;
        this.injectFault({
            method: options.method,
            path: options.path ?? INFISICAL_SECRET_PATH_PATTERN,
            times: options.times ?? 1,
            fault: { kind: "status", status, body: errorBody(status, status === 500 ? "InternalServerError" : "GatewayError", "Something went wrong") },
        });
    }

    addProject(projectId: string, environments: readonly string[] = ["dev", "staging", "prod"]): void {
        const folders = new Map<string, Set<string>>();
        for (const env of environments) folders.set(env, new Set(["/"]));
        this.projects.set(projectId, { environments: new Set(environments), folders });
    }

    /** Creates a folder (and its parents) in one environment. */
    addFolder(projectId: string, environment: string, path: string): void {
        const project = this.projects.get(projectId);
        const set = project?.folders.get(environment);
        if (!set) throw new Error(`emulator: no environment ${environment} in project ${projectId}`);
        const parts = path.split("/").filter(Boolean);
        for (let i = 1; i <= parts.length; i++) set.add(`/${parts.slice(0, i).join("/")}`);
    }

    /** The identity may no longer read or write this project (or one environment of it): 403 PermissionDenied. */
    denyAccess(projectId: string, environment = "*"): void {
        this.denied.add(`${projectId}|${environment}`);
    }

    /** Every token issued so far is now expired (403 TokenError on its next use). */
    expireAllTokens(): void {
        for (const t of this.tokens.values()) t.expiresAt = 0;
    }

    /** Tokens issued so far expire after `n` more authenticated calls: an expiry in the middle of a run. */
    expireTokensAfterCalls(n: number): void {
        for (const t of this.tokens.values()) t.callsLeft = n;
    }

    /** The next token issued expires after `n` authenticated calls (later tokens are normal). */
    expireNextTokenAfterCalls(n: number): void {
        this.nextTokenCalls = n;
    }

    /** Puts a secret in place as if someone had created it in the Infisical UI. */
    seedSecret(location: EmulatorLocation, value: string): StoredSecret {
        const existing = this.secret(location);
        if (existing) {
            this.addVersion(existing, value, "seed");
            return existing;
        }
        return this.createStored(location, value, "seed");
    }

    /** Changes the value out of band (someone edited it in the UI): a new version, i.e. drift. */
    editOutOfBand(location: EmulatorLocation, value: string): void {
        const existing = this.secret(location);
        if (!existing) throw new Error(`emulator: no secret ${keyOf(location)}`);
        this.addVersion(existing, value, "out-of-band");
    }

    secret(location: EmulatorLocation): StoredSecret | undefined {
        return this.secrets.get(keyOf(location));
    }

    currentValue(location: EmulatorLocation): string | undefined {
        const s = this.secret(location);
        return s?.versions[s.versions.length - 1]?.value;
    }

    currentVersion(location: EmulatorLocation): number | undefined {
        const s = this.secret(location);
        return s?.versions[s.versions.length - 1]?.version;
    }

    /** Every version of the secret (live or deleted), oldest first. */
    history(location: EmulatorLocation): readonly SecretVersion[] {
        const live = this.secret(location);
        if (live) return live.versions;
        const gone = [...this.deleted].reverse().find((s) => keyOf(s) === keyOf(location));
        return gone?.versions ?? [];
    }

    // ---- routing -------------------------------------------------------------------------------------

    private route(req: EmulatorRequest): EmulatorResponse {
        if (req.path === INFISICAL_LOGIN_PATH) {
            if (req.method !== "POST") return notFoundRoute(req);
            return this.login(req);
        }
        if (req.path.startsWith(INFISICAL_SECRET_PATH_PREFIX)) {
            const rawName = req.path.slice(INFISICAL_SECRET_PATH_PREFIX.length);
            if (!rawName || rawName.includes("/")) return notFoundRoute(req);
            const secretName = decodeURIComponent(rawName);
            const auth = this.authenticate(req);
            if (auth) return auth;
            switch (req.method) {
                case "GET":
                    return this.getSecret(req, secretName);
                case "POST":
                    return this.createSecret(req, secretName);
                case "PATCH":
                    return this.updateSecret(req, secretName);
                case "DELETE":
                    return this.deleteSecret(req, secretName);
                default:
                    return notFoundRoute(req);
            }
        }
        return notFoundRoute(req);
    }

    private login(req: EmulatorRequest): EmulatorResponse {
        const media = requireJson(req);
        if (media) return media;
        const body = (req.json ?? {}) as Record<string, unknown>;
        const issues = [
            ...stringIssue(body, "clientId"),
            ...stringIssue(body, "clientSecret"),
        ];
        if (issues.length) return validationFailure(issues);
        if (body.clientId !== this.clientId || body.clientSecret !== this.clientSecret) {
            return { status: 401, body: errorBody(401, "UnauthorizedError", "Invalid credentials") };
        }
        // A JWT-shaped opaque token, like Infisical's.
        const token = ["eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", randomBytes(48).toString("base64url"), randomBytes(32).toString("base64url")].join(".");
        this.tokens.set(token, { clientId: this.clientId, expiresAt: Date.now() + this.tokenTtlSeconds * 1000, callsLeft: this.nextTokenCalls });
        this.nextTokenCalls = undefined;
        this.issuedTokens.push(token);
        return {
            status: 200,
            body: { accessToken: token, expiresIn: this.tokenTtlSeconds, accessTokenMaxTTL: this.tokenTtlSeconds, tokenType: "Bearer" },
        };
    }

    /** undefined when the bearer token is good; otherwise the error Infisical sends. */
    private authenticate(req: EmulatorRequest): EmulatorResponse | undefined {
        const header = req.headers["authorization"];
        if (!header) {
            return { status: 401, body: errorBody(401, "UnauthorizedError", "Failed to authenticate: missing authorization header") };
        }
        const m = /^Bearer (.+)$/.exec(header);
        const token = m ? this.tokens.get(m[1]!) : undefined;
        if (!token) return { status: 403, body: errorBody(403, "TokenError", TOKEN_MALFORMED) };
        if (token.callsLeft !== undefined) {
            if (token.callsLeft <= 0) token.expiresAt = 0;
            token.callsLeft -= 1;
        }
        if (token.expiresAt <= Date.now()) return { status: 403, body: errorBody(403, "TokenError", TOKEN_EXPIRED) };
        return undefined;
    }

    /** Project, environment and folder checks shared by every secret call. */
    private resolveScope(
        params: { workspaceId?: unknown; environment?: unknown; secretPath?: unknown; type?: unknown },
        action: string,
    ): EmulatorResponse | { projectId: string; environment: string; secretPath: string } {
        const issues = [...stringIssue(params, "workspaceId"), ...stringIssue(params, "environment")];
        if (params.secretPath !== undefined && (typeof params.secretPath !== "string" || !params.secretPath.startsWith("/"))) {
            issues.push({ code: "custom", message: "Invalid secret path: must start with /", path: ["secretPath"] });
        }
        if (params.type !== undefined && params.type !== "shared" && params.type !== "personal") {
            issues.push({
                code: "invalid_enum_value",
                options: ["shared", "personal"],
                received: String(params.type),
                message: "Invalid enum value. Expected 'shared' | 'personal'",
                path: ["type"],
            });
        }
        if (issues.length) return validationFailure(issues);
        const projectId = params.workspaceId as string;
        const environment = params.environment as string;
        const secretPath = normalizePath((params.secretPath as string | undefined) ?? "/");
        const project = this.projects.get(projectId);
        if (!project) return { status: 404, body: errorBody(404, "NotFound", `Project with ID '${projectId}' not found during permission check`) };
        if (this.denied.has(`${projectId}|*`) || this.denied.has(`${projectId}|${environment}`)) {
            return { status: 403, body: { ...errorBody(403, "PermissionDenied", `You are not allowed to ${action} on secrets`), details: [] } };
        }
        if (!project.environments.has(environment) || !project.folders.get(environment)?.has(secretPath)) {
            return {
                status: 404,
                body: errorBody(404, "NotFound", `Folder with path '${secretPath}' in environment with slug '${environment}' not found`),
            };
        }
        return { projectId, environment, secretPath };
    }

    private getSecret(req: EmulatorRequest, secretName: string): EmulatorResponse {
        const q = Object.fromEntries(req.query.entries());
        const scope = this.resolveScope(q, "readValue");
        if ("status" in scope) return scope;
        const stored = this.secrets.get(keyOf({ ...scope, secretName }));
        if (!stored) return { status: 404, body: errorBody(404, "NotFound", `Secret with name '${secretName}' not found`) };
        let version = stored.versions[stored.versions.length - 1]!;
        if (q.version !== undefined) {
            const wanted = stored.versions.find((v) => String(v.version) === q.version);
            if (!wanted) return { status: 404, body: errorBody(404, "NotFound", `Secret version ${q.version} not found`) };
            version = wanted;
        }
        const hidden = this.hideValues || q.viewSecretValue === "false";
        return { status: 200, body: { secret: shape(stored, version, hidden) } };
    }

    private createSecret(req: EmulatorRequest, secretName: string): EmulatorResponse {
        const media = requireJson(req);
        if (media) return media;
        const body = (req.json ?? {}) as Record<string, unknown>;
        const nameIssue = secretNameIssues(secretName);
        const issues = [...stringIssue(body, "secretValue", true), ...nameIssue];
        if (issues.length) return validationFailure(issues);
        const scope = this.resolveScope(body, "create");
        if ("status" in scope) return scope;
        const location = { ...scope, secretName };
        if (this.secrets.has(keyOf(location))) return { status: 400, body: errorBody(400, "BadRequest", "Secret already exist") };
        const stored = this.createStored(location, body.secretValue as string, "create");
        return { status: 200, body: { secret: shape(stored, stored.versions[0]!, false) } };
    }

    private updateSecret(req: EmulatorRequest, secretName: string): EmulatorResponse {
        const media = requireJson(req);
        if (media) return media;
        const body = (req.json ?? {}) as Record<string, unknown>;
        const issues = body.secretValue === undefined ? [] : stringIssue(body, "secretValue", true);
        if (issues.length) return validationFailure(issues);
        const scope = this.resolveScope(body, "edit");
        if ("status" in scope) return scope;
        const stored = this.secrets.get(keyOf({ ...scope, secretName }));
        if (!stored) return { status: 404, body: errorBody(404, "NotFound", `Secret with name ${secretName} not found`) };
        const value = typeof body.secretValue === "string" ? body.secretValue : stored.versions[stored.versions.length - 1]!.value;
        this.addVersion(stored, value, "update");
        return { status: 200, body: { secret: shape(stored, stored.versions[stored.versions.length - 1]!, false) } };
    }

    private deleteSecret(req: EmulatorRequest, secretName: string): EmulatorResponse {
        const media = requireJson(req);
        if (media) return media;
        const scope = this.resolveScope((req.json ?? {}) as Record<string, unknown>, "delete");
        if ("status" in scope) return scope;
        const key = keyOf({ ...scope, secretName });
        const stored = this.secrets.get(key);
        if (!stored) return { status: 404, body: errorBody(404, "NotFound", `Secret with name ${secretName} not found`) };
        this.secrets.delete(key);
        this.deleted.push(stored);
        return { status: 200, body: { secret: shape(stored, stored.versions[stored.versions.length - 1]!, true) } };
    }

    private createStored(location: EmulatorLocation, value: string, by: SecretVersion["by"]): StoredSecret {
        const now = new Date().toISOString();
        const stored: StoredSecret = {
            id: randomUUID(),
            projectId: location.projectId,
            environment: location.environment,
            secretPath: normalizePath(location.secretPath ?? "/"),
            secretName: location.secretName,
            createdAt: now,
            updatedAt: now,
            versions: [{ version: 1, value, at: Date.now(), by }],
        };
        this.secrets.set(keyOf(stored), stored);
        return stored;
    }

    private addVersion(stored: StoredSecret, value: string, by: SecretVersion["by"]): void {
        const last = stored.versions[stored.versions.length - 1]!;
        stored.versions.push({ version: last.version + 1, value, at: Date.now(), by });
        stored.updatedAt = new Date().toISOString();
    }
}

// ---- helpers ------------------------------------------------------------------------------------------

interface ZodIssue {
    readonly code: string;
    readonly message: string;
    readonly path: (string | number)[];
    readonly [extra: string]: unknown;
}

function errorBody(statusCode: number, error: string, message: string): { reqId: string; statusCode: number; message: string; error: string } {
    return { reqId: `req-${randomBytes(8).toString("hex")}`, statusCode, message, error };
}

/** Infisical's 422: the zod issues go in `message` as an array, not a string. */
function validationFailure(issues: ZodIssue[]): EmulatorResponse {
    return { status: 422, body: { reqId: `req-${randomBytes(8).toString("hex")}`, statusCode: 422, error: "ValidationFailure", message: issues } };
}

function stringIssue(obj: Record<string, unknown>, field: string, allowEmpty = false): ZodIssue[] {
    const value = obj[field];
    if (value === undefined) {
        return [{ code: "invalid_type", expected: "string", received: "undefined", path: [field], message: "Required" }];
    }
    if (typeof value !== "string") {
        return [{ code: "invalid_type", expected: "string", received: typeof value, path: [field], message: `Expected string, received ${typeof value}` }];
    }
    if (!allowEmpty && value.trim().length === 0) {
        return [{ code: "too_small", minimum: 1, type: "string", inclusive: true, exact: false, path: [field], message: "String must contain at least 1 character(s)" }];
    }
    return [];
}

function secretNameIssues(name: string): ZodIssue[] {
    if (/^[A-Za-z0-9_.-]+$/.test(name)) return [];
    return [{ code: "custom", path: ["secretName"], message: "Secret name can only contain alphanumeric characters, dashes, underscores and dots" }];
}

/** Fastify refuses a JSON route's body without a JSON content type. */
function requireJson(req: EmulatorRequest): EmulatorResponse | undefined {
    const type = req.headers["content-type"] ?? "";
    if (!req.body) return undefined;
    if (!type.toLowerCase().startsWith("application/json")) {
        return {
            status: 415,
            body: { statusCode: 415, code: "FST_ERR_CTP_INVALID_MEDIA_TYPE", error: "Unsupported Media Type", message: `Unsupported Media Type: ${type}` },
        };
    }
    if (req.json === undefined) {
        return { status: 400, body: { statusCode: 400, code: "FST_ERR_CTP_INVALID_JSON_BODY", error: "Bad Request", message: "Body is not valid JSON" } };
    }
    return undefined;
}

function notFoundRoute(req: EmulatorRequest): EmulatorResponse {
    return { status: 404, body: { statusCode: 404, error: "Not Found", message: `Route ${req.method}:${req.path} not found` } };
}

function normalizePath(path: string): string {
    const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path;
    return trimmed || "/";
}

function keyOf(l: EmulatorLocation): string {
    return [l.projectId, l.environment, normalizePath(l.secretPath ?? "/"), l.secretName].join("|");
}

function shape(stored: StoredSecret, version: SecretVersion, hidden: boolean): Record<string, unknown> {
    return {
        id: stored.id,
        _id: stored.id,
        workspace: stored.projectId,
        workspaceId: stored.projectId,
        environment: stored.environment,
        secretPath: stored.secretPath,
        version: version.version,
        type: "shared",
        secretKey: stored.secretName,
        secretValue: hidden ? "<hidden-by-infisical>" : version.value,
        secretValueHidden: hidden,
        secretComment: "",
        skipMultilineEncoding: false,
        isRotatedSecret: false,
        rotationId: null,
        createdAt: stored.createdAt,
        updatedAt: stored.updatedAt,
        tags: [],
        secretMetadata: [],
    };
}
