import * as pulumi from "@pulumi/pulumi";
import type { AuditContext } from "../audit/auditLog";
import type { KeyOutcome } from "../revocation/previousKeyRevocation";
import { exposureReportProvider } from "./exposureProvider";
import type { ExposureSummary } from "./exposureTypes";
import type { ExposureSettings } from "./settings";
import type { NotificationOutcome } from "../notifications/send";
import type { Webhook } from "../notifications/webhooks";

/** Resource type token (policies may select on it). Carries no key: ids, fingerprints and counts only. */
export const TYPE_EXPOSURE_REPORT = "pulumi-nodejs:dynamic/anthropic:ExposureReport";

export interface ExposureReportArgs {
    /** emergency.compromisedKey: the leaked key's fingerprint or Admin API id. */
    readonly compromisedKey: pulumi.Input<string>;
    /** PreviousKeyRevocation.keys: fingerprint → Admin API id of the keys it handled. */
    readonly revokedKeys: pulumi.Input<KeyOutcome[]>;
    /** The new key's fingerprint: a new emergency rotation makes a new report. */
    readonly fingerprint: pulumi.Input<string>;
    readonly settings: ExposureSettings;
    readonly baseUrl?: pulumi.Input<string | undefined>;
    /** The audit log's path: the report file goes next to it. */
    readonly audit: pulumi.Input<AuditContext>;
    /** The chat webhooks (config `notifications`), a secret: told when the report is ready. */
    readonly notifications?: pulumi.Input<Webhook[]>;
}

/**
 * `pulumi-nodejs:dynamic/anthropic:ExposureReport`: in an emergency rotation, after the leaked key has been
 * deactivated, what that key did in the last hours (components/exposure). Never fails the rotation.
 */
export class ExposureReport extends pulumi.dynamic.Resource {
    declare readonly keyId: pulumi.Output<string | null>;
    declare readonly file: pulumi.Output<string | null>;
    /** The audit record's and the stack output's `exposure`. */
    declare readonly summary: pulumi.Output<ExposureSummary>;
    /** The "exposure report ready" message per webhook (format, host, outcome): never a URL. */
    declare readonly notified: pulumi.Output<NotificationOutcome[]>;

    constructor(name: string, args: ExposureReportArgs, opts?: pulumi.CustomResourceOptions) {
        super(exposureReportProvider, name, { ...args, keyId: undefined, file: undefined, summary: undefined, notified: undefined }, opts, "anthropic", "ExposureReport");
    }
}
