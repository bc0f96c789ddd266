import { redact } from "../domain/keyFormat";
import { HttpClient, parseJson } from "../http/httpClient";
import { ANALYTICS_BETA, ANALYTICS_USAGE_PATH, LEGACY_USAGE_PATH, UsageQuery, UsageReportError } from "./usageReport";

/**
 * Per-key, per-day usage (`1d` buckets) for the monthly key audit: one query answers for many keys
 * (`group_by[]=api_key_id`; `api_key_ids[]` when `keyIds` is not empty, else every key of the organisation) over up
 * to 31 days, every page of the answer followed. The same two
 * endpoints and the same fallback as usageReport.ts (analytics first; on 404 or 400 the legacy Usage and Cost
 * API): analytics `time_bucket_width=1d`, `limit=1000` rows a page; legacy `bucket_width=1d`, `limit=31` buckets
 * a page (the vendor's maximum for 1d). Both allow a range of at most 31 days. Requests are null from the legacy
 * endpoint (it reports tokens only). Rows of one (day, key) split across pages are added up.
 */

const MAX_PAGES = 1000;

/** One key's usage on one UTC day. */
export interface KeyDayUsage {
    /** `YYYY-MM-DD` (UTC) of the day bucket. */
    readonly day: string;
    readonly keyId: string;
    /** Requests that day; null when the endpoint reports tokens only (legacy). */
    readonly requests: number | null;
    /** Uncached, cache-read and cache-creation input tokens. */
    readonly inputTokens: number;
    readonly outputTokens: number;
}

export interface DailyUsageReport {
    readonly source: "analytics" | "usage_report";
    readonly rows: readonly KeyDayUsage[];
    /** HTTP requests that got an answer or failed for good (pages of both endpoints; retries of a page not counted). */
    readonly calls: number;
}

/** Called after each page of the answer: pages read so far, rows on this page. */
export type DailyUsageProgress = (pages: number, rows: number) => void;

/**
 * `keyIds` empty: every key of the organisation (no `api_key_ids[]`). A thousand ids make a URL of about 50 KB,
 * more than servers and proxies accept (the emulator answers 431 beyond 16 KB), so callers pass a few ids or none.
 */
export async function fetchKeyDailyUsage(q: UsageQuery, onPage?: DailyUsageProgress): Promise<DailyUsageReport> {
    const first = await pages(q, "analytics", onPage);
    if (first.ok) return { source: "analytics", rows: merge(first.rows), calls: first.calls };
    if (first.status !== 404 && first.status !== 400) throw new UsageReportError(first.message, first.status);
    const legacy = await pages(q, "usage_report", onPage);
    if (legacy.ok) return { source: "usage_report", rows: merge(legacy.rows), calls: first.calls + legacy.calls };
    throw new UsageReportError(`${first.message}; and then ${legacy.message}`, legacy.status);
}

type PageResult = { ok: true; rows: KeyDayUsage[]; calls: number } | { ok: false; status: number | null; message: string; calls: number };

