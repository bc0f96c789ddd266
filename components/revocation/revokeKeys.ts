import { updateApiKeyStatus, ApiKeyRecord, AdminCallOptions } from "../anthropic/adminApi";
import { ADMIN_KEY_ENV, CurrentKey, findRecord, RevocationRefusal, STEP_REVOCATION } from "./adminRecord";
import { probeKey, proveDead } from "./keyProof";
import { describeKey, RetiredKey } from "./retiredKeys";
import {
    adminFailureMessage,
    ConsumerState,
    manyDeactivationProblems,
    manyStillWorkMessage,
    noAdminKeyMessage,
    probeProblem,
    seconds,
    singleStillWorksMessage,
} from "./revocationMessages";

/**
 * The revocation of every key replaced since the last proven revocation (the KeyLedger's retired keys and
 * the key the revocation resource last saw), in one of three modes:
 *
 * - `none`: nothing is done; the result lists every key left as it is.
 * - `verify`: each key must answer 401; otherwise the run fails listing each key that still works.
 * - `deactivate`: each key's Admin API record is set `inactive` (by its recorded id, else its hint), then
 *   each must answer 401 within the proof timeout. Every key that can be handled is; the run fails listing
 *   the others with the reason for each.
 *
 * Either every key is proven dead, or the function throws an Error whose message is final (the provider
 * audits it). Nothing key-shaped at module scope: captured into the serialized provider.
 */

export type RevocationMode = "none" | "verify" | "deactivate";

/** Bound on each Admin API call with its retries. */
export const ADMIN_MAX_RETRY_SECONDS = 60;

export type KeyOutcomeKind =
    | "deactivated"
    | "already inactive"
    | "already archived"
    | "already expired"
    | "verified dead"
    | "left active"
    /** Deactivated, then restored because a consumer failed its health check during the watch. */
    | "reactivated"
    | "reactivation failed";

/** What happened to one key: public (no value). */
export interface KeyOutcome {
    readonly fingerprint: string;
    readonly keyId: string | null;
    readonly outcome: KeyOutcomeKind;
    /** ISO time of its 401 proof; null when nothing was proven. */
    readonly provedAt: string | null;
}

export interface RevocationPlan {
    readonly mode: RevocationMode;
    readonly emergency: boolean;
    readonly baseUrl: string;
    readonly proofTimeoutSeconds: number;
    readonly proofIntervalSeconds: number;
    readonly current: CurrentKey;
    /** Every key to revoke, none of them the current key. */
    readonly keys: readonly RetiredKey[];
}

export interface RevocationDone {
    readonly result: string;
    readonly keys: readonly KeyOutcome[];
    /** When the last 401 was proven; null when nothing was. */
    readonly provedAt: string | null;
    /** Admin API records this call set inactive (what a reactivation would restore). */
    readonly deactivated: readonly { readonly id: string; readonly fingerprint: string }[];
}

export async function revokeKeys(plan: RevocationPlan, adminKey: string | undefined): Promise<RevocationDone> {
    if (plan.mode === "none") return skipAll(plan);
    if (plan.mode === "verify") return verifyAll(plan);
    return deactivateAll(plan, adminKey);
}

function tagOf(plan: RevocationPlan): string {
    return plan.emergency ? " (emergency)" : "";
}

function stateOf(plan: RevocationPlan): ConsumerState {
    return { emergency: plan.emergency, newFingerprint: plan.current.fingerprint, mode: plan.mode };
}

function skipAll(plan: RevocationPlan): RevocationDone {
    const keys = plan.keys.map((k): KeyOutcome => ({ fingerprint: k.fingerprint, keyId: k.keyId, outcome: "left active", provedAt: null }));
    const result =
        plan.keys.length === 1
            ? `skipped${tagOf(plan)}: revocation is none; the previous key ${plan.keys[0]!.fingerprint} was left as it is — revoke it in the Console (Settings → Keys) when no consumer needs it`
            : `skipped${tagOf(plan)}: revocation is none; ${plan.keys.length} keys replaced since the last proven revocation were left as they are (${plan.keys.map(describeKey).join(", ")}) — ` +
              `revoke them in the Console (Settings → Keys) when no consumer needs them; the next rotation with verify or deactivate will require them dead`;
    return { result, keys, provedAt: null, deactivated: [] };
}

async function verifyAll(plan: RevocationPlan): Promise<RevocationDone> {
    const started = Date.now();
    const probes = await Promise.all(plan.keys.map((k) => probeKey(k.value, { baseUrl: plan.baseUrl, secrets: [plan.current.apiKey] })));
    const provedAt = new Date().toISOString();
    const dead = plan.keys.filter((_, i) => probes[i]!.kind === "dead");
    const notDead = plan.keys.map((k, i) => ({ k, probe: probes[i]! })).filter((x) => x.probe.kind !== "dead");
    if (notDead.length > 0) {
        if (plan.keys.length === 1) throw new Error(singleStillWorksMessage(plan.keys[0]!, notDead[0]!.probe, plan.baseUrl, stateOf(plan)));
        throw new Error(manyStillWorkMessage(notDead.map((x) => probeProblem(x.k, x.probe, plan.baseUrl)), plan.keys.length, dead, stateOf(plan)));
    }
    const took = seconds(Date.now() - started);
    const result =
        plan.keys.length === 1
            ? `verified${tagOf(plan)}: the previous key ${plan.keys[0]!.fingerprint} answers 401 (checked in ${took})`
            : `verified${tagOf(plan)}: all ${plan.keys.length} keys replaced since the last proven revocation answer 401: ${plan.keys.map(describeKey).join(", ")} (checked in ${took})`;
    return { result, keys: plan.keys.map((k) => ({ fingerprint: k.fingerprint, keyId: k.keyId, outcome: "verified dead", provedAt })), provedAt, deactivated: [] };
}

