import { redact } from "../domain/keyFormat";
import { HttpClient, parseJson } from "../http/httpClient";

/**
 * Per-key, per-minute usage from the Anthropic Admin API, for the revocation's proof of cut-over and for any
 * tool that audits keys (the monthly key inventory). Admin key only (`sk-ant-admin01-…`, in `x-api-key`).
 *
 * Two endpoints answer the question; the newer one first:
 *
 * - `GET /v1/organizations/analytics/usage` (beta header `anthropic-beta: analytics-usage-cost-2026-08-24`, as
 *   @anthropic-ai/sdk 1.12 sends it): `time_bucket_width=1m` (a range of at most 24 h; `ending_at` required),
 *   `group_by[]=api_key_id`, `api_key_ids[]`, `limit` ≤ 1000, `page`; rows `{starting_at, ending_at,
 *   group: {api_key_id}, usage: {requests, total_tokens, …}}` — it counts requests.
 * - `GET /v1/organizations/usage_report/messages` (the legacy Usage and Cost API): `bucket_width=1m`
 *   (`limit` ≤ 1440 buckets), `group_by[]=api_key_id`, `api_key_ids[]`, `page`; buckets `{starting_at,
 *   ending_at, results: [{api_key_id, uncached_input_tokens, cache_read_input_tokens, cache_creation…,
 *   output_tokens}]}` — tokens only, so `requests` is null and a minute with tokens counts as used.
 *
 * When the analytics endpoint is not there (404) or refuses the query (400), the legacy one is asked. Both
 * paginate with `has_more` / `next_page`. Only minutes with usage come back; the caller treats a missing
 * minute as zero. Nothing here is key-shaped; the admin key is passed in and redacted from every message.
 *
 * `fetchHourlyModelUsage` asks the same two endpoints for one-hour buckets grouped by `api_key_id` and `model`
 * (the exposure report of a compromised key): analytics `time_bucket_width=1h`, legacy `bucket_width=1h` with
 * `limit` ≤ 168 buckets a page (the vendor's maximum for 1h), every page followed. Input tokens are uncached +
 * cache read + cache creation; output tokens are `output_tokens`; requests are null from the legacy endpoint.
 */

export const ANALYTICS_USAGE_PATH = "/v1/organizations/analytics/usage";
export const LEGACY_USAGE_PATH = "/v1/organizations/usage_report/messages";
export const ANALYTICS_BETA = "analytics-usage-cost-2026-08-24";
const MAX_PAGES = 200;

export interface KeyMinuteUsage {
    /** Start of the one-minute bucket (RFC 3339, UTC). */
    readonly minute: string;
    readonly keyId: string;
    /** Requests in the minute; null when the endpoint reports tokens only (legacy). */
    readonly requests: number | null;
    readonly tokens: number;
}

export interface UsageQuery {
    readonly adminKey: string;
    readonly baseUrl: string;
    readonly keyIds: readonly string[];
    /** Inclusive; snapped to the minute by the API. */
    readonly startingAt: Date;
    /** Exclusive. */
    readonly endingAt: Date;
    /** Bound on each page with its retries, ms. */
    readonly maxTotalMs?: number;
}

export interface UsageReport {
    readonly source: "analytics" | "usage_report";
    readonly rows: readonly KeyMinuteUsage[];
}

/** Thrown when neither endpoint gives a usable answer; the message is redacted and says which call failed. */
export class UsageReportError extends Error {
    declare readonly status: number | null;
    constructor(message: string, status: number | null) {
        super(message);
        this.message = message;
        this.name = "UsageReportError";
        Object.defineProperty(this, "status", { value: status, enumerable: true });
    }
}

export async function fetchKeyUsage(q: UsageQuery): Promise<UsageReport> {
    if (q.keyIds.length === 0) return { source: "analytics", rows: [] };
    const { source, rows } = await eitherEndpoint(q, MINUTE_SPEC);
    return { source, rows };
}

/** One hour of one key's usage of one model. */
export interface KeyHourModelUsage {
    /** Start of the one-hour bucket (RFC 3339, UTC). */
    readonly hour: string;
    readonly keyId: string;
    /** The model id as the report names it ("unknown" when the row has none). */
    readonly model: string;
    /** Requests in the hour; null when the endpoint reports tokens only (legacy). */
    readonly requests: number | null;
    readonly inputTokens: number;
    readonly outputTokens: number;
}

export interface HourlyModelUsageReport {
    readonly source: UsageReport["source"];
    readonly rows: readonly KeyHourModelUsage[];
    /** Pages read from the endpoint that answered. */
    readonly pages: number;
}

