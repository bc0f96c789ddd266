import { ADMIN_KEY_ENV, STEP_REVOCATION } from "./adminRecord";
import type { CutoverEvidence, CutoverSettings } from "./cutover";

/** What the operator reads about the cut-over proof: one clause in the result, or the reason nothing was revoked. */

export function cutoverSentence(e: CutoverEvidence): string {
    if (e.decision === "proven") return `; cut-over proven by the usage report (${e.reason})`;
    if (e.decision === "skipped") return `; cut-over not checked (${e.reason})`;
    return "";
}

export function cutoverFailureMessage(e: CutoverEvidence, s: CutoverSettings, newFingerprint: string, mode: string): string {
    const waited = e.waitedSeconds !== undefined ? ` after ${Math.round(e.waitedSeconds / 6) / 10} min (${e.polls} look${e.polls === 1 ? "" : "s"})` : "";
    const oldBusy = e.keys.some((k) => k.role === "old" && k.requests > 0);
    const meaning = e.adminKeyRefused
        ? adminKeyRefusedMeaning(e.adminKeyRefused, newFingerprint)
        : oldBusy
          ? `That means a consumer that is not in targets (or one that did not restart) still uses the old key, while every consumer in targets already has the new key ${newFingerprint}. ` +
            `Find it (Console → Usage, filter by the key id above), move it to the new key, then run \`pulumi up\` again.`
          : e.keys.length
            ? `That means no consumer has been seen using the new key ${newFingerprint} yet: check that the consumers restarted with it (Heroku: \`heroku ps -a <app>\`), then run \`pulumi up\` again; ` +
              `or lower cutover.minNewKeyRequests.`
            : `Run \`pulumi up\` again once the Admin API answers, or set cutover: false to revoke without the usage proof.`;
    return (
        `${STEP_REVOCATION}: nothing was ${mode === "deactivate" ? "deactivated" : "revoked"} — the usage report does not prove the cut-over${waited}: ${e.reason}. ${meaning} ` +
        `(cutover: idleMinutes ${s.idleMinutes}, minNewKeyRequests ${s.minNewKeyRequests}, maxWaitMinutes ${s.maxWaitMinutes}, dataLagMinutes ${s.dataLagMinutes}.)`
    );
}

/** Not an outage: retrying (or `cutover: false`, whose deactivation needs the same key) does not help until the key is fixed. */
function adminKeyRefusedMeaning(status: 401 | 403, newFingerprint: string): string {
    const fix =
        status === 401
            ? `${ADMIN_KEY_ENV} was rejected: set it to an active Admin API key (admin01 prefix; Console → Settings → Admin keys) of the organisation that owns the keys`
            : `${ADMIN_KEY_ENV} may not read the usage report: use an Admin API key of an organisation admin`;
    return `${fix}, then run \`pulumi up\` again. Every consumer in targets already has the new key ${newFingerprint}.`;
}
