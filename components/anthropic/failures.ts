import { redact } from "../domain/keyFormat";
import { ApiCallError, ApiFailure, SPEND_LIMIT_ERROR_CODES } from "./retry";

/**
 * Outcome mapping: every way validation can fail becomes a KeyValidationError whose message names the step,
 * the target, what was found and what to do, and says that nothing was propagated. Messages are built only
 * from safe facts (status, error type, the API's message, request id) and are redacted with the key and
 * the admin key as listed secrets, so no key — nor anything key-shaped — can reach the operator's screen.
 */

export type ValidationFailureKind =
    | "invalid-input"
    | "key-rejected"
    | "permission-denied"
    | "billing"
    | "model-not-found"
    | "bad-request"
    | "retries-exhausted"
    | "unreachable"
    | "limits-too-low"
    | "admin-key-rejected"
    | "admin-permission-denied"
    | "admin-unavailable"
    | "admin-key-not-found"
    | "admin-ambiguous-hint"
    | "admin-key-id-mismatch"
    | "admin-inactive"
    | "admin-mismatch"
    | "admin-expiry"
    | "unexpected";

export class KeyValidationError extends Error {
    constructor(
        readonly kind: ValidationFailureKind,
        message: string,
        readonly requestId?: string,
    ) {
        super(message);
        // Pulumi serializes `class … extends Error` into `Error.call(this, message)`, which sets no message on
        // `this`: without this line the engine would show "undefined" instead of the explanation.
        this.message = message;
        this.name = "KeyValidationError";
    }
}

export interface FailureContext {
    readonly keyName: string;
    readonly fingerprint: string;
    readonly mode: "messages" | "models";
    readonly model: string;
    readonly baseUrl: string;
    readonly maxRetrySeconds: number;
    /** The key, the admin key: removed from every message. */
    readonly secrets: readonly string[];
}

export interface FailureParts {
    readonly headline: string;
    readonly details?: readonly string[];
    readonly todo: string;
    /** Defaults to the ping's target. */
    readonly target?: string;
    readonly requestId?: string;
}

export const NOTHING_PROPAGATED = "Nothing was propagated: no consumer was written, and each keeps the key it has now.";

export function pingTarget(ctx: Pick<FailureContext, "mode" | "model" | "baseUrl">): string {
    const base = ctx.baseUrl.replace(/\/+$/, "");
    return ctx.mode === "messages"
        ? `Anthropic Messages API (POST ${base}/v1/messages, model ${ctx.model})`
        : `Anthropic Models API (GET ${base}/v1/models/${ctx.model})`;
}

export function adminTarget(baseUrl: string): string {
    return `Anthropic Admin API (${baseUrl.replace(/\/+$/, "")}/v1/organizations/api_keys)`;
}

/** Builds the redacted, multi-line message every failure uses. */
export function validationFailure(kind: ValidationFailureKind, ctx: FailureContext, parts: FailureParts): KeyValidationError {
    const lines = [
        `Key validation failed: ${parts.headline}.`,
        `  step: validate the new key ${ctx.keyName} (${ctx.fingerprint}) before anything is propagated`,
        `  target: ${parts.target ?? pingTarget(ctx)}`,
        ...(parts.details ?? []).map((d) => `  ${d}`),
        ...(parts.requestId ? [`  request id: ${parts.requestId} (quote it if you contact Anthropic support)`] : []),
        `  what to do: ${parts.todo}`,
        NOTHING_PROPAGATED,
    ];
    return new KeyValidationError(kind, redact(lines.join("\n"), ctx.secrets), parts.requestId);
}

/** `HTTP 401 authentication_error: invalid x-api-key` — with the API's message shortened and redacted. */
export function describeStatus(failure: Extract<ApiFailure, { kind: "status" }>, secrets: readonly string[]): string {
    const type = failure.type ? ` ${failure.type}` : "";
    const code = failure.errorCode ? ` (error_code ${failure.errorCode})` : "";
    const raw = failure.apiMessage ? redact(failure.apiMessage, secrets).replace(/\s+/g, " ").trim() : "";
    const message = raw ? `: ${raw.length > 300 ? `${raw.slice(0, 300)}…` : raw}` : "";
    return `HTTP ${failure.status}${type}${code}${message}`;
}

/**
 * What the attempts that got no answer add to a call judged by an answer, e.g. "; 1 attempt got no answer
 * (timed out), cut short because the retry budget ran out"; empty when every attempt was answered.
 */
export function unansweredNote(err: ApiCallError): string {
    const none = err.history.filter((a) => a.failure.kind === "transport");
    if (err.failure.kind !== "status" || none.length === 0) return "";
    const details = [...new Set(none.map((a) => (a.failure.kind === "transport" ? a.failure.detail : "")))].join(", ");
    const cut = none.filter((a) => a.cutByBudget).length;
    const cutText = cut === 0 ? "" : cut === none.length ? ", cut short because the retry budget ran out" : `, ${cut} of them cut short because the retry budget ran out`;
    return `; ${none.length} attempt${none.length === 1 ? "" : "s"} got no answer (${details})${cutText}`;
}

export function seconds(ms: number): string {
    return `${(ms / 1000).toFixed(1)} s`;
}

const BILLING_MESSAGE = /credit balance|billing|purchase credits|payment/i;