interface Handled {
    readonly key: RetiredKey;
    readonly record: ApiKeyRecord;
    readonly outcome: KeyOutcomeKind;
}

async function deactivateAll(plan: RevocationPlan, adminKey: string | undefined): Promise<RevocationDone> {
    if (!adminKey) throw new Error(noAdminKeyMessage(plan.keys));
    const admin: AdminCallOptions = { adminKey, baseUrl: plan.baseUrl, maxRetrySeconds: ADMIN_MAX_RETRY_SECONDS };
    const started = Date.now();
    const handled: Handled[] = [];
    const problems: string[] = [];
    const deactivated: { id: string; fingerprint: string }[] = [];

    // One key at a time: the Admin API is rate limited, and a failure is reported per key.
    for (const key of plan.keys) {
        let record: ApiKeyRecord;
        try {
            record = await findRecord(admin, key, plan.current);
        } catch (err) {
            problems.push(err instanceof RevocationRefusal ? err.message : adminFailureMessage("find the previous key's record", err, key, plan.baseUrl));
            continue;
        }
        if (record.status !== "active") {
            handled.push({ key, record, outcome: `already ${record.status}` as KeyOutcomeKind });
            continue;
        }
        let updated: ApiKeyRecord;
        try {
            updated = await updateApiKeyStatus(admin, record.id, "inactive");
        } catch (err) {
            problems.push(adminFailureMessage(`set ${record.id} to inactive`, err, key, plan.baseUrl));
            continue;
        }
        if (updated.status !== "inactive") {
            problems.push(
                `${STEP_REVOCATION}: the Admin API accepted the deactivation of ${record.id} (previous key ${key.fingerprint}) but reports its status as ${updated.status}; ` +
                    `check the key in the Console (Settings → Keys), revoke it there if needed, and run \`pulumi up\` again.`,
            );
            continue;
        }
        deactivated.push({ id: record.id, fingerprint: key.fingerprint });
        handled.push({ key, record, outcome: "deactivated" });
    }

    const proofs = await Promise.all(
        handled.map((h) =>
            proveDead(h.key.value, {
                baseUrl: plan.baseUrl,
                timeoutMs: plan.proofTimeoutSeconds * 1000,
                intervalMs: plan.proofIntervalSeconds * 1000,
                secrets: [adminKey, plan.current.apiKey],
            }),
        ),
    );
    const provedAt = new Date().toISOString();
    const proven: Handled[] = [];
    handled.forEach((h, i) => {
        const proof = proofs[i]!;
        if (proof.proven) {
            proven.push(h);
            return;
        }
        const action = h.outcome === "deactivated" ? `deactivated ${h.record.id}` : `${h.record.id} was ${h.outcome}`;
        const last = proof.last.kind === "dead" ? "HTTP 401" : proof.last.detail;
        problems.push(
            `${STEP_REVOCATION}: ${action} (previous key ${h.key.fingerprint}), but the key still did not answer 401 after ${seconds(proof.elapsedMs)} ` +
                `(${proof.attempts} probe(s), last answer ${last}). The deactivation may still be propagating: run \`pulumi up\` again in a few minutes ` +
                `(it re-checks the status and the 401 without deactivating twice), or raise proofTimeoutSeconds (now ${plan.proofTimeoutSeconds}). ` +
                `If it keeps working, revoke it in the Console (Settings → Keys).`,
        );
    });

    const actionOf = (h: Handled) => (h.outcome === "deactivated" ? `deactivated ${h.record.id}` : `${h.record.id} was ${h.outcome}`);
    if (problems.length > 0) {
        if (plan.keys.length === 1) throw new Error(problems[0]!);
        throw new Error(manyDeactivationProblems(problems, plan.keys.length, proven.map((h) => `${actionOf(h)} (${h.key.fingerprint}), 401 proven`)));
    }
    const took = seconds(Date.now() - started);
    const result =
        proven.length === 1
            ? `${actionOf(proven[0]!)}${tagOf(plan)}; 401 proven after ${took}`
            : `${proven.map((h) => `${actionOf(h)} (${h.key.fingerprint})`).join(", ")}${tagOf(plan)}; 401 proven for all ${proven.length} keys after ${took}`;
    return {
        result,
        keys: proven.map((h) => ({ fingerprint: h.key.fingerprint, keyId: h.record.id, outcome: h.outcome, provedAt })),
        provedAt,
        deactivated,
    };
}

/** Re-exported for the provider's messages. */
export { ADMIN_KEY_ENV, STEP_REVOCATION };
