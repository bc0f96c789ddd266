import * as pulumi from "@pulumi/pulumi";
import type { AuditContext } from "../audit/auditLog";
import type { Webhook } from "../notifications/webhooks";
import { KeyOutcome, previousKeyRevocationProvider, RevocationMode } from "./previousKeyRevocationProvider";
import type { ConsumerRef } from "./consumers";
import type { CutoverEvidence, CutoverSettings } from "./cutover";
import type { RetiredKey } from "./retiredKeys";

export {
    previousKeyRevocationProvider,
    ADMIN_KEY_ENV,
    DEFAULT_PROOF_INTERVAL_SECONDS,
    DEFAULT_PROOF_TIMEOUT_SECONDS,
    RESULT_NO_PREVIOUS_KEY,
    STEP_REVOCATION,
} from "./previousKeyRevocationProvider";
export type { KeyOutcome, PreviousKeyRevocationOutputs, RevocationMode } from "./previousKeyRevocationProvider";

/** Resource type token (policies may select on it). */
export const TYPE_PREVIOUS_KEY_REVOCATION = "pulumi-nodejs:dynamic/anthropic:PreviousKeyRevocation";

export interface PreviousKeyRevocationArgs {
    /** The CURRENT (new) key. Wrapped in pulumi.secret here whatever the caller passes. */
    readonly apiKey: pulumi.Input<string>;
    /** fingerprint(apiKey). A change of fingerprint is what makes the old key "previous". */
    readonly fingerprint: pulumi.Input<string>;
    /** The current key's Admin API id (KeyValidation.keyId); remembered so the NEXT rotation can deactivate it by id. */
    readonly keyId?: pulumi.Input<string | undefined>;
    /** none | verify | deactivate (default verify). */
    readonly mode: pulumi.Input<RevocationMode>;
    /** Emergency rotation: recorded in the audit; the caller orders this resource before the fan-out. */
    readonly emergency?: pulumi.Input<boolean>;
    /** In an emergency, the leaked key (fingerprint or Admin API id): the revocation refuses to act unless it is being replaced. */
    readonly compromisedKey?: pulumi.Input<string | undefined>;
    /** KeyLedger.retiredKeys: every key replaced since the last proven revocation. Wrapped in pulumi.secret here. */
    readonly retiredKeys?: pulumi.Input<RetiredKey[]>;
    /** The consumers in the config now (consumersOf): a removed consumer that holds a key to revoke stops the run. */
    readonly consumers?: pulumi.Input<pulumi.Input<ConsumerRef>[]>;
    /** Removed consumers (their ids) the operator accepts to break. */
    readonly acknowledgedRemovals?: pulumi.Input<pulumi.Input<string>[]>;
    /** The cut-over proof's settings (`cutover` config); absent: the defaults. */
    readonly cutover?: pulumi.Input<CutoverSettings>;
    /** KeyLedger.since: when the new key reached the consumers. */
    readonly fanOutAt?: pulumi.Input<string>;
    /** KeyLedger.previousFingerprint: the key the consumers held before this rotation (for the audit). */
    readonly replacedFingerprint?: pulumi.Input<string | null | undefined>;
    /** The health checks to watch after a deactivation ({url, expect?}); none: no watch. */
    readonly healthChecks?: pulumi.Input<pulumi.Input<{ url: string; expect?: string }>[]>;
    /** How long to watch the consumers' health after a deactivation (default 5; 0: no watch). */
    readonly watchMinutes?: pulumi.Input<number>;
    /** Between two polls of the watch (default 30 s). */
    readonly watchIntervalSeconds?: pulumi.Input<number>;
    /** Anthropic API base URL; default https://api.anthropic.com. */
    readonly baseUrl?: pulumi.Input<string | undefined>;
    /** How long to keep probing for the 401 after a deactivation (default 60 s). */
    readonly proofTimeoutSeconds?: pulumi.Input<number>;
    /** Between probes (default 2 s). */
    readonly proofIntervalSeconds?: pulumi.Input<number>;
    /** So a failure leaves a secret.rotate.failed line. */
    readonly audit?: pulumi.Input<AuditContext>;
    /** The webhooks told when this step fails (config `notifications`); sent as a secret input, read only inside the provider. */
    readonly notifications?: pulumi.Input<Webhook[]>;
}

/**
 * `pulumi-nodejs:dynamic/anthropic:PreviousKeyRevocation`: when the key changes (or the KeyLedger lists a
 * key not yet proven dead), verifies (verify) or deactivates through the Admin API and then proves
 * (deactivate) that EVERY key replaced since the last proven revocation answers 401.
 * Credentials: ANTHROPIC_ADMIN_API_KEY in the environment of `pulumi` (deactivate only), read at run time.
 */
export class PreviousKeyRevocation extends pulumi.dynamic.Resource {
    declare readonly fingerprint: pulumi.Output<string>;
    declare readonly keyId: pulumi.Output<string | null>;
    declare readonly mode: pulumi.Output<RevocationMode>;
    declare readonly emergency: pulumi.Output<boolean>;
    /** Fingerprint of the key the last rotation revoked / verified / skipped (null on the first run). */
    declare readonly previousFingerprint: pulumi.Output<string | null>;
    declare readonly previousKeyId: pulumi.Output<string | null>;
    /** Every key the last revocation handled: fingerprint, Admin API id, outcome, provedAt. */
    declare readonly keys: pulumi.Output<KeyOutcome[]>;
    /** The usage-report evidence of the cut-over, or why it was skipped. */
    declare readonly cutoverEvidence: pulumi.Output<CutoverEvidence | null>;
    /** e.g. "deactivated apikey_…; 401 proven after 2.1 s", "no previous key", "skipped: …". */
    declare readonly result: pulumi.Output<string>;
    declare readonly provedAt: pulumi.Output<string | null>;
    /** { mode, result, keys }: pass it to RotationAudit's `revocation`. */
    declare readonly summary: pulumi.Output<{ mode: RevocationMode; result: string; keys: KeyOutcome[] }>;

    constructor(name: string, args: PreviousKeyRevocationArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            previousKeyRevocationProvider,
            name,
            {
                ...args,
                apiKey: pulumi.secret(args.apiKey),
                notifications: args.notifications === undefined ? undefined : pulumi.secret(args.notifications),
                retiredKeys: args.retiredKeys === undefined ? undefined : pulumi.secret(args.retiredKeys),
                previousFingerprint: undefined,
                previousKeyId: undefined,
                keys: undefined,
                cutoverEvidence: undefined,
                retiredFingerprints: undefined,
                result: undefined,
                provedAt: undefined,
                summary: undefined,
            },
            // The output `apiKey` has the secret input's name, so the engine keeps it secret; listed again to be explicit.
            { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "apiKey"] },
            "anthropic",
            "PreviousKeyRevocation",
        );
    }
}
