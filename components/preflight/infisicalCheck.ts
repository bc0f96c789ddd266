import {
    describeTarget,
    INFISICAL_CLIENT_ID_ENV,
    INFISICAL_CLIENT_SECRET_ENV,
    InfisicalClient,
} from "../infisical/infisicalClient";
import { CheckContext, credential } from "./checkContext";
import type { InfisicalLocation } from "./preflightInputs";
import { CheckResult, failed, merge, passed, PreflightProblem } from "./problem";
import { errorMessage } from "../audit/auditLog";

/**
 * Infisical, read-only: a Universal Auth login with INFISICAL_CLIENT_ID / INFISICAL_CLIENT_SECRET, then a read of
 * each target secret, which proves the identity reaches the project, environment and folder (a secret not there
 * yet is fine: the write creates it). The value read is dropped at once. Reading is not yet the permission to
 * edit; an identity that may read but not write still fails at the Infisical step, which is the first write.
 *
 * One client per site: one login, and a login that fails is one problem, not one per target.
 */

const CREDENTIAL = `${INFISICAL_CLIENT_ID_ENV} / ${INFISICAL_CLIENT_SECRET_ENV}`;
/** Failures that are the identity's (or the site's), not one target's: the other targets would fail alike. */
// A plain array, not a Set: a module-level Set captured into the serialized dynamic provider loses its internal
// slot ("Method Set.prototype.has called on incompatible receiver").
const SITE_WIDE: readonly string[] = ["credentials", "login", "unreachable", "deadline"];

export async function checkInfisical(locations: readonly InfisicalLocation[], ctx: CheckContext): Promise<CheckResult> {
    if (locations.length === 0) return merge([]);
    const missing = [INFISICAL_CLIENT_ID_ENV, INFISICAL_CLIENT_SECRET_ENV].filter((name) => !credential(ctx.env, name));
    if (missing.length > 0) {
        return failed({
            credential: CREDENTIAL,
            target: locations.map((l) => describeTarget(l, l.siteUrl)).join("; "),
            answer: `${missing.join(" and ")} ${missing.length === 1 ? "is" : "are"} not set in the environment of pulumi`,
            fix: "create a machine identity with Universal Auth in Infisical, give it access to the project, environment and path above, and export its client ID and a client secret (never in stack config)",
        });
    }
    const bySite = new Map<string, InfisicalLocation[]>();
    for (const l of locations) bySite.set(l.siteUrl, [...(bySite.get(l.siteUrl) ?? []), l]);
    return merge(await Promise.all([...bySite.entries()].map(([site, list]) => checkSite(site, list, ctx))));
}

async function checkSite(siteUrl: string, locations: readonly InfisicalLocation[], ctx: CheckContext): Promise<CheckResult> {
    const client = new InfisicalClient(siteUrl, { env: ctx.env });
    const [first, ...rest] = locations;
    if (!first) return merge([]);
    const head = await readOne(client, first);
    if (head.siteWide) return head.result;
    return merge([head.result, ...(await Promise.all(rest.map(async (l) => (await readOne(client, l)).result)))]);
}

async function readOne(client: InfisicalClient, location: InfisicalLocation): Promise<{ result: CheckResult; siteWide: boolean }> {
    const target = describeTarget(location, location.siteUrl);
    try {
        await client.getSecret(location);
        return { result: passed(target), siteWide: false };
    } catch (err) {
        // Duck-typed: inside the serialized provider the client's error classes lose their prototype chain.
        const kind = typeof (err as { kind?: unknown } | null)?.kind === "string" ? String((err as { kind: string }).kind) : "unexpected";
        return { result: failed(problemOf(err, target)), siteWide: SITE_WIDE.includes(kind) };
    }
}

/** InfisicalClient's messages read `<step> failed for <target>: <what>. Fix: <fix>` (already redacted). */
function problemOf(err: unknown, target: string): PreflightProblem {
    const message = errorMessage(err);
    const body = message.startsWith("infisical ") && message.includes(`${target}: `) ? message.slice(message.indexOf(`${target}: `) + target.length + 2) : message;
    const at = body.indexOf(" Fix: ");
    const answer = (at >= 0 ? body.slice(0, at) : body).replace(/\.$/, "");
    const fix = at >= 0 ? body.slice(at + " Fix: ".length) : "check siteUrl and the machine identity's access, then run again";
    return { credential: CREDENTIAL, target, answer, fix };
}
