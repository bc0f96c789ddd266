/**
 * github-prod-secret-scope (mandatory) and github-prod-secret-scope-acknowledged (advisory): in a prod stack the
 * key reaches GitHub Actions only through a secret that is itself scoped. An environment secret is released only
 * to jobs of that GitHub environment (whose protection rules, required reviewers or deployment branches, gate
 * it); a `selected` organization secret only to the listed repositories. A plain repository secret is readable
 * by every workflow on every branch of the repository, and a `private`/`all` organization secret by every
 * (private) repository of the organisation.
 *
 * Existing wide secrets are recognised by an acknowledgement in the stack config, `legacyScope: true` on their
 * `targets.github` entry (githubScopeAcknowledgements.ts): for those the first policy stays quiet and the second
 * reports an advisory until the secret is moved and the flag removed. Anything not acknowledged, a new target
 * above all, is a mandatory violation, so it stops the preview and the update before the secret is written.
 */
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { TYPE_GITHUB_ENV_SECRET, TYPE_GITHUB_ORG_SECRET, TYPE_GITHUB_REPO_SECRET } from "../../components/domain";
import { ConfigSpec, describeResource, keysInResource, read, readString, resolveConfig, safeReporter, UNKNOWN } from "./common";
import { DEFAULT_ENVIRONMENT_ALIASES } from "./environments";
import { stackEnvironment } from "./environmentIsolation";
import { repositorySecretKey, ScopeAcknowledgements, scopeAcknowledgements } from "./githubScopeAcknowledgements";

export const GITHUB_PROD_SCOPE_POLICY = "github-prod-secret-scope";
export const GITHUB_ACKNOWLEDGED_SCOPE_POLICY = "github-prod-secret-scope-acknowledged";

export interface GithubScopeConfig {
    /** Canonical environments whose stacks must use scoped secrets. */
    readonly environments: readonly string[];
}

const properties: ConfigSpec<GithubScopeConfig>["properties"] = {
    environments: {
        type: "array",
        description: "Environments (canonical names: prod, staging, dev, …) whose key may reach GitHub only through an environment secret or a selected organization secret.",
        items: { type: "string", minLength: 1 },
        default: ["prod"],
    },
};

export const githubScopeConfig: ConfigSpec<GithubScopeConfig> = { policy: GITHUB_PROD_SCOPE_POLICY, properties };
export const githubAcknowledgedScopeConfig: ConfigSpec<GithubScopeConfig> = { policy: GITHUB_ACKNOWLEDGED_SCOPE_POLICY, properties };

/** How widely a GitHub secret resource is readable; `undefined` while a preview does not know yet. */
export type GithubSecretScope =
    | { readonly kind: "scoped" }
    | { readonly kind: "repository"; readonly repository: string; readonly secretName: string }
    | { readonly kind: "organization"; readonly visibility: string; readonly secretName: string };

export function githubSecretScope(type: string, props: unknown): GithubSecretScope | undefined {
    const secretName = readString(props, "secretName");
    if (secretName === UNKNOWN) return undefined;
    if (type === TYPE_GITHUB_ENV_SECRET) return { kind: "scoped" };
    if (type === TYPE_GITHUB_REPO_SECRET) {
        const repository = readString(props, "repository");
        if (repository === UNKNOWN) return undefined;
        return { kind: "repository", repository: repository ?? "", secretName: secretName ?? "" };
    }
    if (type === TYPE_GITHUB_ORG_SECRET) {
        const visibility = readString(props, "visibility");
        const ids = read(props, "selectedRepositoryIds");
        if (visibility === UNKNOWN || ids === UNKNOWN) return undefined;
        let count = 0;
        try {
            count = Array.isArray(ids) ? ids.length : 0;
        } catch {
            return undefined;
        }
        if (visibility === "selected" && count > 0) return { kind: "scoped" };
        return { kind: "organization", visibility: visibility ?? "(not set)", secretName: secretName ?? "" };
    }
    return undefined;
}

