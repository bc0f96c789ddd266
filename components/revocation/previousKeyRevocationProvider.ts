import type * as dynamic from "@pulumi/pulumi/dynamic";
import { auditContextOf, auditContextProblems, auditedError, AuditContext, AUDIT_ACTION_ROLLED_BACK, errorMessage } from "../audit/auditLog";
import { fingerprint, isFingerprint } from "../domain/fingerprint";
import { redact } from "../domain/keyFormat";
import { UNKNOWN } from "../dynamic/unknown";
import { fetchKeyUsage } from "../anthropic/usageReport";
import { checkOnce, HealthCheckSpec } from "../health/checkOnce";
import { systemClock } from "../time/clock";
import { normalizeApiRoot, normalizeUrlInput } from "../http/urls";
import { ADMIN_KEY_ENV, STEP_REVOCATION } from "./adminRecord";
import { consumerRefsOf, ConsumerRef } from "./consumers";
import { CutoverEvidence, CutoverSettings, DEFAULT_CUTOVER, proveCutover, skipped } from "./cutover";
import { cutoverFailureMessage, cutoverSentence } from "./cutoverMessages";
import { normalizeBaseUrl } from "./keyProof";
import { describeKey, mergeRetired, RetiredKey, retiredFingerprints, retiredKeysOf } from "./retiredKeys";
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
export const DEFAULT_PROOF_TIMEOUT_SECONDS = 60;
export const DEFAULT_PROOF_INTERVAL_SECONDS = 2;
export const RESULT_NO_PREVIOUS_KEY = "no previous key";
export const DEFAULT_WATCH_MINUTES = 5;
export const DEFAULT_WATCH_INTERVAL_SECONDS = 30;

const MODES: readonly string[] = ["none", "verify", "deactivate"];
const COMPROMISED_KEY = /^(sha256:[0-9a-f]{12}|apikey_[A-Za-z0-9]+)$/;

type Props = Record<string, unknown>;

export interface PreviousKeyRevocationOutputs {
    /** The CURRENT key (secret: same name as the secret input). Replaced keys are never outputs. */
    readonly apiKey: string;
    readonly fingerprint: string;
    readonly keyId: string | null;
    readonly mode: RevocationMode;
    readonly emergency: boolean;
    readonly compromisedKey: string | null;
    readonly baseUrl: string;
    readonly proofTimeoutSeconds: number;
    readonly proofIntervalSeconds: number;
    readonly watchMinutes: number;
    readonly watchIntervalSeconds: number;
    readonly healthChecks: readonly HealthCheckSpec[];
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

interface Settings {
    readonly keyId: string | null;
    readonly mode: RevocationMode;
    readonly emergency: boolean;
    readonly compromisedKey: string | null;
    readonly baseUrl: string;
    readonly proofTimeoutSeconds: number;
    readonly proofIntervalSeconds: number;
    readonly watchMinutes: number;
    readonly watchIntervalSeconds: number;
    readonly healthChecks: readonly HealthCheckSpec[];
}

interface Inputs extends Settings {
    readonly apiKey: string;
    readonly fingerprint: string;
    readonly retiredKeys: RetiredKey[];
    /** The key the consumers held before this rotation (KeyLedger.previousFingerprint), for the audit. */
    readonly replacedFingerprint: string | null;
    /** The consumers in the config now. */
    readonly consumers: ConsumerRef[];
    /** Removed consumers the operator accepts to break (`revocation.acknowledgeRemoved`). */
    readonly acknowledgedRemovals: string[];
    readonly cutover: CutoverSettings;
    /** When the new key reached the consumers (KeyLedger.since). */
    readonly fanOutAt: string | null;
    readonly audit: AuditContext | undefined;
    readonly rawAudit: unknown;
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
    const fail = (message: string): Error =>
        auditedError(
            news.audit,
            STEP_REVOCATION,
            message,
            { oldFingerprint: news.replacedFingerprint ?? previous?.fingerprint ?? candidates[candidates.length - 1]?.fingerprint ?? null, revocation: { mode: news.mode, result: "failed" } },
            [...secrets, ...(adminKey ? [adminKey] : [])],
        );

