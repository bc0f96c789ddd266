import { parseJson } from "../http/httpClient";
import { normalizeApiRoot } from "../http/urls";
import { CheckContext, credential } from "./checkContext";
import { describeScope, GithubScope, uniqueScopes } from "./preflightInputs";
import { answerOf, CheckResult, failed, merge, noAnswer, passed, PreflightProblem } from "./problem";

/**
 * GitHub, read-only: the Actions public key of every repository, environment and organization a secret goes to
 * (`GET …/secrets/public-key`), with GITHUB_TOKEN, exactly what @pulumi/github fetches before it seals and writes
 * a secret. A token that may read the public key may, with the usual token kinds, also write the secret.
 */

export const GITHUB_TOKEN_ENV = "GITHUB_TOKEN";
export const GITHUB_API_URL = "https://api.github.com";

/**
 * The REST root the provider talks to: github.com's API, or for any other base URL (GitHub Enterprise Server,
 * the emulator) that URL with `/api/v3`, as the provider's client adds it.
 */
export function githubApiRoot(baseUrl: string | undefined): string {
    const root = normalizeApiRoot(baseUrl ?? "") || GITHUB_API_URL;
    if (root === GITHUB_API_URL || root.endsWith("/api/v3")) return root;
    return `${root}/api/v3`;
}

export function publicKeyPath(scope: GithubScope): string {
    const e = encodeURIComponent;
    if (scope.kind === "organization") return `/orgs/${e(scope.organization)}/actions/secrets/public-key`;
    const repo = `/repos/${e(scope.owner)}/${e(scope.repository)}`;
    return scope.kind === "environment" ? `${repo}/environments/${e(scope.environment)}/secrets/public-key` : `${repo}/actions/secrets/public-key`;
}

export async function checkGithub(
    baseUrl: string | undefined,
    scopes: readonly GithubScope[],
    unresolved: readonly string[],
    ctx: CheckContext,
    tokenInConfig = false,
): Promise<CheckResult> {
    const ownerless: CheckResult[] = unresolved.map((repository) =>
        failed({
            credential: "github:owner",
            target: `github repository ${repository}`,
            answer: "the repository has no owner/ prefix and the stack has no github:owner",
            fix: `write the repository as owner/${repository}, or set it with pulumi config set github:owner <owner>`,
        }),
    );
    const unique = uniqueScopes(scopes);
    if (unique.length === 0) return merge(ownerless);
    const root = githubApiRoot(baseUrl);
    const token = credential(ctx.env, GITHUB_TOKEN_ENV);
    // A token kept in github:token stack config reaches the provider plugin only: it cannot be tried here.
    if (!token && tokenInConfig) return merge(ownerless);
    if (!token) {
        return merge([
            ...ownerless,
            failed({
                credential: GITHUB_TOKEN_ENV,
                target: `${unique.map(describeScope).join(", ")} (${root})`,
                answer: "not set in the environment of pulumi",
                fix: `export a token that can write Actions secrets of these repositories/organizations as ${GITHUB_TOKEN_ENV} (fine-grained: Secrets, Environments or Organization secrets: read and write)`,
            }),
        ]);
    }
    const results = await Promise.all(unique.map((scope) => fetchPublicKey(root, scope, token, ctx)));
    const problems = results.flatMap((r) => r.problems);
    // A rejected token fails every scope alike: one problem says it.
    if (problems.length === unique.length && problems.every((p) => p.answer.startsWith("HTTP 401"))) {
        return merge([...ownerless, failed({ ...problems[0]!, target: `${unique.map(describeScope).join(", ")} (${root})` })]);
    }
    return merge([...ownerless, ...results]);
}

async function fetchPublicKey(root: string, scope: GithubScope, token: string, ctx: CheckContext): Promise<CheckResult> {
    const target = describeScope(scope);
    const secrets = [token];
    const problem = (answer: string, fix: string): PreflightProblem => ({ credential: GITHUB_TOKEN_ENV, target, answer, fix });
    try {
        const res = await ctx.http.send(
            {
                method: "GET",
                url: `${root}${publicKeyPath(scope)}`,
                headers: {
                    Accept: "application/vnd.github+json",
                    Authorization: `Bearer ${token}`,
                    "X-GitHub-Api-Version": "2022-11-28",
                    "User-Agent": "anthropic-key-rotation-preflight",
                },
            },
            { step: "preflight github", target, secrets },
        );
        if (res.status >= 200 && res.status < 300) return passed(target);
        const body = parseJson(res.text) as { message?: unknown } | undefined;
        const message = typeof body?.message === "string" ? body.message : undefined;
        return failed(problem(answerOf(res.status, undefined, message, secrets), fixFor(res.status, res.headers, scope)));
    } catch (err) {
        return failed(problem(noAnswer(err, secrets), "check endpoints.github and the network path to it, then run again"));
    }
}

function fixFor(status: number, headers: Readonly<Record<string, string>>, scope: GithubScope): string {
    const where =
        scope.kind === "organization"
            ? `organization ${scope.organization}`
            : `repository ${scope.owner}/${scope.repository}${scope.kind === "environment" ? ` (environment ${scope.environment})` : ""}`;
    const permission =
        scope.kind === "organization" ? "Organization secrets: read and write (classic: admin:org)" : scope.kind === "environment" ? "Environments: read and write (classic: repo)" : "Secrets: read and write (classic: repo)";
    if (status === 401) return `${GITHUB_TOKEN_ENV} is wrong, expired or revoked: create a new token with ${permission} and export it as ${GITHUB_TOKEN_ENV}`;
    if (status === 403 && headers["x-ratelimit-remaining"] === "0") return "the token's rate limit is used up: wait until it resets (x-ratelimit-reset), then run again";
    if (status === 403) return `the token may not use the Actions secrets of ${where}: give it ${permission} on it`;
    if (status === 404) {
        const missing = scope.kind === "environment" ? `the environment may not exist (create it under Settings → Environments), or ` : "";
        return `${missing}the ${where} does not exist or ${GITHUB_TOKEN_ENV} cannot see it (GitHub answers 404 for what a token may not see): check the name in targets.github and give the token access to it`;
    }
    if (status >= 500 || status === 429) return "GitHub kept failing after retries: check https://www.githubstatus.com, then run again";
    return "check endpoints.github and the target, then run again";
}
