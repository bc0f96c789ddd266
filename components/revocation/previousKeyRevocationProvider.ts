import type * as dynamic from "@pulumi/pulumi/dynamic";
import { auditContextProblems, AUDIT_ACTION_ROLLED_BACK, errorMessage } from "../audit/auditLog";
import { auditedFailure } from "../audit/notifyingAudit";
import { fingerprint, isFingerprint } from "../domain/fingerprint";
import { redact } from "../domain/keyFormat";
import { UNKNOWN } from "../dynamic/unknown";
import { checkOnce } from "../health/checkOnce";
import { systemClock } from "../time/clock";
import { normalizeApiRoot, normalizeUrlInput } from "../http/urls";
import { ADMIN_KEY_ENV, STEP_REVOCATION } from "./adminRecord";
import type { CutoverEvidence } from "./cutover";
import { cutoverEvidence } from "./cutoverCheck";
import { cutoverFailureMessage, cutoverSentence } from "./cutoverMessages";
import { compromisedKeyRefusal, removedConsumerRefusal } from "./refusals";
import { mergeRetired, RetiredKey, retiredFingerprints } from "./retiredKeys";
import {
    canonical,
    COMPROMISED_KEY,
    DEFAULT_PROOF_INTERVAL_SECONDS,
    DEFAULT_PROOF_TIMEOUT_SECONDS,
    DEFAULT_WATCH_INTERVAL_SECONDS,
    DEFAULT_WATCH_MINUTES,
    fingerprintsOf,
    Inputs,
    inputsOf,
    keysOf,
    MODES,
    Props,
    Settings,
    settingsOf,
} from "./revocationInputs";
import { ADMIN_MAX_RETRY_SECONDS, KeyOutcome, revokeKeys, RevocationMode } from "./revokeKeys";
import { isRolledBack, watchOrUndo } from "./undoableDeactivation";

/**
 * The dynamic provider behind `pulumi-nodejs:dynamic/anthropic:PreviousKeyRevocation` (SOP step 7).
 *
 * The keys to revoke are every key replaced since the last proven revocation: the KeyLedger's `retiredKeys`
 * (recorded before any consumer was written, so a rotation that failed halfway still left them on record)
 * and the key this resource held before (its state from the last successful run). The current key is never
 * among them. See revokeKeys.ts for what each mode does with them.
 *
 * A failed update leaves the engine's state as it was, and the ledger still lists every key, so the next
 * `pulumi up` retries all of them. Every failure appends a `secret.rotate.failed` line (step "revocation")
 * and is redacted with every key involved.
 *
 * Emergency (`emergency` + `compromisedKey`): the resource runs before the fan-out, and refuses to act when
 * the compromised key is not among the keys being replaced, so an `emergency` setting left in the config
 * cannot turn a scheduled rotation into an outage.
 *
 * Serialization: no credentials captured (the admin key is read from process.env inside update), no npm
 * module at module scope (the SDK is required inside components/anthropic/client.ts at call time).
 */

export { ADMIN_KEY_ENV, STEP_REVOCATION };
export type { RevocationMode, KeyOutcome };
export { DEFAULT_PROOF_INTERVAL_SECONDS, DEFAULT_PROOF_TIMEOUT_SECONDS, DEFAULT_WATCH_INTERVAL_SECONDS, DEFAULT_WATCH_MINUTES };
export const RESULT_NO_PREVIOUS_KEY = "no previous key";

/** The settings it ran with (revocationInputs.ts), and what it did. */
export interface PreviousKeyRevocationOutputs extends Settings {
    /** The CURRENT key (secret: same name as the secret input). Replaced keys are never outputs. */
    readonly apiKey: string;
    readonly fingerprint: string;
    /** Fingerprint of the key this resource held before the last key change; null on the first run. */
    readonly previousFingerprint: string | null;
    /** Admin API id of that key, when known. */
    readonly previousKeyId: string | null;
    /** Every key the last revocation handled, with what happened to it. */
    readonly keys: readonly KeyOutcome[];
    /** The usage evidence of the cut-over (or why it was skipped); null when nothing was revoked. */
    readonly cutoverEvidence: CutoverEvidence | null;
    /** Sorted fingerprints of the `retiredKeys` input at the last success (diff compares them). */
    readonly retiredFingerprints: readonly string[];
    /** e.g. "deactivated apikey_…; 401 proven after 2.1 s". */
    readonly result: string;
    /** ISO time of the last 401 proof; null when nothing was proven. */
    readonly provedAt: string | null;
    /** { mode, result, keys } for the audit record. */
    readonly summary: { readonly mode: RevocationMode; readonly result: string; readonly keys: readonly KeyOutcome[]; readonly cutover?: CutoverEvidence };
}

