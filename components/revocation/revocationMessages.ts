import { ApiCallError } from "../anthropic/retry";
import { errorMessage } from "../audit/auditLog";
import { ADMIN_KEY_ENV, STEP_REVOCATION } from "./adminRecord";
import type { ProbeOutcome } from "./keyProof";
import { describeKey, RetiredKeyInfo } from "./retiredKeys";

/** The operator-facing messages of the revocation step. Every one names the key(s) by fingerprint only. */

type Key = Pick<RetiredKeyInfo, "fingerprint" | "keyId">;

export function seconds(ms: number): string {
    return `${(ms / 1000).toFixed(1)} s`;
}

/** "the previous key (sha256:…)" for one key, "2 keys replaced since the last proven revocation" for more. */
export function whichKeys(keys: readonly Key[]): string {
    return keys.length === 1 ? `the previous key (${keys[0]!.fingerprint})` : `${keys.length} keys replaced since the last proven revocation (${keys.map(describeKey).join(", ")})`;
}

/** Verify mode, or the 401 proof after a deactivation: why one key is not proven dead. */
export function probeProblem(key: Key, probe: ProbeOutcome, baseUrl: string): string {
    if (probe.kind === "unknown") return `${describeKey(key)}: could not be judged — the Anthropic API at ${baseUrl} did not give a usable answer (${probe.detail})`;
    const requestId = probe.requestId ? `, request id ${probe.requestId}` : "";
    const detail = probe.kind === "alive" ? probe.detail : `HTTP ${probe.status}`;
    return `${describeKey(key)}: still works (GET /v1/models answered ${detail}${requestId}, not 401)`;
}

export interface ConsumerState {
    readonly emergency: boolean;
    readonly newFingerprint: string;
    readonly mode: string;
}

function consumerNote(state: ConsumerState): string {
    return state.emergency
        ? `(revocation is ${state.mode}; EMERGENCY: the leaked key is still live — revoke it now; no consumer has been written yet.)`
        : `(revocation is ${state.mode}: every consumer already runs on the new key ${state.newFingerprint} and passed its health checks.)`;
}

/** Verify mode with exactly one key: the message the README quotes. */
export function singleStillWorksMessage(key: Key, probe: ProbeOutcome, baseUrl: string, state: ConsumerState): string {
    if (probe.kind === "unknown") {
        return (
            `${STEP_REVOCATION}: could not prove that the previous key (${key.fingerprint}) is revoked: the Anthropic API at ${baseUrl} did not give a usable answer (${probe.detail}). ` +
            `Nothing was changed; check https://status.anthropic.com and run \`pulumi up\` again.`
        );
    }
    const requestId = probe.requestId ? `, request id ${probe.requestId}` : "";
    const detail = probe.kind === "alive" ? probe.detail : `HTTP ${probe.status}`;
    return (
        `${STEP_REVOCATION}: the previous key (${key.fingerprint}) still works (GET /v1/models answered ${detail}${requestId}, not 401); ` +
        `revoke it in the Console (Settings → Keys) and run \`pulumi up\` again. ` +
        `${consumerNote(state)}`
    );
}

/** Verify mode with several keys: every key that is not proven dead, one per line, and the ones that are. */
export function manyStillWorkMessage(problems: readonly string[], total: number, proven: readonly Key[], state: ConsumerState): string {
    return (
        `${STEP_REVOCATION}: ${problems.length} of the ${total} keys replaced since the last proven revocation ${problems.length === 1 ? "is" : "are"} not proven dead:\n - ${problems.join("\n - ")}\n` +
        (proven.length ? `Already dead (401): ${proven.map(describeKey).join(", ")}.\n` : "") +
        `Revoke each key that still works in the Console (Settings → Keys) and run \`pulumi up\` again; a key that could not be judged is checked again then. ` +
        consumerNote(state)
    );
}

export function noAdminKeyMessage(keys: readonly Key[]): string {
    const which = keys.length === 1 ? `the previous key ${keys[0]!.fingerprint} could not be deactivated (it still works)` : `${whichKeys(keys)} could not be deactivated (they still work)`;
    return (
        `${STEP_REVOCATION}: revocation is deactivate but ${ADMIN_KEY_ENV} is not set, so ${which}. ` +
        `Export an Admin API key (admin01 prefix; Console → Settings → Admin keys) as ${ADMIN_KEY_ENV} in the shell that runs pulumi and run \`pulumi up\` again, ` +
        `or revoke ${keys.length === 1 ? "the previous key" : "them"} in the Console (Settings → Keys) and set revocation to verify.`
    );
}

export function adminFailureMessage(what: string, err: unknown, key: Key, baseUrl: string): string {
    const base = `${STEP_REVOCATION}: could not ${what} through the Anthropic Admin API (${baseUrl}/v1/organizations/api_keys) for the previous key ${key.fingerprint}`;
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

/** Deactivate mode with several keys, some of which could not be handled. */
export function manyDeactivationProblems(problems: readonly string[], total: number, done: readonly string[]): string {
    return (
        `${STEP_REVOCATION}: ${problems.length} of the ${total} keys replaced since the last proven revocation could not be proven dead:\n - ${problems.join("\n - ")}\n` +
        (done.length ? `Done: ${done.join("; ")}.\n` : "") +
        `Fix each problem and run \`pulumi up\` again: keys already inactive are re-checked without being deactivated twice.`
    );
}
