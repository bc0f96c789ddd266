import { explainHerokuStatus, HEROKU_ACCEPT, HEROKU_TOKEN_ENV, normalizeApiUrl } from "../heroku/herokuApi";
import { parseJson } from "../http/httpClient";
import { CheckContext, credential } from "./checkContext";
import { answerOf, CheckResult, failed, merge, noAnswer, passed, PreflightProblem } from "./problem";

/**
 * Heroku, read-only: `GET /account` proves HEROKU_API_KEY is a live token, then `GET /apps/{app}` for every
 * target proves its user can see the app (404 when it cannot, 403 when it is not a collaborator). Seeing an app
 * is not yet the permission to change its config vars; a token that can see but not write still fails at the
 * Heroku step, after Infisical was written.
 */
export async function checkHeroku(apiUrl: string, apps: readonly string[], ctx: CheckContext): Promise<CheckResult> {
    if (apps.length === 0) return merge([]);
    const root = normalizeApiUrl(apiUrl);
    const token = credential(ctx.env, HEROKU_TOKEN_ENV);
    if (!token) {
        return failed({
            credential: HEROKU_TOKEN_ENV,
            target: `heroku apps ${apps.join(", ")} (${root})`,
            answer: "not set in the environment of pulumi",
            fix: `create a token with \`heroku authorizations:create\` (or print yours with \`heroku auth:token\`) and export it as ${HEROKU_TOKEN_ENV}`,
        });
    }
    const account = await get(`${root}/account`, `heroku account (${root}/account)`, undefined, token, ctx);
    // A rejected token fails every app the same way: one problem says it.
    if (account.problems.some((p) => p.answer.startsWith("HTTP 401"))) return account;
    const perApp = await Promise.all(apps.map((app) => get(`${root}/apps/${encodeURIComponent(app)}`, `heroku app ${app} (${root})`, app, token, ctx)));
    return merge([account, ...perApp]);
}

async function get(url: string, target: string, app: string | undefined, token: string, ctx: CheckContext): Promise<CheckResult> {
    const secrets = [token];
    const problem = (answer: string, fix: string): PreflightProblem => ({ credential: HEROKU_TOKEN_ENV, target, answer, fix });
    try {
        const res = await ctx.http.send(
            { method: "GET", url, headers: { Accept: HEROKU_ACCEPT, Authorization: `Bearer ${token}` } },
            { step: "preflight heroku", target, secrets },
        );
        if (res.status >= 200 && res.status < 300) return passed(target);
        const body = parseJson(res.text) as { id?: unknown; message?: unknown } | undefined;
        const id = typeof body?.id === "string" ? body.id : undefined;
        const message = typeof body?.message === "string" ? body.message : undefined;
        const { fix } = explainHerokuStatus(res.status, id, app ?? "(any)");
        const accountFix = res.status === 404 ? "check endpoints.heroku: it must be the Heroku Platform API root, e.g. https://api.heroku.com" : fix;
        return failed(problem(answerOf(res.status, id, message, secrets), app ? fix : accountFix));
    } catch (err) {
        return failed(problem(noAnswer(err, secrets), "check endpoints.heroku and the network path to it, then run again"));
    }
}
