import type * as dynamic from "@pulumi/pulumi/dynamic";
import { fingerprint, isFingerprint } from "../domain/fingerprint";
import { redact } from "../domain/keyFormat";
import { UNKNOWN } from "../dynamic/unknown";
import { normalizeApiRoot, normalizeUrlInput } from "../http/urls";
import { consumerRefsOf, ConsumerRef, mergeConsumers } from "./consumers";
import { normalizeBaseUrl, probeKey } from "./keyProof";
import { mergeRetired, publicInfo, RetiredKey, retiredKeysOf, RetiredKeyInfo } from "./retiredKeys";

/**
 * The dynamic provider behind `pulumi-nodejs:dynamic/anthropic:KeyLedger`: the record of every key that
 * reached a consumer and has not been proven dead since.
 *
 * The ledger runs right after validation and before any consumer is written, so its state survives whatever
 * fails later in the run (a consumer write, a health check, the revocation itself). When the current key
 * changes, the key it replaces joins `retiredKeys` (secret: the values are needed to prove each key dead),
 * and every key retired by an earlier rotation is probed once (GET /v1/models): a key that answers 401 is dead
 * and leaves the ledger; one that still authenticates, or cannot be judged, stays. (The key just replaced was
 * current until now, so it is not probed: the revocation proves it dead.) A rollback takes the key it puts back
 * out of the list. PreviousKeyRevocation receives the list and must see every entry dead.
 *
 * The probes are bounded (PROBE_MAX_MS each, in parallel) and never fail the step: an outage only means a
 * key stays listed until the next rotation proves it dead.
 *
 * Serialization: no credentials (probes use the retired keys themselves), no npm module at module scope.
 */

/** Upper bound of each retired key's probe with its retries. */
export const PROBE_MAX_MS = 10_000;

type Props = Record<string, unknown>;

export interface KeyLedgerOutputs {
    /** The current key (secret: same name as the secret input). */
    readonly apiKey: string;
    readonly fingerprint: string;
    readonly keyId: string | null;
    readonly baseUrl: string;
    /** When the current key became current (ISO). */
    readonly since: string;
    /** The key the current one replaced on the consumers; null on the first run. */
    readonly previousFingerprint: string | null;
    /** Secret: every key that reached a consumer and is not proven dead, with its value. */
    readonly retiredKeys: RetiredKey[];
    /** The same list without values (public). */
    readonly retired: RetiredKeyInfo[];
    /** Keys the last update found dead (401) and dropped (public). */
    readonly dropped: RetiredKeyInfo[];
    /** Every consumer that has held the current key (the config's targets, and those removed since). */
    readonly holders: ConsumerRef[];
    /** The consumers in the config now. */
    readonly consumers: ConsumerRef[];
}

interface Inputs {
    readonly apiKey: string;
    readonly fingerprint: string;
    readonly keyId: string | null;
    readonly baseUrl: string;
    readonly consumers: ConsumerRef[];
}

