import type { AuditRecord } from "../audit/auditLog";
import type { DueBy } from "../domain/keyExpiry";

/**
 * What a notification is about. Every field is a name, a fingerprint, an id, a date or a count: never a key, a
 * token or a webhook URL. The formatters (message.ts) redact everything again before it leaves the process.
 */
export type NotificationEvent = RotationEvent | KeyDueEvent | UnusedKeysEvent | ExposureReadyEvent;

export const EVENT_ROTATION_COMPLETED = "rotation.completed";
export const EVENT_ROTATION_FAILED = "rotation.failed";
export const EVENT_ROTATION_ROLLED_BACK = "rotation.rolled_back";
export const EVENT_KEY_DUE = "key.due";
export const EVENT_UNUSED_KEYS = "audit.unused_keys";
export const EVENT_EXPOSURE_READY = "exposure.ready";

export type NotificationEventKind = NotificationEvent["kind"];

/** A rotation event, taken from the audit line it accompanies (completed, failed or rolled back). */
export interface RotationEvent {
    readonly kind: typeof EVENT_ROTATION_COMPLETED | typeof EVENT_ROTATION_FAILED | typeof EVENT_ROTATION_ROLLED_BACK;
    readonly timestamp: string;
    readonly stack?: string;
    readonly environment: string;
    readonly keyName: string;
    readonly newFingerprint: string;
    readonly oldFingerprint: string | null;
    readonly actor: string;
    readonly emergency: boolean;
    readonly compromisedKey?: string;
    /** Failed and rolled back: the step that stopped (validation, preflight, heroku, health, revocation, …). */
    readonly step?: string;
    /** Failed: the consumer or endpoint the step was working on, when the step knows it. */
    readonly target?: string;
    /** Failed and rolled back: what went wrong and how to fix it (already redacted for the audit line). */
    readonly reason?: string;
    /** Completed: the consumers that hold the new key (labels only). */
    readonly targets: readonly string[];
    /** The revocation's result, when there was one. */
    readonly revocation?: string;
    /** Completed: a rollback to a key that was in use before. */
    readonly rollback?: boolean;
}

/** The scheduled reminder (`npm run status`): a key 14 or 7 days from its due date, or past it. */
export interface KeyDueEvent {
    readonly kind: typeof EVENT_KEY_DUE;
    readonly stage: KeyDueStage;
    readonly stack: string;
    readonly environment: string;
    readonly keyName: string;
    /** `YYYY-MM-DD` */
    readonly createdAt?: string;
    /** `YYYY-MM-DD` */
    readonly dueDate: string;
    readonly daysLeft: number;
    /** Which date is the due date: the maximum age or the key's own expiry (`expiry`). */
    readonly dueBy?: DueBy;
}

export type KeyDueStage = "14-days" | "7-days" | "overdue";

/** Keys the monthly audit (`npm run status -- --live`) found unused: revoke candidates (policy §12.3). */
export interface UnusedKeysEvent {
    readonly kind: typeof EVENT_UNUSED_KEYS;
    /** `YYYY-MM-DD`, the day of the audit. */
    readonly asOf: string;
    /** The unused window, 30 by the policy. */
    readonly days: number;
    readonly keys: readonly UnusedKey[];
}

export interface UnusedKey {
    readonly name: string;
    /** Admin API key id (apikey_…). */
    readonly id: string;
    readonly workspace?: string;
    /** `YYYY-MM-DD` */
    readonly createdAt?: string;
    /** `YYYY-MM-DD` of the last day with a request, or null when none in the window. */
    readonly lastUsed?: string | null;
}

/** The exposure report of a compromised key is written (issue 14 §3): where it is and what it flags. */
export interface ExposureReadyEvent {
    readonly kind: typeof EVENT_EXPOSURE_READY;
    readonly keyName?: string;
    readonly keyId?: string;
    readonly fingerprint?: string;
    /** RFC 3339 start and end of the window reported on. */
    readonly from: string;
    readonly to: string;
    readonly requests: number;
    /** Anomaly signals, e.g. "models outside the allowed list: claude-…", "usage outside business hours". */
    readonly flags: readonly string[];
    /** Where the report is, e.g. audit/exposure-….json (a path in the repository, never a URL with a token). */
    readonly report?: string;
}

/** The rotation event that goes with an audit line. */
export function rotationEvent(record: AuditRecord, target?: string): RotationEvent {
    const kind =
        record.action === "secret.rotate.failed" ? EVENT_ROTATION_FAILED : record.action === "secret.rotate.rolled_back" ? EVENT_ROTATION_ROLLED_BACK : EVENT_ROTATION_COMPLETED;
    return {
        kind,
        timestamp: record.timestamp,
        ...(record.stack ? { stack: record.stack } : {}),
        environment: record.environment,
        keyName: record.keyName,
        newFingerprint: record.newFingerprint,
        oldFingerprint: record.oldFingerprint,
        actor: record.actor,
        emergency: record.emergency,
        ...(record.compromisedKey ? { compromisedKey: record.compromisedKey } : {}),
        ...(record.step !== undefined ? { step: record.step } : {}),
        ...(target ? { target } : {}),
        ...(record.reason !== undefined ? { reason: record.reason } : {}),
        targets: record.targets.map((t) => t.target),
        ...(record.revocation ? { revocation: record.revocation.result } : {}),
        ...(record.rollback ? { rollback: true } : {}),
    };
}
