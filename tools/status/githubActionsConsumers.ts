import { githubTargetSchema } from "../../components/config/schema";

/**
 * The stack's GitHub Actions consumers, flagged for `npm run status`: a workflow that calls the Claude API can
 * authenticate with Anthropic's workload identity federation (GitHub's OIDC token exchanged for a short-lived
 * Anthropic access token) and then needs no ANTHROPIC_API_KEY secret at all, which takes it out of every rotation.
 * Read from the stack file's `targets.github` only; entries the config schema rejects are the program's problem.
 */

export interface GithubActionsConsumer {
    /** e.g. `raxx-app/api environment production secret ANTHROPIC_API_KEY_PROD`. */
    readonly target: string;
    readonly kind: "repository secret" | "environment secret" | "organization secret";
    /** `selected` / `private` / `all`, for organization secrets. */
    readonly visibility?: string;
    /** The target acknowledges an existing wide scope (`legacyScope: true`). */
    readonly legacyScope?: true;
    /** Always: every GitHub Actions consumer could drop the static key this way (README: GitHub scopes). */
    readonly workloadIdentityFederation: "possible";
}

export function githubActionsConsumers(targetsText: string | undefined, defaultOwner: string | undefined): GithubActionsConsumer[] {
    if (targetsText === undefined) return [];
    let github: unknown;
    try {
        github = (JSON.parse(targetsText) as { github?: unknown } | null)?.github;
    } catch {
        return [];
    }
    if (!Array.isArray(github)) return [];
    const out: GithubActionsConsumer[] = [];
    for (const entry of github) {
        const parsed = githubTargetSchema.safeParse(entry);
        if (!parsed.success) continue;
        const t = parsed.data;
        const flags = { ...(t.legacyScope ? { legacyScope: true as const } : {}), workloadIdentityFederation: "possible" as const };
        if ("organization" in t) {
            out.push({ target: `org ${t.organization} secret ${t.secretName}`, kind: "organization secret", visibility: t.visibility, ...flags });
            continue;
        }
        const repository = t.repository.includes("/") || !defaultOwner ? t.repository : `${defaultOwner}/${t.repository}`;
        out.push(
            t.environment
                ? { target: `${repository} environment ${t.environment} secret ${t.secretName}`, kind: "environment secret", ...flags }
                : { target: `${repository} secret ${t.secretName}`, kind: "repository secret", ...flags },
        );
    }
    return out;
}

/** One text line per stack for the report. */
export function describeConsumers(consumers: readonly GithubActionsConsumer[]): string {
    return consumers
        .map((c) => `${c.target} (${c.kind}${c.visibility ? `, visibility ${c.visibility}` : ""}${c.legacyScope ? ", legacyScope" : ""})`)
        .join("; ");
}