interface Outcome {
    readonly previousFingerprint: string | null;
    readonly previousKeyId: string | null;
    readonly keys: readonly KeyOutcome[];
    readonly cutover?: CutoverEvidence | null;
    readonly result: string;
    readonly provedAt: string | null;
}

export const previousKeyRevocationProvider: dynamic.ResourceProvider = {
    async check(_olds: Props, news: Props): Promise<dynamic.CheckResult> {
        const failures: dynamic.CheckFailure[] = [];
        const known = (v: unknown) => v !== UNKNOWN;
        const given = (v: unknown) => v !== undefined && v !== null && v !== "" && known(v);
        const fail = (property: string, reason: string) => failures.push({ property, reason: redact(reason) });
        const apiKey = news.apiKey;
        if (known(apiKey) && (typeof apiKey !== "string" || apiKey.trim().length === 0)) fail("apiKey", "apiKey (the current key) is required");
        if (known(news.fingerprint)) {
            if (!isFingerprint(news.fingerprint)) fail("fingerprint", "fingerprint must look like sha256:<12 hex digits>");
            else if (typeof apiKey === "string" && known(apiKey) && apiKey.trim() && fingerprint(apiKey.trim()) !== news.fingerprint) {
                fail("fingerprint", "fingerprint does not match apiKey; compute it with fingerprint(apiKey) from components/domain");
            }
        }
        const mode = news.mode ?? "verify";
        if (known(mode) && (typeof mode !== "string" || !MODES.includes(mode))) fail("mode", "revocation must be none, verify or deactivate");
        if (given(news.emergency) && typeof news.emergency !== "boolean") fail("emergency", "emergency must be true or false");
        if (news.emergency === true && mode === "none") {
            fail(
                "mode",
                "emergency rotation needs revocation deactivate (the Admin API deactivates the leaked key before any consumer is written) or verify (you revoke it in the Console first); " +
                    "set anthropic-key-rotation:revocation to deactivate, or set emergency to false",
            );
        }
        if (given(news.compromisedKey) && (typeof news.compromisedKey !== "string" || !COMPROMISED_KEY.test(news.compromisedKey))) {
            fail("compromisedKey", "compromisedKey must be the leaked key's fingerprint (sha256:<12 hex digits>) or Admin API id (apikey_…)");
        }
        if (given(news.keyId) && (typeof news.keyId !== "string" || !/^apikey_[A-Za-z0-9]+$/.test(news.keyId))) fail("keyId", "keyId must be an Admin API key id like apikey_01AbC…");
        if (given(news.baseUrl) && (typeof news.baseUrl !== "string" || !/^https?:\/\/[^\s/]+/.test(news.baseUrl))) {
            fail("baseUrl", "baseUrl must be an http(s) URL such as https://api.anthropic.com");
        }
        if (given(news.retiredKeys) && !Array.isArray(news.retiredKeys)) fail("retiredKeys", "retiredKeys must be the KeyLedger's retiredKeys output (a list)");
        for (const [field, max] of [["proofTimeoutSeconds", 3600], ["proofIntervalSeconds", 300], ["watchIntervalSeconds", 300]] as const) {
            const v = news[field];
            if (given(v) && (typeof v !== "number" || !(v > 0) || v > max)) fail(field, `${field} must be a number of seconds above 0 and at most ${max}`);
        }
        if (given(news.watchMinutes) && (typeof news.watchMinutes !== "number" || news.watchMinutes < 0 || news.watchMinutes > 60)) {
            fail("watchMinutes", "watchMinutes must be a number of minutes from 0 (no watch) to 60");
        }
        if (given(news.healthChecks) && (!Array.isArray(news.healthChecks) || news.healthChecks.some((c) => known(c) && (!c || typeof c !== "object" || typeof (c as Props).url !== "string")))) {
            fail("healthChecks", "healthChecks must be the stack's health checks, a list of {url, expect?}");
        }
        for (const problem of auditContextProblems(news.audit, (v) => !known(v))) fail("audit", problem);
        const inputs: Props = { ...news, mode };
        // The normal form the outputs hold (diff compares settings in that form too).
        if (typeof news.baseUrl === "string" && news.baseUrl !== "") inputs.baseUrl = normalizeUrlInput(news.baseUrl, normalizeApiRoot);
        if (typeof apiKey === "string" && known(apiKey)) inputs.apiKey = apiKey.trim();
        return { inputs, failures };
    },

    async diff(_id: string, olds: Props, news: Props): Promise<dynamic.DiffResult> {
        let changes = false;
        if (news.fingerprint === UNKNOWN || news.fingerprint !== olds.fingerprint) changes = true;
        // Settings compared with their defaults applied (the outputs hold them filled in), so an unchanged
        // program is "no change" and a preview shows an update only when something really changed.
        const before = settingsOf(olds);
        const after = settingsOf(news);
        for (const field of Object.keys(after) as (keyof Settings)[]) {
            if (news[field] === UNKNOWN || canonical(after[field]) !== canonical(before[field])) changes = true;
        }
        if (news.audit === UNKNOWN || canonical(news.audit ?? null) !== canonical(olds.audit ?? null)) changes = true;
        // A key joined (or left) the ledger: it must be proven dead.
        if (news.retiredKeys === UNKNOWN || canonical(retiredFingerprints(news.retiredKeys)) !== canonical(fingerprintsOf(olds.retiredFingerprints))) changes = true;
        return { changes, replaces: [], deleteBeforeReplace: false };
    },

    async create(props: Props): Promise<dynamic.CreateResult> {
        const news = inputsOf(props);
        const candidates = mergeRetired([news.retiredKeys], news.fingerprint);
        if (candidates.length > 0) return { id: idOf(news), outs: outputs(news, await revoke(news, candidates, null)) };
        if (news.emergency && news.mode !== "none") {
            warn(
                `revocation: emergency rotation, but this stack has no previous key in its state (first run), so nothing was ${news.mode === "deactivate" ? "deactivated" : "verified"}. ` +
                    `Deactivate the leaked key${news.compromisedKey ? ` ${news.compromisedKey}` : ""} now in the Console (Settings → Keys) if you have not already.`,
            );
        }
        return { id: idOf(news), outs: outputs(news, { previousFingerprint: null, previousKeyId: null, keys: [], result: RESULT_NO_PREVIOUS_KEY, provedAt: null }) };
    },

    async update(_id: string, olds: Props, props: Props): Promise<dynamic.UpdateResult> {
        const news = inputsOf(props);
        const oldKey = typeof olds.apiKey === "string" && olds.apiKey.trim() ? olds.apiKey.trim() : undefined;
        const oldFingerprint = oldKey ? fingerprint(oldKey) : null;
        const keyChanged = oldFingerprint !== null && oldFingerprint !== news.fingerprint;
        const held: RetiredKey[] = keyChanged
            ? [{ value: oldKey!, fingerprint: oldFingerprint, keyId: typeof olds.keyId === "string" && olds.keyId ? olds.keyId : null, since: new Date().toISOString(), holders: [] }]
            : [];
        // The ledger's list is in the order the keys were replaced; the key this resource held is normally its first.
        const candidates = mergeRetired([news.retiredKeys, held], news.fingerprint);
        const proven = new Set(keysOf(olds.keys).filter((k) => k.provedAt !== null).map((k) => k.fingerprint));

        // Same key, and every key still listed was already proven dead (or nothing is listed): keep the last outcome.
        if (!keyChanged && candidates.every((k) => proven.has(k.fingerprint))) {
            return {
                outs: outputs(news, {
                    previousFingerprint: typeof olds.previousFingerprint === "string" ? olds.previousFingerprint : null,
                    previousKeyId: typeof olds.previousKeyId === "string" ? olds.previousKeyId : null,
                    keys: keysOf(olds.keys),
                    result: typeof olds.result === "string" ? olds.result : RESULT_NO_PREVIOUS_KEY,
                    provedAt: typeof olds.provedAt === "string" ? olds.provedAt : null,
                }),
            };
        }
        const previous = keyChanged ? held[0]! : null;
        return { outs: outputs(news, await revoke(news, candidates, previous)) };
    },

    async read(id: string, props?: Props): Promise<dynamic.ReadResult> {
        // Nothing remote to reconcile: replaced keys leave the state once proven dead.
        return { id, props: props ?? {} };
    },

    async delete(): Promise<void> {
        // Never revokes anything on destroy: the current key is in use by every consumer.
    },
};

