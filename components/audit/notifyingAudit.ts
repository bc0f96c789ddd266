import { operatorWarning } from "../anthropic/operatorWarning";
import { redact } from "../domain/keyFormat";
import { rotationEvent } from "../notifications/events";
import { failedNotificationsText, sendNotification } from "../notifications/send";
import { webhookSecrets, webhooksOf } from "../notifications/webhooks";
import {
    AuditAction,
    AuditContext,
    AuditDetails,
    AuditRecord,
    AUDIT_ACTION_COMPLETED,
    AUDIT_ACTION_FAILED,
    appendAuditRecord,
    buildRecord,
    errorMessage,
    FailureRecordResult,
} from "./auditLog";

/**
 * The audit line and its notification, together: the line is built, its event is sent to every configured
 * webhook (bounded retries, never throws), and the line is appended with each webhook's outcome in
 * `notifications`. A failed webhook is a warning in the `pulumi up` output, never a failed step.
 *
 * `notifications` is the resource's secret `notifications` input (the webhooks), read here inside the provider
 * method: it is never captured into a serialized provider, never written, and redacted from everything.
 */

/** Where a failure happened, for the failed notification: the consumer or endpoint, when the step knows it. */
export interface NotifyOptions {
    readonly notifications?: unknown;
    readonly target?: string;
}

/** The record with its notification outcomes; the record unchanged when no webhook is configured. */
export async function withNotifications(record: AuditRecord, notifications: unknown, secrets: readonly string[], target?: string): Promise<AuditRecord> {
    const webhooks = webhooksOf(notifications);
    if (webhooks.length === 0) return record;
    const outcomes = await sendNotification(webhooks, rotationEvent(record, target), { secrets });
    const warning = failedNotificationsText(outcomes, record.action);
    if (warning) operatorWarning(warning, [...webhookSecrets(webhooks), ...secrets]);
    return { ...record, notifications: outcomes.map((o) => ({ format: o.format, host: o.host, outcome: o.outcome, attempts: o.attempts, ...(o.detail ? { detail: o.detail } : {}) })) };
}

/** Every secret form of the configured webhooks, for the audit line's leak check. */
export function notificationSecrets(notifications: unknown): string[] {
    return webhookSecrets(webhooksOf(notifications));
}

/** `secret.rotate.completed`: notifies, then appends the line (throws when it cannot be written). */
export async function recordCompletedNotified(context: AuditContext, details: AuditDetails, secrets: readonly string[], notifications: unknown): Promise<AuditRecord> {
    const all = [...secrets, ...notificationSecrets(notifications)];
    const record = await withNotifications(buildRecord(context, AUDIT_ACTION_COMPLETED, details), notifications, all);
    appendAuditRecord(context.path, record, all);
    return record;
}

/**
 * recordFailure (auditLog.ts) with the failed (or rolled back) notification. Never throws; without a context
 * nothing is written or sent.
 */
export async function recordFailureNotified(
    context: AuditContext | undefined,
    step: string,
    reason: string,
    details: AuditDetails,
    secrets: readonly string[],
    action: AuditAction,
    notify: NotifyOptions,
): Promise<FailureRecordResult> {
    if (!context || typeof context !== "object" || !context.newFingerprint) return { written: false, error: "no audit context was given" };
    const all = [...secrets, ...notificationSecrets(notify.notifications)];
    try {
        const built = buildRecord(context, action, { ...details, step, reason: redact(reason, all) });
        const record = await withNotifications(built, notify.notifications, all, notify.target);
        const file = appendAuditRecord(context.path, record, all);
        return { written: true, record, file };
    } catch (err) {
        return { written: false, error: redact(errorMessage(err), all) };
    }
}

/**
 * auditedError (auditLog.ts) with the notification: records the failure, notifies, and returns the Error to
 * throw (the redacted message, plus a note when the audit line could not be written).
 *     throw await auditedFailure(ctx, "health", message, {}, [apiKey], { notifications: inputs.notifications });
 */
export async function auditedFailure(
    context: AuditContext | undefined,
    step: string,
    message: string,
    details: AuditDetails,
    secrets: readonly string[],
    notify: NotifyOptions,
    action: AuditAction = AUDIT_ACTION_FAILED,
): Promise<Error> {
    const all = [...secrets, ...notificationSecrets(notify.notifications)];
    const safe = redact(message, all);
    const result = await recordFailureNotified(context, step, safe, details, all, action, notify);
    const note = context && !result.written && result.error ? ` (the audit line could not be written: ${result.error})` : "";
    return new Error(`${safe}${note}`);
}
