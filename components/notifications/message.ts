import { redact } from "../domain/keyFormat";
import type { ExposureReadyEvent, KeyDueEvent, NotificationEvent, RotationEvent, UnusedKeysEvent } from "./events";

/**
 * One notification, independent of the chat it goes to: a title, a summary and labelled fields. discord.ts and
 * slack.ts lay it out for their webhook. Built from names, fingerprints, ids and dates only; every text is
 * redacted again (key-shaped text and the given secrets) so that nothing a caller passed by mistake leaves.
 */
export interface NotificationMessage {
    readonly title: string;
    readonly summary: string;
    readonly severity: "info" | "warning" | "error";
    readonly fields: readonly { readonly name: string; readonly value: string }[];
    /** RFC 3339, when the event has a time. */
    readonly timestamp?: string;
}

/** Unused keys listed one per line, at most this many (the rest are counted). */
export const MAX_LISTED_KEYS = 20;

export function messageFor(event: NotificationEvent, secrets: readonly string[] = []): NotificationMessage {
    const message = build(event);
    const clean = (text: string) => redact(text, secrets);
    return {
        title: clean(message.title),
        summary: clean(message.summary),
        severity: message.severity,
        fields: message.fields.filter((f) => f.value !== "").map((f) => ({ name: clean(f.name), value: clean(f.value) })),
        ...(message.timestamp ? { timestamp: message.timestamp } : {}),
    };
}

function build(event: NotificationEvent): NotificationMessage {
    switch (event.kind) {
        case "rotation.completed":
        case "rotation.failed":
        case "rotation.rolled_back":
            return rotationMessage(event);
        case "key.due":
            return dueMessage(event);
        case "audit.unused_keys":
            return unusedMessage(event);
        case "exposure.ready":
            return exposureMessage(event);
    }
}

function where(e: { stack?: string; environment: string }): string {
    return e.stack && e.stack !== e.environment ? `${e.environment} (stack ${e.stack})` : e.environment;
}

function rotationMessage(e: RotationEvent): NotificationMessage {
    const common = [
        { name: "Key", value: e.keyName },
        { name: "New fingerprint", value: e.newFingerprint },
        { name: "Previous fingerprint", value: e.oldFingerprint ?? "" },
        { name: "Emergency", value: e.emergency ? `yes${e.compromisedKey ? `, for the leaked key ${e.compromisedKey}` : ""}` : "" },
        { name: "By", value: e.actor },
    ];
    if (e.kind === "rotation.completed") {
        return {
            title: `${e.rollback ? "Rolled back" : "Rotated"}: Anthropic key for ${where(e)}`,
            summary: e.rollback
                ? `Every consumer holds ${e.keyName} (${e.newFingerprint}) again, after a failed attempt with another key.`
                : `Every consumer holds the new key ${e.keyName} (${e.newFingerprint}) and passed its health check.`,
            severity: "info",
            fields: [...common, { name: "Consumers", value: e.targets.join("\n") }, { name: "Previous key", value: e.revocation ?? "" }],
            timestamp: e.timestamp,
        };
    }
    if (e.kind === "rotation.rolled_back") {
        return {
            title: `Revocation rolled back: Anthropic key for ${where(e)}`,
            summary:
                "A consumer failed its health check after the previous key was deactivated, so the deactivated keys were reactivated. " +
                "Find the consumer that still used the previous key, give it the new one, then run pulumi up again to revoke.",
            severity: "warning",
            fields: [...common, { name: "Outcome", value: e.revocation ?? "" }, { name: "Reason", value: e.reason ?? "" }],
            timestamp: e.timestamp,
        };
    }
    return {
        title: `Rotation failed at ${e.step ?? "an unknown step"}: Anthropic key for ${where(e)}`,
        summary: nextStep(e.step),
        severity: "error",
        fields: [{ name: "Step", value: e.step ?? "" }, { name: "Target", value: e.target ?? "" }, ...common, { name: "What happened and what to do", value: e.reason ?? "" }],
        timestamp: e.timestamp,
    };
}