export function isBillingFailure(failure: ApiFailure): boolean {
    if (failure.kind !== "status") return false;
    if (failure.status === 402 || failure.type === "billing_error") return true;
    if (failure.errorCode && (SPEND_LIMIT_ERROR_CODES.includes(failure.errorCode) || /billing|spend_limit/.test(failure.errorCode))) return true;
    return failure.status === 400 && !!failure.apiMessage && BILLING_MESSAGE.test(failure.apiMessage);
}

const SET_KEY = "pulumi config set --secret apiKey -s <stack> (paste the key at the prompt, never on the command line)";

/** Maps a failed ping of the new key to its own clear message. */
export function describePingFailure(err: ApiCallError, ctx: FailureContext): KeyValidationError {
    const f = err.failure;
    const tries = `${err.attempts} attempt${err.attempts === 1 ? "" : "s"} in ${seconds(err.elapsedMs)}`;
    if (f.kind === "transport") {
        return validationFailure("unreachable", ctx, {
            headline: `the Anthropic API did not answer (${f.detail}) after ${tries}`,
            todo: `check endpoints.anthropic (now ${ctx.baseUrl}) and the network or proxy between this machine and the API, then run pulumi up again; the key itself was not judged. If the network is just slow, raise validation.maxRetrySeconds (now ${ctx.maxRetrySeconds}).`,
        });
    }
    if (f.kind === "internal") {
        return validationFailure("unexpected", ctx, {
            headline: `the validation call could not be made (${f.detail})`,
            todo: "this is a bug or an incompatible @anthropic-ai/sdk version: run again with the same inputs and report the message.",
        });
    }
    const status = describeStatus(f, ctx.secrets);
    const requestId = f.requestId;
    if (isBillingFailure(f)) {
        const spendLimit = f.errorCode !== undefined && SPEND_LIMIT_ERROR_CODES.includes(f.errorCode);
        return validationFailure("billing", ctx, {
            headline: spendLimit
                ? `the organisation that owns the key has reached a spend limit (${status})`
                : `billing: the organisation that owns the key cannot be charged — no credit or a billing problem (${status})`,
            todo: spendLimit
                ? "raise the spend limit in the Console (Settings → Limits) or wait for the limit period to reset, then run pulumi up again. Every consumer would fail the same way with this key."
                : "add credits or fix the payment method in the Console (Settings → Billing), then run pulumi up again. Every consumer would fail the same way with this key (validation.mode: models would not notice, because it costs nothing).",
            requestId,
        });
    }
    if (err.stop !== "not-retryable") {
        const budget = `validation.maxRetrySeconds is ${ctx.maxRetrySeconds}`;
        const what =
            f.status === 429 ? "rate limited" : f.status === 529 ? "overloaded" : f.status >= 500 ? "failing on its side" : "answering with a retryable error";
        const headline =
            err.stop === "retry-after"
                ? `the Anthropic API is ${what} (${status}) and asked to wait ${seconds(err.requestedDelayMs ?? 0)} (retry-after), longer than the ${seconds(Math.max(0, err.budgetMs - err.elapsedMs))} left of the retry budget (${budget})`
                : `the Anthropic API was still ${what} after ${tries}, retrying with backoff (${budget}); last answer ${status}${unansweredNote(err)}`;
        return validationFailure("retries-exhausted", ctx, {
            headline,
            todo:
                (f.status === 429
                    ? "the key's organisation or workspace is using up its rate limit (other traffic counts too): wait a minute and run pulumi up again. "
                    : "wait a few minutes (https://status.anthropic.com) and run pulumi up again. ") +
                "The key itself was not judged. If this keeps happening, raise validation.maxRetrySeconds (at most 600).",
            requestId,
        });
    }
    switch (f.status) {
        case 401:
            return validationFailure("key-rejected", ctx, {
                headline: `the API rejected the new key (${status})`,
                todo: `check that the whole key was pasted — an Anthropic API key is 108 characters and ends in "AA"; a missing or extra character gives exactly this — and that the key was not deactivated in the Console. Then set it again: ${SET_KEY}.`,
                requestId,
            });
        case 403:
            return validationFailure("permission-denied", ctx, {
                headline: `permission: the key authenticated but is not allowed to ${ctx.mode === "messages" ? `call the Messages API with model ${ctx.model}` : `read model ${ctx.model}`} (${status})`,
                todo: "check the key's workspace and its model access and restrictions in the Console (https://platform.claude.com/settings/workspaces), or choose a model that workspace may use with pulumi config set --path validation.model <model> -s <stack>.",
                requestId,
            });
        case 404:
            return validationFailure("model-not-found", ctx, {
                headline: `the model "${ctx.model}" is unknown or retired (${status})`,
                todo: `set a current model, e.g. pulumi config set --path validation.model claude-haiku-4-5 -s <stack> (GET /v1/models lists the models the key can use; the default is claude-haiku-4-5). If the model is right, check endpoints.anthropic (now ${ctx.baseUrl}): a wrong base URL also answers 404.`,
                requestId,
            });
        case 400:
        case 413:
            return validationFailure("bad-request", ctx, {
                headline: `the API refused the validation request (${status})`,
                todo: "check validation.model and validation.maxTokens (1–4096) in the stack config; the key itself was not judged.",
                requestId,
            });
        default:
            return validationFailure("unexpected", ctx, {
                headline: `the API answered ${status}`,
                todo: `check https://status.anthropic.com and endpoints.anthropic (now ${ctx.baseUrl}), then run pulumi up again.`,
                requestId,
            });
    }
}
