import { fingerprint, isFingerprint } from "../domain/fingerprint";
import { consumerRefsOf, ConsumerRef, mergeConsumers } from "./consumers";

/**
 * Keys that reached a consumer and were replaced since the last proven revocation: the KeyLedger records
 * them before any consumer is written, and PreviousKeyRevocation must see every one of them dead.
 *
 * Two shapes: `RetiredKey` carries the value and lives only in secret properties (the ledger's
 * `retiredKeys` output, the revocation's `retiredKeys` input); `RetiredKeyInfo` is its public face
 * (fingerprint, Admin API id, since when it was replaced) for outputs, messages and the audit.
 *
 * Pure functions, nothing key-shaped at module scope: captured into serialized dynamic providers.
 */

export interface RetiredKeyInfo {
    /** `sha256:<12 hex>` of the key. */
    readonly fingerprint: string;
    /** Admin API id (`apikey_…`) when validation found it; null otherwise. */
    readonly keyId: string | null;
    /** ISO time the key was first replaced on the consumers. */
    readonly since: string;
    /** The consumers that held the key while it was current (empty when not recorded). */
    readonly holders: readonly ConsumerRef[];
}

export interface RetiredKey extends RetiredKeyInfo {
    /** The key itself. Secret: never in a public property, a message or a log. */
    readonly value: string;
}

const KEY_ID = /^apikey_[A-Za-z0-9]+$/;

/**
 * The well-formed entries of a `retiredKeys` value (anything else is dropped: an entry whose value does
 * not match its fingerprint is a wiring bug, and acting on it could touch the wrong key).
 */
export function retiredKeysOf(value: unknown): RetiredKey[] {
    if (!Array.isArray(value)) return [];
    const out: RetiredKey[] = [];
    for (const raw of value) {
        if (!raw || typeof raw !== "object") continue;
        const e = raw as Record<string, unknown>;
        const key = typeof e.value === "string" ? e.value.trim() : "";
        if (!key || !isFingerprint(e.fingerprint) || fingerprint(key) !== e.fingerprint) continue;
        out.push({
            fingerprint: e.fingerprint,
            keyId: typeof e.keyId === "string" && KEY_ID.test(e.keyId) ? e.keyId : null,
            since: typeof e.since === "string" && e.since ? e.since : new Date(0).toISOString(),
            holders: consumerRefsOf(e.holders),
            value: key,
        });
    }
    return out;
}

/**
 * One entry per key across `lists`, in first-seen order, without `exclude` (the current key: a rollback
 * puts a retired key back in service). A known Admin API id wins over null; the earliest `since` wins.
 */
export function mergeRetired(lists: readonly (readonly RetiredKey[])[], exclude: string | null): RetiredKey[] {
    const byFingerprint = new Map<string, RetiredKey>();
    for (const list of lists) {
        for (const k of list) {
            if (k.fingerprint === exclude) continue;
            const seen = byFingerprint.get(k.fingerprint);
            if (!seen) {
                byFingerprint.set(k.fingerprint, k);
                continue;
            }
            byFingerprint.set(k.fingerprint, {
                ...seen,
                keyId: seen.keyId ?? k.keyId,
                since: seen.since <= k.since ? seen.since : k.since,
                holders: mergeConsumers(seen.holders, k.holders),
            });
        }
    }
    return [...byFingerprint.values()];
}

/** The public face of each entry (no value). */
export function publicInfo(keys: readonly RetiredKeyInfo[]): RetiredKeyInfo[] {
    return keys.map((k) => ({ fingerprint: k.fingerprint, keyId: k.keyId, since: k.since, holders: k.holders.map((h) => ({ id: h.id, removeOnDelete: h.removeOnDelete })) }));
}

/** "sha256:… (apikey_…)" for messages; never the value. */
export function describeKey(k: Pick<RetiredKeyInfo, "fingerprint" | "keyId">): string {
    return k.keyId ? `${k.fingerprint} (${k.keyId})` : k.fingerprint;
}

/** The fingerprints of a `retiredKeys` value, sorted: what diff compares (the values never leave the provider). */
export function retiredFingerprints(value: unknown): string[] {
    return retiredKeysOf(value)
        .map((k) => k.fingerprint)
        .sort();
}
