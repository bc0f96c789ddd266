import { addDays, daysBetween, formatIsoDate, parseIsoDate } from "./dates";

/**
 * Rotation age rules. The SOP (newer) follows Anthropic's 90-day advice; the security policy says 180 for
 * API keys and 365 for development. Defaults follow the SOP and are configurable per environment.
 */
export const DEFAULT_MAX_AGE_DAYS: Readonly<Record<string, number>> = {
    prod: 90,
    production: 90,
    staging: 90,
    stage: 90,
    dev: 365,
    development: 365,
};
export const FALLBACK_MAX_AGE_DAYS = 90;
/** Reminder thresholds from the security policy: 14 days before expiry, escalated at 7. */
export const DUE_SOON_DAYS = 14;
export const DUE_URGENT_DAYS = 7;

export type RotationVerdict = "ok" | "due-soon" | "due-urgent" | "overdue";

export interface RotationStatus {
    readonly createdAt: string;
    readonly ageDays: number;
    readonly maxAgeDays: number;
    /** The last day the key is within policy. */
    readonly dueDate: string;
    /** Days until dueDate; negative once overdue. */
    readonly daysLeft: number;
    readonly verdict: RotationVerdict;
}

export function maxAgeDaysFor(environment: string, overrides: Readonly<Record<string, number>> = {}): number {
    return overrides[environment] ?? DEFAULT_MAX_AGE_DAYS[environment] ?? FALLBACK_MAX_AGE_DAYS;
}

export function ageInDays(createdAt: string, now: Date = new Date()): number {
    const created = parseIsoDate(createdAt);
    if (!created) throw new Error(`not a real YYYY-MM-DD date: ${createdAt}`);
    return daysBetween(created, now);
}

export function nextDueDate(createdAt: string, maxAgeDays: number): string {
    const created = parseIsoDate(createdAt);
    if (!created) throw new Error(`not a real YYYY-MM-DD date: ${createdAt}`);
    return formatIsoDate(addDays(created, maxAgeDays));
}

export function rotationStatus(createdAt: string, maxAgeDays: number, now: Date = new Date()): RotationStatus {
    const ageDays = ageInDays(createdAt, now);
    const daysLeft = maxAgeDays - ageDays;
    const verdict: RotationVerdict =
        daysLeft < 0 ? "overdue" : daysLeft <= DUE_URGENT_DAYS ? "due-urgent" : daysLeft <= DUE_SOON_DAYS ? "due-soon" : "ok";
    return { createdAt, ageDays, maxAgeDays, dueDate: nextDueDate(createdAt, maxAgeDays), daysLeft, verdict };
}