function isAcknowledged(scope: GithubSecretScope, acks: ScopeAcknowledgements): boolean {
    if (scope.kind === "repository") return acks.repositorySecrets.has(repositorySecretKey(scope.repository, scope.secretName));
    if (scope.kind === "organization") return acks.organizationSecrets.has(scope.secretName.toUpperCase());
    return false;
}

const SCOPED_FIX =
    "make it an environment secret of a protected GitHub environment (targets.github[].environment, e.g. production, with required reviewers or deployment branch rules on that environment), " +
    "or an organization secret with visibility: selected and selectedRepositoryIds; better still, let the workflow authenticate with the vendor's workload identity federation and drop the secret (README: GitHub scopes)";

function wideScopeText(scope: Exclude<GithubSecretScope, { kind: "scoped" }>, env: string): string {
    if (scope.kind === "repository") {
        return `the ${env} key is in a plain repository secret (${scope.repository} ${scope.secretName}), which every workflow of that repository can read on any branch, with no deployment protection`;
    }
    const who = scope.visibility === "all" ? "every repository" : scope.visibility === "private" ? "every private repository" : "repositories the stack does not list";
    return `the ${env} key is in an organization secret (${scope.secretName}) with visibility ${scope.visibility}, which hands it to ${who} of the organisation`;
}

/** The stack's environment when the rule applies to it, else undefined. */
function governedEnvironment(config: GithubScopeConfig): string | undefined {
    const stack = stackEnvironment(DEFAULT_ENVIRONMENT_ALIASES);
    return stack && config.environments.includes(stack.env) ? stack.env : undefined;
}

export function validateGithubScope(args: ResourceValidationArgs, reportViolation: ReportViolation): void {
    const scope = githubSecretScope(args.type, args.props);
    if (!scope || scope.kind === "scoped") return;
    const env = governedEnvironment(resolveConfig(githubScopeConfig, args.getConfig()));
    if (!env || isAcknowledged(scope, scopeAcknowledgements())) return;
    const report = safeReporter(reportViolation, keysInResource(args.props, args.name));
    report(
        `${describeResource(args)}: ${wideScopeText(scope, env)}. Fix: ${SCOPED_FIX}. ` +
            `A secret that already exists this way can be acknowledged with legacyScope: true on its targets.github entry, which turns this into the advisory ${GITHUB_ACKNOWLEDGED_SCOPE_POLICY} until it is moved.`,
    );
}

export function validateAcknowledgedGithubScope(args: ResourceValidationArgs, reportViolation: ReportViolation): void {
    const scope = githubSecretScope(args.type, args.props);
    if (!scope || scope.kind === "scoped") return;
    const env = governedEnvironment(resolveConfig(githubAcknowledgedScopeConfig, args.getConfig()));
    if (!env || !isAcknowledged(scope, scopeAcknowledgements())) return;
    const report = safeReporter(reportViolation, keysInResource(args.props, args.name));
    report(`${describeResource(args)}: acknowledged with legacyScope, but ${wideScopeText(scope, env)}. Fix: ${SCOPED_FIX}; then remove legacyScope.`);
}

export const githubProdScopePolicy: ResourceValidationPolicy = {
    name: GITHUB_PROD_SCOPE_POLICY,
    description: "In a prod stack, the key reaches GitHub Actions only through an environment secret or a selected organization secret.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: `Move the secret to an environment secret of a protected environment or a selected organization secret; acknowledge an existing one with legacyScope: true (then ${GITHUB_ACKNOWLEDGED_SCOPE_POLICY} warns).`,
    configSchema: { properties: githubScopeConfig.properties },
    validateResource: (args, reportViolation) => validateGithubScope(args, reportViolation),
};

export const githubAcknowledgedScopePolicy: ResourceValidationPolicy = {
    name: GITHUB_ACKNOWLEDGED_SCOPE_POLICY,
    description: "A prod key in an existing, acknowledged (legacyScope) plain repository or wide organization secret: move it.",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps: "Move the secret to an environment secret of a protected environment or a selected organization secret, then remove legacyScope.",
    configSchema: { properties: githubAcknowledgedScopeConfig.properties },
    validateResource: (args, reportViolation) => validateAcknowledgedGithubScope(args, reportViolation),
};
