import { describe, expect, it } from "vitest";
import { toApiKeyRecord } from "../../components/anthropic/adminApi";
import { messagesAttemptTimeoutMs } from "../../components/anthropic/ping";
import { limitShortfalls, parseRateLimits } from "../../components/anthropic/rateLimits";
import { ApiCallError, callWithRetries, describeApiError, isRetryable, validationRetryPolicy } from "../../components/anthropic/retry";

describe("retry policy", () => {
    it("defaults: 10 attempts within maxRetrySeconds, 15 s per attempt", () => {
        expect(validationRetryPolicy(60, {})).toMatchObject({ maxAttempts: 10, maxTotalMs: 60_000, attemptTimeoutMs: 15_000, baseDelayMs: 500, maxDelayMs: 8_000 });
    });

    it("the environment can shorten the budget but never lengthen it", () => {
        expect(validationRetryPolicy(60, { ANTHROPIC_KEY_ROTATION_RETRY_MAX_TOTAL_MS: "2000" }).maxTotalMs).toBe(2000);
        expect(validationRetryPolicy(1, { ANTHROPIC_KEY_ROTATION_RETRY_MAX_TOTAL_MS: "900000" }).maxTotalMs).toBe(1000);
    });

    it("a Messages ping gets room to generate maxTokens; the environment's attempt timeout wins", () => {
        expect(messagesAttemptTimeoutMs(10)).toBe(15_250);
        expect(validationRetryPolicy(60, {}, messagesAttemptTimeoutMs(4096)).attemptTimeoutMs).toBe(117_400);
        expect(validationRetryPolicy(60, { ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS: "300" }, 99_000).attemptTimeoutMs).toBe(300);
    });
});

describe("describing SDK errors (duck-typed, safe fields only)", () => {
    const sdk = require("@anthropic-ai/sdk") as typeof import("@anthropic-ai/sdk");

    it("a status error keeps status, type, message, error code and request id", () => {
        const headers = new Headers({ "request-id": "req_1", "retry-after": "3" });
        const body = { type: "error", error: { type: "rate_limit_error", message: "slow down", details: { error_code: "enforced_spend_limit_reached" } }, request_id: "req_1" };
        const err = sdk.APIError.generate(429, body, undefined, headers);
        expect(describeApiError(err)).toEqual({
            kind: "status", status: 429, type: "rate_limit_error", apiMessage: "slow down", errorCode: "enforced_spend_limit_reached", requestId: "req_1",
            headers: { "request-id": "req_1", "retry-after": "3" },
        });
    });

    it("connection errors and timeouts are transport failures", () => {
        expect(describeApiError(new sdk.APIConnectionTimeoutError())).toEqual({ kind: "transport", timedOut: true, detail: "timed out" });
        const refused = new sdk.APIConnectionError({ cause: Object.assign(new Error("fetch failed"), { cause: { code: "ECONNREFUSED" } }) });
        expect(describeApiError(refused)).toEqual({ kind: "transport", timedOut: false, detail: "connection failed: ECONNREFUSED" });
    });

    it("retryable: 408, 409, 429, 5xx, transport; not 4xx, not spend limits; x-should-retry decides", () => {
        const status = (s: number, headers: Record<string, string> = {}, errorCode?: string) => ({ kind: "status" as const, status: s, headers, errorCode });
        expect([408, 409, 429, 500, 502, 529].map((s) => isRetryable(status(s)))).toEqual([true, true, true, true, true, true]);
        expect([400, 401, 402, 403, 404, 413].map((s) => isRetryable(status(s)))).toEqual([false, false, false, false, false, false]);
        expect(isRetryable(status(429, {}, "enforced_spend_limit_reached"))).toBe(false);
        expect(isRetryable(status(500, { "x-should-retry": "false" }))).toBe(false);
        expect(isRetryable(status(400, { "x-should-retry": "true" }))).toBe(true);
        expect(isRetryable({ kind: "transport", timedOut: true, detail: "x" })).toBe(true);
        expect(isRetryable({ kind: "internal", detail: "bug" })).toBe(false);
    });

    it("callWithRetries never rethrows the SDK error itself (its message embeds the raw body)", async () => {
        const body = { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } };
        const err = await callWithRetries(() => Promise.reject(sdk.APIError.generate(401, body, undefined, new Headers())), { maxRetrySeconds: 1 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ApiCallError);
        expect((err as ApiCallError).message).toBe("API call failed (HTTP 401) after 1 attempt(s)");
        expect((err as ApiCallError).stop).toBe("not-retryable");
        expect(Object.values(err as object).some((v) => v instanceof Error)).toBe(false);
    });
});

describe("rate-limit headers", () => {
    it("parses every family present and leaves the others out", () => {
        const limits = parseRateLimits({
            "anthropic-ratelimit-requests-limit": "50",
            "anthropic-ratelimit-requests-remaining": "49",
            "anthropic-ratelimit-requests-reset": "2026-11-23T10:00:00Z",
            "anthropic-ratelimit-input-tokens-limit": "30000",
        });
        expect(limits).toEqual({ requests: { limit: 50, remaining: 49, reset: "2026-11-23T10:00:00Z" }, inputTokens: { limit: 30000 } });
        expect(limitShortfalls(limits, { requestsPerMinute: 50, inputTokensPerMinute: 40000 })).toEqual([
            { setting: "inputTokensPerMinute", header: "anthropic-ratelimit-input-tokens-limit", required: 40000, actual: 30000 },
        ]);
        expect(limitShortfalls(limits, undefined)).toEqual([]);
    });
});

describe("Admin API records", () => {
    it("reads the workspace from workspace_id or from scope (SDK 1.12's shape)", () => {
        expect(toApiKeyRecord({ id: "apikey_1", workspace_id: "wrkspc_A" }).workspaceId).toBe("wrkspc_A");
        expect(toApiKeyRecord({ id: "apikey_1", scope: { type: "workspace", workspace_id: "wrkspc_B" } }).workspaceId).toBe("wrkspc_B");
        expect(toApiKeyRecord({ id: "apikey_1", workspace_id: null, scope: { type: "organization" } }).workspaceId).toBeNull();
    });
});
