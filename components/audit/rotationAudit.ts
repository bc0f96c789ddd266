import * as pulumi from "@pulumi/pulumi";
import type { AuditContext, AuditHealthResult, AuditRecord, AuditRevocation, AuditTarget } from "./auditLog";
import { rotationAuditProvider } from "./rotationAuditProvider";
import type { ExposureSummary } from "../exposure/exposureTypes";
import type { Webhook as WebhookInput } from "../notifications/webhooks";

export { rotationAuditProvider } from "./rotationAuditProvider";

/** Resource type token (policies may select on it). */
export const TYPE_ROTATION_AUDIT = "pulumi-nodejs:dynamic/audit:RotationAudit";

export interface RotationAuditArgs {
    /** Where and for what the line is written. Plain values, never the key. */
    readonly audit: pulumi.Input<AuditContext>;
    /** The consumers that received the key (labels + fingerprint), e.g. AnthropicKey's target summaries. */
    readonly targets: pulumi.Input<pulumi.Input<AuditTarget>[]>;
    /** HealthChecks.results. */
    readonly health?: pulumi.Input<pulumi.Input<AuditHealthResult>[]>;
    /** { mode, result } from PreviousKeyRevocation. */
    readonly revocation?: pulumi.Input<AuditRevocation>;
    /**
     * The previous key's fingerprint (PreviousKeyRevocation.previousFingerprint). Optional: without it the
     * audit uses the fingerprint of its own previous line (null on the first run).
     */
    readonly previousFingerprint?: pulumi.Input<string | null | undefined>;
    /** Default ANTHROPIC_API_KEY. */
    readonly secretName?: pulumi.Input<string>;
    /** Emergency only: ExposureReport.summary, recorded as the line's `exposure`. */
    readonly exposure?: pulumi.Input<ExposureSummary | undefined>;
    /** The webhooks told about the completed rotation (config `notifications`). Pass it as a secret. */
    readonly notifications?: pulumi.Input<WebhookInput[]>;
}

/**
 * `pulumi-nodejs:dynamic/audit:RotationAudit`: appends one `secret.rotate.completed` JSON line to the audit
 * log when created and whenever the key's fingerprint changes; `record` is that line as an object, safe to
 * export as a stack output. Place it last (its inputs come from the health and revocation resources).
 */
export class RotationAudit extends pulumi.dynamic.Resource {
    declare readonly fingerprint: pulumi.Output<string>;
    declare readonly record: pulumi.Output<AuditRecord>;

    constructor(name: string, args: RotationAuditArgs, opts?: pulumi.CustomResourceOptions) {
        super(rotationAuditProvider, name, { ...args, fingerprint: undefined, record: undefined }, opts, "audit", "RotationAudit");
    }
}
