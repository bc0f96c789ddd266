import type { AuditContext } from "../audit/auditLog";
import { auditContextOf } from "../audit/auditLog";
import { fingerprint, isFingerprint } from "../domain/fingerprint";
import type { HealthCheckSpec } from "../health/checkOnce";
import { STEP_REVOCATION } from "./adminRecord";
import { consumerRefsOf, ConsumerRef } from "./consumers";
import { CutoverSettings, DEFAULT_CUTOVER } from "./cutover";
import { normalizeBaseUrl } from "./keyProof";
import { RetiredKey, retiredKeysOf } from "./retiredKeys";
import type { KeyOutcome, RevocationMode } from "./revokeKeys";

/**
 * The PreviousKeyRevocation provider's inputs and stored outputs, read defensively: settings with their defaults
 * applied (what diff compares), the full inputs of an update, and the small parsers they use. Never throws but
 * for a wiring bug (a key that does not match its fingerprint).
 */

export const DEFAULT_PROOF_TIMEOUT_SECONDS = 60;
export const DEFAULT_PROOF_INTERVAL_SECONDS = 2;
export const DEFAULT_WATCH_MINUTES = 5;
export const DEFAULT_WATCH_INTERVAL_SECONDS = 30;
export const MODES: readonly string[] = ["none", "verify", "deactivate"];
export const COMPROMISED_KEY = /^(sha256:[0-9a-f]{12}|apikey_[A-Za-z0-9]+)$/;

export type Props = Record<string, unknown>;

export interface Settings {
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

export interface Inputs extends Settings {
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
    /** The webhooks told when the revocation fails or is rolled back (secret input; read here, never written). */
    readonly notifications: unknown;
}

/** The settings with defaults applied, from inputs or outputs. Never throws. */
export function settingsOf(props: Props): Settings {
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
export function healthChecksOf(value: unknown): HealthCheckSpec[] {
    if (!Array.isArray(value)) return [];
    return value
        .filter((c): c is Props => !!c && typeof c === "object" && typeof (c as Props).url === "string")
        .map((c) => ({ url: c.url as string, ...(typeof c.expect === "string" && c.expect.trim() ? { expect: c.expect.trim() } : {}) }));
}

export function inputsOf(props: Props): Inputs {
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
        notifications: props.notifications,
    };
}

/**
 * The cut-over settings with defaults. Absent means off (state written before the proof existed, or a caller
 * that does not ask for it); the program always passes the stack config's, which is on by default.
 */
export function cutoverSettingsOf(value: unknown): CutoverSettings {
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

export function keysOf(value: unknown): KeyOutcome[] {
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

export function fingerprintsOf(value: unknown): string[] {
    return Array.isArray(value) ? value.filter(isFingerprint).sort() : [];
}

/** JSON with object keys sorted and undefined as null: equal values compare equal whatever their key order. */
export function canonical(value: unknown): string {
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
