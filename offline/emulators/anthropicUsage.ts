/**
 * The usage side of the Anthropic emulator: what each API key did, minute by minute, as the Admin API's usage
 * reports tell it (api-contracts.md; components/anthropic/usageReport.ts for the two endpoints).
 *
 * - Real calls: every Messages call the emulator answers with 200 counts one request (and its tokens) in the
 *   minute it arrived, on the emulator's clock.
 * - Scripted traffic: `script(keyId, (minuteStart) => requests)` adds requests to any minute, past or future
 *   (a consumer that keeps using the old key, one that stopped 30 minutes ago, one that just moved).
 * - Data lag: a minute shows up only once `lagMs` has passed since it ended ("usage typically appears within
 *   5 minutes"); younger minutes are missing from the report, as if nothing happened yet.
 * - Pagination: `limit` rows (analytics) or buckets (legacy) per page, `has_more` and an opaque `next_page`.
 * - Bucket widths `1m` (a range of at most 24 h), `1h` and `1d` (at most 31 days; days start at 00:00 UTC): the
 *   monthly key audit asks for the last 30 days of every key in one `1d` query per page of keys.
 */

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
/** Each scripted request counts 20 input and 5 output tokens. */
const INPUT_TOKENS_PER_SCRIPTED_REQUEST = 20;
const OUTPUT_TOKENS_PER_SCRIPTED_REQUEST = 5;

export const HOUR_MS = 3_600_000;

export type BucketWidth = "1m" | "1h" | "1d";
export const BUCKET_MS: Readonly<Record<BucketWidth, number>> = { "1m": MINUTE_MS, "1h": HOUR_MS, "1d": DAY_MS };

export type TrafficScript = (minuteStartMs: number) => number;

interface Cell {
    requests: number;
    /** Input plus output tokens. */
    tokens: number;
    inputTokens: number;
    outputTokens: number;
}

const empty = (): Cell => ({ requests: 0, tokens: 0, inputTokens: 0, outputTokens: 0 });

export class UsageRecorder {
    /** How long after a minute ends before it appears in the reports. */
    lagMs = 0;
    private readonly recorded = new Map<string, Map<number, Cell>>();
    private readonly scripts = new Map<string, TrafficScript[]>();

    constructor(private readonly now: () => number) {}

    /** A real call answered with 200. */
    record(keyId: string, inputTokens: number, outputTokens = 0): void {
        const minute = Math.floor(this.now() / MINUTE_MS) * MINUTE_MS;
        const byMinute = this.recorded.get(keyId) ?? new Map<number, Cell>();
        const cell = byMinute.get(minute) ?? empty();
        cell.requests += 1;
        cell.inputTokens += inputTokens;
        cell.outputTokens += outputTokens;
        cell.tokens += inputTokens + outputTokens;
        byMinute.set(minute, cell);
        this.recorded.set(keyId, byMinute);
    }

    /** Adds scripted traffic for a key; several scripts add up. */
    script(keyId: string, traffic: TrafficScript): void {
        this.scripts.set(keyId, [...(this.scripts.get(keyId) ?? []), traffic]);
    }

    clearScripts(): void {
        this.scripts.clear();
    }

    /** Usage of a key in one minute, as the report would show it now (zero while within the data lag). */
    usage(keyId: string, minuteStart: number): Cell {
        if (minuteStart + MINUTE_MS + this.lagMs > this.now()) return empty();
        const real = this.recorded.get(keyId)?.get(minuteStart) ?? empty();
        const scripted = (this.scripts.get(keyId) ?? []).reduce((n, f) => n + Math.max(0, Math.floor(f(minuteStart))), 0);
        const inputTokens = real.inputTokens + scripted * INPUT_TOKENS_PER_SCRIPTED_REQUEST;
        const outputTokens = real.outputTokens + scripted * OUTPUT_TOKENS_PER_SCRIPTED_REQUEST;
        return { requests: real.requests + scripted, inputTokens, outputTokens, tokens: inputTokens + outputTokens };
    }

