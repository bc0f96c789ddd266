import { redact } from "../domain/keyFormat";
import { AUDIT_ACTION_FAILED, auditContextOf, errorMessage } from "./auditLog";
import { notificationSecrets, NotifyOptions, recordFailureNotified } from "./notifyingAudit";

/**
 * Runs one step of a rotation inside a dynamic provider; when it throws, a `secret.rotate.failed` line naming
 * the step is appended to the audit log (if the resource was given an audit context), the failure is sent to the
 * configured webhooks (`notify.notifications`, the resource's secret input), and the step's own error is
 * re-thrown, with a note when the line could not be written. A webhook that fails is only a warning. Used by the
 * validation and fan-out providers, so a rotation that stops anywhere leaves a trace.
 */
export async function auditedStep<T>(audit: unknown, step: string, secrets: readonly unknown[], run: () => Promise<T>, notify: NotifyOptions = {}): Promise<T> {
    try {
        return await run();
    } catch (err) {
        const context = auditContextOf(audit);
        if (!context) throw err;
        const values = [...secrets.filter((s): s is string => typeof s === "string" && s.length > 0), ...notificationSecrets(notify.notifications)];
        const result = await recordFailureNotified(context, step, errorMessage(err), {}, values, AUDIT_ACTION_FAILED, notify);
        if (!result.written && result.error && err && typeof err === "object") {
            const e = err as { message?: unknown };
            e.message = redact(`${String(e.message ?? "")} (the audit line could not be written: ${result.error})`, values);
        }
        throw err;
    }
}
