import { parseJson } from "../http/httpClient";
import { normalizeApiRoot } from "../http/urls";
import { CheckContext, credential } from "./checkContext";
import { answerOf, CheckResult, failed, merge, noAnswer, passed } from "./problem";

/**
 * The Anthropic Admin API, read-only: `GET /v1/organizations/api_keys?limit=1` with ANTHROPIC_ADMIN_API_KEY.
 * Required when the run ends by deactivating the previous key (`revocation: deactivate`): without it the run
 * would write every consumer and stop at the revocation. Checked whenever it is set, as validation, the cut-over
 * proof and the revocation use it.
 */

export const ADMIN_KEY_ENV = "ANTHROPIC_ADMIN_API_KEY";
const ANTHROPIC_VERSION = "2023-06-01";

export async function checkAdminKey(baseUrl: string, required: boolean, ctx: CheckContext): Promise<CheckResult> {
    const root = normalizeApiRoot(baseUrl);
    const target = `Anthropic Admin API (${root}/v1/organizations/api_keys)`;
    const adminKey = credential(ctx.env, ADMIN_KEY_ENV);
    if (!adminKey) {
        if (!required) return merge([]);
        return failed({
            credential: ADMIN_KEY_ENV,
            target,
            answer: "not set in the environment of pulumi, and revocation is deactivate",
            fix: `export an Admin API key (admin01 prefix; Console → Settings → Admin keys) as ${ADMIN_KEY_ENV}, or set revocation to verify and revoke the previous key in the Console`,
        });
    }
    const secrets = [adminKey];
    const problem = (answer: string, fix: string) => failed({ credential: ADMIN_KEY_ENV, target, answer, fix });
    try {
        const res = await ctx.http.send(
            { method: "GET", url: `${root}/v1/organizations/api_keys?limit=1`, headers: { "x-api-key": adminKey, "anthropic-version": ANTHROPIC_VERSION } },
            { step: "preflight admin", target, secrets },
        );
        if (res.status >= 200 && res.status < 300) return passed(target);
        const body = parseJson(res.text) as { error?: { type?: unknown; message?: unknown } } | undefined;
        const type = typeof body?.error?.type === "string" ? body.error.type : undefined;
        const message = typeof body?.error?.message === "string" ? body.error.message : undefined;
        return problem(answerOf(res.status, type, message, secrets), fixFor(res.status));
    } catch (err) {
        return problem(noAnswer(err, secrets), "check endpoints.anthropic and the network path to it, then run again");
    }
}

function fixFor(status: number): string {
    if (status === 401) return `${ADMIN_KEY_ENV} was rejected: set it to an active Admin API key (admin01 prefix, not an API key) of the organisation that owns the key`;
    if (status === 403) return "the Admin API key may not read API keys: use an Admin API key of an organisation admin";
    if (status === 404) return "check endpoints.anthropic: it must be the API root, e.g. https://api.anthropic.com";
    if (status === 429 || status >= 500) return "the Admin API kept failing after retries: wait a few minutes, then run again";
    return "check endpoints.anthropic and the Admin API key, then run again";
}