    /**
     * Every (bucket, key) with usage in [start, end), buckets in ascending order (`minute` is the bucket's start,
     * snapped to the minute or to 00:00 UTC). A `1d` bucket adds up its minutes; keys with neither recorded nor
     * scripted traffic are skipped, so a page of a thousand idle keys costs nothing.
     */
    cells(keyIds: readonly string[], start: number, end: number, width: BucketWidth = "1m"): { minute: number; keyId: string; cell: Cell }[] {
        const bucketMs = BUCKET_MS[width];
        const busy = keyIds.filter((id) => this.recorded.has(id) || this.scripts.has(id));
        const out: { minute: number; keyId: string; cell: Cell }[] = [];
        for (let b = Math.floor(start / bucketMs) * bucketMs; b < end; b += bucketMs) {
            for (const keyId of busy) {
                const cell = empty();
                for (let m = b; m < b + bucketMs && m < end; m += MINUTE_MS) {
                    const c = this.usage(keyId, m);
                    cell.requests += c.requests;
                    cell.tokens += c.tokens;
                    cell.inputTokens += c.inputTokens;
                    cell.outputTokens += c.outputTokens;
                }
                if (cell.requests > 0 || cell.tokens > 0) out.push({ minute: b, keyId, cell });
            }
        }
        return out;
    }
}

export interface UsageQueryError {
    readonly status: number;
    readonly message: string;
}

/** The widest range each bucket width may span: 24 hours of minutes, else 31 days. */
export const MAX_RANGE_MS: Readonly<Record<BucketWidth, number>> = { "1m": 1440 * MINUTE_MS, "1h": 31 * DAY_MS, "1d": 31 * DAY_MS };

/** Legacy endpoint: buckets per page by width, default and maximum (the vendor's: 60/1440, 24/168, 7/31). */
export const LEGACY_BUCKETS_PER_PAGE: Readonly<Record<BucketWidth, { readonly default: number; readonly max: number }>> = {
    "1m": { default: 60, max: 1440 },
    "1h": { default: 24, max: 168 },
    "1d": { default: 7, max: 31 },
};

/** Parses the common query; an error says what the API would answer 400 for. */
export function usageWindow(
    query: URLSearchParams,
    bucketParam: "time_bucket_width" | "bucket_width",
): { start: number; end: number; keyIds: string[]; width: BucketWidth } | UsageQueryError {
    const widthText = query.get(bucketParam);
    if (widthText !== "1m" && widthText !== "1h" && widthText !== "1d") return { status: 400, message: `${bucketParam}: must be 1m, 1h or 1d` };
    const width: BucketWidth = widthText;
    const startText = query.get("starting_at");
    const start = startText ? Date.parse(startText) : NaN;
    if (!Number.isFinite(start)) return { status: 400, message: "starting_at: Field required (RFC 3339)" };
    const endText = query.get("ending_at");
    const end = endText ? Date.parse(endText) : start + MAX_RANGE_MS[width];
    if (!Number.isFinite(end) || end <= start) return { status: 400, message: "ending_at must be after starting_at" };
    if (end - start > MAX_RANGE_MS[width]) {
        return { status: 400, message: width === "1m" ? "the range may span at most 1440 minutes with 1m buckets" : `the range may span at most 31 days with ${width} buckets` };
    }
    if (!query.getAll("group_by[]").includes("api_key_id")) return { status: 400, message: "group_by[]=api_key_id is required by this emulator" };
    return { start, end, keyIds: query.getAll("api_key_ids[]"), width };
}

/** One page of items, with an opaque cursor (the index of the next item). */
export function paginateUsage<T>(items: readonly T[], query: URLSearchParams, defaultLimit: number, maxLimit: number): { page: T[]; has_more: boolean; next_page: string | null } {
    const limit = Math.min(maxLimit, Math.max(1, Number(query.get("limit") ?? defaultLimit) || defaultLimit));
    const from = query.get("page") ? Number(Buffer.from(query.get("page")!, "base64url").toString("utf8")) || 0 : 0;
    const page = items.slice(from, from + limit);
    const more = from + limit < items.length;
    return { page, has_more: more, next_page: more ? Buffer.from(String(from + limit), "utf8").toString("base64url") : null };
}
