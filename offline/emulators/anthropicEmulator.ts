import { randomBytes } from "crypto";
import { fingerprint } from "../../components/domain/fingerprint";
import { makeAdminKey, makeApiKey } from "./keys";
import { hourlyUsageReport, ModelUsage } from "./anthropicHourlyUsage";
import { UsageRecorder, usageWindow, paginateUsage, TrafficScript, BUCKET_MS, LEGACY_BUCKETS_PER_PAGE } from "./anthropicUsage";
import { EmulatorRequest, EmulatorResponse, FaultRule, LoopbackServer, RecordedRequest } from "./loopbackServer";

/**
 * A loopback emulator of the parts of the Anthropic API this project uses (api-contracts.md, "Anthropic"):
 *
 * - `POST /v1/messages`, `GET /v1/models`, `GET /v1/models/{id}` — authenticated by an API key in `x-api-key`;
 * - the Admin API `GET /v1/organizations/api_keys` (paginated: limit / after_id / before_id, has_more,
 *   first_id, last_id), `GET …/api_keys/{id}`, `POST …/api_keys/{id}` `{name?, status?}` — admin keys only;
 *   records carry every field of the current shape: `type`, `expires_at`, `scope`, `created_by`, `principal`,
 *   the deprecated flat `workspace_id`, `partial_key_hint`;
 * - a `request-id` header on every answer it generates, Anthropic-shaped error bodies
 *   `{"type":"error","error":{"type","message"},"request_id"}`, rate-limit headers from per-key limits;
 * - deactivation that makes a key answer 401, optionally only after `propagationDelayMs`;
 * - `calls()`: which key (by fingerprint, never by value) made each call, faulted calls included.
 *
 * Built on LoopbackServer, so `injectFault` (drops, hangs, delays, raw statuses) works as everywhere;
 * `failNext` injects a properly shaped Anthropic error instead.
 *
 * Unverified details, chosen defensively: a non-admin key on the Admin API gets 401 (not 403); rate-limit
 * headers are sent on Messages answers only unless `rateLimitHeaders: "all"`; an API key sent as
 * `Authorization: Bearer` is refused unless `acceptBearer` (the installed SDK sends Bearer by default, the
 * documented API and the SOP use `x-api-key`).
 */

export type KeyStatus = "active" | "inactive" | "archived" | "expired";

export const ANTHROPIC_ERROR_TYPES: Readonly<Record<number, string>> = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
};

export interface RateLimitConfig {
    /** Requests per minute. */
    readonly requests: number;
    /** Input tokens per minute. */
    readonly inputTokens: number;
    /** Output tokens per minute. */
    readonly outputTokens: number;
    /** Combined tokens per minute (the older header); omitted when undefined. */
    readonly tokens?: number;
}

export const DEFAULT_RATE_LIMITS: RateLimitConfig = { requests: 4000, inputTokens: 2_000_000, outputTokens: 400_000 };

/** An error a key always gets on Messages/Models calls (e.g. a key without permission, an org without credit). */
export interface ForcedError {
    readonly status: number;
    /** Defaults to the type for the status. */
    readonly type?: string;
    readonly message?: string;
    /** Sent as `error.details.error_code`. */
    readonly errorCode?: string;
    readonly headers?: Readonly<Record<string, string>>;
    /** Only on these paths (exact, or `^regex`); all Messages/Models paths when omitted. */
    readonly path?: string;
}

export interface KeyOptions {
    /** The key's value; a random well-formed key when omitted. */
    readonly value?: string;
    readonly id?: string;
    readonly name?: string;
    readonly status?: KeyStatus;
    /**
     * `null` = the organisation's default workspace: `scope` then names its real id (DEFAULT_WORKSPACE_ID), the
     * deprecated flat `workspace_id` says null (as older answers did).
     */
    readonly workspaceId?: string | null;
    /** `organization`: a principal-bound key with no workspace (`scope: {type: "organization"}`). Default `workspace`. */
    readonly scope?: "workspace" | "organization";
    /** RFC 3339; now when omitted. */
    readonly createdAt?: string;
    /** RFC 3339; null (the default) = never expires, as for a key created with "Never" in the Console. */
    readonly expiresAt?: string | null;
    /** Shorthand for `createdBy: { type: "user", id }`. */
    readonly createdByUserId?: string;
    /** Who created the key; default the user `user_01EmulatorOperator`; null = not recorded (legacy keys). */
    readonly createdBy?: EmulatedActor | null;
    /** The principal the key acts as; default null (a Console key bound to no principal). */
    readonly principal?: EmulatedActor | null;
    readonly limits?: Partial<RateLimitConfig>;
    readonly forceError?: ForcedError;
    /** The organisation that owns the key (default `org_default`); an admin key sees only its own organisation's keys. */
    readonly organizationId?: string;
}