/** Hourly usage per key and model over [startingAt, endingAt), every page; the same fallback as fetchKeyUsage. */
export async function fetchHourlyModelUsage(q: UsageQuery): Promise<HourlyModelUsageReport> {
    if (q.keyIds.length === 0) return { source: "analytics", rows: [], pages: 0 };
    return eitherEndpoint(q, { bucket: "1h", byModel: true, parse: (source, data) => (source === "analytics" ? analyticsHourRows(data) : legacyHourRows(data)) });
}

async function eitherEndpoint<R>(q: UsageQuery, spec: PageSpec<R>): Promise<{ source: UsageReport["source"]; rows: R[]; pages: number }> {
    const first = await fetchUsagePages(q, "analytics", spec);
    if (first.ok) return { source: "analytics", rows: first.rows, pages: first.pages };
    if (first.status !== 404 && first.status !== 400) throw new UsageReportError(first.message, first.status);
    const legacy = await fetchUsagePages(q, "usage_report", spec);
    if (legacy.ok) return { source: "usage_report", rows: legacy.rows, pages: legacy.pages };
    throw new UsageReportError(`${first.message}; and then ${legacy.message}`, legacy.status);
}

export type PageResult<R> = { ok: true; rows: R[]; pages: number } | { ok: false; status: number | null; message: string; pages: number };

/** What one family of queries asks for and how its rows are read. */
export interface PageSpec<R> {
    readonly bucket: "1m" | "1h" | "1d";
    readonly byModel: boolean;
    readonly parse: (source: UsageReport["source"], data: unknown[]) => R[];
    /** Called after each page with its number (from 1) and how many rows it held (progress lines). */
    readonly onPage?: (page: number, rows: number) => void;
}

/** The legacy endpoint's largest page for each bucket width (its documented maxima). */
const LEGACY_LIMIT: Readonly<Record<PageSpec<unknown>["bucket"], string>> = { "1m": "1440", "1h": "168", "1d": "31" };

const MINUTE_SPEC: PageSpec<KeyMinuteUsage> = { bucket: "1m", byModel: false, parse: (source, data) => (source === "analytics" ? analyticsRows(data) : legacyRows(data)) };

/** Every page of one usage query (one endpoint), following next_page; a failure says what answered. */
export async function fetchUsagePages<R>(q: UsageQuery, source: UsageReport["source"], spec: PageSpec<R>): Promise<PageResult<R>> {
    const base = q.baseUrl.replace(/\/+$/, "");
    const path = source === "analytics" ? ANALYTICS_USAGE_PATH : LEGACY_USAGE_PATH;
    const http = new HttpClient(q.maxTotalMs !== undefined ? { retry: { maxTotalMs: Math.max(1, q.maxTotalMs) } } : {});
    const rows: R[] = [];
    let page: string | null = null;
    for (let n = 0; n < MAX_PAGES; n++) {
        const params = new URLSearchParams();
        params.set("starting_at", q.startingAt.toISOString());
        params.set("ending_at", q.endingAt.toISOString());
        params.append("group_by[]", "api_key_id");
        if (spec.byModel) params.append("group_by[]", "model");
        for (const id of q.keyIds) params.append("api_key_ids[]", id);
        if (source === "analytics") {
            params.set("time_bucket_width", spec.bucket);
            params.set("limit", "1000");
        } else {
            params.set("bucket_width", spec.bucket);
            params.set("limit", LEGACY_LIMIT[spec.bucket]);
        }
        if (page) params.set("page", page);
        const headers: Record<string, string> = { "x-api-key": q.adminKey, "anthropic-version": "2023-06-01", accept: "application/json" };
        if (source === "analytics") headers["anthropic-beta"] = ANALYTICS_BETA;
        let res;
        try {
            res = await http.send({ method: "GET", url: `${base}${path}?${params.toString()}`, headers }, { step: "usage report", target: `Anthropic Admin API (${base}${path})`, secrets: [q.adminKey] });
        } catch (err) {
            const message = err && typeof err === "object" && typeof (err as { message?: unknown }).message === "string" ? (err as { message: string }).message : String(err);
            return { ok: false, status: null, message: redact(`GET ${path} got no answer: ${message}`, [q.adminKey]), pages: n + 1 };
        }
        const body = parseJson(res.text) as Record<string, unknown> | undefined;
        if (res.status < 200 || res.status > 299) {
            const error = (body?.error ?? {}) as { type?: unknown; message?: unknown };
            const detail = `${typeof error.type === "string" ? ` ${error.type}` : ""}${typeof error.message === "string" ? `: ${error.message.slice(0, 200)}` : ""}`;
            const requestId = res.headers["request-id"] ? ` (request id ${res.headers["request-id"]})` : "";
            return { ok: false, status: res.status, message: redact(`GET ${path} answered HTTP ${res.status}${detail}${requestId}`, [q.adminKey]), pages: n + 1 };
        }
        const data = Array.isArray(body?.data) ? (body!.data as unknown[]) : [];
        const parsed = spec.parse(source, data);
        rows.push(...parsed);
        spec.onPage?.(n + 1, parsed.length);
        page = body?.has_more === true && typeof body.next_page === "string" && body.next_page ? body.next_page : null;
        if (!page) return { ok: true, rows, pages: n + 1 };
    }
    return { ok: false, status: null, message: `GET ${path} did not end after ${MAX_PAGES} pages`, pages: MAX_PAGES };
}

