import type * as dynamic from "@pulumi/pulumi/dynamic";
import { retrieveApiKey, findApiKeyRecords, updateApiKeyStatus, ApiKeyRecord, AdminCallOptions } from "../anthropic/adminApi";
import { ApiCallError } from "../anthropic/retry";
import { auditContextOf, auditContextProblems, auditedError, AuditContext, errorMessage } from "../audit/auditLog";
import { fingerprint, hintMatches, isFingerprint } from "../domain/fingerprint";
import { redact } from "../domain/keyFormat";
import { normalizeBaseUrl, probeKey, ProbeOutcome, proveDead } from "./keyProof";
import { UNKNOWN } from "../dynamic/unknown";

/**
 * The dynamic provider behind `pulumi-nodejs:dynamic/anthropic:PreviousKeyRevocation` (SOP step 7).
 *
 * "The previous key" is whatever key this resource held before: on `create` there is none; on an update
 * that changes the fingerprint it is `olds.apiKey` (with `olds.keyId`, `olds.fingerprint`).
 *
 * - `none`: nothing is done (result "skipped: …").
 * - `verify`: the previous key must answer 401 (GET /v1/models). Anything else fails the update with
 *   "the previous key (sha256:…) still works; revoke it in the Console (Settings → Keys) and run `pulumi up`
 *   again".
 * - `deactivate`: with ANTHROPIC_ADMIN_API_KEY (read at run time), set the previous key's Admin API record
 *   to `inactive` (found by `olds.keyId`, else by its partial hint), then prove 401, retrying for up to
 *   `proofTimeoutSeconds` while the change propagates.
 *
 * A failed update leaves the engine's state as it was, so the previous key stays in this resource's state
 * (as the secret `apiKey`) until its proof succeeds; the successful update's outputs hold only the current
 * key, which drops the previous value from state. Every failure appends a `secret.rotate.failed` line
 * (step "revocation") and is redacted with every key involved.
 *
 * Safety: it never touches a key whose fingerprint equals the current one, and never deactivates an Admin
 * API record whose hint does not match the previous key or that is the current key's record.
 *
 * Serialization: no credentials captured (the admin key is read from process.env inside update), no npm
 * module at module scope (the SDK is required inside components/anthropic/client.ts at call time).
 */

export const STEP_REVOCATION = "revocation";
export const ADMIN_KEY_ENV = "ANTHROPIC_ADMIN_API_KEY";
export const DEFAULT_PROOF_TIMEOUT_SECONDS = 60;
export const DEFAULT_PROOF_INTERVAL_SECONDS = 2;
/** Bound on each Admin API call with its retries. */
export const ADMIN_MAX_RETRY_SECONDS = 60;
export const RESULT_NO_PREVIOUS_KEY = "no previous key";

export type RevocationMode = "none" | "verify" | "deactivate";
const MODES: readonly string[] = ["none", "verify", "deactivate"];


type Props = Record<string, unknown>;

export interface PreviousKeyRevocationOutputs {
    /** The CURRENT key (secret: same name as the secret input). The previous one is never an output. */
    readonly apiKey: string;
    readonly fingerprint: string;
    readonly keyId: string | null;
    readonly mode: RevocationMode;
    readonly emergency: boolean;
    readonly baseUrl: string;
    readonly proofTimeoutSeconds: number;
    readonly proofIntervalSeconds: number;
    /** Fingerprint of the key this update revoked / verified / skipped; null on the first run. */
    readonly previousFingerprint: string | null;
    /** Admin API id of the previous key, when known. */
    readonly previousKeyId: string | null;
    /** e.g. "deactivated apikey_…; 401 proven after 2.1 s". */
    readonly result: string;
    /** ISO time of the 401 proof; null when nothing was proven. */
    readonly provedAt: string | null;
    /** { mode, result } for the audit record. */
    readonly summary: { readonly mode: RevocationMode; readonly result: string };
}

interface Inputs {
    readonly apiKey: string;
    readonly fingerprint: string;
    readonly keyId: string | null;
    readonly mode: RevocationMode;
    readonly emergency: boolean;
    readonly baseUrl: string;
    readonly proofTimeoutSeconds: number;
    readonly proofIntervalSeconds: number;
    readonly audit: AuditContext | undefined;
    readonly rawAudit: unknown;
}

