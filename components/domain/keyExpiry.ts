import { addDays, formatIsoDate, parseIsoDate, utcToday, daysBetween } from "./dates";
import { DUE_SOON_DAYS, DUE_URGENT_DAYS, nextDueDate, RotationStatus, RotationVerdict } from "./rotationAge";

/**
 * The key's own expiry (`expires_at` of its Admin API record, fixed when it is created in the Console: 3h, 1d,
 * 7d, 30d, a custom date or never) against the rotation policy's due date (date in the name + maxAgeDays).
 *
 * - too early: it expires before the due date plus EXPIRY_MARGIN_DAYS — every consumer would break before the
 *   rotation is due (and before the reminders fire). Always an error.
 * - never / too late: it never expires, or expires more than EXPIRY_BACKSTOP_DAYS after the due date, so it is no
 *   backstop for a forgotten rotation. `validation.requireExpiry` says whether that is an error (mandatory, the
 *   prod default) or a warning (advisory, the default elsewhere).
 * - ok: it expires between due + margin and due + backstop.
 *
 * Shared by the validation step, the policy pack and `npm run status`. Pure.
 */

/** Days the key must outlive its due date: a rotation done on the due date (or a few days late) breaks nothing. */
export const EXPIRY_MARGIN_DAYS = DUE_URGENT_DAYS;
/** An expiry this many days or fewer after the due date is a backstop for a forgotten rotation. */
export const EXPIRY_BACKSTOP_DAYS = 30;

export const REQUIRE_EXPIRY_LEVELS = ["mandatory", "advisory"] as const;
export type RequireExpiry = (typeof REQUIRE_EXPIRY_LEVELS)[number];

const MANDATORY_EXPIRY_ENVIRONMENTS: readonly string[] = ["prod", "production"];

/** `validation.requireExpiry` when the stack does not set it: mandatory for prod, advisory elsewhere. */
export function defaultRequireExpiry(environment: string): RequireExpiry {
    return MANDATORY_EXPIRY_ENVIRONMENTS.includes(environment) ? "mandatory" : "advisory";
}

/** Whether the environment is production (prod keys should belong to a service account, and must expire). */
export function isProductionEnvironment(environment: string): boolean {
    return MANDATORY_EXPIRY_ENVIRONMENTS.includes(environment);
}

export type ExpiryVerdict =
    | { readonly kind: "ok"; readonly dueDate: string; readonly expiresOn: string }
    | { readonly kind: "too-early"; readonly dueDate: string; readonly expiresOn: string; readonly earliestOk: string }
    | { readonly kind: "never"; readonly dueDate: string }
    | { readonly kind: "too-late"; readonly dueDate: string; readonly expiresOn: string; readonly latestOk: string }
    | { readonly kind: "unreadable"; readonly dueDate: string; readonly expiresAt: string };

/** The UTC day of an RFC 3339 time, or undefined when it does not parse. */
export function expiryDay(expiresAt: string): string | undefined {
    const ms = Date.parse(expiresAt);
    return Number.isFinite(ms) ? formatIsoDate(new Date(ms)) : undefined;
}

/** `createdAt` is the `YYYY-MM-DD` in the key's name; `expiresAt` RFC 3339, or null for a key that never expires. */
export function judgeExpiry(createdAt: string, maxAgeDays: number, expiresAt: string | null): ExpiryVerdict {
    const dueDate = nextDueDate(createdAt, maxAgeDays);
    if (expiresAt === null) return { kind: "never", dueDate };
    const expiresOn = expiryDay(expiresAt);
    if (expiresOn === undefined) return { kind: "unreadable", dueDate, expiresAt };
    const due = parseIsoDate(dueDate)!;
    const earliestOk = formatIsoDate(addDays(due, EXPIRY_MARGIN_DAYS));
    const latestOk = formatIsoDate(addDays(due, EXPIRY_BACKSTOP_DAYS));
    if (expiresOn < earliestOk) return { kind: "too-early", dueDate, expiresOn, earliestOk };
    if (expiresOn > latestOk) return { kind: "too-late", dueDate, expiresOn, latestOk };
    return { kind: "ok", dueDate, expiresOn };
}

/** A custom expiry date that passes, for the fix text: the middle of the accepted window. */
export function suggestedExpiry(createdAt: string, maxAgeDays: number): string {
    const due = parseIsoDate(nextDueDate(createdAt, maxAgeDays))!;
    return formatIsoDate(addDays(due, Math.round((EXPIRY_MARGIN_DAYS + EXPIRY_BACKSTOP_DAYS) / 2)));
}

export type DueBy = "max-age" | "expiry";

export interface EffectiveDue {
    readonly dueDate: string;
    readonly daysLeft: number;
    readonly verdict: RotationVerdict;
    /** Which date decided: the age limit, or the key's own expiry (earlier). */
    readonly dueBy: DueBy;
    /** The expiry's UTC day, when the key has one. */
    readonly expiresOn?: string;
}

export function verdictFor(daysLeft: number): RotationVerdict {
    return daysLeft < 0 ? "overdue" : daysLeft <= DUE_URGENT_DAYS ? "due-urgent" : daysLeft <= DUE_SOON_DAYS ? "due-soon" : "ok";
}

/**
 * The earlier of the age-based due date and the key's expiry. `expiresAt` undefined (not known) or null (never)
 * leaves the age-based one. On the expiry day itself the key still works for part of the day: 0 days left.
 */
export function effectiveDue(status: RotationStatus, expiresAt: string | null | undefined, now: Date = new Date()): EffectiveDue {
    const byAge: EffectiveDue = { dueDate: status.dueDate, daysLeft: status.daysLeft, verdict: status.verdict, dueBy: "max-age" };
    if (expiresAt === undefined || expiresAt === null) return byAge;
    const expiresOn = expiryDay(expiresAt);
    if (expiresOn === undefined) return byAge;
    if (expiresOn >= status.dueDate) return { ...byAge, expiresOn };
    const daysLeft = daysBetween(utcToday(now), parseIsoDate(expiresOn)!);
    return { dueDate: expiresOn, daysLeft, verdict: verdictFor(daysLeft), dueBy: "expiry", expiresOn };
}
