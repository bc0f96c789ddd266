import { fetchUsagePages, UsageQuery, UsageReportError } from "./usageReport";

/**
 * Per-key, per-day usage (`1d` buckets) for the monthly key audit: one query answers for many keys
 * (`group_by[]=api_key_id`; `api_key_ids[]` when `keyIds` is not empty, else every key of the organisation) over up
 * to 31 days, every page of the answer followed. The same two
 * endpoints and the same fallback as usageReport.ts (analytics first; on 404 or 400 the legacy Usage and Cost
 * API): analytics `time_bucket_width=1d`, `limit=1000` rows a page; legacy `bucket_width=1d`, `limit=31` buckets
 * a page (the vendor's maximum for 1d). Both allow a range of at most 31 days. Requests are null from the legacy
 * endpoint (it reports tokens only). Rows of one (day, key) split across pages are added up.
 */

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

async function pages(q: UsageQuery, source: DailyUsageReport["source"], onPage: DailyUsageProgress | undefined): Promise<PageResult> {
    const result = await fetchUsagePages(q, source, {
        bucket: "1d",
        byModel: false,
        parse: (from, data) => (from === "analytics" ? analyticsDayRows(data) : legacyDayRows(data)),
        ...(onPage ? { onPage } : {}),
    });
    return result.ok ? { ok: true, rows: result.rows, calls: result.pages } : { ok: false, status: result.status, message: result.message, calls: result.pages };
}

type PageResult = { ok: true; rows: KeyDayUsage[]; calls: number } | { ok: false; status: number | null; message: string; calls: number };

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
