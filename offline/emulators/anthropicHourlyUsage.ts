import { MINUTE_MS, paginateUsage, TrafficScript, UsageRecorder } from "./anthropicUsage";

/**
 * The usage report in one-hour buckets, grouped by `api_key_id` and (optionally) `model`, as the exposure report
 * of a compromised key asks for it (components/anthropic/usageReport.ts, fetchHourlyModelUsage).
 *
 * - Totals come from the emulator's UsageRecorder (real Messages calls and scripted traffic, the data lag
 *   included), so the hourly report always agrees with the per-minute one.
 * - `ModelUsage.script(keyId, model, traffic)` names the model of some of a key's traffic (and adds it to the
 *   recorder's totals); whatever is not scripted with a model is reported under `DEFAULT_USAGE_MODEL`.
 * - Range: at most 31 days (`ending_at` default: 24 h after `starting_at`). Pages: analytics `limit` rows
 *   (default 20, at most 1000); legacy `limit` hour buckets (default 24, at most 168, the vendor's maximum).
 * - Each scripted request counts 20 input and 5 output tokens; un-modelled tokens the recorder does not split
 *   are reported as input.
 */

export const HOUR_MS = 3_600_000;
export const DEFAULT_USAGE_MODEL = "claude-sonnet-4-5-20250929";
const MAX_RANGE_HOURS = 31 * 24;
const INPUT_PER_REQUEST = 20;
const OUTPUT_PER_REQUEST = 5;

interface Totals {
    requests: number;
    inputTokens: number;
    outputTokens: number;
}

export class ModelUsage {
    private readonly scripts = new Map<string, { model: string; traffic: TrafficScript }[]>();

    constructor(private readonly recorder: UsageRecorder) {}

    /** Traffic of `keyId` with `model`, per minute; also counted in the recorder's per-minute totals. */
    script(keyId: string, model: string, traffic: TrafficScript): void {
        this.scripts.set(keyId, [...(this.scripts.get(keyId) ?? []), { model, traffic }]);
        this.recorder.script(keyId, traffic);
    }

    clear(): void {
        this.scripts.clear();
    }

    /** One key's usage by model in [hourStart, hourStart + 1 h), as the report shows it now. */
    hour(keyId: string, hourStart: number): Map<string, Totals> {
        const out = new Map<string, Totals>();
        const add = (model: string, t: Totals) => {
            const cell = out.get(model) ?? { requests: 0, inputTokens: 0, outputTokens: 0 };
            cell.requests += t.requests;
            cell.inputTokens += t.inputTokens;
            cell.outputTokens += t.outputTokens;
            out.set(model, cell);
        };
        for (let m = hourStart; m < hourStart + HOUR_MS; m += MINUTE_MS) {
            const base = this.recorder.usage(keyId, m) as { requests: number; tokens: number; inputTokens?: number; outputTokens?: number };
            if (base.requests === 0 && base.tokens === 0) continue; // nothing, or not visible yet (data lag)
            let requests = base.requests;
            let input = base.inputTokens ?? base.tokens;
            let output = base.outputTokens ?? 0;
            for (const s of this.scripts.get(keyId) ?? []) {
                const n = Math.min(requests, Math.max(0, Math.floor(s.traffic(m))));
                if (n === 0) continue;
                add(s.model, { requests: n, inputTokens: n * INPUT_PER_REQUEST, outputTokens: n * OUTPUT_PER_REQUEST });
                requests -= n;
                const tokens = n * (INPUT_PER_REQUEST + OUTPUT_PER_REQUEST);
                // The recorder may or may not split tokens; take the model's share from what it reports.
                if (base.inputTokens === undefined) input = Math.max(0, input - tokens);
                else {
                    input = Math.max(0, input - n * INPUT_PER_REQUEST);
                    output = Math.max(0, output - n * OUTPUT_PER_REQUEST);
                }
            }
            if (requests > 0 || input > 0 || output > 0) add(DEFAULT_USAGE_MODEL, { requests, inputTokens: input, outputTokens: output });
        }
        return out;
    }
}

export type HourlyAnswer = { readonly body: unknown } | { readonly status: number; readonly error: string };

/** The answer to a `1h` usage-report query, for the keys of the caller's organisation (`own`). */
export function hourlyUsageReport(query: URLSearchParams, analytics: boolean, own: readonly string[], models: ModelUsage): HourlyAnswer {
    const startText = query.get("starting_at");
    const start = startText ? Date.parse(startText) : NaN;
    if (!Number.isFinite(start)) return { status: 400, error: "starting_at: Field required (RFC 3339)" };
    const endText = query.get("ending_at");
    const end = endText ? Date.parse(endText) : start + 24 * HOUR_MS;
    if (!Number.isFinite(end) || end <= start) return { status: 400, error: "ending_at must be after starting_at" };
    if ((end - start) / HOUR_MS > MAX_RANGE_HOURS) return { status: 400, error: `the range may span at most ${MAX_RANGE_HOURS} hours with 1h buckets` };
    const groupBy = query.getAll("group_by[]");
    if (!groupBy.includes("api_key_id")) return { status: 400, error: "group_by[]=api_key_id is required by this emulator" };
    const byModel = groupBy.includes("model");
    const asked = query.getAll("api_key_ids[]");
    const keyIds = (asked.length ? asked : own).filter((id) => own.includes(id));
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

    const buckets: { hour: number; rows: { keyId: string; model: string | null; t: Totals }[] }[] = [];
    for (let h = Math.floor(start / HOUR_MS) * HOUR_MS; h < end; h += HOUR_MS) {
        const rows: { keyId: string; model: string | null; t: Totals }[] = [];
        for (const keyId of keyIds) {
            const byModelHour = models.hour(keyId, h);
            if (byModel) for (const [model, t] of byModelHour) rows.push({ keyId, model, t });
            else if (byModelHour.size) {
                const t = [...byModelHour.values()].reduce((a, b) => ({ requests: a.requests + b.requests, inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens }));
                rows.push({ keyId, model: null, t });
            }
        }
        if (rows.length) buckets.push({ hour: h, rows });
    }
    const tokens = (t: Totals) => ({ uncached_input_tokens: t.inputTokens, cache_read_input_tokens: 0, output_tokens: t.outputTokens });
    if (analytics) {
        const rows = buckets.flatMap((b) =>
            b.rows.map((r) => ({
                starting_at: iso(b.hour),
                ending_at: iso(b.hour + HOUR_MS),
                group: { api_key_id: r.keyId, ...(r.model !== null ? { model: r.model } : {}) },
                usage: { requests: r.t.requests, total_tokens: r.t.inputTokens + r.t.outputTokens, ...tokens(r.t) },
            })),
        );
        const { page, has_more, next_page } = paginateUsage(rows, query, 20, 1000);
        return { body: { data: page, has_more, next_page } };
    }
    const legacy = buckets.map((b) => ({
        starting_at: iso(b.hour),
        ending_at: iso(b.hour + HOUR_MS),
        results: b.rows.map((r) => ({ api_key_id: r.keyId, ...(r.model !== null ? { model: r.model } : {}), ...tokens(r.t) })),
    }));
    const { page, has_more, next_page } = paginateUsage(legacy, query, 24, 168);
    return { body: { data: page, has_more, next_page } };
}
