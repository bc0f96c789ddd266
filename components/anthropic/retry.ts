import { backoffDelayMs, DEFAULT_RETRY_POLICY, RetryPolicy, serverRequestedDelayMs, withEnvironmentOverrides } from "../http/retryPolicy";

/**
 * Our own bounded retry loop around SDK calls (the SDK itself runs with `maxRetries: 0`). It retries what the
 * SDK would (408, 409, 429, 5xx including 529, lost connections, timeouts; `x-should-retry` decides when
 * present) but never a spend-limit 429, which does not clear within minutes; it honours `retry-after` /
 * `retry-after-ms`, and the whole call — attempts and waits — stays within `maxRetrySeconds`. If the server
 * asks for a wait longer than what is left, it stops at once and says so rather than wait past the budget.
 *
 * Errors are described by duck typing (status, headers, error.type…), so this module needs no SDK import,
 * and only safe fields are kept: never the SDK error object, whose message embeds the raw body.
 */

/** With base 0.5 s doubling to a cap of 8 s, ten attempts fill about 55 s: the default 60 s budget. */
export const VALIDATION_MAX_ATTEMPTS = 10;

/** 429 error codes that are not transient: the organisation hit a spend limit. */
export const SPEND_LIMIT_ERROR_CODES: readonly string[] = ["enforced_spend_limit_reached", "contract_spend_limit_reached", "ramp_limit_exceeded"];

export type ApiFailure =
    | {
          readonly kind: "status";
          readonly status: number;
          /** `error.type` from the body, e.g. `authentication_error`. */
          readonly type?: string;
          /** `error.message` from the body (not yet redacted). */
          readonly apiMessage?: string;
          /** `error.details.error_code`, when present. */
          readonly errorCode?: string;
          readonly requestId?: string;
          /** Lower-cased response headers. */
          readonly headers: Readonly<Record<string, string>>;
      }
    | { readonly kind: "transport"; readonly timedOut: boolean; readonly detail: string }
    | { readonly kind: "internal"; readonly detail: string };

export type StopReason = "not-retryable" | "attempts" | "time" | "retry-after";

/** How one attempt ended: its failure, and whether its timeout had been cut short by the retry budget. */
export interface AttemptFailure {
    readonly failure: ApiFailure;
    /** The attempt ran with less than the normal per-attempt timeout because the budget was nearly spent. */
    readonly cutByBudget: boolean;
}

/**
 * The failure a call is judged by, from every attempt: the last answer the server gave (a status), when any
 * attempt got one; otherwise the last failure. A run of 503s whose final attempt is cut off by the budget is
 * "the API kept failing", not "the API did not answer": the cut-off attempt only says the time ran out.
 */
export function decisiveFailure(attempts: readonly AttemptFailure[]): ApiFailure {
    for (let i = attempts.length - 1; i >= 0; i--) if (attempts[i].failure.kind === "status") return attempts[i].failure;
    return attempts.at(-1)?.failure ?? { kind: "internal", detail: "no attempt made" };
}

export interface ApiCallOutcome {
    /** Every failed attempt, in order. */
    readonly history: readonly AttemptFailure[];
    readonly elapsedMs: number;
    readonly stop: StopReason;
    readonly budgetMs: number;
    /** The wait the server asked for, when that is why we stopped. */
    readonly requestedDelayMs?: number;
}

/** A call that did not succeed: every attempt's failure, how it ended and how long it took. Holds no SDK object. */
export class ApiCallError extends Error {
    /** The failure the call is judged by (see decisiveFailure); the last attempt's is `history.at(-1)`. */
    readonly failure: ApiFailure;
    readonly history: readonly AttemptFailure[];
    readonly attempts: number;
    readonly elapsedMs: number;
    readonly stop: StopReason;
    readonly budgetMs: number;
    readonly requestedDelayMs?: number;

    constructor(outcome: ApiCallOutcome) {
        const failure = decisiveFailure(outcome.history);
        const message = `API call failed (${failure.kind === "status" ? `HTTP ${failure.status}` : failure.kind}) after ${outcome.history.length} attempt(s)`;
        super(message);
        // Set explicitly: a serialized dynamic provider turns `super(message)` into `Error.call(this, message)`.
        this.message = message;
        this.name = "ApiCallError";
        this.failure = failure;
        this.history = outcome.history;
        this.attempts = outcome.history.length;
        this.elapsedMs = outcome.elapsedMs;
        this.stop = outcome.stop;
        this.budgetMs = outcome.budgetMs;
        if (outcome.requestedDelayMs !== undefined) this.requestedDelayMs = outcome.requestedDelayMs;
    }
}

interface ErrorLike {
    name?: unknown;
    status?: unknown;
    headers?: unknown;
    type?: unknown;
    apiMessage?: unknown;
    errorCode?: unknown;
    requestID?: unknown;
    error?: unknown;
    cause?: unknown;
    message?: unknown;
}

function headersToRecord(headers: unknown): Record<string, string> {
    const out: Record<string, string> = {};
    if (headers && typeof (headers as { forEach?: unknown }).forEach === "function") {
        (headers as { forEach(cb: (value: string, key: string) => void): void }).forEach((value, key) => {
            out[key.toLowerCase()] = value;
        });
    } else if (headers && typeof headers === "object") {
        for (const [k, v] of Object.entries(headers as Record<string, unknown>)) if (typeof v === "string") out[k.toLowerCase()] = v;
    }
    return out;
}

function str(value: unknown): string | undefined {
    return typeof value === "string" && value.length > 0 ? value : undefined;
}

function causeCode(err: unknown, depth = 0): string | undefined {
    if (!err || typeof err !== "object" || depth > 4) return undefined;
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string") return code;
    return causeCode((err as { cause?: unknown }).cause, depth + 1);
}