/** A user or a service account, as `created_by` / `principal` name them. */
export interface EmulatedActor {
    readonly type: "user" | "service_account";
    readonly id: string;
}

/** The id `scope` shows for a key of the default workspace (the API gives the default workspace's real id). */
export const DEFAULT_WORKSPACE_ID = "wrkspc_01EmulatorDefault";

/** What a test sees of a key. `value` is there so the test can use the key; never print it. */
export interface EmulatedKey {
    readonly id: string;
    readonly value: string;
    readonly fingerprint: string;
    readonly name: string;
    /** Status as the Admin API reports it. */
    readonly status: KeyStatus;
    /** Whether the key authenticates right now (differs from `status` during propagation). */
    readonly authenticates: boolean;
    readonly workspaceId: string | null;
    readonly scope: "workspace" | "organization";
    readonly createdAt: string;
    readonly expiresAt: string | null;
    readonly partialKeyHint: string;
    readonly limits: RateLimitConfig;
    readonly organizationId: string;
}

export interface ModelSpec {
    readonly id: string;
    readonly displayName: string;
    readonly createdAt: string;
    /** Names that resolve to this model (e.g. `claude-haiku-4-5` for `claude-haiku-4-5-20251001`). */
    readonly aliases?: readonly string[];
}

export const DEFAULT_MODELS: readonly ModelSpec[] = [
    { id: "claude-opus-4-6", displayName: "Claude Opus 4.6", createdAt: "2026-02-05T00:00:00Z" },
    { id: "claude-sonnet-4-6", displayName: "Claude Sonnet 4.6", createdAt: "2026-02-17T00:00:00Z" },
    { id: "claude-haiku-4-5-20251001", displayName: "Claude Haiku 4.5", createdAt: "2025-10-15T00:00:00Z", aliases: ["claude-haiku-4-5"] },
    { id: "claude-sonnet-4-5-20250929", displayName: "Claude Sonnet 4.5", createdAt: "2025-09-29T00:00:00Z", aliases: ["claude-sonnet-4-5"] },
    { id: "claude-opus-4-1-20250805", displayName: "Claude Opus 4.1", createdAt: "2025-08-05T00:00:00Z", aliases: ["claude-opus-4-1"] },
    { id: "claude-3-5-haiku-20241022", displayName: "Claude Haiku 3.5", createdAt: "2024-10-22T00:00:00Z", aliases: ["claude-3-5-haiku-latest"] },
];

export interface AnthropicEmulatorOptions {
    /** A status change made through the Admin API (or setStatus) takes effect on authentication after this long. */
    readonly propagationDelayMs?: number;
    readonly models?: readonly ModelSpec[];
    readonly defaultLimits?: RateLimitConfig;
    /** Which answers carry `anthropic-ratelimit-*` headers. Default `messages`. */
    readonly rateLimitHeaders?: "messages" | "all" | "none";
    /** Accept an API key sent as `Authorization: Bearer` (the installed SDK's default). Default false. */
    readonly acceptBearer?: boolean;
    /** Answer 400 when `anthropic-version` is missing, as the API does. Default true. */
    readonly requireVersionHeader?: boolean;
    /** How long after a minute ends before its usage appears in the usage reports (default 0). */
    readonly usageLagMs?: number;
    /** Serve the newer `GET /v1/organizations/analytics/usage` (default true); false: 404, as for an org without it. */
    readonly analyticsEndpoint?: boolean;
}

/** One call, attributed to a key by fingerprint. */
export interface KeyCall {
    readonly seq: number;
    readonly at: number;
    readonly method: string;
    readonly path: string;
    readonly query: string;
    readonly outcome: RecordedRequest["outcome"];
    /** Fingerprint of the credential sent, if any. */
    readonly fingerprint?: string;
    readonly keyKind: "api" | "admin" | "unknown" | "none";
    /** The Admin API id of the API key used, when it is a registered API key. */
    readonly keyId?: string;
    /** How the credential was sent. */
    readonly via: "x-api-key" | "bearer" | "none";
    /** `anthropic-version` header sent. */
    readonly version?: string;
}

