import type { AuditContext } from "../audit/auditLog";
import type { Webhook } from "../notifications/webhooks";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_INFISICAL_SECRET_PATH, DEFAULT_INFISICAL_SITE_URL } from "./infisicalClient";
import { DEFAULT_INFISICAL_SECRET_NAME, infisicalSecretProvider } from "./infisicalProvider";

export { infisicalSecretProvider, DEFAULT_INFISICAL_SECRET_NAME, LOCATION_PROPERTIES } from "./infisicalProvider";
export type { InfisicalSecretInputs, InfisicalSecretOutputs } from "./infisicalProvider";
export {
    DEFAULT_INFISICAL_SECRET_PATH,
    DEFAULT_INFISICAL_SITE_URL,
    INFISICAL_CLIENT_ID_ENV,
    INFISICAL_CLIENT_SECRET_ENV,
    InfisicalError,
} from "./infisicalClient";

export interface InfisicalSecretArgs {
    /** The Infisical project ID (Project Settings > Project ID). */
    readonly projectId: pulumi.Input<string>;
    /** Environment slug, e.g. `prod`. */
    readonly environment: pulumi.Input<string>;
    /** Folder path; default `/`. The folder must exist. */
    readonly secretPath?: pulumi.Input<string>;
    /** Default `ANTHROPIC_API_KEY`. */
    readonly secretName?: pulumi.Input<string>;
    /** Infisical site root; default https://app.infisical.com (EU cloud, self-hosted and emulators via this). */
    readonly siteUrl?: pulumi.Input<string>;
    /** The Anthropic API key. Wrapped in pulumi.secret() here whatever the caller passed. */
    readonly apiKey: pulumi.Input<string>;
    /** fingerprint(apiKey) as plain text (shown in previews); computed by `check` when left out. */
    readonly fingerprint?: pulumi.Input<string>;
    /**
     * The KeyValidation's `validatedFingerprint` output (components/domain/receipt.ts): the secret is written only
     * after the key passed, and check refuses a receipt for another key. Required by the validated-before-fanout policy.
     */
    readonly validatedFingerprint?: pulumi.Input<string>;
    /** Delete the secret from Infisical on destroy / replace. Default false: it is the record, with history. */
    readonly removeOnDelete?: pulumi.Input<boolean>;
    /** Where a failure of this step is recorded (`secret.rotate.failed`); plain values, never the key. */
    readonly audit?: pulumi.Input<AuditContext>;
    /** The webhooks told when this step fails (config `notifications`); sent as a secret input, read only inside the provider. */
    readonly notifications?: pulumi.Input<Webhook[]>;
}

/**
 * `pulumi-nodejs:dynamic/infisical:Secret`: the key in Infisical, the system of record. Create and update
 * write it as a new version (history kept); refresh reports drift by fingerprint; destroy leaves it in
 * place unless `removeOnDelete` is true. Credentials: INFISICAL_CLIENT_ID / INFISICAL_CLIENT_SECRET of a
 * Universal Auth machine identity, read at run time.
 */
export class InfisicalSecret extends pulumi.dynamic.Resource {
    // `declare`: no class-field initializers, which (target ES2022) would overwrite what the base constructor set.
    declare readonly projectId: pulumi.Output<string>;
    declare readonly environment: pulumi.Output<string>;
    declare readonly secretPath: pulumi.Output<string>;
    declare readonly secretName: pulumi.Output<string>;
    declare readonly siteUrl: pulumi.Output<string>;
    /** The key, secret (same property name as the secret input). */
    declare readonly apiKey: pulumi.Output<string>;
    declare readonly fingerprint: pulumi.Output<string>;
    declare readonly removeOnDelete: pulumi.Output<boolean>;
    /** Infisical's version of the secret after our write (or as last refreshed). */
    declare readonly version: pulumi.Output<number>;
    /** Fingerprint of the value Infisical holds (at write or last refresh); "" when the value is hidden from us. */
    declare readonly remoteFingerprint: pulumi.Output<string>;

    constructor(name: string, args: InfisicalSecretArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            infisicalSecretProvider,
            name,
            {
                projectId: args.projectId,
                environment: args.environment,
                secretPath: args.secretPath ?? DEFAULT_INFISICAL_SECRET_PATH,
                secretName: args.secretName ?? DEFAULT_INFISICAL_SECRET_NAME,
                siteUrl: args.siteUrl ?? DEFAULT_INFISICAL_SITE_URL,
                apiKey: pulumi.secret(args.apiKey),
                audit: args.audit,
                notifications: args.notifications === undefined ? undefined : pulumi.secret(args.notifications),
                fingerprint: args.fingerprint,
                validatedFingerprint: args.validatedFingerprint,
                removeOnDelete: args.removeOnDelete ?? false,
                version: undefined,
                remoteFingerprint: undefined,
            },
            { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "apiKey"] },
            "infisical",
            "Secret",
        );
    }
}
