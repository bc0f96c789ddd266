import { STEP_REVOCATION } from "./adminRecord";
import { describeKey, RetiredKey } from "./retiredKeys";
import type { Inputs } from "./revocationInputs";

/** Refusals decided before anything is revoked: each returns the final message, or undefined to go ahead. */

/**
 * Emergency mode names the key it is for: refuse (before anything is done) when that key is not among the
 * keys being replaced. This is what stops a forgotten `emergency` setting from killing a healthy key.
 */
export function compromisedKeyRefusal(news: Inputs, candidates: readonly RetiredKey[]): string | undefined {
    if (!news.emergency || !news.compromisedKey) return undefined;
    const named = news.compromisedKey;
    if (candidates.some((k) => k.fingerprint === named || (k.keyId !== null && k.keyId === named))) return undefined;
    if (named === news.fingerprint || (news.keyId !== null && named === news.keyId)) {
        return (
            `${STEP_REVOCATION}: refused: emergency.compromisedKey (${named}) is the NEW key ${news.fingerprint}, not a key being replaced; nothing was revoked and no consumer was written. ` +
            `Set emergency.compromisedKey to the leaked key's fingerprint (the \`fingerprint\` stack output before this rotation, or the audit log's newFingerprint): ` +
            `pulumi config set --path emergency.compromisedKey sha256:… -s <stack>.`
        );
    }
    const list = candidates.length ? candidates.map(describeKey).join(", ") : "none: no key reached a consumer since the last proven revocation";
    return (
        `${STEP_REVOCATION}: refused: emergency.compromisedKey (${named}) is not among the keys this rotation replaces (${list}), so nothing was revoked and no consumer was written. ` +
        `If the leaked key is already dead, or this is a scheduled rotation with the emergency setting left over, remove it: pulumi config rm emergency -s <stack>. ` +
        `If the leaked key belongs to another stack, rotate that stack. An Admin API id matches only when validation recorded it: use the fingerprint (sha256:…).`
    );
}

/**
 * A consumer removed from `targets` keeps its copy of the key (unless it was configured with removeOnDelete):
 * revoking that key would break it silently. Refuse, naming each one, unless acknowledged. Not in an emergency
 * (the leaked key dies whatever holds it) and not with `none` (nothing is revoked).
 */
export function removedConsumerRefusal(news: Inputs, candidates: readonly RetiredKey[]): string | undefined {
    if (news.emergency || news.mode === "none") return undefined;
    const current = new Set(news.consumers.map((c) => c.id));
    const acknowledged = new Set(news.acknowledgedRemovals);
    const orphans: string[] = [];
    for (const k of candidates) {
        for (const h of k.holders) {
            if (current.has(h.id) || h.removeOnDelete || acknowledged.has(h.id)) continue;
            orphans.push(`${h.id} still holds ${describeKey(k)}`);
        }
    }
    if (orphans.length === 0) return undefined;
    const first = orphans[0]!.replace(/ still holds .*$/, "");
    return (
        `${STEP_REVOCATION}: refused: ${orphans.length === 1 ? "a consumer" : `${orphans.length} consumers`} removed from targets still ${orphans.length === 1 ? "holds a key" : "hold keys"} this run would revoke, ` +
        `and would break silently:\n - ${orphans.join("\n - ")}\nNothing was revoked. Either give ${orphans.length === 1 ? "that consumer" : "each of them"} the new key before ${orphans.length === 1 ? "it goes" : "they go"} ` +
        `(put it back in targets with removeOnDelete: true and run \`pulumi up\`, then remove it: its copy of the key is deleted with it), ` +
        `or, if it is gone or may break, acknowledge it: pulumi config set --path 'revocation.acknowledgeRemoved[0]' '${first}' -s <stack>; then run \`pulumi up\` again.`
    );
}
