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

/** A call that did not succeed: the last failure, how it ended and how long it took. Holds no SDK object. */
export class ApiCallError extends Error {
    constructor(
        readonly failure: ApiFailure,
        readonly attempts: number,
        readonly elapsedMs: number,
        readonly stop: StopReason,
        readonly budgetMs: number,
        /** The wait the server asked for, when that is why we stopped. */
        readonly requestedDelayMs?: number,
    ) {
        super(`API call failed (${failure.kind === "status" ? `HTTP ${failure.status}` : failure.kind}) after ${attempts} attempt(s)`);
        // Set explicitly: a serialized dynamic provider turns `super(message)` into `Error.call(this, message)`.
        this.message = `API call failed (${failure.kind === "status" ? `HTTP ${failure.status}` : failure.kind}) after ${attempts} attempt(s)`;
        this.name = "ApiCallError";
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

export interface RetryOptions {
    /** Upper bound on the whole call, attempts and waits together (validation.maxRetrySeconds). */
    readonly maxRetrySeconds: number;
    /** Per-attempt timeout when the environment sets none (default 15 s); always cut to the budget left. */
    readonly attemptTimeoutMs?: number;
    readonly sleep?: (ms: number) => Promise<void>;
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
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const started = Date.now();
    let last: ApiFailure = { kind: "internal", detail: "no attempt made" };
    for (let n = 1; n <= policy.maxAttempts; n++) {
        const remaining = policy.maxTotalMs - (Date.now() - started);
        if (remaining <= 0) throw new ApiCallError(last, n - 1, Date.now() - started, "time", policy.maxTotalMs);
        const timeoutMs = Math.max(1, Math.floor(Math.min(policy.attemptTimeoutMs, remaining)));
        try {
            const value = await attempt(timeoutMs);
            return { value, attempts: n, elapsedMs: Date.now() - started };
        } catch (err) {
            last = describeApiError(err);
        }
        const elapsed = Date.now() - started;
        if (!isRetryable(last)) throw new ApiCallError(last, n, elapsed, "not-retryable", policy.maxTotalMs);
        if (n === policy.maxAttempts) throw new ApiCallError(last, n, elapsed, "attempts", policy.maxTotalMs);
        const requested = last.kind === "status" ? serverRequestedDelayMs(last.headers) : undefined;
        const delay = requested ?? backoffDelayMs(policy, n - 1);
        if (elapsed + delay >= policy.maxTotalMs) {
            throw new ApiCallError(last, n, elapsed, requested !== undefined ? "retry-after" : "time", policy.maxTotalMs, requested);
        }
        await sleep(delay);
    }
    throw new ApiCallError(last, policy.maxAttempts, Date.now() - started, "attempts", policy.maxTotalMs);
}