async function revoke(news: Inputs, candidates: readonly RetiredKey[], previous: RetiredKey | null): Promise<Outcome> {
    const secrets = [news.apiKey, ...candidates.map((k) => k.value)];
    const adminKey = process.env[ADMIN_KEY_ENV]?.trim() || undefined;
    const notify = { notifications: news.notifications };
    const fail = (message: string): Promise<Error> =>
        auditedFailure(
            news.audit,
            STEP_REVOCATION,
            message,
            { oldFingerprint: news.replacedFingerprint ?? previous?.fingerprint ?? candidates[candidates.length - 1]?.fingerprint ?? null, revocation: { mode: news.mode, result: "failed" } },
            [...secrets, ...(adminKey ? [adminKey] : [])],
            notify,
        );

    const refusal = compromisedKeyRefusal(news, candidates) ?? removedConsumerRefusal(news, candidates);
    if (refusal) throw await fail(refusal);
    if (candidates.length === 0) {
        return { previousFingerprint: previous?.fingerprint ?? null, previousKeyId: previous?.keyId ?? null, keys: [], result: RESULT_NO_PREVIOUS_KEY, provedAt: null };
    }
    // Before anything irreversible: the usage report must show the old keys idle and the new one in use.
    const cutover = await cutoverEvidence(news, candidates, adminKey);
    if (cutover.decision === "not proven") {
        throw await auditedFailure(
            news.audit,
            STEP_REVOCATION,
            cutoverFailureMessage(cutover, news.cutover, news.fingerprint, news.mode),
            { oldFingerprint: news.replacedFingerprint ?? previous?.fingerprint ?? null, revocation: { mode: news.mode, result: "failed: cut-over not proven", cutover } },
            [...secrets, ...(adminKey ? [adminKey] : [])],
            notify,
        );
    }
    let done: Awaited<ReturnType<typeof revokeKeys>>;
    try {
        done = await revokeKeys(
            {
                mode: news.mode,
                emergency: news.emergency,
                baseUrl: news.baseUrl,
                proofTimeoutSeconds: news.proofTimeoutSeconds,
                proofIntervalSeconds: news.proofIntervalSeconds,
                current: { apiKey: news.apiKey, fingerprint: news.fingerprint, keyId: news.keyId },
                keys: candidates,
            },
            adminKey,
        );
    } catch (err) {
        // verify: the operator is told whether the usage data says revoking is safe.
        throw await fail(`${errorMessage(err)}${news.mode === "verify" && cutover.decision === "proven" ? ` Usage report: ${cutover.reason}; revoking is safe.` : ""}`);
    }
    if (news.mode === "none") warn(`revocation: ${done.result}`);
    let watched = "";
    try {
        watched = await watchOrUndo(
            done,
            { minutes: news.watchMinutes, intervalSeconds: news.watchIntervalSeconds, checks: news.healthChecks },
            {
                emergency: news.emergency,
                newFingerprint: news.fingerprint,
                admin: adminKey ? { adminKey, baseUrl: news.baseUrl, maxRetrySeconds: ADMIN_MAX_RETRY_SECONDS } : undefined,
                clock: systemClock,
                check: checkOnce,
            },
        );
    } catch (err) {
        if (!isRolledBack(err)) throw await fail(errorMessage(err));
        throw await auditedFailure(
            news.audit,
            STEP_REVOCATION,
            err.message,
            {
                oldFingerprint: news.replacedFingerprint ?? previous?.fingerprint ?? null,
                revocation: { mode: news.mode, result: err.restoredAll ? "rolled back: keys reactivated" : "rollback failed: a key could not be reactivated", keys: err.keys },
            },
            [...secrets, ...(adminKey ? [adminKey] : [])],
            notify,
            AUDIT_ACTION_ROLLED_BACK,
        );
    }
    const previousOutcome = previous ? done.keys.find((k) => k.fingerprint === previous.fingerprint) : undefined;
    return {
        previousFingerprint: previous?.fingerprint ?? null,
        previousKeyId: previousOutcome?.keyId ?? previous?.keyId ?? null,
        keys: done.keys,
        result: `${done.result}${cutoverSentence(cutover)}${watched}`,
        provedAt: done.provedAt,
        cutover,
    };
}

