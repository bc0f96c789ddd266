import { fetchKeyDailyUsage, KeyDayUsage } from "../../components/anthropic/dailyUsage";
import { addDays, formatIsoDate, utcToday } from "../../components/domain/dates";
import { redact } from "../../components/domain/keyFormat";

/**
 * The usage half of the monthly key audit: per key, the last day it was used and its requests and tokens over the
 * last 30 days, from ONE `1d` usage query grouped by `api_key_id` for the whole organisation (its pages followed),
 * run while the keys are listed. Not one query per key, and not one per page of keys with the page's ids in
 * `api_key_ids[]`: a thousand ids make a URL of about 50 KB, beyond what servers and proxies accept (the emulator,
 * like Node's HTTP server, answers 431 above 16 KB), and the answer would hold the same rows anyway: only keys
 * with usage have rows. So the cost is one call per 1,000 (key, day) rows with usage, whatever the number of keys.
 */

/** The audit's window: today (UTC) and the 29 days before it, in day buckets (the API allows 31). */
export const USAGE_WINDOW_DAYS = 30;
/** Bound on each usage page with its retries. */
const USAGE_MAX_TOTAL_MS = 60_000;

export interface UsageWindow {
    /** First day, `YYYY-MM-DD` (UTC). */
    readonly from: string;
    /** Last day (today), `YYYY-MM-DD` (UTC). */
    readonly to: string;
    readonly days: number;
}

export interface KeyUsageSummary {
    /** The last day with requests or tokens in the window, `YYYY-MM-DD`; absent when unused. */
    readonly lastUsed?: string;
    /** Requests in the window; null when only the legacy endpoint answered (tokens only). */
    readonly requests: number | null;
    readonly inputTokens: number;
    readonly outputTokens: number;
    /** Input plus output tokens. */
    readonly tokens: number;
}

export type UsageOutcome =
    | {
          readonly window: UsageWindow;
          readonly source: "analytics" | "usage_report";
          readonly queries: number;
          /** HTTP calls: the query's pages (and the legacy endpoint's when analytics is not served). */
          readonly calls: number;
          readonly byKey: ReadonlyMap<string, KeyUsageSummary>;
      }
    | { readonly window: UsageWindow; readonly queries: number; readonly calls: number; readonly error: string };

export function usageWindowFor(now: Date): UsageWindow & { readonly startingAt: Date; readonly endingAt: Date } {
    const today = utcToday(now);
    const first = addDays(today, -(USAGE_WINDOW_DAYS - 1));
    return { from: formatIsoDate(first), to: formatIsoDate(today), days: USAGE_WINDOW_DAYS, startingAt: first, endingAt: addDays(today, 1) };
}

export interface UsageReadOptions {
    readonly baseUrl: string;
    readonly adminKey: string;
    readonly now: Date;
    /** After each page of the answer: pages read, rows so far. */
    readonly onPage?: (pages: number, rows: number) => void;
}

export async function readKeyUsage(options: UsageReadOptions): Promise<UsageOutcome> {
    const w = usageWindowFor(options.now);
    const window = { from: w.from, to: w.to, days: w.days };
    let rowsSoFar = 0;
    let pagesSoFar = 0;
    try {
        const report = await fetchKeyDailyUsage(
            { adminKey: options.adminKey, baseUrl: options.baseUrl, keyIds: [], startingAt: w.startingAt, endingAt: w.endingAt, maxTotalMs: USAGE_MAX_TOTAL_MS },
            (pages, rows) => {
                pagesSoFar += 1;
                rowsSoFar += rows;
                options.onPage?.(pages, rowsSoFar);
            },
        );
        return { window, source: report.source, queries: 1, calls: report.calls, byKey: summarize(report.rows) };
    } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        return { window, queries: 1, calls: pagesSoFar + 1, error: redact(`read the usage report: ${message}`, [options.adminKey]) };
    }
}

/** Per key: last day used, requests and tokens summed over the window. Pure. */
export function summarize(rows: readonly KeyDayUsage[]): Map<string, KeyUsageSummary> {
    const out = new Map<string, { lastUsed?: string; requests: number | null; inputTokens: number; outputTokens: number; tokens: number }>();
    for (const r of rows) {
        const s = out.get(r.keyId) ?? { requests: 0, inputTokens: 0, outputTokens: 0, tokens: 0 };
        s.requests = s.requests === null || r.requests === null ? null : s.requests + r.requests;
        s.inputTokens += r.inputTokens;
        s.outputTokens += r.outputTokens;
        s.tokens += r.inputTokens + r.outputTokens;
        const used = (r.requests ?? 0) > 0 || r.inputTokens + r.outputTokens > 0;
        if (used && (s.lastUsed === undefined || r.day > s.lastUsed)) s.lastUsed = r.day;
        out.set(r.keyId, s);
    }
    return out;
}
