import type { AuditContext } from "../audit/auditLog";
import type { Webhook } from "../notifications/webhooks";
import * as pulumi from "@pulumi/pulumi";
import { herokuConfigVarsProvider } from "./herokuConfigVarsProvider";

export { herokuConfigVarsProvider, DEFAULT_HEROKU_VAR, MISSING } from "./herokuConfigVarsProvider";
export type { HerokuConfigVarsInputs, HerokuConfigVarsOutputs } from "./herokuConfigVarsProvider";
// The release wait lives in herokuApi.ts (no npm imports), so a health-check provider can use it and still serialize.
export {
    HerokuApi,
    HEROKU_API_URL,
    HEROKU_TOKEN_ENV,
    isHerokuApiError,
    isHerokuReleaseError,
    isTransportError,
    waitForHerokuRelease,
} from "./herokuApi";
export type { HerokuApiError, HerokuRelease, HerokuReleaseError, HerokuTransportError, ReleaseStatus, WaitForHerokuReleaseArgs } from "./herokuApi";

export interface HerokuConfigVarsArgs {
    /** Heroku app name. Changing it replaces the resource (the old app keeps its vars unless removeOnDelete). */
    readonly app: pulumi.Input<string>;
    /** Config var names that receive the key; default [ANTHROPIC_API_KEY]. All go out in one PATCH. */
    readonly vars?: pulumi.Input<pulumi.Input<string>[]>;
    /** The Anthropic API key. Wrapped in pulumi.secret here whatever the caller passes. */
    readonly apiKey: pulumi.Input<string>;
    /** fingerprint(apiKey) from components/domain: shown in previews as old → new. */
    readonly fingerprint: pulumi.Input<string>;
    /**
     * The KeyValidation's `validatedFingerprint` output (components/domain/receipt.ts): the vars are written only
     * after the key passed, and check refuses a receipt for another key. Required by the validated-before-fanout policy.
     */
    readonly validatedFingerprint?: pulumi.Input<string>;
    /** Platform API base URL; default https://api.heroku.com (tests point it at the emulator). */
    readonly apiUrl?: pulumi.Input<string | undefined>;
    /** Set the vars to null on `pulumi destroy` (default false: leave them; removing a live key is an outage). */
    readonly removeOnDelete?: pulumi.Input<boolean | undefined>;
    /** Where a failure of this step is recorded (`secret.rotate.failed`); plain values, never the key. */
    readonly audit?: pulumi.Input<AuditContext>;
    /** The webhooks told when this step fails (config `notifications`); sent as a secret input, read only inside the provider. */
    readonly notifications?: pulumi.Input<Webhook[]>;
}

/**
 * `pulumi-nodejs:dynamic/heroku:ConfigVars`: the config vars of one Heroku app that carry the key.
 * Credentials: HEROKU_API_KEY in the environment of `pulumi`, read at run time (never stored in state).
 */
export class HerokuConfigVars extends pulumi.dynamic.Resource {
    public readonly app!: pulumi.Output<string>;
    public readonly vars!: pulumi.Output<string[]>;
    public readonly fingerprint!: pulumi.Output<string>;
    public readonly apiUrl!: pulumi.Output<string>;
    public readonly removeOnDelete!: pulumi.Output<boolean>;
    /** "remove" or "retain": what `pulumi destroy` does to the vars. */
    public readonly onDelete!: pulumi.Output<string>;
    /** The release (vNN) our PATCH created; pass it to waitForHerokuRelease before health checks. */
    public readonly releaseVersion!: pulumi.Output<number | null>;
    /** False when the app already held the key everywhere and no PATCH (no release) was needed. */
    public readonly releaseCreated!: pulumi.Output<boolean>;
    /** Per var: fingerprint of the value on the app (at write or last refresh), or "missing". */
    public readonly remoteFingerprints!: pulumi.Output<Record<string, string>>;
    /** Vars whose value on the app is not the key this stack wrote; refresh fills it, the next up fixes it. */
    public readonly drift!: pulumi.Output<string[]>;
    public readonly removedVars!: pulumi.Output<string[]>;
    public readonly releasedVars!: pulumi.Output<string[]>;

    constructor(name: string, args: HerokuConfigVarsArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            herokuConfigVarsProvider,
            name,
            {
                ...args,
                apiKey: pulumi.secret(args.apiKey),
                notifications: args.notifications === undefined ? undefined : pulumi.secret(args.notifications),
                onDelete: undefined,
                releaseVersion: undefined,
                releaseCreated: undefined,
                remoteFingerprints: undefined,
                drift: undefined,
                removedVars: undefined,
                releasedVars: undefined,
            },
            opts,
            "heroku",
            "ConfigVars",
        );
    }
}
