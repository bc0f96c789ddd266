import type { ExposureSettings } from "./settings";

/**
 * What the exposure report of a compromised key holds: counts only (requests, tokens, models, hours), never a
 * prompt, a response or a key. `ExposureReport` is the whole report (the file under audit/); `ExposureSummary`
 * is its short form for the audit record and the stack output `exposure`.
 */

export interface UsageCounts {
    /** null when the usage report gives tokens only (the legacy endpoint). */
    readonly requests: number | null;
    readonly inputTokens: number;
    readonly outputTokens: number;
}

export interface ModelUsageCounts extends UsageCounts {
    readonly model: string;
}

export interface HourUsage extends UsageCounts {
    /** Start of the UTC hour (RFC 3339). */
    readonly hour: string;
    readonly models: readonly ModelUsageCounts[];
}

export type ExposureFlagKind = "model-not-allowed" | "outside-business-hours" | "usage-spike";

export interface ExposureFlag {
    readonly kind: ExposureFlagKind;
    /** One line for the incident report. */
    readonly summary: string;
    /** The hours (bucket starts) the signal was seen in. */
    readonly hours: readonly string[];
    /** model-not-allowed: the models outside the list. */
    readonly models?: readonly string[];
}

export interface ExposureBaseline {
    readonly days: number;
    /** What is compared: requests when the report counts them, else input plus output tokens. */
    readonly metric: "requests" | "tokens";
    readonly hourlyAverage: number;
    /** spikeFactor × hourlyAverage: an hour above it is a spike. */
    readonly threshold: number;
}

export interface ExposureReport {
    readonly status: "ready";
    readonly keyId: string;
    readonly generatedAt: string;
    /** [start, end): the hours looked at. */
    readonly window: { readonly start: string; readonly end: string; readonly hours: number };
    readonly source: "analytics" | "usage_report";
    /** Start of the first / last hour with any usage in the window (the report's resolution is one hour). */
    readonly firstRequestHour: string | null;
    readonly lastRequestHour: string | null;
    readonly totals: UsageCounts;
    readonly byModel: readonly ModelUsageCounts[];
    /** Hours with usage only, ascending. */
    readonly byHour: readonly HourUsage[];
    readonly baseline: ExposureBaseline;
    readonly flags: readonly ExposureFlag[];
    readonly settings: ExposureSettings;
}

export interface ExposureUnavailable {
    readonly status: "unavailable";
    readonly keyId: string | null;
    readonly generatedAt: string;
    /** `exposure report unavailable: …`, redacted. */
    readonly reason: string;
}

export type ExposureResult = ExposureReport | ExposureUnavailable;

/** The audit record's and the stack output's `exposure`. */
export type ExposureSummary =
    | (Omit<ExposureReport, "byHour" | "settings" | "flags"> & { readonly flags: readonly ExposureFlag[]; readonly file: string | null })
    | ExposureUnavailable;

export function summarizeExposure(result: ExposureResult, file: string | null): ExposureSummary {
    if (result.status === "unavailable") return result;
    const { byHour: _hours, settings: _settings, ...rest } = result;
    return { ...rest, file };
}

/** An `exposure` input (resource outputs arrive as plain JSON): the summary when it has one of the two shapes. */
export function exposureSummaryOf(value: unknown): ExposureSummary | undefined {
    if (!value || typeof value !== "object") return undefined;
    const status = (value as { status?: unknown }).status;
    return status === "ready" || status === "unavailable" ? (value as ExposureSummary) : undefined;
}
