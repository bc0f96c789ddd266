import { HEROKU_TOKEN_ENV } from "../heroku/herokuApi";
import { INFISICAL_CLIENT_ID_ENV, INFISICAL_CLIENT_SECRET_ENV } from "../infisical/infisicalClient";
import { ADMIN_KEY_ENV, checkAdminKey } from "./adminCheck";
import type { CheckContext } from "./checkContext";
import { checkGithub, GITHUB_TOKEN_ENV } from "./githubCheck";
import { checkHeroku } from "./herokuCheck";
import { checkInfisical } from "./infisicalCheck";
import type { PreflightInputs } from "./preflightInputs";
import { merge, preflightError } from "./problem";

/** The credentials' values in `env`, for redaction: never held past the call. */
export const CREDENTIAL_ENVS: readonly string[] = [HEROKU_TOKEN_ENV, GITHUB_TOKEN_ENV, INFISICAL_CLIENT_ID_ENV, INFISICAL_CLIENT_SECRET_ENV, ADMIN_KEY_ENV];

export function credentialValues(env: NodeJS.ProcessEnv): string[] {
    return CREDENTIAL_ENVS.map((name) => env[name]?.trim() ?? "").filter((v) => v.length > 0);
}

/**
 * Every check at once, in parallel; throws one PreflightError listing every problem, or returns what passed.
 */
export async function runPreflight(inputs: PreflightInputs, ctx: CheckContext): Promise<{ passed: string[] }> {
    const result = merge(
        await Promise.all([
            checkHeroku(inputs.heroku.apiUrl, inputs.heroku.apps, ctx),
            checkInfisical(inputs.infisical, ctx),
            checkGithub(inputs.github.baseUrl, inputs.github.scopes, inputs.github.unresolved, ctx, inputs.github.tokenInConfig),
            checkAdminKey(inputs.admin.baseUrl, inputs.admin.required, ctx),
        ]),
    );
    if (result.problems.length > 0) throw preflightError(result.problems, credentialValues(ctx.env));
    return { passed: [...result.passed] };
}
