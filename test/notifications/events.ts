import type { AuditRecord } from "../../components/audit/auditLog";
import type { ExposureReadyEvent, KeyDueEvent, NotificationEvent, UnusedKeysEvent } from "../../components/notifications/events";
import { rotationEvent } from "../../components/notifications/events";

/** One of every event, built the way the program and the tools build them. */

export const COMPLETED: AuditRecord = {
    action: "secret.rotate.completed",
    timestamp: "2026-11-23T12:00:00.000Z",
    actor: "ops@example.com",
    actorSource: "git",
    stack: "prod",
    environment: "prod",
    keyName: "raxx-prod-agents-2026-11-23",
    secretName: "ANTHROPIC_API_KEY",
    oldFingerprint: "sha256:0123456789ab",
    newFingerprint: "sha256:ba9876543210",
    workspace: "default",
    method: "operator-assisted-console",
    emergency: false,
    targets: [
        { kind: "infisical", target: "infisical raxx/prod/anthropic ANTHROPIC_API_KEY", fingerprint: "sha256:ba9876543210" },
        { kind: "heroku", target: "heroku app raxx-api-prod (ANTHROPIC_API_KEY)", fingerprint: "sha256:ba9876543210" },
    ],
    health: [],
    revocation: { mode: "deactivate", result: "deactivated and proven dead" },
};

export const FAILED: AuditRecord = {
    ...COMPLETED,
    action: "secret.rotate.failed",
    step: "heroku",
    reason: "heroku config vars: heroku app raxx-api-prod answered 403; fix HEROKU_API_KEY and run pulumi up again",
    targets: [],
    revocation: null,
};

export const ROLLED_BACK: AuditRecord = {
    ...COMPLETED,
    action: "secret.rotate.rolled_back",
    step: "revocation",
    reason: "revocation: https://raxx-api-prod.herokuapp.com/health failed after the deactivation; the keys were reactivated",
    revocation: { mode: "deactivate", result: "rolled back: keys reactivated" },
};

export const DUE_14: KeyDueEvent = { kind: "key.due", stage: "14-days", stack: "prod", environment: "prod", keyName: "raxx-prod-agents-2026-11-23", createdAt: "2026-11-23", dueDate: "2027-02-21", daysLeft: 14, dueBy: "max-age" };
export const DUE_7: KeyDueEvent = { ...DUE_14, stage: "7-days", daysLeft: 7 };
export const OVERDUE: KeyDueEvent = { ...DUE_14, stage: "overdue", daysLeft: -3, dueBy: "expiry" };

export const UNUSED: UnusedKeysEvent = {
    kind: "audit.unused_keys",
    asOf: "2026-12-01",
    days: 30,
    keys: [
        { name: "raxx-staging-old-2026-01-02", id: "apikey_01Old", workspace: "wrkspc_01", createdAt: "2026-01-02", lastUsed: null },
        { name: "raxx-prod-batch-2026-05-01", id: "apikey_01Batch", lastUsed: "2026-10-15" },
    ],
};

export const EXPOSURE: ExposureReadyEvent = {
    kind: "exposure.ready",
    keyName: "raxx-prod-agents-2026-05-01",
    keyId: "apikey_01Leaked",
    fingerprint: "sha256:0123456789ab",
    from: "2026-11-21T12:00:00Z",
    to: "2026-11-23T12:00:00Z",
    requests: 412,
    flags: ["usage outside business hours (03:00–05:00 UTC)", "models outside the allowed list: claude-opus-4"],
    report: "audit/exposure-apikey_01Leaked-2026-11-23.json",
};

export const EVERY_EVENT: readonly [string, NotificationEvent][] = [
    ["rotation completed", rotationEvent(COMPLETED)],
    ["rotation failed", rotationEvent(FAILED, "heroku app raxx-api-prod")],
    ["revocation rolled back", rotationEvent(ROLLED_BACK)],
    ["key due in 14 days", DUE_14],
    ["key due in 7 days", DUE_7],
    ["key overdue", OVERDUE],
    ["unused keys found by the audit", UNUSED],
    ["exposure report ready", EXPOSURE],
];
