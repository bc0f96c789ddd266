import type { AuditContext } from "../audit/auditLog";
import type { Webhook } from "../notifications/webhooks";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_ANTHROPIC_BASE_URL } from "./client";
import {
    DEFAULT_MAX_RETRY_SECONDS, DEFAULT_MAX_TOKENS, DEFAULT_MODEL, DEFAULT_VALIDATION_MODE, keyValidationProvider,
} from "./keyValidationProvider";
import type { RequireExpiry } from "../domain/keyExpiry";
import type { TokenUsage, ValidationMode } from "./ping";
import type { MinimumLimits, RateLimits } from "./rateLimits";

/**
 * `pulumi-nodejs:dynamic/anthropic:KeyValidation`: proves the new key works before anything is propagated.
 * Every fan-out resource must depend on it: when validation fails it throws, and the engine then writes nothing
 * downstream. Consumers take its receipt (`validatedFingerprint`, set only once the key passed) or the key
 * released with it (validationReceipt.ts), so they cannot be written before it even without `dependsOn`.
 *
 * The policy pack reads the inputs `keyName`, `environment`, `createdAt`, `fingerprint`, `mode`, `model`,
 * `maxTokens`, `requireExpiry` (and the output `expiresAt` where the engine hands it outputs); defaults are filled in here so the registered inputs always carry them.
 */

export interface KeyValidationArgs {
    /** The new key. Made secret here whatever the caller passes. */
    readonly apiKey: pulumi.Input<string>;
    /** Console name, `{project}-{environment}-{purpose}-{YYYY-MM-DD}`. */
    readonly keyName: pulumi.Input<string>;
    readonly environment: pulumi.Input<string>;
    /** `YYYY-MM-DD`, the date at the end of keyName. */
    readonly createdAt: pulumi.Input<string>;
    /** `fingerprint(apiKey)` from components/domain. */
    readonly fingerprint: pulumi.Input<string>;
    /** Default `messages`. */
    readonly mode?: pulumi.Input<ValidationMode>;
    /** Default `claude-haiku-4-5`. */
    readonly model?: pulumi.Input<string>;
    /** Default 10. */
    readonly maxTokens?: pulumi.Input<number>;
    /** Bound on each API call with all its retries; default 60. */
    readonly maxRetrySeconds?: pulumi.Input<number>;
    /** Default https://api.anthropic.com (config `endpoints.anthropic`). */
    readonly baseUrl?: pulumi.Input<string>;
    /** Expected workspace id (Admin API check). */
    readonly workspace?: pulumi.Input<string>;
    /** Explicit `apikey_…` for the Admin API checks (needed only when two keys share a hint). */
    readonly keyId?: pulumi.Input<string>;
    readonly minimumLimits?: pulumi.Input<MinimumLimits>;
    /** The environment's maximum age in days: the key's expiry is judged against the date in its name + this. */
    readonly maxAgeDays?: pulumi.Input<number>;
    /** `validation.requireExpiry`: whether a key without a backstop expiry fails (mandatory) or warns (advisory). */
    readonly requireExpiry?: pulumi.Input<RequireExpiry>;
    /** Where a failure of this step is recorded (`secret.rotate.failed`); plain values, never the key. */
    readonly audit?: pulumi.Input<AuditContext>;
    /** The webhooks told when this step fails (config `notifications`); sent as a secret input, read only inside the provider. */
    readonly notifications?: pulumi.Input<Webhook[]>;
}