/** What a failure at `step` leaves behind, and the operator's next move. */
export function nextStep(step: string | undefined): string {
    if (step === "validation") return "The new key did not pass validation, so nothing was written to any consumer. Fix the key as the reason says, set it again and run pulumi up.";
    if (step === "preflight") return "A credential the run needs did not answer, so nothing was written to any consumer. Fix the credential the reason names and run pulumi up again.";
    if (step === "revocation") {
        return "The previous key was not proven revoked. Read the reason, fix what it names, and run pulumi up again (README: revocation); until then the previous key may still work.";
    }
    return "Some consumers may already hold the new key while others still hold the previous one, which has not been revoked. Fix what the reason names and run pulumi up again: it continues from the failed step.";
}

function dueMessage(e: KeyDueEvent): NotificationMessage {
    const expiry = e.dueBy === "expiry" ? " (the key's own expiry)" : "";
    const overdue = e.stage === "overdue";
    return {
        title: overdue ? `Overdue: Anthropic key for ${where(e)} was due on ${e.dueDate}` : `Rotation due in ${e.daysLeft} days: Anthropic key for ${where(e)}`,
        summary: overdue
            ? `${e.keyName} is ${-e.daysLeft} day${e.daysLeft === -1 ? "" : "s"} past its due date${expiry}. Rotate it now (README: scheduled rotation).`
            : `${e.keyName} is due for rotation on ${e.dueDate}${expiry}. Create its successor in the Console and rotate before then (README: scheduled rotation).`,
        severity: overdue || e.stage === "7-days" ? "warning" : "info",
        fields: [
            { name: "Key", value: e.keyName },
            { name: "Created", value: e.createdAt ?? "" },
            { name: "Due", value: `${e.dueDate}${expiry}` },
            { name: "Days left", value: String(e.daysLeft) },
        ],
    };
}

function unusedMessage(e: UnusedKeysEvent): NotificationMessage {
    const listed = e.keys.slice(0, MAX_LISTED_KEYS).map((k) => `${k.name} (${k.id}${k.workspace ? `, workspace ${k.workspace}` : ""}${k.createdAt ? `, created ${k.createdAt}` : ""}, last used ${k.lastUsed ?? "never in the window"})`);
    const more = e.keys.length > MAX_LISTED_KEYS ? [`… and ${e.keys.length - MAX_LISTED_KEYS} more (npm run status -- --live)`] : [];
    return {
        title: `Key audit ${e.asOf}: ${e.keys.length} key${e.keys.length === 1 ? "" : "s"} unused for ${e.days} days`,
        summary: `Revoke candidates under the security policy (§12.3): no request in the last ${e.days} days. Confirm nothing needs them, then deactivate them in the Console.`,
        severity: "warning",
        fields: [{ name: "Unused keys", value: [...listed, ...more].join("\n") }],
    };
}

function exposureMessage(e: ExposureReadyEvent): NotificationMessage {
    const key = [e.keyName, e.keyId, e.fingerprint].filter((v): v is string => !!v).join(" · ");
    return {
        title: `Exposure report ready: ${key || "compromised key"}`,
        summary: `Usage of the compromised key from ${e.from} to ${e.to}: ${e.requests} request${e.requests === 1 ? "" : "s"}${e.flags.length ? `, ${e.flags.length} anomaly signal${e.flags.length === 1 ? "" : "s"}` : ", no anomaly signal"}. Start the incident report from it (policy §10.2).`,
        severity: e.flags.length ? "error" : "warning",
        fields: [
            { name: "Key", value: key },
            { name: "Window", value: `${e.from} – ${e.to}` },
            { name: "Requests", value: String(e.requests) },
            { name: "Signals", value: e.flags.join("\n") },
            { name: "Report", value: e.report ?? "" },
        ],
    };
}