export const previousKeyRevocationProvider: dynamic.ResourceProvider = {
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
        const mode = news.mode ?? "verify";
        if (known(mode) && (typeof mode !== "string" || !MODES.includes(mode))) fail("mode", "revocation must be none, verify or deactivate");
        if (news.emergency !== undefined && news.emergency !== null && known(news.emergency) && typeof news.emergency !== "boolean") fail("emergency", "emergency must be true or false");
        if (news.emergency === true && mode === "none") {
            fail(
                "mode",
                "emergency rotation needs revocation deactivate (the Admin API deactivates the leaked key before any consumer is written) or verify (you revoke it in the Console first); " +
                    "set anthropic-key-rotation:revocation to deactivate, or set emergency to false",
            );
        }
        const keyId = news.keyId;
        if (keyId !== undefined && keyId !== null && keyId !== "" && known(keyId) && (typeof keyId !== "string" || !/^apikey_[A-Za-z0-9]+$/.test(keyId))) {
            fail("keyId", "keyId must be an Admin API key id like apikey_01AbC…");
        }
        const baseUrl = news.baseUrl;
        if (baseUrl !== undefined && baseUrl !== null && known(baseUrl) && (typeof baseUrl !== "string" || !/^https?:\/\/[^\s/]+/.test(baseUrl))) {
            fail("baseUrl", "baseUrl must be an http(s) URL such as https://api.anthropic.com");
        }
        for (const [field, max] of [["proofTimeoutSeconds", 3600], ["proofIntervalSeconds", 300]] as const) {
            const v = news[field];
            if (v !== undefined && v !== null && known(v) && (typeof v !== "number" || !(v > 0) || v > max)) fail(field, `${field} must be a number of seconds above 0 and at most ${max}`);
        }
        for (const problem of auditContextProblems(news.audit, (v) => !known(v))) fail("audit", problem);
        const inputs: Props = { ...news, mode };
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
        return { changes, replaces: [], deleteBeforeReplace: false };
    },

    async create(props: Props): Promise<dynamic.CreateResult> {
        const news = inputsOf(props);
        if (news.emergency && news.mode !== "none") {
            warn(
                `revocation: emergency rotation, but this stack has no previous key in its state (first run), so nothing was ${news.mode === "deactivate" ? "deactivated" : "verified"}. ` +
                    `Deactivate the leaked key now in the Console (Settings → Keys) if you have not already.`,
            );
        }
        return {
            id: idOf(news),
            outs: outputs(news, { previousFingerprint: null, previousKeyId: null, result: RESULT_NO_PREVIOUS_KEY, provedAt: null }),
        };
    },

    async update(_id: string, olds: Props, props: Props): Promise<dynamic.UpdateResult> {
        const news = inputsOf(props);
        const previousKey = typeof olds.apiKey === "string" && olds.apiKey.trim() ? olds.apiKey.trim() : undefined;
        const previousFingerprint = previousKey ? fingerprint(previousKey) : isFingerprint(olds.fingerprint) ? olds.fingerprint : null;

        // Same key (only a setting changed), or nothing recorded: no revocation; keep what was last proven.
        if (!previousKey || previousFingerprint === news.fingerprint) {
            return {
                outs: outputs(news, {
                    previousFingerprint: typeof olds.previousFingerprint === "string" ? olds.previousFingerprint : null,
                    previousKeyId: typeof olds.previousKeyId === "string" ? olds.previousKeyId : null,
                    result: typeof olds.result === "string" ? olds.result : RESULT_NO_PREVIOUS_KEY,
                    provedAt: typeof olds.provedAt === "string" ? olds.provedAt : null,
                }),
            };
        }
        const previous: PreviousKey = {
            value: previousKey,
            fingerprint: previousFingerprint as string,
            keyId: typeof olds.keyId === "string" && olds.keyId ? olds.keyId : null,
        };
        const outcome = await revoke(news, previous);
        return { outs: outputs(news, outcome) };
    },

    async read(id: string, props?: Props): Promise<dynamic.ReadResult> {
        // Nothing remote to reconcile: the previous key is gone from state once proven dead.
        return { id, props: props ?? {} };
    },

    async delete(): Promise<void> {
        // Never revokes anything on destroy: the current key is in use by every consumer.
    },
};

