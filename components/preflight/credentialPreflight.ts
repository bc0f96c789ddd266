import * as pulumi from "@pulumi/pulumi";
import type { AuditContext } from "../audit/auditLog";
import type { Webhook } from "../notifications/webhooks";
import type { Endpoints, RevocationMode, Targets } from "../config/schema";
import { DEFAULT_ANTHROPIC_BASE_URL } from "../anthropic/client";
import { HEROKU_API_URL } from "../heroku/herokuApi";
import { DEFAULT_INFISICAL_SITE_URL } from "../infisical/infisicalClient";
import { preflightProvider } from "./preflightProvider";
import type { GithubScope, PreflightInputs } from "./preflightInputs";

/**
 * `pulumi-nodejs:dynamic/preflight:CredentialPreflight`: right after the key's validation and before the first
 * write, every credential the run will need is tried read-only, in parallel (Heroku account and apps, Infisical
 * login and each target's folder, GitHub public keys, the Admin API when configured or required). The Infisical
 * write depends on it, and every other consumer on the Infisical write: a missing or rejected credential stops
 * the run with one error listing every problem, before any consumer holds the new key.
 *
 * Holds no key and no credential: only the targets, endpoints and the key's fingerprint.
 */

export interface CredentialPreflightArgs {
    readonly fingerprint: pulumi.Input<string>;
    readonly targets: Targets;
    readonly endpoints: Endpoints;
    /** `github:owner` from stack config, for repository targets without an `owner/` prefix. */
    readonly githubOwner?: string;
    /** The GitHub token is in `github:token` stack config: the preflight cannot read it, so a missing GITHUB_TOKEN is no problem. */
    readonly githubTokenInConfig?: boolean;
    readonly revocation: RevocationMode;
    /** Where a failure is recorded (`secret.rotate.failed`, step `preflight`). */
    readonly audit?: pulumi.Input<AuditContext>;
    /** The webhooks told when this step fails (config `notifications`); sent as a secret input, read only inside the provider. */
    readonly notifications?: pulumi.Input<Webhook[]>;
}

/** The preflight's inputs from the stack config: the places each credential must reach. */
export function preflightInputsFor(args: Omit<CredentialPreflightArgs, "fingerprint" | "audit">): Omit<PreflightInputs, "fingerprint"> {
    const { targets, endpoints } = args;
    const scopes: GithubScope[] = [];
    const unresolved: string[] = [];
    for (const t of targets.github) {
        if ("organization" in t) {
            scopes.push({ kind: "organization", organization: t.organization });
            continue;
        }
        const slash = t.repository.indexOf("/");
        const owner = slash > 0 ? t.repository.slice(0, slash) : args.githubOwner;
        const repository = slash > 0 ? t.repository.slice(slash + 1) : t.repository;
        if (!owner) unresolved.push(t.repository);
        else if (t.environment) scopes.push({ kind: "environment", owner, repository, environment: t.environment });
        else scopes.push({ kind: "repository", owner, repository });
    }
    return {
        heroku: { apiUrl: endpoints.heroku ?? HEROKU_API_URL, apps: [...new Set(targets.heroku.map((t) => t.app))] },
        infisical: targets.infisical.map((t) => ({
            projectId: t.projectId,
            environment: t.environment,
            secretPath: t.secretPath,
            secretName: t.secretName,
            siteUrl: t.siteUrl ?? endpoints.infisical ?? DEFAULT_INFISICAL_SITE_URL,
        })),
        github: {
            ...(endpoints.github ? { baseUrl: endpoints.github } : {}),
            scopes,
            unresolved: [...new Set(unresolved)],
            tokenInConfig: args.githubTokenInConfig === true,
        },
        admin: { baseUrl: endpoints.anthropic ?? DEFAULT_ANTHROPIC_BASE_URL, required: args.revocation === "deactivate" },
    };
}

export class CredentialPreflight extends pulumi.dynamic.Resource {
    declare readonly fingerprint: pulumi.Output<string>;
    /** RFC 3339 time every check passed. */
    declare readonly checkedAt: pulumi.Output<string>;
    /** What was checked and passed, e.g. `heroku app raxx-api-prod (https://api.heroku.com)`. */
    declare readonly passed: pulumi.Output<string[]>;

    constructor(name: string, args: CredentialPreflightArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            preflightProvider,
            name,
            { fingerprint: args.fingerprint, ...preflightInputsFor(args), audit: args.audit, notifications: args.notifications === undefined ? undefined : pulumi.secret(args.notifications), checkedAt: undefined, passed: undefined },
            opts,
            "preflight",
            "CredentialPreflight",
        );
    }
}