interface KeyRecord {
    id: string;
    value: string;
    name: string;
    status: KeyStatus;
    /** Status that authentication used before the last change, until the change has propagated. */
    previousStatus: KeyStatus;
    statusChangedAt: number;
    workspaceId: string | null;
    scope: "workspace" | "organization";
    createdAt: string;
    expiresAt: string | null;
    createdBy: EmulatedActor | null;
    principal: EmulatedActor | null;
    limits: RateLimitConfig;
    forceError?: ForcedError;
    organizationId: string;
    /** Insertion order, for stable listing. */
    order: number;
    window: { start: number; requests: number; inputTokens: number; outputTokens: number };
}

export const DEFAULT_ORGANIZATION = "org_default";

const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomId(prefix: string, length = 24): string {
    const bytes = randomBytes(length);
    let out = "";
    for (const b of bytes) out += ID_ALPHABET[b % ID_ALPHABET.length];
    return `${prefix}${out}`;
}

/** The hint the Admin API shows: the public prefix and first three characters of the tail, `...`, the last four. */
export function partialKeyHintOf(value: string): string {
    return `${value.slice(0, 16)}...${value.slice(-4)}`;
}

/** The JSON body of an Anthropic error. */
export function anthropicErrorBody(type: string, message: string, requestId: string, errorCode?: string): unknown {
    return {
        type: "error",
        error: errorCode ? { type, message, details: { error_code: errorCode } } : { type, message },
        request_id: requestId,
    };
}

const DEFAULT_MESSAGES: Readonly<Record<string, string>> = {
    invalid_request_error: "invalid request",
    authentication_error: "invalid x-api-key",
    billing_error: "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
    permission_error: "Your API key does not have permission to use the specified resource.",
    not_found_error: "Not found",
    request_too_large: "Request exceeds the maximum allowed number of bytes.",
    rate_limit_error: "Number of requests has exceeded your per-minute rate limit",
    api_error: "Internal server error",
    overloaded_error: "Overloaded",
    timeout_error: "Request timed out",
};

export class AnthropicEmulator {
    readonly server: LoopbackServer;
    propagationDelayMs: number;
    /** The clock propagation delays are measured on; a test that must not depend on machine speed sets its own. */
    now: () => number = () => Date.now();
    rateLimitHeaders: "messages" | "all" | "none";
    acceptBearer: boolean;
    requireVersionHeader: boolean;
    readonly models: ModelSpec[];
    defaultLimits: RateLimitConfig;
    private readonly records = new Map<string, KeyRecord>();
    private readonly byValue = new Map<string, KeyRecord>();
    /** Admin key value → organisation id. */
    private readonly adminKeys = new Map<string, string>();
    private nextOrder = 0;
    /** Per key, per minute: real Messages calls and scripted traffic, for the usage reports. */
    readonly usage: UsageRecorder;
    /** Which model some of a key's traffic used, for the 1h reports grouped by model (anthropicHourlyUsage.ts). */
    readonly modelUsage: ModelUsage;
    analyticsEndpoint: boolean;
    private readonly statusListeners: ((key: EmulatedKey, status: KeyStatus) => void)[] = [];

    constructor(options: AnthropicEmulatorOptions = {}) {
        this.propagationDelayMs = options.propagationDelayMs ?? 0;
        this.rateLimitHeaders = options.rateLimitHeaders ?? "messages";
        this.acceptBearer = options.acceptBearer ?? false;
        this.requireVersionHeader = options.requireVersionHeader ?? true;
        this.models = [...(options.models ?? DEFAULT_MODELS)];
        this.defaultLimits = options.defaultLimits ?? DEFAULT_RATE_LIMITS;
        this.server = new LoopbackServer("anthropic", (req) => this.route(req));
        this.usage = new UsageRecorder(() => this.now());
        this.usage.lagMs = options.usageLagMs ?? 0;
        this.modelUsage = new ModelUsage(this.usage);
        this.analyticsEndpoint = options.analyticsEndpoint ?? true;
    }

    get url(): string {
        return this.server.url;
    }

    start(port = 0): Promise<string> {
        return this.server.start(port);
    }

    stop(): Promise<void> {
        return this.server.stop();
    }

    // ---------------------------------------------------------------- state set-up and inspection