interface PreviousKey {
    readonly value: string;
    readonly fingerprint: string;
    readonly keyId: string | null;
}

interface Outcome {
    readonly previousFingerprint: string | null;
    readonly previousKeyId: string | null;
    readonly result: string;
    readonly provedAt: string | null;
}

async function revoke(news: Inputs, previous: PreviousKey): Promise<Outcome> {
    const secrets = [news.apiKey, previous.value];
    const tag = news.emergency ? " (emergency)" : "";
    const fail = (message: string, extraSecrets: readonly string[] = []): Error =>
        auditedError(news.audit, STEP_REVOCATION, message, { oldFingerprint: previous.fingerprint, revocation: { mode: news.mode, result: "failed" } }, [...secrets, ...extraSecrets]);

    if (news.mode === "none") {
        return {
            previousFingerprint: previous.fingerprint,
            previousKeyId: previous.keyId,
            result: `skipped${tag}: revocation is none; the previous key ${previous.fingerprint} was left as it is — revoke it in the Console (Settings → Keys) when no consumer needs it`,
            provedAt: null,
        };
    }

    if (news.mode === "verify") {
        const started = Date.now();
        const probe = await probeKey(previous.value, { baseUrl: news.baseUrl });
        if (probe.kind === "dead") {
            return {
                previousFingerprint: previous.fingerprint,
                previousKeyId: previous.keyId,
                result: `verified${tag}: the previous key ${previous.fingerprint} answers 401 (checked in ${seconds(Date.now() - started)})`,
                provedAt: new Date().toISOString(),
            };
        }
        throw fail(stillWorksMessage(previous, probe, news, "verify"));
    }

    // deactivate
    const adminKey = process.env[ADMIN_KEY_ENV]?.trim();
    if (!adminKey) {
        throw fail(
            `${STEP_REVOCATION}: revocation is deactivate but ${ADMIN_KEY_ENV} is not set, so the previous key ${previous.fingerprint} could not be deactivated (it still works). ` +
                `Export an Admin API key (admin01 prefix; Console → Settings → Admin keys) as ${ADMIN_KEY_ENV} in the shell that runs pulumi and run \`pulumi up\` again, ` +
                `or revoke the previous key in the Console (Settings → Keys) and set revocation to verify.`,
        );
    }
    const admin: AdminCallOptions = { adminKey, baseUrl: news.baseUrl, maxRetrySeconds: ADMIN_MAX_RETRY_SECONDS };
    const started = Date.now();
    let record: ApiKeyRecord;
    try {
        record = await findRecord(admin, previous, news);
    } catch (err) {
        throw fail(err instanceof RevocationRefusal ? err.message : adminFailureMessage("find the previous key's record", err, previous, news), [adminKey]);
    }
    let action: string;
    if (record.status === "active") {
        let updated: ApiKeyRecord;
        try {
            updated = await updateApiKeyStatus(admin, record.id, "inactive");
        } catch (err) {
            throw fail(adminFailureMessage(`set ${record.id} to inactive`, err, previous, news), [adminKey]);
        }
        if (updated.status !== "inactive") {
            throw fail(
                `${STEP_REVOCATION}: the Admin API accepted the deactivation of ${record.id} (previous key ${previous.fingerprint}) but reports its status as ${updated.status}; ` +
                    `check the key in the Console (Settings → Keys), revoke it there if needed, and run \`pulumi up\` again.`,
                [adminKey],
            );
        }
        action = `deactivated ${record.id}`;
    } else {
        action = `${record.id} was already ${record.status}`;
    }

    const proof = await proveDead(previous.value, {
        baseUrl: news.baseUrl,
        timeoutMs: news.proofTimeoutSeconds * 1000,
        intervalMs: news.proofIntervalSeconds * 1000,
        secrets: [adminKey, news.apiKey],
    });
    if (!proof.proven) {
        const last = proof.last.kind === "dead" ? "HTTP 401" : proof.last.detail;
        throw fail(
            `${STEP_REVOCATION}: ${action} (previous key ${previous.fingerprint}), but the key still did not answer 401 after ${seconds(proof.elapsedMs)} ` +
                `(${proof.attempts} probe(s), last answer ${last}). The deactivation may still be propagating: run \`pulumi up\` again in a few minutes ` +
                `(it re-checks the status and the 401 without deactivating twice), or raise proofTimeoutSeconds (now ${news.proofTimeoutSeconds}). ` +
                `If it keeps working, revoke it in the Console (Settings → Keys).`,
            [adminKey],
        );
    }
    return {
        previousFingerprint: previous.fingerprint,
        previousKeyId: record.id,
        result: `${action}${tag}; 401 proven after ${seconds(Date.now() - started)}`,
        provedAt: new Date().toISOString(),
    };
}

