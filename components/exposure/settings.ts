/**
 * The exposure report's settings (config `exposure`), with the security policy's defaults: the last 48 hours
 * (§10.2 "Assess"), Sonnet only (§3 "Model Selection Restriction": claude-sonnet-4-5-20250929), business hours
 * 08:00–20:00 ("Requests outside business hours (8 PM - 8 AM)"; the policy names no time zone, so UTC), and a
 * spike above three times the hourly average of the 7 days before the window (§6.4).
 * Plain data and pure functions: captured into the serialized dynamic provider.
 */

export const DEFAULT_EXPOSURE_HOURS = 48;
export const MAX_EXPOSURE_HOURS = 168;
export const DEFAULT_ALLOWED_MODELS: readonly string[] = ["claude-sonnet-4-5-20250929"];
export const DEFAULT_BUSINESS_HOURS: BusinessHours = { start: 8, end: 20, timeZone: "UTC" };
export const DEFAULT_SPIKE_FACTOR = 3;
export const BASELINE_DAYS = 7;

export interface BusinessHours {
    /** First local hour inside business hours (0–23). */
    readonly start: number;
    /** First local hour after business hours (1–24). */
    readonly end: number;
    /** IANA time zone the hours are in, e.g. Europe/Berlin. */
    readonly timeZone: string;
}

export interface ExposureSettings {
    /** How far back the report looks, in hours. */
    readonly hours: number;
    readonly allowedModels: readonly string[];
    readonly businessHours: BusinessHours;
    /** An hour above this many times the baseline's hourly average is a spike. */
    readonly spikeFactor: number;
}

export const DEFAULT_EXPOSURE_SETTINGS: ExposureSettings = {
    hours: DEFAULT_EXPOSURE_HOURS,
    allowedModels: DEFAULT_ALLOWED_MODELS,
    businessHours: DEFAULT_BUSINESS_HOURS,
    spikeFactor: DEFAULT_SPIKE_FACTOR,
};

/** Settings from a plain value (resource inputs, config), each missing or malformed field taking its default. */
export function exposureSettingsOf(value: unknown): ExposureSettings {
    const v = value && typeof value === "object" ? (value as Record<string, unknown>) : {};
    const bh = v.businessHours && typeof v.businessHours === "object" ? (v.businessHours as Record<string, unknown>) : {};
    const int = (x: unknown, lo: number, hi: number, fallback: number) => (typeof x === "number" && Number.isInteger(x) && x >= lo && x <= hi ? x : fallback);
    const models = Array.isArray(v.allowedModels) ? v.allowedModels.filter((m): m is string => typeof m === "string" && m.length > 0) : [];
    return {
        hours: int(v.hours, 1, MAX_EXPOSURE_HOURS, DEFAULT_EXPOSURE_HOURS),
        allowedModels: models.length ? models : DEFAULT_ALLOWED_MODELS,
        businessHours: {
            start: int(bh.start, 0, 23, DEFAULT_BUSINESS_HOURS.start),
            end: int(bh.end, 1, 24, DEFAULT_BUSINESS_HOURS.end),
            timeZone: typeof bh.timeZone === "string" && bh.timeZone ? bh.timeZone : DEFAULT_BUSINESS_HOURS.timeZone,
        },
        spikeFactor: typeof v.spikeFactor === "number" && v.spikeFactor > 0 ? v.spikeFactor : DEFAULT_SPIKE_FACTOR,
    };
}