function outputs(news: Inputs, outcome: Outcome): PreviousKeyRevocationOutputs & { audit?: unknown } {
    const result = redact(outcome.result, [news.apiKey]);
    return {
        apiKey: news.apiKey,
        fingerprint: news.fingerprint,
        keyId: news.keyId,
        mode: news.mode,
        emergency: news.emergency,
        compromisedKey: news.compromisedKey,
        baseUrl: news.baseUrl,
        proofTimeoutSeconds: news.proofTimeoutSeconds,
        proofIntervalSeconds: news.proofIntervalSeconds,
        watchMinutes: news.watchMinutes,
        watchIntervalSeconds: news.watchIntervalSeconds,
        healthChecks: news.healthChecks,
        ...(news.rawAudit !== undefined ? { audit: news.rawAudit } : {}),
        previousFingerprint: outcome.previousFingerprint,
        previousKeyId: outcome.previousKeyId,
        keys: outcome.keys,
        cutoverEvidence: outcome.cutover ?? null,
        retiredFingerprints: news.retiredKeys.map((k) => k.fingerprint).sort(),
        result,
        provedAt: outcome.provedAt,
        summary: { mode: news.mode, result, keys: outcome.keys, ...(outcome.cutover ? { cutover: outcome.cutover } : {}) },
    };
}

function idOf(news: Inputs): string {
    return `${news.audit?.environment ?? "anthropic"}-previous-key`;
}

function warn(message: string): void {
    const text = redact(message);
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded at run time, never serialized
        const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
        void pulumi.log.warn(text);
    } catch {
        console.warn(text);
    }
}