    /** Registers an API key (as if created in the Console) and returns it. */
    addKey(options: KeyOptions = {}): EmulatedKey {
        const value = options.value ?? makeApiKey();
        if (this.byValue.has(value)) throw new Error("anthropic emulator: that key value is already registered");
        const status = options.status ?? "active";
        const record: KeyRecord = {
            id: options.id ?? randomId("apikey_01"),
            value,
            name: options.name ?? `key-${this.nextOrder}`,
            status,
            previousStatus: status,
            statusChangedAt: 0,
            workspaceId: options.workspaceId === undefined ? null : options.workspaceId,
            createdAt: options.createdAt ?? new Date().toISOString(),
            scope: options.scope ?? "workspace",
            expiresAt: options.expiresAt ?? null,
            createdBy:
                options.createdBy !== undefined ? options.createdBy : { type: "user", id: options.createdByUserId ?? "user_01EmulatorOperator" },
            principal: options.principal ?? null,
            limits: { ...this.defaultLimits, ...options.limits },
            forceError: options.forceError,
            organizationId: options.organizationId ?? DEFAULT_ORGANIZATION,
            order: this.nextOrder++,
            window: { start: 0, requests: 0, inputTokens: 0, outputTokens: 0 },
        };
        if (this.records.has(record.id)) throw new Error(`anthropic emulator: key id ${record.id} already exists`);
        this.records.set(record.id, record);
        this.byValue.set(value, record);
        return this.view(record);
    }

    /** Registers many keys at once (pagination tests); `template(i)` customises each. */
    addKeys(count: number, template: (i: number) => KeyOptions = () => ({})): EmulatedKey[] {
        const out: EmulatedKey[] = [];
        for (let i = 0; i < count; i++) out.push(this.addKey({ name: `bulk-${i}`, ...template(i) }));
        return out;
    }

    /** Registers an Admin API key of an organisation and returns its value. */
    addAdminKey(value: string = makeAdminKey(), organizationId: string = DEFAULT_ORGANIZATION): string {
        this.adminKeys.set(value, organizationId);
        return value;
    }

    removeAdminKey(value: string): void {
        this.adminKeys.delete(value);
    }

    /** The key by id or by value. */
    key(idOrValue: string): EmulatedKey | undefined {
        const record = this.records.get(idOrValue) ?? this.byValue.get(idOrValue);
        return record ? this.view(record) : undefined;
    }

    allKeys(): EmulatedKey[] {
        return [...this.records.values()].map((r) => this.view(r));
    }

    /** Changes a key's status as the Console would (propagation delay applies). */
    setStatus(idOrValue: string, status: KeyStatus): EmulatedKey {
        const record = this.mustFind(idOrValue);
        this.changeStatus(record, status);
        return this.view(record);
    }

    /**
     * Calls `listener` after every status change (Admin API or setStatus), e.g. to script what a consumer does
     * once a key is deactivated, or to fail the reactivation that follows. Returns the function that removes it.
     */
    onStatusChange(listener: (key: EmulatedKey, status: KeyStatus) => void): () => void {
        this.statusListeners.push(listener);
        return () => {
            const i = this.statusListeners.indexOf(listener);
            if (i >= 0) this.statusListeners.splice(i, 1);
        };
    }

    /**
     * Scripts a key's traffic: `requests(minuteStart)` requests in each minute (0 = idle), added to the real
     * calls in the usage reports. E.g. `(m) => (m < now - 30 * 60_000 ? 20 : 0)`: stopped half an hour ago.
     */
    scriptTraffic(idOrValue: string, requests: TrafficScript): void {
        this.usage.script(this.mustFind(idOrValue).id, requests);
    }

    setLimits(idOrValue: string, limits: Partial<RateLimitConfig>): void {
        const record = this.mustFind(idOrValue);
        record.limits = { ...record.limits, ...limits };
    }

    /** Makes every Messages/Models call with this key fail this way (undefined clears it). */
    setForcedError(idOrValue: string, error: ForcedError | undefined): void {
        this.mustFind(idOrValue).forceError = error;
    }

    /**
     * Makes the next `times` matching calls (default: any path, once) fail with a properly shaped Anthropic
     * error, a `request-id` header and any extra headers (e.g. `retry-after`).
     */
    failNext(
        status: number,
        options: { type?: string; message?: string; errorCode?: string; headers?: Record<string, string>; method?: string; path?: string; times?: number } = {},
    ): void {
        const type = options.type ?? ANTHROPIC_ERROR_TYPES[status] ?? "api_error";
        const requestId = randomId("req_011");
        const rule: FaultRule = {
            method: options.method,
            path: options.path,
            times: options.times,
            fault: {
                kind: "status",
                status,
                headers: { "request-id": requestId, ...options.headers },
                body: anthropicErrorBody(type, options.message ?? DEFAULT_MESSAGES[type] ?? "error", requestId, options.errorCode),
            },
        };
        this.server.injectFault(rule);
    }

    injectFault(rule: FaultRule): void {
        this.server.injectFault(rule);
    }

    clearFaults(): void {
        this.server.clearFaults();
    }