/** Turns whatever an SDK call threw into the few safe facts we act on. */
export function describeApiError(err: unknown): ApiFailure {
    if (err instanceof ApiCallError) return err.failure;
    const e = (err && typeof err === "object" ? err : {}) as ErrorLike;
    const name = typeof e.name === "string" ? e.name : "";
    if (name === "APIConnectionTimeoutError") return { kind: "transport", timedOut: true, detail: "timed out" };
    if (name === "APIConnectionError" || name === "APIUserAbortError") {
        const code = causeCode(e.cause);
        return { kind: "transport", timedOut: /timed? ?out/i.test(String(code ?? "")), detail: code ? `connection failed: ${code}` : "connection failed" };
    }
    if (typeof e.status === "number") {
        const body = (e.error && typeof e.error === "object" ? e.error : {}) as { error?: { type?: unknown; message?: unknown; details?: { error_code?: unknown } }; request_id?: unknown };
        const headers = headersToRecord(e.headers);
        // A body that is not Anthropic-shaped JSON (a proxy's HTML, plain text) only survives in the SDK's message.
        const rawText = !body.error && typeof e.message === "string" ? e.message.replace(/^\d{3}\s*/, "") : undefined;
        return {
            kind: "status",
            status: e.status,
            type: str(e.type) ?? str(body.error?.type),
            apiMessage: str(e.apiMessage) ?? str(body.error?.message) ?? str(rawText),
            errorCode: str(e.errorCode) ?? str(body.error?.details?.error_code),
            requestId: str(e.requestID) ?? str(body.request_id) ?? headers["request-id"],
            headers,
        };
    }
    return { kind: "internal", detail: typeof e.message === "string" ? e.message : String(err) };
}

export function isRetryable(failure: ApiFailure): boolean {
    if (failure.kind === "transport") return true;
    if (failure.kind === "internal") return false;
    const should = failure.headers["x-should-retry"];
    if (should === "true") return true;
    if (should === "false") return false;
    if (failure.status === 429 && failure.errorCode && SPEND_LIMIT_ERROR_CODES.includes(failure.errorCode)) return false;
    return failure.status === 408 || failure.status === 409 || failure.status === 429 || failure.status >= 500;
}

/** Time as the retry loop sees it. Injectable, so tests of budgets do not depend on the machine's speed. */
export interface RetryClock {
    now(): number;
    sleep(ms: number): Promise<void>;
}

export const SYSTEM_CLOCK: RetryClock = {
    now: () => Date.now(),
    sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};

export interface RetryOptions {
    /** Upper bound on the whole call, attempts and waits together (validation.maxRetrySeconds). */
    readonly maxRetrySeconds: number;
    /** Per-attempt timeout when the environment sets none (default 15 s); always cut to the budget left. */
    readonly attemptTimeoutMs?: number;
    readonly clock?: RetryClock;
}

/**
 * The effective policy: defaults, then the operator/test environment overrides, then the budget. An
 * environment `ANTHROPIC_KEY_ROTATION_RETRY_MAX_TOTAL_MS` can only shorten the configured budget.
 */
export function validationRetryPolicy(maxRetrySeconds: number, env: NodeJS.ProcessEnv = process.env, attemptTimeoutMs?: number): RetryPolicy {
    const budgetMs = Math.max(1, Math.round(maxRetrySeconds * 1000));
    const policy = withEnvironmentOverrides(
        {
            ...DEFAULT_RETRY_POLICY,
            maxAttempts: VALIDATION_MAX_ATTEMPTS,
            maxTotalMs: budgetMs,
            attemptTimeoutMs: attemptTimeoutMs ?? DEFAULT_RETRY_POLICY.attemptTimeoutMs,
        },
        env,
    );
    return { ...policy, maxTotalMs: Math.min(budgetMs, policy.maxTotalMs) };
}

/**
 * Runs `attempt(timeoutMs)` until it succeeds, fails in a way that is not worth repeating, or the budget
 * is spent. Always throws ApiCallError on failure.
 */
export async function callWithRetries<T>(attempt: (timeoutMs: number) => Promise<T>, options: RetryOptions): Promise<{ value: T; attempts: number; elapsedMs: number }> {
    const policy = validationRetryPolicy(options.maxRetrySeconds, process.env, options.attemptTimeoutMs);
    const clock = options.clock ?? SYSTEM_CLOCK;
    const started = clock.now();
    const history: AttemptFailure[] = [];
    const fail = (stop: StopReason, requestedDelayMs?: number) =>
        new ApiCallError({ history, elapsedMs: clock.now() - started, stop, budgetMs: policy.maxTotalMs, requestedDelayMs });
    for (let n = 1; n <= policy.maxAttempts; n++) {
        const remaining = policy.maxTotalMs - (clock.now() - started);
        if (remaining <= 0) throw fail("time");
        const cutByBudget = remaining < policy.attemptTimeoutMs;
        const timeoutMs = Math.max(1, Math.floor(Math.min(policy.attemptTimeoutMs, remaining)));
        let last: ApiFailure;
        try {
            const value = await attempt(timeoutMs);
            return { value, attempts: n, elapsedMs: clock.now() - started };
        } catch (err) {
            last = describeApiError(err);
            history.push({ failure: last, cutByBudget });
        }
        if (!isRetryable(last)) throw fail("not-retryable");
        if (n === policy.maxAttempts) throw fail("attempts");
        const requested = last.kind === "status" ? serverRequestedDelayMs(last.headers, clock.now()) : undefined;
        const delay = requested ?? backoffDelayMs(policy, n - 1);
        if (clock.now() - started + delay >= policy.maxTotalMs) throw fail(requested !== undefined ? "retry-after" : "time", requested);
        await clock.sleep(delay);
    }
    throw fail("attempts");
}