/** A refusal to act (ambiguous or mismatched records): its message is final. */
class RevocationRefusal extends Error {
    constructor(message: string) {
        super(message);
        // Set again: Pulumi's closure serializer turns super(message) into Error.call(this, message), which drops it.
        this.message = message;
        this.name = "RevocationRefusal";
    }
}

/**
 * The Admin API record of the previous key: by its recorded id (checked against the key's hint), else by
 * its partial hint. Never the current key's record.
 */
async function findRecord(admin: AdminCallOptions, previous: PreviousKey, news: Inputs): Promise<ApiKeyRecord> {
    const isCurrent = (r: ApiKeyRecord) => (news.keyId !== null && r.id === news.keyId) || (r.partialKeyHint !== null && hintMatches(r.partialKeyHint, news.apiKey));
    if (previous.keyId) {
        if (previous.keyId === news.keyId) {
            throw new RevocationRefusal(
                `${STEP_REVOCATION}: refused to deactivate ${previous.keyId}: it is recorded for both the previous key ${previous.fingerprint} and the current key ${news.fingerprint}. ` +
                    `Check keyId in the stack config (it must be the NEW key's id), then revoke the previous key in the Console (Settings → Keys) and run \`pulumi up\` again.`,
            );
        }
        const record = await retrieveApiKey(admin, previous.keyId);
        if (record.partialKeyHint !== null && !hintMatches(record.partialKeyHint, previous.value)) {
            throw new RevocationRefusal(
                `${STEP_REVOCATION}: refused to deactivate ${previous.keyId} ("${redact(record.name)}"): the Admin API's hint for it does not match the previous key ${previous.fingerprint}, ` +
                    `so the recorded id is wrong. Revoke the previous key in the Console (Settings → Keys), set revocation to verify, and run \`pulumi up\` again.`,
            );
        }
        if (isCurrent(record)) {
            throw new RevocationRefusal(`${STEP_REVOCATION}: refused to deactivate ${record.id}: it is the current key's record. Revoke the previous key ${previous.fingerprint} in the Console (Settings → Keys).`);
        }
        return record;
    }
    const { matches, searched } = await findApiKeyRecords(admin, previous.value);
    const candidates = matches.filter((r) => !isCurrent(r));
    if (candidates.length === 1) return candidates[0]!;
    if (candidates.length === 0) {
        throw new RevocationRefusal(
            `${STEP_REVOCATION}: the previous key ${previous.fingerprint} is not among the ${searched} API keys the Admin API lists for the organisation of ${ADMIN_KEY_ENV}. ` +
                `Use an Admin API key of the organisation that owns the previous key, or revoke it in the Console (Settings → Keys) and set revocation to verify; then run \`pulumi up\` again.`,
        );
    }
    throw new RevocationRefusal(
        `${STEP_REVOCATION}: ${candidates.length} API keys (${candidates.map((r) => r.id).join(", ")}) have a hint that matches the previous key ${previous.fingerprint}, so it cannot be told apart safely. ` +
            `Revoke the previous key in the Console (Settings → Keys) by name, set revocation to verify, and run \`pulumi up\` again.`,
    );
}

function stillWorksMessage(previous: PreviousKey, probe: ProbeOutcome, news: Inputs, mode: string): string {
    if (probe.kind === "unknown") {
        return (
            `${STEP_REVOCATION}: could not prove that the previous key (${previous.fingerprint}) is revoked: the Anthropic API at ${news.baseUrl} did not give a usable answer (${probe.detail}). ` +
            `Nothing was changed; check https://status.anthropic.com and run \`pulumi up\` again.`
        );
    }
    const requestId = probe.requestId ? `, request id ${probe.requestId}` : "";
    const detail = probe.kind === "alive" ? probe.detail : `HTTP ${probe.status}`;
    return (
        `${STEP_REVOCATION}: the previous key (${previous.fingerprint}) still works (GET /v1/models answered ${detail}${requestId}, not 401); ` +
        `revoke it in the Console (Settings → Keys) and run \`pulumi up\` again. ` +
        `(revocation is ${mode}: every consumer already runs on the new key ${news.fingerprint} and passed its health checks` +
        `${news.emergency ? "; EMERGENCY: the leaked key is still live — revoke it now" : ""}.)`
    );
}