    /** Every call, attributed by credential fingerprint (the key value is never part of this log). */
    calls(filter: { method?: string; path?: string | RegExp; fingerprint?: string } = {}): KeyCall[] {
        return this.server
            .calls(filter.method, filter.path)
            .map((r) => this.attribute(r))
            .filter((c) => !filter.fingerprint || c.fingerprint === filter.fingerprint);
    }

    /** Calls that reached the Messages endpoint (each one costs tokens on the real API). */
    messageCalls(fp?: string): KeyCall[] {
        return this.calls({ method: "POST", path: "/v1/messages", fingerprint: fp });
    }

    // ---------------------------------------------------------------- routing

    private async route(req: EmulatorRequest): Promise<EmulatorResponse> {
        const requestId = randomId("req_011");
        if (req.path.startsWith("/v1/organizations/")) return this.withRequestId(this.admin(req, requestId), requestId);
        if (req.path === "/v1/messages" || req.path === "/v1/models" || req.path.startsWith("/v1/models/")) {
            return this.withRequestId(this.api(req, requestId), requestId);
        }
        return this.withRequestId(this.error(404, "not_found_error", `Not found: ${req.method} ${req.path}`, requestId), requestId);
    }

    private withRequestId(res: EmulatorResponse, requestId: string): EmulatorResponse {
        return { ...res, headers: { "request-id": requestId, ...res.headers } };
    }

    private error(status: number, type: string, message: string, requestId: string, errorCode?: string, headers?: Record<string, string>): EmulatorResponse {
        return { status, headers, body: anthropicErrorBody(type, message, requestId, errorCode) };
    }

    private credential(req: EmulatorRequest): { value?: string; via: KeyCall["via"] } {
        const header = req.headers["x-api-key"];
        if (header) return { value: header, via: "x-api-key" };
        const auth = req.headers["authorization"];
        const m = auth ? /^Bearer\s+(.+)$/i.exec(auth) : null;
        if (m) return { value: m[1]!.trim(), via: "bearer" };
        return { via: "none" };
    }

    private api(req: EmulatorRequest, requestId: string): EmulatorResponse {
        const cred = this.credential(req);
        if (cred.via === "none") return this.error(401, "authentication_error", "x-api-key header is required", requestId);
        const record = cred.value !== undefined ? this.byValue.get(cred.value) : undefined;
        if (!record || (cred.via === "bearer" && !this.acceptBearer) || !this.authenticates(record)) {
            return this.error(401, "authentication_error", "invalid x-api-key", requestId);
        }
        if (this.requireVersionHeader && !req.headers["anthropic-version"]) {
            return this.error(400, "invalid_request_error", "anthropic-version: header is required", requestId);
        }
        const forced = record.forceError;
        if (forced && (!forced.path || (forced.path.startsWith("^") ? new RegExp(forced.path).test(req.path) : forced.path === req.path))) {
            const type = forced.type ?? ANTHROPIC_ERROR_TYPES[forced.status] ?? "api_error";
            return this.error(forced.status, type, forced.message ?? DEFAULT_MESSAGES[type] ?? "error", requestId, forced.errorCode, forced.headers ? { ...forced.headers } : undefined);
        }
        if (req.path === "/v1/messages") {
            if (req.method !== "POST") return this.error(405, "invalid_request_error", "Method not allowed", requestId);
            return this.messages(req, record, requestId);
        }
        if (req.method !== "GET") return this.error(405, "invalid_request_error", "Method not allowed", requestId);
        const headers = this.rateLimitHeaders === "all" ? this.countAndHeaders(record, 0, 0) : undefined;
        if (req.path === "/v1/models") return { status: 200, headers, body: this.listModels(req, requestId) };
        const id = decodeURIComponent(req.path.slice("/v1/models/".length));
        const model = this.findModel(id);
        if (!model) return this.error(404, "not_found_error", `model: ${id}`, requestId);
        return { status: 200, headers, body: modelJson(model) };
    }