export const keyLedgerProvider: dynamic.ResourceProvider = {
    async check(_olds: Props, news: Props): Promise<dynamic.CheckResult> {
        const failures: dynamic.CheckFailure[] = [];
        const known = (v: unknown) => v !== UNKNOWN;
        const fail = (property: string, reason: string) => failures.push({ property, reason: redact(reason) });
        const apiKey = news.apiKey;
        if (known(apiKey) && (typeof apiKey !== "string" || apiKey.trim().length === 0)) fail("apiKey", "apiKey (the current key) is required");
        if (known(news.fingerprint)) {
            if (!isFingerprint(news.fingerprint)) fail("fingerprint", "fingerprint must look like sha256:<12 hex digits>");
            else if (typeof apiKey === "string" && known(apiKey) && apiKey.trim() && fingerprint(apiKey.trim()) !== news.fingerprint) {
                fail("fingerprint", "fingerprint does not match apiKey; compute it with fingerprint(apiKey) from components/domain");
            }
        }
        const keyId = news.keyId;
        if (keyId !== undefined && keyId !== null && keyId !== "" && known(keyId) && (typeof keyId !== "string" || !/^apikey_[A-Za-z0-9]+$/.test(keyId))) {
            fail("keyId", "keyId must be an Admin API key id like apikey_01AbC…");
        }
        const baseUrl = news.baseUrl;
        if (baseUrl !== undefined && baseUrl !== null && known(baseUrl) && (typeof baseUrl !== "string" || !/^https?:\/\/[^\s/]+/.test(baseUrl))) {
            fail("baseUrl", "baseUrl must be an http(s) URL such as https://api.anthropic.com");
        }
        const inputs: Props = { ...news };
        if (typeof apiKey === "string" && known(apiKey)) inputs.apiKey = apiKey.trim();
        // The normal form the outputs hold (diff compares that form too).
        if (typeof baseUrl === "string" && baseUrl !== "") inputs.baseUrl = normalizeUrlInput(baseUrl, normalizeApiRoot);
        return { inputs, failures };
    },

    async diff(_id: string, olds: Props, news: Props): Promise<dynamic.DiffResult> {
        const changed = (field: string, normalize: (v: unknown) => unknown = (v) => v ?? null) =>
            news[field] === UNKNOWN || JSON.stringify(normalize(news[field])) !== JSON.stringify(normalize(olds[field]));
        const changes =
            changed("fingerprint") ||
            changed("keyId", (v) => (typeof v === "string" && v ? v : null)) ||
            changed("baseUrl", (v) => normalizeBaseUrl(typeof v === "string" ? v : undefined)) ||
            changed("consumers", (v) => consumerRefsOf(v).map((c) => `${c.id}|${c.removeOnDelete}`).sort());
        return { changes, replaces: [], deleteBeforeReplace: false };
    },

    async create(props: Props): Promise<dynamic.CreateResult> {
        const news = inputsOf(props);
        // First run: nothing is known about keys before this one (PreviousKeyRevocation still holds the key it last saw).
        return { id: `${idPart(props)}-key-ledger`, outs: outputs(news, { since: new Date().toISOString(), previousFingerprint: null, retired: [], dropped: [], holders: news.consumers }) };
    },

    async update(_id: string, olds: Props, props: Props): Promise<dynamic.UpdateResult> {
        const news = inputsOf(props);
        const oldKey = typeof olds.apiKey === "string" ? olds.apiKey.trim() : "";
        const oldRetired = retiredKeysOf(olds.retiredKeys);
        const oldSince = typeof olds.since === "string" && olds.since ? olds.since : new Date().toISOString();
        if (!oldKey || fingerprint(oldKey) === news.fingerprint) {
            // Same key (its Admin API id or the base URL changed): the list stays as it is.
            return {
                outs: outputs(news, {
                    since: oldSince,
                    previousFingerprint: typeof olds.previousFingerprint === "string" ? olds.previousFingerprint : null,
                    retired: mergeRetired([oldRetired], news.fingerprint),
                    dropped: [],
                    // A consumer removed from the config keeps its copy of the key (unless removeOnDelete): still a holder.
                    holders: mergeConsumers(consumerRefsOf(olds.holders), news.consumers),
                }),
            };
        }
        const now = new Date().toISOString();
        const replaced: RetiredKey = {
            value: oldKey,
            fingerprint: fingerprint(oldKey),
            keyId: typeof olds.keyId === "string" && olds.keyId ? olds.keyId : null,
            since: now,
            holders: consumerRefsOf(olds.holders),
        };
        const candidates = mergeRetired([oldRetired, [replaced]], news.fingerprint);
        // The key just replaced was current until now: alive by construction, so it is not probed (the revocation
        // proves it dead). Keys retired by earlier rotations may have been revoked since: those are probed.
        const outcomes = await Promise.all(
            candidates.map((k) => (k.fingerprint === replaced.fingerprint ? Promise.resolve(null) : probeKey(k.value, { baseUrl: news.baseUrl, maxTotalMs: PROBE_MAX_MS, secrets: [news.apiKey] }))),
        );
        const retired = candidates.filter((_, i) => outcomes[i]?.kind !== "dead");
        const dropped = candidates.filter((_, i) => outcomes[i]?.kind === "dead");
        return { outs: outputs(news, { since: now, previousFingerprint: replaced.fingerprint, retired, dropped: publicInfo(dropped), holders: news.consumers }) };
    },

    async read(id: string, props?: Props): Promise<dynamic.ReadResult> {
        return { id, props: props ?? {} };
    },

    async delete(): Promise<void> {
        // Nothing exists remotely; forgetting the ledger never revokes or restores a key.
    },
};

function inputsOf(props: Props): Inputs {
    const apiKey = typeof props.apiKey === "string" ? props.apiKey.trim() : "";
    if (!apiKey || fingerprint(apiKey) !== props.fingerprint) {
        throw new Error("key ledger: apiKey is missing or does not match fingerprint; this is a wiring bug in the program (nothing was recorded)");
    }
    return {
        apiKey,
        fingerprint: props.fingerprint as string,
        keyId: typeof props.keyId === "string" && props.keyId ? props.keyId : null,
        baseUrl: normalizeBaseUrl(typeof props.baseUrl === "string" ? props.baseUrl : undefined),
        consumers: consumerRefsOf(props.consumers),
    };
}

function outputs(
    news: Inputs,
    state: { since: string; previousFingerprint: string | null; retired: readonly RetiredKey[]; dropped: readonly RetiredKeyInfo[]; holders: readonly ConsumerRef[] },
): KeyLedgerOutputs {
    return {
        apiKey: news.apiKey,
        fingerprint: news.fingerprint,
        keyId: news.keyId,
        baseUrl: news.baseUrl,
        since: state.since,
        previousFingerprint: state.previousFingerprint,
        retiredKeys: state.retired.map((k) => ({ fingerprint: k.fingerprint, keyId: k.keyId, since: k.since, holders: [...k.holders], value: k.value })),
        retired: publicInfo(state.retired),
        dropped: publicInfo(state.dropped),
        holders: [...state.holders],
        consumers: news.consumers,
    };
}

/** A public id part: the environment. Never derived from the key. */
function idPart(props: Props): string {
    return typeof props.environment === "string" && /^[a-z0-9]+$/.test(props.environment) ? props.environment : "anthropic";
}