async function pages(q: UsageQuery, source: DailyUsageReport["source"], onPage: DailyUsageProgress | undefined): Promise<PageResult> {
    const base = q.baseUrl.replace(/\/+$/, "");
    const path = source === "analytics" ? ANALYTICS_USAGE_PATH : LEGACY_USAGE_PATH;
    const http = new HttpClient(q.maxTotalMs !== undefined ? { retry: { maxTotalMs: Math.max(1, q.maxTotalMs) } } : {});
    const rows: KeyDayUsage[] = [];
    let page: string | null = null;
    for (let calls = 1; calls <= MAX_PAGES; calls++) {
        const params = new URLSearchParams();
        params.set("starting_at", q.startingAt.toISOString());
        params.set("ending_at", q.endingAt.toISOString());
        params.append("group_by[]", "api_key_id");
        for (const id of q.keyIds) params.append("api_key_ids[]", id);
        params.set(source === "analytics" ? "time_bucket_width" : "bucket_width", "1d");
        params.set("limit", source === "analytics" ? "1000" : "31");
        if (page) params.set("page", page);
        const headers: Record<string, string> = { "x-api-key": q.adminKey, "anthropic-version": "2023-06-01", accept: "application/json" };
        if (source === "analytics") headers["anthropic-beta"] = ANALYTICS_BETA;
        let res;
        try {
            res = await http.send({ method: "GET", url: `${base}${path}?${params.toString()}`, headers }, { step: "usage report", target: `Anthropic Admin API (${base}${path})`, secrets: [q.adminKey] });
        } catch (err) {
            const message = err && typeof err === "object" && typeof (err as { message?: unknown }).message === "string" ? (err as { message: string }).message : String(err);
            return { ok: false, status: null, message: redact(`GET ${path} got no answer: ${message}`, [q.adminKey]), calls };
        }
        const body = parseJson(res.text) as Record<string, unknown> | undefined;
        if (res.status < 200 || res.status > 299) {
            const error = (body?.error ?? {}) as { type?: unknown; message?: unknown };
            const detail = `${typeof error.type === "string" ? ` ${error.type}` : ""}${typeof error.message === "string" ? `: ${error.message.slice(0, 200)}` : ""}`;
            const requestId = res.headers["request-id"] ? ` (request id ${res.headers["request-id"]})` : "";
            return { ok: false, status: res.status, message: redact(`GET ${path} answered HTTP ${res.status}${detail}${requestId}`, [q.adminKey]), calls };
        }
        const data = Array.isArray(body?.data) ? (body!.data as unknown[]) : [];
        const parsed = source === "analytics" ? analyticsDayRows(data) : legacyDayRows(data);
        rows.push(...parsed);
        onPage?.(calls, parsed.length);
        page = body?.has_more === true && typeof body.next_page === "string" && body.next_page ? body.next_page : null;
        if (!page) return { ok: true, rows, calls };
    }
    return { ok: false, status: null, message: `GET ${path} did not end after ${MAX_PAGES} pages`, calls: MAX_PAGES };
}

function merge(rows: readonly KeyDayUsage[]): KeyDayUsage[] {
    const byCell = new Map<string, { day: string; keyId: string; requests: number | null; inputTokens: number; outputTokens: number }>();
    for (const r of rows) {
        const id = `${r.day} ${r.keyId}`;
        const cell = byCell.get(id);
        if (!cell) {
            byCell.set(id, { ...r });
            continue;
        }
        cell.requests = cell.requests === null || r.requests === null ? null : cell.requests + r.requests;
        cell.inputTokens += r.inputTokens;
        cell.outputTokens += r.outputTokens;
    }
    return [...byCell.values()];
}

function num(v: unknown): number {
    return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

/** Input tokens of a row: uncached, cache reads and cache creation (nested or flat). */
function inputTokensOf(r: Record<string, unknown>): number {
    const creation = (r.cache_creation ?? {}) as Record<string, unknown>;
    return (
        num(r.uncached_input_tokens) + num(r.cache_read_input_tokens) +
        num(creation.ephemeral_5m_input_tokens) + num(creation.ephemeral_1h_input_tokens) +
        num(r.cache_creation_5m_input_tokens) + num(r.cache_creation_1h_input_tokens)
    );
}

function dayOf(startingAt: unknown): string | undefined {
    if (typeof startingAt !== "string") return undefined;
    const ms = Date.parse(startingAt);
    return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : undefined;
}

function analyticsDayRows(data: unknown[]): KeyDayUsage[] {
    const out: KeyDayUsage[] = [];
    for (const raw of data) {
        const r = (raw ?? {}) as { starting_at?: unknown; group?: { api_key_id?: unknown }; usage?: Record<string, unknown> };
        const keyId = r.group?.api_key_id;
        const day = dayOf(r.starting_at);
        if (typeof keyId !== "string" || day === undefined) continue;
        const u = r.usage ?? {};
        out.push({ day, keyId, requests: typeof u.requests === "number" ? u.requests : null, inputTokens: inputTokensOf(u), outputTokens: num(u.output_tokens) });
    }
    return out;
}

function legacyDayRows(data: unknown[]): KeyDayUsage[] {
    const out: KeyDayUsage[] = [];
    for (const raw of data) {
        const bucket = (raw ?? {}) as { starting_at?: unknown; results?: unknown };
        const day = dayOf(bucket.starting_at);
        if (day === undefined || !Array.isArray(bucket.results)) continue;
        for (const res of bucket.results) {
            const r = (res ?? {}) as Record<string, unknown>;
            if (typeof r.api_key_id !== "string") continue;
            out.push({ day, keyId: r.api_key_id, requests: null, inputTokens: inputTokensOf(r), outputTokens: num(r.output_tokens) });
        }
    }
    return out;
}
