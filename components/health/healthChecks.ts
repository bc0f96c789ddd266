import * as pulumi from "@pulumi/pulumi";
import type { AuditContext } from "../audit/auditLog";
import type { Webhook } from "../notifications/webhooks";
import { healthChecksProvider, HealthCheckInput, HealthResult, HerokuReleaseInput, ReleaseResult } from "./healthChecksProvider";

export {
    healthChecksProvider,
    DEFAULT_INTERVAL_SECONDS,
    DEFAULT_RELEASE_INTERVAL_SECONDS,
    DEFAULT_RELEASE_TIMEOUT_SECONDS,
    DEFAULT_TIMEOUT_SECONDS,
    STEP_HEALTH,
    STEP_HEROKU_RELEASE,
} from "./healthChecksProvider";
export type { HealthCheckInput, HealthResult, HerokuReleaseInput, ReleaseResult } from "./healthChecksProvider";
export { evaluateCondition, parseCondition, FINGERPRINT_PLACEHOLDER } from "./condition";

/** Resource type token (policies may select on it). */
export const TYPE_HEALTH_CHECKS = "pulumi-nodejs:dynamic/health:HealthChecks";

export interface HealthChecksArgs {
    /** The stack config's healthChecks (url, expect?, timeoutSeconds, intervalSeconds). May be empty. */
    readonly checks: pulumi.Input<pulumi.Input<HealthCheckInput>[]>;
    /**
     * One entry per HerokuConfigVars resource: { app, apiUrl, releaseVersion, releaseCreated } from its
     * outputs. Each release our PATCH created must reach `succeeded` before any URL is polled.
     */
    readonly herokuReleases?: pulumi.Input<pulumi.Input<HerokuReleaseInput>[]>;
    /** fingerprint(new key): the checks run again whenever it changes. */
    readonly fingerprint: pulumi.Input<string>;
    /** So a failure leaves a secret.rotate.failed line. */
    readonly audit?: pulumi.Input<AuditContext>;
    /** The webhooks told when this step fails (config `notifications`); sent as a secret input, read only inside the provider. */
    readonly notifications?: pulumi.Input<Webhook[]>;
    /** Upper bound on each Heroku release wait (default 300 s). */
    readonly releaseTimeoutSeconds?: pulumi.Input<number>;
    /** Between release polls (default 5 s). */
    readonly releaseIntervalSeconds?: pulumi.Input<number>;
}

/**
 * `pulumi-nodejs:dynamic/health:HealthChecks`: waits for the Heroku releases our writes created, then polls
 * every health URL until it answers 2xx (and its JSON condition holds) or its timeout runs out. Runs on
 * create and whenever the fingerprint changes, never during preview. Holds no secret.
 */
export class HealthChecks extends pulumi.dynamic.Resource {
    /** Per URL: { url, ok, status, attempts, seconds }. */
    declare readonly results: pulumi.Output<HealthResult[]>;
    /** Per Heroku app waited for: { app, version, status, seconds }. */
    declare readonly releases: pulumi.Output<ReleaseResult[]>;
    declare readonly checkedAt: pulumi.Output<string>;
    declare readonly fingerprint: pulumi.Output<string>;

    constructor(name: string, args: HealthChecksArgs, opts?: pulumi.CustomResourceOptions) {
        super(healthChecksProvider, name, { ...args, notifications: args.notifications === undefined ? undefined : pulumi.secret(args.notifications), results: undefined, releases: undefined, checkedAt: undefined }, opts, "health", "HealthChecks");
    }
}