    const refusal = compromisedKeyRefusal(news, candidates) ?? removedConsumerRefusal(news, candidates);
    if (refusal) throw fail(refusal);
    if (candidates.length === 0) {
        return { previousFingerprint: previous?.fingerprint ?? null, previousKeyId: previous?.keyId ?? null, keys: [], result: RESULT_NO_PREVIOUS_KEY, provedAt: null };
    }
    // Before anything irreversible: the usage report must show the old keys idle and the new one in use.
    const cutover = await cutoverEvidence(news, candidates, adminKey);
    if (cutover.decision === "not proven") {
        throw auditedError(
            news.audit,
            STEP_REVOCATION,
            cutoverFailureMessage(cutover, news.cutover, news.fingerprint, news.mode),
            { oldFingerprint: news.replacedFingerprint ?? previous?.fingerprint ?? null, revocation: { mode: news.mode, result: "failed: cut-over not proven", cutover } },
            [...secrets, ...(adminKey ? [adminKey] : [])],
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
        throw fail(`${errorMessage(err)}${news.mode === "verify" && cutover.decision === "proven" ? ` Usage report: ${cutover.reason}; revoking is safe.` : ""}`);
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
        if (!isRolledBack(err)) throw fail(errorMessage(err));
        throw auditedError(
            news.audit,
            STEP_REVOCATION,
            err.message,
            {
                oldFingerprint: news.replacedFingerprint ?? previous?.fingerprint ?? null,
                revocation: { mode: news.mode, result: err.restoredAll ? "rolled back: keys reactivated" : "rollback failed: a key could not be reactivated", keys: err.keys },
            },
            [...secrets, ...(adminKey ? [adminKey] : [])],
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

/** The cut-over proof, or why it was skipped. Never revokes; a usage report that cannot be read is "not proven". */
async function cutoverEvidence(news: Inputs, candidates: readonly RetiredKey[], adminKey: string | undefined): Promise<CutoverEvidence> {
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
        return { decision: "not proven", reason: `the usage report could not be read: ${errorMessage(err)}`, keys: [] };
    }
}

/**
 * Emergency mode names the key it is for: refuse (before anything is done) when that key is not among the
 * keys being replaced. This is what stops a forgotten `emergency` setting from killing a healthy key.
 */
function compromisedKeyRefusal(news: Inputs, candidates: readonly RetiredKey[]): string | undefined {
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
function removedConsumerRefusal(news: Inputs, candidates: readonly RetiredKey[]): string | undefined {
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

/** The settings with defaults applied, from inputs or outputs. Never throws. */
function settingsOf(props: Props): Settings {
    const num = (v: unknown, d: number) => (typeof v === "number" && v > 0 ? v : d);
    return {
        keyId: typeof props.keyId === "string" && props.keyId ? props.keyId : null,
        mode: (typeof props.mode === "string" && MODES.includes(props.mode) ? props.mode : "verify") as RevocationMode,
        emergency: props.emergency === true,
        compromisedKey: typeof props.compromisedKey === "string" && props.compromisedKey ? props.compromisedKey : null,
        baseUrl: normalizeBaseUrl(typeof props.baseUrl === "string" ? props.baseUrl : undefined),
        proofTimeoutSeconds: num(props.proofTimeoutSeconds, DEFAULT_PROOF_TIMEOUT_SECONDS),
        proofIntervalSeconds: num(props.proofIntervalSeconds, DEFAULT_PROOF_INTERVAL_SECONDS),
        watchMinutes: typeof props.watchMinutes === "number" && props.watchMinutes >= 0 ? props.watchMinutes : DEFAULT_WATCH_MINUTES,
        watchIntervalSeconds: num(props.watchIntervalSeconds, DEFAULT_WATCH_INTERVAL_SECONDS),
        healthChecks: healthChecksOf(props.healthChecks),
    };
}

/** The url and condition of each health check (timeouts belong to the HealthChecks step, not to the watch). */
function healthChecksOf(value: unknown): HealthCheckSpec[] {
    if (!Array.isArray(value)) return [];
    return value
        .filter((c): c is Props => !!c && typeof c === "object" && typeof (c as Props).url === "string")
        .map((c) => ({ url: c.url as string, ...(typeof c.expect === "string" && c.expect.trim() ? { expect: c.expect.trim() } : {}) }));
}

function inputsOf(props: Props): Inputs {
    const apiKey = typeof props.apiKey === "string" ? props.apiKey.trim() : "";
    if (!apiKey || fingerprint(apiKey) !== props.fingerprint) {
        throw new Error(`${STEP_REVOCATION}: apiKey is missing or does not match fingerprint; this is a wiring bug in the program (no key was touched)`);
    }
    return {
        apiKey,
        fingerprint: props.fingerprint as string,
        ...settingsOf(props),
        retiredKeys: retiredKeysOf(props.retiredKeys),
        replacedFingerprint: isFingerprint(props.replacedFingerprint) ? props.replacedFingerprint : null,
        consumers: consumerRefsOf(props.consumers),
        acknowledgedRemovals: Array.isArray(props.acknowledgedRemovals) ? props.acknowledgedRemovals.filter((a): a is string => typeof a === "string") : [],
        cutover: cutoverSettingsOf(props.cutover),
        fanOutAt: typeof props.fanOutAt === "string" && Number.isFinite(Date.parse(props.fanOutAt)) ? props.fanOutAt : null,
        audit: auditContextOf(props.audit),
        rawAudit: props.audit,
    };
}

/**
 * The cut-over settings with defaults. Absent means off (state written before the proof existed, or a caller
 * that does not ask for it); the program always passes the stack config's, which is on by default.
 */
function cutoverSettingsOf(value: unknown): CutoverSettings {
    if (!value || typeof value !== "object") return { ...DEFAULT_CUTOVER, enabled: false };
    const v = value as Props;
    const n = (x: unknown, d: number, min: number) => (typeof x === "number" && Number.isFinite(x) && x >= min ? x : d);
    return {
        enabled: v.enabled !== false,
        idleMinutes: n(v.idleMinutes, DEFAULT_CUTOVER.idleMinutes, 1),
        minNewKeyRequests: n(v.minNewKeyRequests, DEFAULT_CUTOVER.minNewKeyRequests, 0),
        maxWaitMinutes: n(v.maxWaitMinutes, DEFAULT_CUTOVER.maxWaitMinutes, 0),
        dataLagMinutes: n(v.dataLagMinutes, DEFAULT_CUTOVER.dataLagMinutes, 0),
        pollSeconds: n(v.pollSeconds, DEFAULT_CUTOVER.pollSeconds, 0.001),
    };
}

function keysOf(value: unknown): KeyOutcome[] {
    if (!Array.isArray(value)) return [];
    return value
        .filter((k): k is Props => !!k && typeof k === "object" && isFingerprint((k as Props).fingerprint))
        .map((k) => ({
            fingerprint: k.fingerprint as string,
            keyId: typeof k.keyId === "string" ? k.keyId : null,
            outcome: String(k.outcome ?? "left active") as KeyOutcome["outcome"],
            provedAt: typeof k.provedAt === "string" ? k.provedAt : null,
        }));
}

function fingerprintsOf(value: unknown): string[] {
    return Array.isArray(value) ? value.filter(isFingerprint).sort() : [];
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

/** JSON with object keys sorted and undefined as null: equal values compare equal whatever their key order. */
function canonical(value: unknown): string {
    if (value === undefined || value === null) return "null";
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    if (typeof value === "object") {
        const entries = Object.entries(value as Props)
            .filter(([, v]) => v !== undefined && v !== null)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
    }
    return JSON.stringify(value);
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