function num(v: unknown): number {
    return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

function analyticsRows(data: unknown[]): KeyMinuteUsage[] {
    const out: KeyMinuteUsage[] = [];
    for (const raw of data) {
        const r = (raw ?? {}) as { starting_at?: unknown; group?: { api_key_id?: unknown }; usage?: Record<string, unknown> };
        const keyId = r.group?.api_key_id;
        if (typeof keyId !== "string" || typeof r.starting_at !== "string") continue;
        const u = r.usage ?? {};
        const tokens = typeof u.total_tokens === "number" ? u.total_tokens : num(u.uncached_input_tokens) + num(u.cache_read_input_tokens) + num(u.output_tokens);
        out.push({ minute: new Date(r.starting_at).toISOString(), keyId, requests: typeof u.requests === "number" ? u.requests : null, tokens });
    }
    return out;
}

function legacyRows(data: unknown[]): KeyMinuteUsage[] {
    const out: KeyMinuteUsage[] = [];
    for (const raw of data) {
        const bucket = (raw ?? {}) as { starting_at?: unknown; results?: unknown };
        if (typeof bucket.starting_at !== "string" || !Array.isArray(bucket.results)) continue;
        const minute = new Date(bucket.starting_at).toISOString();
        for (const res of bucket.results) {
            const r = (res ?? {}) as Record<string, unknown>;
            if (typeof r.api_key_id !== "string") continue;
            const creation = (r.cache_creation ?? {}) as Record<string, unknown>;
            const tokens =
                num(r.uncached_input_tokens) + num(r.cache_read_input_tokens) + num(r.output_tokens) +
                num(creation.ephemeral_5m_input_tokens) + num(creation.ephemeral_1h_input_tokens) +
                num(r.cache_creation_5m_input_tokens) + num(r.cache_creation_1h_input_tokens);
            out.push({ minute, keyId: r.api_key_id, requests: null, tokens });
        }
    }
    return out;
}

/** Input tokens of a usage object: uncached + cache read + cache creation (either shape the API uses). */
function inputTokensOf(u: Record<string, unknown>): number {
    const creation = (u.cache_creation ?? {}) as Record<string, unknown>;
    return (
        num(u.uncached_input_tokens) + num(u.cache_read_input_tokens) +
        num(creation.ephemeral_5m_input_tokens) + num(creation.ephemeral_1h_input_tokens) +
        num(u.cache_creation_5m_input_tokens) + num(u.cache_creation_1h_input_tokens)
    );
}

function modelOf(v: unknown): string {
    return typeof v === "string" && v ? v : "unknown";
}

function analyticsHourRows(data: unknown[]): KeyHourModelUsage[] {
    const out: KeyHourModelUsage[] = [];
    for (const raw of data) {
        const r = (raw ?? {}) as { starting_at?: unknown; group?: { api_key_id?: unknown; model?: unknown }; usage?: Record<string, unknown> };
        const keyId = r.group?.api_key_id;
        if (typeof keyId !== "string" || typeof r.starting_at !== "string") continue;
        const u = r.usage ?? {};
        out.push({
            hour: new Date(r.starting_at).toISOString(),
            keyId,
            model: modelOf(r.group?.model),
            requests: typeof u.requests === "number" ? u.requests : null,
            inputTokens: inputTokensOf(u),
            outputTokens: num(u.output_tokens),
        });
    }
    return out;
}

function legacyHourRows(data: unknown[]): KeyHourModelUsage[] {
    const out: KeyHourModelUsage[] = [];
    for (const raw of data) {
        const bucket = (raw ?? {}) as { starting_at?: unknown; results?: unknown };
        if (typeof bucket.starting_at !== "string" || !Array.isArray(bucket.results)) continue;
        const hour = new Date(bucket.starting_at).toISOString();
        for (const res of bucket.results) {
            const r = (res ?? {}) as Record<string, unknown>;
            if (typeof r.api_key_id !== "string") continue;
            out.push({ hour, keyId: r.api_key_id, model: modelOf(r.model), requests: null, inputTokens: inputTokensOf(r), outputTokens: num(r.output_tokens) });
        }
    }
    return out;
}