    private messages(req: EmulatorRequest, record: KeyRecord, requestId: string): EmulatorResponse {
        const body = req.json as { model?: unknown; max_tokens?: unknown; messages?: unknown } | undefined;
        if (!body || typeof body !== "object") return this.error(400, "invalid_request_error", "request body must be JSON", requestId);
        if (typeof body.model !== "string" || !body.model) return this.error(400, "invalid_request_error", "model: Field required", requestId);
        if (typeof body.max_tokens !== "number" || !Number.isInteger(body.max_tokens) || body.max_tokens < 1) {
            return this.error(400, "invalid_request_error", "max_tokens: Field required (a positive integer)", requestId);
        }
        if (!Array.isArray(body.messages) || body.messages.length === 0) {
            return this.error(400, "invalid_request_error", "messages: at least one message is required", requestId);
        }
        if (req.body.length > 1_000_000) return this.error(413, "request_too_large", DEFAULT_MESSAGES.request_too_large!, requestId);
        const model = this.findModel(body.model);
        if (!model) return this.error(404, "not_found_error", `model: ${body.model}`, requestId);
        const inputTokens = 7 + Math.ceil(JSON.stringify(body.messages).length / 16);
        const outputTokens = Math.min(body.max_tokens, 4);
        const headers = this.rateLimitHeaders === "none" ? undefined : this.countAndHeaders(record, inputTokens, outputTokens);
        this.usage.record(record.id, inputTokens, outputTokens);
        return {
            status: 200,
            headers,
            body: {
                id: randomId("msg_01"),
                type: "message",
                role: "assistant",
                model: model.id,
                content: [{ type: "text", text: "Pong!".slice(0, outputTokens + 1) }],
                stop_reason: outputTokens >= body.max_tokens ? "max_tokens" : "end_turn",
                stop_sequence: null,
                usage: { input_tokens: inputTokens, output_tokens: outputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, service_tier: "standard" },
            },
        };
    }

    private listModels(req: EmulatorRequest, requestId: string): unknown {
        void requestId;
        const sorted = [...this.models].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
        return paginate(sorted.map(modelJson), req.query, (m) => (m as { id: string }).id, 20);
    }

    private findModel(name: string): ModelSpec | undefined {
        return this.models.find((m) => m.id === name || (m.aliases ?? []).includes(name));
    }

    // ---------------------------------------------------------------- Admin API

