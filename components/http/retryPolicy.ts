/** When and how long to wait between attempts at an HTTP call. */
export interface RetryPolicy {
    /** Total attempts including the first (1 disables retries). */
    readonly maxAttempts: number;
    /** First backoff delay; doubles each attempt, with ±25% jitter. */
    readonly baseDelayMs: number;
    /** No single wait is longer than this, whatever `retry-after` asks. */
    readonly maxDelayMs: number;
    /** The whole call, attempts and waits together, never takes longer than this. */
    readonly maxTotalMs: number;
    /** Per-attempt timeout. */
    readonly attemptTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
    maxAttempts: 5,
    baseDelayMs: 500,
    maxDelayMs: 8_000,
    maxTotalMs: 60_000,
    attemptTimeoutMs: 15_000,
};

/**
 * Operator (and test) overrides, read at call time inside the provider process:
 * `ANTHROPIC_KEY_ROTATION_RETRY_BASE_MS`, `..._RETRY_MAX_DELAY_MS`, `..._RETRY_MAX_TOTAL_MS`,
 * `..._RETRY_MAX_ATTEMPTS`, `..._ATTEMPT_TIMEOUT_MS`. Unset or invalid values keep the given policy.
 */
export function withEnvironmentOverrides(policy: RetryPolicy, env: NodeJS.ProcessEnv = process.env): RetryPolicy {
    const num = (name: string): number | undefined => {
        const raw = env[`ANTHROPIC_KEY_ROTATION_${name}`];
        const value = raw === undefined ? NaN : Number(raw);
        return Number.isFinite(value) && value >= 0 ? value : undefined;
    };
    return {
        maxAttempts: Math.max(1, Math.floor(num("RETRY_MAX_ATTEMPTS") ?? policy.maxAttempts)),
        baseDelayMs: num("RETRY_BASE_MS") ?? policy.baseDelayMs,
        maxDelayMs: num("RETRY_MAX_DELAY_MS") ?? policy.maxDelayMs,
        maxTotalMs: num("RETRY_MAX_TOTAL_MS") ?? policy.maxTotalMs,
        attemptTimeoutMs: num("ATTEMPT_TIMEOUT_MS") ?? policy.attemptTimeoutMs,
    };
}

/** Statuses worth another attempt: timeouts, conflicts, rate limits and server faults (incl. Anthropic's 529). */
export function isRetryableStatus(status: number): boolean {
    return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * The server's requested wait, from `retry-after-ms`, `retry-after` (seconds or an HTTP date) or, failing
 * those, a rate-limit reset header (`ratelimit-reset` seconds or `x-ratelimit-reset` epoch seconds).
 */
export function serverRequestedDelayMs(headers: Readonly<Record<string, string>>, now: number = Date.now()): number | undefined {
    const ms = headers["retry-after-ms"];
    if (ms !== undefined && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
    const ra = headers["retry-after"];
    if (ra !== undefined) {
        const seconds = Number(ra);
        if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
        const at = Date.parse(ra);
        if (Number.isFinite(at)) return Math.max(0, at - now);
    }
    const reset = headers["x-ratelimit-reset"];
    if (reset !== undefined && headers["x-ratelimit-remaining"] === "0" && Number.isFinite(Number(reset))) {
        return Math.max(0, Number(reset) * 1000 - now);
    }
    return undefined;
}

/** Exponential backoff with jitter for attempt n (0-based), capped by the policy. */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
    const raw = policy.baseDelayMs * 2 ** attempt;
    const jittered = raw * (0.75 + random() * 0.5);
    return Math.min(policy.maxDelayMs, Math.round(jittered));
}