function adminFailureMessage(what: string, err: unknown, previous: PreviousKey, news: Inputs): string {
    const base = `${STEP_REVOCATION}: could not ${what} through the Anthropic Admin API (${news.baseUrl}/v1/organizations/api_keys) for the previous key ${previous.fingerprint}`;
    const tail = ` The previous key still works. Fix this and run \`pulumi up\` again, or revoke the key in the Console (Settings → Keys) and set revocation to verify.`;
    if (!(err instanceof ApiCallError)) return `${base}: ${errorMessage(err)}.${tail}`;
    const f = err.failure;
    if (f.kind === "transport") return `${base}: no answer (${f.detail}) after ${err.attempts} attempt(s).${tail}`;
    if (f.kind === "internal") return `${base}: ${f.detail}.${tail}`;
    const api = `HTTP ${f.status}${f.type ? ` ${f.type}` : ""}${f.apiMessage ? `: ${f.apiMessage.slice(0, 200)}` : ""}${f.requestId ? ` (request id ${f.requestId})` : ""}`;
    const fix =
        f.status === 401
            ? ` ${ADMIN_KEY_ENV} was rejected: set it to an active Admin API key (admin01 prefix) of the organisation that owns the key.`
            : f.status === 403
              ? ` The Admin API key may not manage API keys: use an Admin API key of an organisation admin.`
              : f.status === 404
                ? ` The key's record was not found: it may belong to another organisation, or keyId was wrong when it was recorded.`
                : f.status === 429 || f.status >= 500
                  ? ` The Admin API kept failing after retries (${err.attempts} attempt(s)); wait a few minutes.`
                  : "";
    return `${base}: ${api}.${fix}${tail}`;
}

interface Settings {
    readonly keyId: string | null;
    readonly mode: RevocationMode;
    readonly emergency: boolean;
    readonly baseUrl: string;
    readonly proofTimeoutSeconds: number;
    readonly proofIntervalSeconds: number;
}

/** The settings with defaults applied, from inputs or outputs. Never throws. */
function settingsOf(props: Props): Settings {
    const num = (v: unknown, d: number) => (typeof v === "number" && v > 0 ? v : d);
    return {
        keyId: typeof props.keyId === "string" && props.keyId ? props.keyId : null,
        mode: (typeof props.mode === "string" && MODES.includes(props.mode) ? props.mode : "verify") as RevocationMode,
        emergency: props.emergency === true,
        baseUrl: normalizeBaseUrl(typeof props.baseUrl === "string" ? props.baseUrl : undefined),
        proofTimeoutSeconds: num(props.proofTimeoutSeconds, DEFAULT_PROOF_TIMEOUT_SECONDS),
        proofIntervalSeconds: num(props.proofIntervalSeconds, DEFAULT_PROOF_INTERVAL_SECONDS),
    };
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
        audit: auditContextOf(props.audit),
        rawAudit: props.audit,
    };
}

function outputs(news: Inputs, outcome: Outcome): PreviousKeyRevocationOutputs & { audit?: unknown } {
    return {
        apiKey: news.apiKey,
        fingerprint: news.fingerprint,
        keyId: news.keyId,
        mode: news.mode,
        emergency: news.emergency,
        baseUrl: news.baseUrl,
        proofTimeoutSeconds: news.proofTimeoutSeconds,
        proofIntervalSeconds: news.proofIntervalSeconds,
        ...(news.rawAudit !== undefined ? { audit: news.rawAudit } : {}),
        previousFingerprint: outcome.previousFingerprint,
        previousKeyId: outcome.previousKeyId,
        result: redact(outcome.result, [news.apiKey]),
        provedAt: outcome.provedAt,
        summary: { mode: news.mode, result: redact(outcome.result, [news.apiKey]) },
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

function seconds(ms: number): string {
    return `${(ms / 1000).toFixed(1)} s`;
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