    private admin(req: EmulatorRequest, requestId: string): EmulatorResponse {
        const cred = this.credential(req);
        const org = cred.via === "x-api-key" && cred.value !== undefined ? this.adminKeys.get(cred.value) : undefined;
        if (org === undefined) return this.error(401, "authentication_error", "invalid x-api-key", requestId);
        if (req.path === "/v1/organizations/analytics/usage" || req.path === "/v1/organizations/usage_report/messages") {
            if (req.method !== "GET") return this.error(405, "invalid_request_error", "Method not allowed", requestId);
            return this.usageReport(req, org, requestId);
        }
        if (req.path === "/v1/organizations/api_keys") {
            if (req.method !== "GET") return this.error(405, "invalid_request_error", "Method not allowed", requestId);
            const limitText = req.query.get("limit");
            const limit = limitText === null ? 20 : Number(limitText);
            if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
                return this.error(400, "invalid_request_error", "limit: Input should be between 1 and 1000", requestId);
            }
            let keys = [...this.records.values()].filter((k) => k.organizationId === org).sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.order - a.order);
            const status = req.query.get("status");
            if (status) keys = keys.filter((k) => k.status === status);
            const workspace = req.query.get("workspace_id");
            if (workspace) keys = keys.filter((k) => k.scope === "workspace" && (k.workspaceId ?? DEFAULT_WORKSPACE_ID) === workspace);
            const creator = req.query.get("created_by_user_id");
            if (creator) keys = keys.filter((k) => k.createdBy?.type === "user" && k.createdBy.id === creator);
            const afterId = req.query.get("after_id");
            const beforeId = req.query.get("before_id");
            if ((afterId && !keys.some((k) => k.id === afterId)) || (beforeId && !keys.some((k) => k.id === beforeId))) {
                return this.error(400, "invalid_request_error", "after_id/before_id does not name a key in this listing", requestId);
            }
            return { status: 200, body: paginate(keys.map((k) => this.apiKeyJson(k)), req.query, (k) => (k as { id: string }).id, 20) };
        }
        const m = /^\/v1\/organizations\/api_keys\/([^/]+)$/.exec(req.path);
        if (!m) return this.error(404, "not_found_error", `Not found: ${req.method} ${req.path}`, requestId);
        const found = this.records.get(decodeURIComponent(m[1]!));
        const record = found && found.organizationId === org ? found : undefined;
        if (!record) return this.error(404, "not_found_error", `API key ${m[1]} not found`, requestId);
        if (req.method === "GET") return { status: 200, body: this.apiKeyJson(record) };
        if (req.method !== "POST") return this.error(405, "invalid_request_error", "Method not allowed", requestId);
        const body = (req.json ?? {}) as { name?: unknown; status?: unknown };
        if (body.status !== undefined && body.status !== null && !["active", "inactive", "archived"].includes(body.status as string)) {
            return this.error(400, "invalid_request_error", "status: Input should be 'active', 'inactive' or 'archived'", requestId);
        }
        if (body.name !== undefined && body.name !== null && (typeof body.name !== "string" || body.name.length === 0)) {
            return this.error(400, "invalid_request_error", "name: must be a non-empty string", requestId);
        }
        if (typeof body.name === "string") record.name = body.name;
        if (typeof body.status === "string") this.changeStatus(record, body.status as KeyStatus);
        return { status: 200, body: this.apiKeyJson(record) };
    }

    private usageReport(req: EmulatorRequest, org: string, requestId: string): EmulatorResponse {
        const analytics = req.path.endsWith("/analytics/usage");
        if (analytics && !this.analyticsEndpoint) return this.error(404, "not_found_error", `Not found: ${req.method} ${req.path}`, requestId);
        if (analytics && !(req.headers["anthropic-beta"] ?? "").split(",").map((b) => b.trim()).includes("analytics-usage-cost-2026-08-24")) {
            return this.error(400, "invalid_request_error", "this endpoint is in beta: send anthropic-beta: analytics-usage-cost-2026-08-24", requestId);
        }
        if (req.query.get(analytics ? "time_bucket_width" : "bucket_width") === "1h") {
            const own = [...this.records.values()].filter((k) => k.organizationId === org).map((k) => k.id);
            const answer = hourlyUsageReport(req.query, analytics, own, this.modelUsage);
            return "body" in answer ? { status: 200, body: answer.body } : this.error(answer.status, "invalid_request_error", answer.error, requestId);
        }
        const window = usageWindow(req.query, analytics ? "time_bucket_width" : "bucket_width");
        if ("status" in window) return this.error(window.status, "invalid_request_error", window.message, requestId);
        const own = new Set([...this.records.values()].filter((k) => k.organizationId === org).map((k) => k.id));
        const keyIds = (window.keyIds.length ? window.keyIds : [...own]).filter((id) => own.has(id));
        const cells = this.usage.cells(keyIds, window.start, window.end, window.width);
        const bucketMs = BUCKET_MS[window.width];
        const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
        const tokens = (c: (typeof cells)[number]["cell"]) => ({ uncached_input_tokens: c.inputTokens, cache_read_input_tokens: 0, output_tokens: c.outputTokens });
        if (analytics) {
            const rows = cells.map((c) => ({
                starting_at: iso(c.minute),
                ending_at: iso(c.minute + bucketMs),
                group: { api_key_id: c.keyId },
                usage: { requests: c.cell.requests, total_tokens: c.cell.tokens, ...tokens(c.cell) },
            }));
            const { page, has_more, next_page } = paginateUsage(rows, req.query, 20, 1000);
            return { status: 200, body: { data: page, has_more, next_page } };
        }
        const minutes = [...new Set(cells.map((c) => c.minute))];
        const buckets = minutes.map((m) => ({
            starting_at: iso(m),
            ending_at: iso(m + bucketMs),
            results: cells.filter((c) => c.minute === m).map((c) => ({ api_key_id: c.keyId, ...tokens(c.cell) })),
        }));
        const perPage = LEGACY_BUCKETS_PER_PAGE[window.width];
        const { page, has_more, next_page } = paginateUsage(buckets, req.query, perPage.default, perPage.max);
        return { status: 200, body: { data: page, has_more, next_page } };
    }

    private apiKeyJson(record: KeyRecord): unknown {
        return {
            type: "api_key",
            id: record.id,
            name: record.name,
            status: record.status,
            created_at: record.createdAt,
            expires_at: record.expiresAt,
            created_by: record.createdBy ? { id: record.createdBy.id, type: record.createdBy.type } : null,
            partial_key_hint: partialKeyHintOf(record.value),
            // Deprecated, still sent: null for the default workspace and for an organisation-scoped key.
            workspace_id: record.scope === "workspace" ? record.workspaceId : null,
            scope: record.scope === "organization" ? { type: "organization" } : { type: "workspace", workspace_id: record.workspaceId ?? DEFAULT_WORKSPACE_ID },
            principal:
                record.principal === null
                    ? null
                    : record.principal.type === "user"
                      ? { type: "user_actor", user_id: record.principal.id }
                      : { type: "service_account_actor", service_account_id: record.principal.id },
        };
    }

    // ---------------------------------------------------------------- helpers

    private changeStatus(record: KeyRecord, status: KeyStatus): void {
        if (record.status === status) return;
        record.previousStatus = this.authStatus(record);
        record.status = status;
        record.statusChangedAt = this.now();
        for (const listener of [...this.statusListeners]) listener(this.view(record), status);
    }

    private authStatus(record: KeyRecord): KeyStatus {
        if (this.propagationDelayMs > 0 && this.now() < record.statusChangedAt + this.propagationDelayMs) return record.previousStatus;
        return record.status;
    }

    private authenticates(record: KeyRecord): boolean {
        return this.authStatus(record) === "active";
    }

    private countAndHeaders(record: KeyRecord, inputTokens: number, outputTokens: number): Record<string, string> {
        const now = Date.now();
        if (now - record.window.start >= 60_000) record.window = { start: now, requests: 0, inputTokens: 0, outputTokens: 0 };
        record.window.requests += 1;
        record.window.inputTokens += inputTokens;
        record.window.outputTokens += outputTokens;
        const reset = new Date(record.window.start + 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
        const l = record.limits;
        const headers: Record<string, string> = {
            "anthropic-ratelimit-requests-limit": String(l.requests),
            "anthropic-ratelimit-requests-remaining": String(Math.max(0, l.requests - record.window.requests)),
            "anthropic-ratelimit-requests-reset": reset,
            "anthropic-ratelimit-input-tokens-limit": String(l.inputTokens),
            "anthropic-ratelimit-input-tokens-remaining": String(Math.max(0, l.inputTokens - record.window.inputTokens)),
            "anthropic-ratelimit-input-tokens-reset": reset,
            "anthropic-ratelimit-output-tokens-limit": String(l.outputTokens),
            "anthropic-ratelimit-output-tokens-remaining": String(Math.max(0, l.outputTokens - record.window.outputTokens)),
            "anthropic-ratelimit-output-tokens-reset": reset,
        };
        if (l.tokens !== undefined) {
            headers["anthropic-ratelimit-tokens-limit"] = String(l.tokens);
            headers["anthropic-ratelimit-tokens-remaining"] = String(Math.max(0, l.tokens - record.window.inputTokens - record.window.outputTokens));
            headers["anthropic-ratelimit-tokens-reset"] = reset;
        }
        return headers;
    }

    private attribute(r: RecordedRequest): KeyCall {
        const cred = this.credential(r);
        const base = {
            seq: r.seq,
            at: r.at,
            method: r.method,
            path: r.path,
            query: r.query.toString(),
            outcome: r.outcome,
            via: cred.via,
            version: r.headers["anthropic-version"],
        };
        if (cred.value === undefined) return { ...base, keyKind: "none" };
        const record = this.byValue.get(cred.value);
        const keyKind = record ? "api" : this.adminKeys.has(cred.value) ? "admin" : "unknown";
        return { ...base, keyKind, fingerprint: fingerprint(cred.value), keyId: record?.id };
    }

    private mustFind(idOrValue: string): KeyRecord {
        const record = this.records.get(idOrValue) ?? this.byValue.get(idOrValue);
        if (!record) throw new Error("anthropic emulator: no such key");
        return record;
    }

    private view(record: KeyRecord): EmulatedKey {
        return {
            id: record.id,
            value: record.value,
            fingerprint: fingerprint(record.value),
            name: record.name,
            status: record.status,
            authenticates: this.authenticates(record),
            workspaceId: record.workspaceId,
            scope: record.scope,
            createdAt: record.createdAt,
            expiresAt: record.expiresAt,
            partialKeyHint: partialKeyHintOf(record.value),
            limits: { ...record.limits },
            organizationId: record.organizationId,
        };
    }
}

function modelJson(model: ModelSpec): unknown {
    return { type: "model", id: model.id, display_name: model.displayName, created_at: model.createdAt };
}

/** Anthropic list pagination: `limit`, `after_id` / `before_id` cursors, `{data, has_more, first_id, last_id}`. */
function paginate(items: unknown[], query: URLSearchParams, idOf: (item: unknown) => string, defaultLimit: number): unknown {
    const limit = Math.min(1000, Math.max(1, Number(query.get("limit") ?? defaultLimit) || defaultLimit));
    const afterId = query.get("after_id");
    const beforeId = query.get("before_id");
    let page: unknown[];
    let hasMore: boolean;
    if (beforeId) {
        const end = Math.max(0, items.findIndex((i) => idOf(i) === beforeId));
        const start = Math.max(0, end - limit);
        page = items.slice(start, end);
        hasMore = start > 0;
    } else {
        const start = afterId ? items.findIndex((i) => idOf(i) === afterId) + 1 : 0;
        page = items.slice(start, start + limit);
        hasMore = start + limit < items.length;
    }
    return {
        data: page,
        has_more: hasMore,
        first_id: page.length ? idOf(page[0]) : null,
        last_id: page.length ? idOf(page[page.length - 1]) : null,
    };
}
