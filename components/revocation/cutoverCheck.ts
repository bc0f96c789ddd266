import { fetchKeyUsage } from "../anthropic/usageReport";
import { errorMessage } from "../audit/auditLog";
import { systemClock } from "../time/clock";
import { ADMIN_KEY_ENV } from "./adminRecord";
import { CutoverEvidence, proveCutover, skipped } from "./cutover";
import type { RetiredKey } from "./retiredKeys";
import type { Inputs } from "./revocationInputs";

/** The cut-over proof as the revocation provider runs it: the Admin API's usage report on the real clock. */

/** The cut-over proof, or why it was skipped. Never revokes; a usage report that cannot be read is "not proven". */
export async function cutoverEvidence(news: Inputs, candidates: readonly RetiredKey[], adminKey: string | undefined): Promise<CutoverEvidence> {
    if (news.mode === "none") return skipped("revocation is none");
    if (news.emergency) return skipped("emergency: the compromised key dies first");
    if (!news.cutover.enabled) return skipped("cutover is off (cutover: false)");
    if (!adminKey) return skipped(`${ADMIN_KEY_ENV} is not set: the usage report needs an Admin API key`);
    const unknown = [...candidates.filter((k) => !k.keyId).map((k) => k.fingerprint), ...(news.keyId ? [] : [news.fingerprint])];
    if (unknown.length) return skipped(`the Admin API id of ${unknown.join(", ")} is not known (validation found no record), so its usage cannot be asked for`);
    try {
        return await proveCutover(
            {
                settings: news.cutover,
                oldKeys: candidates.map((k) => ({ fingerprint: k.fingerprint, keyId: k.keyId! })),
                newKey: { fingerprint: news.fingerprint, keyId: news.keyId! },
                fanOutAt: news.fanOutAt,
            },
            {
                clock: systemClock,
                fetch: (keyIds, from, to) => fetchKeyUsage({ adminKey, baseUrl: news.baseUrl, keyIds, startingAt: from, endingAt: to, maxTotalMs: 60_000 }),
            },
        );
    } catch (err) {
        const refused = refusedStatus(err);
        if (refused) return { decision: "not proven", reason: `the Admin API refused ${ADMIN_KEY_ENV} (${errorMessage(err)})`, keys: [], adminKeyRefused: refused };
        return { decision: "not proven", reason: `the usage report could not be read: ${errorMessage(err)}`, keys: [] };
    }
}

/** 401 or 403 from the usage report (a UsageReportError, duck-typed: the provider is serialized): the admin key is the problem. */
function refusedStatus(err: unknown): 401 | 403 | undefined {
    const status = err && typeof err === "object" && (err as { name?: unknown }).name === "UsageReportError" ? (err as { status?: unknown }).status : undefined;
    return status === 401 || status === 403 ? status : undefined;
}
