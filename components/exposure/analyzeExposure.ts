import type { KeyHourModelUsage } from "../anthropic/usageReport";
import type { ExposureBaseline, ExposureFlag, ExposureReport, HourUsage, ModelUsageCounts, UsageCounts } from "./exposureTypes";
import { BASELINE_DAYS, BusinessHours, ExposureSettings } from "./settings";

/**
 * The exposure report from hourly usage rows of one key (pure): totals, per model, per hour, the first and last
 * hour with usage, and the security policy's anomaly signals:
 * - model-not-allowed: usage of a model outside `allowedModels` (§6.4 "Unusual model usage");
 * - outside-business-hours: usage in an hour whose local start (in `businessHours.timeZone`) is before `start`
 *   or at/after `end` (§6.4 "Requests outside business hours (8 PM - 8 AM)");
 * - usage-spike: an hour above `spikeFactor` × the hourly average of the 7 days before the window (§6.4 "Usage
 *   spike (>3x baseline in 1 hour)"); with no usage at all in those 7 days, any used hour is above it.
 */

export const HOUR_MS = 3_600_000;

export interface ExposureWindow {
    readonly start: Date;
    readonly end: Date;
    readonly baselineStart: Date;
}

/** The window ending at the end of the current hour, `hours` long, and the baseline before it. */
export function exposureWindow(now: Date, hours: number): ExposureWindow {
    const end = Math.ceil(now.getTime() / HOUR_MS) * HOUR_MS;
    const start = end - hours * HOUR_MS;
    return { start: new Date(start), end: new Date(end), baselineStart: new Date(start - BASELINE_DAYS * 24 * HOUR_MS) };
}

export function analyzeExposure(input: {
    keyId: string;
    rows: readonly KeyHourModelUsage[];
    source: ExposureReport["source"];
    window: ExposureWindow;
    settings: ExposureSettings;
    now: Date;
}): ExposureReport {
    const { keyId, window, settings } = input;
    const rows = input.rows.filter((r) => r.keyId === keyId);
    const inWindow = rows.filter((r) => at(r.hour) >= window.start.getTime() && at(r.hour) < window.end.getTime());
    const before = rows.filter((r) => at(r.hour) >= window.baselineStart.getTime() && at(r.hour) < window.start.getTime());
    const countsRequests = rows.every((r) => r.requests !== null);

    const byHour = groupHours(inWindow, countsRequests);
    const byModel = sumBy(inWindow, (r) => r.model, countsRequests).map(([model, c]) => ({ model, ...c }));
    const metric: ExposureBaseline["metric"] = countsRequests ? "requests" : "tokens";
    const value = (c: UsageCounts) => (metric === "requests" ? c.requests ?? 0 : c.inputTokens + c.outputTokens);
    const baselineTotal = before.reduce((n, r) => n + value(r), 0);
    const hourlyAverage = baselineTotal / (BASELINE_DAYS * 24);
    const baseline: ExposureBaseline = { days: BASELINE_DAYS, metric, hourlyAverage: round(hourlyAverage), threshold: round(hourlyAverage * settings.spikeFactor) };

    const flags: ExposureFlag[] = [];
    const allowed = new Set(settings.allowedModels);
    const foreign = byModel.filter((m) => !allowed.has(m.model));
    if (foreign.length) {
        const models = foreign.map((m) => m.model);
        flags.push({
            kind: "model-not-allowed",
            summary: `used ${models.join(", ")}, outside the allowed models (${settings.allowedModels.join(", ")})`,
            hours: byHour.filter((h) => h.models.some((m) => !allowed.has(m.model))).map((h) => h.hour),
            models,
        });
    }
    const offHours = byHour.filter((h) => !inBusinessHours(new Date(h.hour), settings.businessHours)).map((h) => h.hour);
    if (offHours.length) {
        const bh = settings.businessHours;
        flags.push({ kind: "outside-business-hours", summary: `used in ${offHours.length} hour(s) outside business hours (${pad(bh.start)}:00–${pad(bh.end)}:00 ${bh.timeZone})`, hours: offHours });
    }
    const spikes = byHour.filter((h) => value(h) > hourlyAverage * settings.spikeFactor);
    if (spikes.length) {
        const peak = Math.max(...spikes.map(value));
        flags.push({
            kind: "usage-spike",
            summary:
                hourlyAverage === 0
                    ? `used in ${spikes.length} hour(s) (peak ${peak} ${metric}) after no usage at all in the ${BASELINE_DAYS} days before`
                    : `${spikes.length} hour(s) above ${settings.spikeFactor}× the ${BASELINE_DAYS}-day hourly average of ${round(hourlyAverage)} ${metric} (peak ${peak})`,
            hours: spikes.map((h) => h.hour),
        });
    }
    const totals = sumBy(inWindow, () => "all", countsRequests)[0]?.[1] ?? { requests: countsRequests ? 0 : null, inputTokens: 0, outputTokens: 0 };
    return {
        status: "ready",
        keyId,
        generatedAt: input.now.toISOString(),
        window: { start: window.start.toISOString(), end: window.end.toISOString(), hours: settings.hours },
        source: input.source,
        firstRequestHour: byHour[0]?.hour ?? null,
        lastRequestHour: byHour.at(-1)?.hour ?? null,
        totals,
        byModel,
        byHour,
        baseline,
        flags,
        settings,
    };
}

/** Whether the hour starting at `hour` is inside business hours, read in their time zone. */
export function inBusinessHours(hour: Date, bh: BusinessHours): boolean {
    const text = new Intl.DateTimeFormat("en-GB", { timeZone: bh.timeZone, hour: "numeric", hourCycle: "h23" }).format(hour);
    const local = Number.parseInt(text, 10);
    return local >= bh.start && local < bh.end;
}

function groupHours(rows: readonly KeyHourModelUsage[], countsRequests: boolean): HourUsage[] {
    const hours = [...new Set(rows.map((r) => at(r.hour)))].sort((a, b) => a - b);
    return hours
        .map((h) => {
            const inHour = rows.filter((r) => at(r.hour) === h);
            const models: ModelUsageCounts[] = sumBy(inHour, (r) => r.model, countsRequests).map(([model, c]) => ({ model, ...c }));
            const total = sumBy(inHour, () => "all", countsRequests)[0]![1];
            return { hour: new Date(h).toISOString(), ...total, models };
        })
        .filter((h) => (h.requests ?? 0) > 0 || h.inputTokens > 0 || h.outputTokens > 0);
}

function sumBy(rows: readonly KeyHourModelUsage[], keyOf: (r: KeyHourModelUsage) => string, countsRequests: boolean): [string, UsageCounts][] {
    const out = new Map<string, { requests: number; inputTokens: number; outputTokens: number }>();
    for (const r of rows) {
        const c = out.get(keyOf(r)) ?? { requests: 0, inputTokens: 0, outputTokens: 0 };
        c.requests += r.requests ?? 0;
        c.inputTokens += r.inputTokens;
        c.outputTokens += r.outputTokens;
        out.set(keyOf(r), c);
    }
    return [...out.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, c]) => [k, { ...c, requests: countsRequests ? c.requests : null }]);
}

function at(iso: string): number {
    return Date.parse(iso);
}

function round(n: number): number {
    return Math.round(n * 100) / 100;
}

function pad(n: number): string {
    return String(n).padStart(2, "0");
}
