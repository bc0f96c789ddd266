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
 */

export const MINUTE_MS = 60_000;
const TOKENS_PER_SCRIPTED_REQUEST = 25;

export type TrafficScript = (minuteStartMs: number) => number;

interface Cell {
    requests: number;
    tokens: number;
}

export class UsageRecorder {
    /** How long after a minute ends before it appears in the reports. */
    lagMs = 0;
    private readonly recorded = new Map<string, Map<number, Cell>>();
    private readonly scripts = new Map<string, TrafficScript[]>();

    constructor(private readonly now: () => number) {}

    /** A real call answered with 200. */
    record(keyId: string, tokens: number): void {
        const minute = Math.floor(this.now() / MINUTE_MS) * MINUTE_MS;
        const byMinute = this.recorded.get(keyId) ?? new Map<number, Cell>();
        const cell = byMinute.get(minute) ?? { requests: 0, tokens: 0 };
        cell.requests += 1;
        cell.tokens += tokens;
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
        if (minuteStart + MINUTE_MS + this.lagMs > this.now()) return { requests: 0, tokens: 0 };
        const real = this.recorded.get(keyId)?.get(minuteStart) ?? { requests: 0, tokens: 0 };
        const scripted = (this.scripts.get(keyId) ?? []).reduce((n, f) => n + Math.max(0, Math.floor(f(minuteStart))), 0);
        return { requests: real.requests + scripted, tokens: real.tokens + scripted * TOKENS_PER_SCRIPTED_REQUEST };
    }

    /** Every (minute, key) with usage in [start, end), minutes in ascending order. */
    cells(keyIds: readonly string[], start: number, end: number): { minute: number; keyId: string; cell: Cell }[] {
        const out: { minute: number; keyId: string; cell: Cell }[] = [];
        for (let m = Math.floor(start / MINUTE_MS) * MINUTE_MS; m < end; m += MINUTE_MS) {
            for (const keyId of keyIds) {
                const cell = this.usage(keyId, m);
                if (cell.requests > 0 || cell.tokens > 0) out.push({ minute: m, keyId, cell });
            }
        }
        return out;
    }
}

export interface UsageQueryError {
    readonly status: number;
    readonly message: string;
}

/** Parses the common query; an error says what the API would answer 400 for. */
export function usageWindow(query: URLSearchParams, bucketParam: "time_bucket_width" | "bucket_width", maxMinutes: number): { start: number; end: number; keyIds: string[] } | UsageQueryError {
    const startText = query.get("starting_at");
    const start = startText ? Date.parse(startText) : NaN;
    if (!Number.isFinite(start)) return { status: 400, message: "starting_at: Field required (RFC 3339)" };
    const endText = query.get("ending_at");
    const end = endText ? Date.parse(endText) : start + maxMinutes * MINUTE_MS;
    if (!Number.isFinite(end) || end <= start) return { status: 400, message: "ending_at must be after starting_at" };
    if (query.get(bucketParam) !== "1m") return { status: 400, message: `${bucketParam}: this emulator serves 1m buckets only` };
    if ((end - start) / MINUTE_MS > maxMinutes) return { status: 400, message: `the range may span at most ${maxMinutes} minutes with 1m buckets` };
    if (!query.getAll("group_by[]").includes("api_key_id")) return { status: 400, message: "group_by[]=api_key_id is required by this emulator" };
    return { start, end, keyIds: query.getAll("api_key_ids[]") };
}

/** One page of items, with an opaque cursor (the index of the next item). */
export function paginateUsage<T>(items: readonly T[], query: URLSearchParams, defaultLimit: number, maxLimit: number): { page: T[]; has_more: boolean; next_page: string | null } {
    const limit = Math.min(maxLimit, Math.max(1, Number(query.get("limit") ?? defaultLimit) || defaultLimit));
    const from = query.get("page") ? Number(Buffer.from(query.get("page")!, "base64url").toString("utf8")) || 0 : 0;
    const page = items.slice(from, from + limit);
    const more = from + limit < items.length;
    return { page, has_more: more, next_page: more ? Buffer.from(String(from + limit), "utf8").toString("base64url") : null };
}