export class KeyValidation extends pulumi.dynamic.Resource {
    // `declare`: the base constructor sets these; a class field would overwrite them with undefined.
    declare readonly apiKey: pulumi.Output<string>;
    declare readonly keyName: pulumi.Output<string>;
    declare readonly environment: pulumi.Output<string>;
    declare readonly createdAt: pulumi.Output<string>;
    declare readonly fingerprint: pulumi.Output<string>;
    declare readonly mode: pulumi.Output<ValidationMode>;
    declare readonly model: pulumi.Output<string>;
    declare readonly maxTokens: pulumi.Output<number>;
    declare readonly maxRetrySeconds: pulumi.Output<number>;
    declare readonly baseUrl: pulumi.Output<string>;
    declare readonly workspace: pulumi.Output<string | undefined>;
    declare readonly minimumLimits: pulumi.Output<MinimumLimits | undefined>;
    declare readonly maxAgeDays: pulumi.Output<number>;
    declare readonly requireExpiry: pulumi.Output<RequireExpiry>;
    /** The key's expiry from the Admin API (RFC 3339), null when it never expires; undefined when the checks were skipped. */
    declare readonly expiresAt: pulumi.Output<string | null | undefined>;
    /** Who the key belongs to (principal, else creator), when the Admin API checks ran. */
    declare readonly keyOwner: pulumi.Output<string | undefined>;
    /** Warnings of the Admin API checks (also logged); undefined when none. */
    declare readonly adminAdvisories: pulumi.Output<string[] | undefined>;
    /** RFC 3339 time the key passed. */
    declare readonly validatedAt: pulumi.Output<string>;
    /**
     * The validation receipt: the fingerprint of the key that passed, set only once it has (unknown in a preview
     * that re-validates). Consumers take it as an input, so none can be written before the key passed.
     */
    declare readonly validatedFingerprint: pulumi.Output<string>;
    /** `request-id` of the successful validation call. */
    declare readonly requestId: pulumi.Output<string | undefined>;
    /** Model that answered (messages) or the model's canonical id (models). */
    declare readonly respondingModel: pulumi.Output<string | undefined>;
    /** Tokens the ping used (messages mode). */
    declare readonly usage: pulumi.Output<TokenUsage | undefined>;
    declare readonly rateLimits: pulumi.Output<RateLimits | undefined>;
    /** `apikey_…` found by the Admin API (or the configured keyId when the checks were skipped). */
    declare readonly keyId: pulumi.Output<string | undefined>;
    /** Admin API status, when the checks ran. */
    declare readonly keyStatus: pulumi.Output<string | undefined>;
    /** `passed: …` or `skipped: ANTHROPIC_ADMIN_API_KEY not set — …` (log it once). */
    declare readonly adminChecks: pulumi.Output<string>;
    /** Whether the key being replaced still works (rollback possible); undefined on create or when unknown. */
    declare readonly previousKeyValid: pulumi.Output<boolean | undefined>;
    declare readonly previousFingerprint: pulumi.Output<string | undefined>;

    constructor(name: string, args: KeyValidationArgs, opts: pulumi.CustomResourceOptions = {}) {
        super(
            keyValidationProvider,
            name,
            {
                apiKey: pulumi.secret(args.apiKey),
                audit: args.audit,
                notifications: args.notifications === undefined ? undefined : pulumi.secret(args.notifications),
                keyName: args.keyName,
                environment: args.environment,
                createdAt: args.createdAt,
                fingerprint: args.fingerprint,
                mode: args.mode ?? DEFAULT_VALIDATION_MODE,
                model: args.model ?? DEFAULT_MODEL,
                maxTokens: args.maxTokens ?? DEFAULT_MAX_TOKENS,
                maxRetrySeconds: args.maxRetrySeconds ?? DEFAULT_MAX_RETRY_SECONDS,
                baseUrl: args.baseUrl ?? DEFAULT_ANTHROPIC_BASE_URL,
                workspace: args.workspace,
                keyId: args.keyId,
                minimumLimits: args.minimumLimits,
                maxAgeDays: args.maxAgeDays,
                requireExpiry: args.requireExpiry,
                validatedAt: undefined,
                validatedFingerprint: undefined,
                requestId: undefined,
                respondingModel: undefined,
                usage: undefined,
                rateLimits: undefined,
                keyStatus: undefined,
                adminChecks: undefined,
                expiresAt: undefined,
                keyOwner: undefined,
                adminAdvisories: undefined,
                previousKeyValid: undefined,
                previousFingerprint: undefined,
            },
            { ...opts, additionalSecretOutputs: [...(opts.additionalSecretOutputs ?? []), "apiKey"] },
            "anthropic",
            "KeyValidation",
        );
    }
}
