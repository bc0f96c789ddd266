import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ADMIN_CHECKS_SKIPPED } from "../../components/anthropic/adminChecks";
import { ANTHROPIC_API_VERSION } from "../../components/anthropic/client";
import { keyValidationProvider } from "../../components/anthropic/keyValidationProvider";
import { validateKey } from "../../components/anthropic/validateKey";
import { AnthropicEmulator, EmulatedKey } from "../../offline/emulators/anthropicEmulator";
import { FakeClock, withRetryEnv } from "./fakeClock";
import { addRotationKey, expectNoLeak, expectValidationError, inputsFor, outputsWithoutKey, useFastRetries, validationInputsFor } from "./support";

useFastRetries();
const provider = keyValidationProvider;
const emulator = new AnthropicEmulator();
let key: EmulatedKey;

beforeAll(async () => {
    await emulator.start();
});
afterAll(async () => {
    await emulator.stop();
});
beforeEach(() => {
    delete process.env.ANTHROPIC_ADMIN_API_KEY;
    key = addRotationKey(emulator);
});
afterEach(() => {
    emulator.clearFaults();
});

const MESSAGES = { method: "POST", path: "/v1/messages" };
const MODEL_PATH = "^/v1/models/";

type Mode = "messages" | "models";
const modes: Mode[] = ["messages", "models"];
const pathFor = (mode: Mode) => (mode === "messages" ? MESSAGES : { method: "GET", path: MODEL_PATH });

describe("a working key passes", () => {
    it("messages mode: one Messages call; records request id, responding model, usage and rate limits", async () => {
        const res = await provider.create(inputsFor(emulator, key.value));
        const outs = res.outs as Record<string, unknown>;
        expect(res.id).toMatch(/^keyvalidation-[0-9a-f]{16}$/);
        expect(res.id).not.toContain(key.fingerprint.slice(7));
        expect(outs.requestId).toMatch(/^req_011/);
        expect(outs.respondingModel).toBe("claude-haiku-4-5-20251001");
        expect(outs.usage).toEqual({ inputTokens: expect.any(Number), outputTokens: 4 });
        expect(outs.rateLimits).toMatchObject({
            requests: { limit: 4000, remaining: expect.any(Number), reset: expect.stringMatching(/Z$/) },
            inputTokens: { limit: 2_000_000 },
            outputTokens: { limit: 400_000 },
        });
        expect(outs.adminChecks).toBe(ADMIN_CHECKS_SKIPPED);
        expect(outs.validatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
        expect(outs.validatedFingerprint).toBe(key.fingerprint); // the receipt consumers take as an input
        expect(outs.apiKey).toBe(key.value);
        expect(outs).toMatchObject({ keyName: "raxx-prod-agents-2026-11-23", environment: "prod", createdAt: "2026-11-23", fingerprint: key.fingerprint, mode: "messages", model: "claude-haiku-4-5", maxTokens: 10 });
        const calls = emulator.calls({ fingerprint: key.fingerprint });
        expect(calls).toHaveLength(1);
        expect(calls[0]).toMatchObject({ method: "POST", path: "/v1/messages", via: "x-api-key", version: ANTHROPIC_API_VERSION, outcome: 200 });
        // The request body is the SOP's: configured model, max_tokens, one "ping".
        const sent = emulator.server.calls("POST", "/v1/messages").at(-1)!;
        expect(sent.json).toEqual({ model: "claude-haiku-4-5", max_tokens: 10, messages: [{ role: "user", content: "ping" }] });
        expect(sent.headers.authorization).toBeUndefined();
        expectNoLeak([key.value], outputsWithoutKey(outs));
    });

    it("models mode: GET /v1/models/{model}, no Messages call, no token usage", async () => {
        const res = await provider.create(inputsFor(emulator, key.value, { mode: "models" }));
        const outs = res.outs as Record<string, unknown>;
        expect(outs.respondingModel).toBe("claude-haiku-4-5-20251001");
        expect(outs.usage).toBeUndefined();
        expect(outs.requestId).toMatch(/^req_/);
        expect(emulator.messageCalls(key.fingerprint)).toHaveLength(0);
        expect(emulator.calls({ fingerprint: key.fingerprint }).map((c) => `${c.method} ${c.path}`)).toEqual(["GET /v1/models/claude-haiku-4-5"]);
    });

    it("uses the configured model and max_tokens", async () => {
        await provider.create(inputsFor(emulator, key.value, { model: "claude-sonnet-4-6", maxTokens: 3 }));
        const sent = emulator.server.calls("POST", "/v1/messages").at(-1)!;
        expect(sent.json).toMatchObject({ model: "claude-sonnet-4-6", max_tokens: 3 });
    });
});

describe.each(modes)("failures, %s mode", (mode) => {
    const where = pathFor(mode);

    it("401: the API rejected the new key; check the whole key was pasted; nothing was propagated", async () => {
        const wrong = emulator.addKey({ status: "inactive" });
        const err = await expectValidationError(provider.create(inputsFor(emulator, wrong.value, { mode })));
        expect(err.kind).toBe("key-rejected");
        expect(err.message).toContain("the API rejected the new key (HTTP 401 authentication_error: invalid x-api-key)");
        expect(err.message).toContain("check that the whole key was pasted");
        expect(err.message).toContain("Nothing was propagated");
        expect(err.message).toContain(`step: validate the new key raxx-prod-agents-2026-11-23 (${wrong.fingerprint})`);
        expect(err.message).toMatch(/request id: req_011/);
        expect(emulator.calls({ fingerprint: wrong.fingerprint })).toHaveLength(1); // 401 is not retried
        expectNoLeak([wrong.value], err);
    });

    it("403: fails on permission", async () => {
        emulator.setForcedError(key.value, { status: 403, message: "Your API key does not have permission to use the specified resource." });
        const err = await expectValidationError(provider.create(inputsFor(emulator, key.value, { mode })));
        expect(err.kind).toBe("permission-denied");
        expect(err.message).toContain("permission: the key authenticated but is not allowed to");
        expect(err.message).toContain("HTTP 403 permission_error");
        expect(err.message).toContain("workspace");
        expectNoLeak([key.value], err);
    });

    it("402 billing_error: fails and says billing", async () => {
        emulator.setForcedError(key.value, { status: 402 });
        const err = await expectValidationError(provider.create(inputsFor(emulator, key.value, { mode })));
        expect(err.kind).toBe("billing");
        expect(err.message).toContain("billing: the organisation that owns the key cannot be charged");
        expect(err.message).toContain("Settings → Billing");
        expect(emulator.calls({ fingerprint: key.fingerprint })).toHaveLength(1);
        expectNoLeak([key.value], err);
    });

    it("404: the model is unknown or retired, and how to change validation.model", async () => {
        const err = await expectValidationError(provider.create(inputsFor(emulator, key.value, { mode, model: "claude-2.0" })));
        expect(err.kind).toBe("model-not-found");
        expect(err.message).toContain(`the model "claude-2.0" is unknown or retired (HTTP 404 not_found_error`);
        expect(err.message).toContain("pulumi config set --path validation.model claude-haiku-4-5");
        expectNoLeak([key.value], err);
    });

    it("429 with retry-after: waits as asked, then passes", async () => {
        emulator.failNext(429, { ...where, headers: { "retry-after": "0.15" } });
        const started = Date.now();
        const res = await provider.create(inputsFor(emulator, key.value, { mode }));
        expect(Date.now() - started).toBeGreaterThanOrEqual(140);
        expect((res.outs as Record<string, unknown>).respondingModel).toBe("claude-haiku-4-5-20251001");
        expect(emulator.calls({ fingerprint: key.fingerprint }).map((c) => c.outcome)).toEqual([429, 200]);
    });

    it("429 without retry-after: backs off and passes", async () => {
        emulator.failNext(429, { ...where, times: 2 });
        await provider.create(inputsFor(emulator, key.value, { mode }));
        expect(emulator.calls({ fingerprint: key.fingerprint }).map((c) => c.outcome)).toEqual([429, 429, 200]);
    });

    it("529 overloaded and 500: retried, then passes", async () => {
        emulator.failNext(529, where);
        emulator.failNext(500, where);
        await provider.create(inputsFor(emulator, key.value, { mode }));
        expect(emulator.calls({ fingerprint: key.fingerprint }).map((c) => c.outcome)).toEqual([529, 500, 200]);
    });

    it("a dropped connection is retried, then passes", async () => {
        emulator.injectFault({ ...where, fault: { kind: "drop" } });
        await provider.create(inputsFor(emulator, key.value, { mode }));
        expect(emulator.calls({ fingerprint: key.fingerprint }).map((c) => c.outcome)).toEqual(["dropped", 200]);
    });

    it("a hung request is cut off by the attempt timeout and retried", async () => {
        // The API never answers, so each attempt ends by its 300 ms timeout however loaded the machine is (an
        // answer that only comes slowly could beat or miss the timeout by chance). Timed-out attempts are retried
        // like the dropped one above, until the attempts are spent. Counted from the error: a starved event loop
        // can fire the timer before the emulator has read the request, so its log may lag behind.
        const restore = withRetryEnv({ ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS: "300", ANTHROPIC_KEY_ROTATION_RETRY_MAX_ATTEMPTS: "3" });
        try {
            emulator.injectFault({ ...where, fault: { kind: "hang" }, times: 100 });
            const err = await expectValidationError(provider.create(inputsFor(emulator, key.value, { mode })));
            expect(err.kind).toBe("unreachable");
            expect(err.message).toMatch(/the Anthropic API did not answer \(timed out\) after 3 attempts in/);
            expect(emulator.calls({ fingerprint: key.fingerprint }).every((c) => c.outcome === "hung")).toBe(true);
            expectNoLeak([key.value], err);
        } finally {
            restore();
        }
    });

    it("529 every time: retries until the attempts are spent, then fails clearly", async () => {
        emulator.failNext(529, { ...where, times: 100 });
        // On an injected clock: nine short waits (useFastRetries: 5 ms doubling, capped at 20 ms), whatever the machine's speed.
        const clock = new FakeClock();
        const err = await expectValidationError(validateKey(validationInputsFor(emulator, key.value, { mode }), {}, clock));
        expect(clock.sleeps).toHaveLength(9);
        expect(Math.max(...clock.sleeps)).toBeLessThanOrEqual(20);
        expect(err.kind).toBe("retries-exhausted");
        expect(err.message).toContain("the Anthropic API was still overloaded after 10 attempts");
        expect(err.message).toContain("HTTP 529 overloaded_error");
        expect(err.message).toContain("The key itself was not judged");
        expect(err.message).toContain("validation.maxRetrySeconds");
        expect(emulator.calls({ fingerprint: key.fingerprint })).toHaveLength(10);
        expectNoLeak([key.value], err);
    });

    it("5xx within a short budget: stops when maxRetrySeconds is spent, and says the API kept failing", async () => {
        // The budget runs on an injected clock that moves only by the backoff waits, so how many attempts fit
        // does not depend on how fast this machine answers: every wait is 2 s (8 s ±25% jitter, capped at 2 s)
        // and the budget 10 s, so the attempts start at 0, 2, 4, 6 and 8 s, and a sixth would end past it.
        const restore = withRetryEnv({
            ANTHROPIC_KEY_ROTATION_RETRY_BASE_MS: "8000",
            ANTHROPIC_KEY_ROTATION_RETRY_MAX_DELAY_MS: "2000",
            ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS: "5000",
        });
        try {
            emulator.failNext(503, { ...where, times: 100 });
            const clock = new FakeClock();
            const err = await expectValidationError(validateKey(validationInputsFor(emulator, key.value, { mode, maxRetrySeconds: 10 }), {}, clock));
            expect(err.kind).toBe("retries-exhausted");
            expect(err.message).toContain("the Anthropic API was still failing on its side after 5 attempts in 8.0 s");
            expect(err.message).toContain("validation.maxRetrySeconds is 10");
            expect(err.message).toContain("last answer HTTP 503");
            expect(clock.sleeps).toEqual([2000, 2000, 2000, 2000]);
            expect(emulator.calls({ fingerprint: key.fingerprint })).toHaveLength(5);
            expectNoLeak([key.value], err);
        } finally {
            restore();
        }
    });

    it("429 whose retry-after is longer than the budget: fails at once and says so", async () => {
        emulator.failNext(429, { ...where, headers: { "retry-after": "120" }, times: 5 });
        const clock = new FakeClock();
        const err = await expectValidationError(validateKey(validationInputsFor(emulator, key.value, { mode, maxRetrySeconds: 60 }), {}, clock));
        expect(clock.sleeps).toEqual([]); // no wait at all: it gave up at once
        expect(err.kind).toBe("retries-exhausted");
        expect(err.message).toContain("asked to wait 120.0 s (retry-after)");
        expect(err.message).toContain("rate limited");
        expect(emulator.calls({ fingerprint: key.fingerprint })).toHaveLength(1);
    });

    it("the API is unreachable: fails clearly naming the endpoint", async () => {
        emulator.injectFault({ ...where, fault: { kind: "drop" }, times: 100 });
        const err = await expectValidationError(provider.create(inputsFor(emulator, key.value, { mode })));
        expect(err.kind).toBe("unreachable");
        expect(err.message).toContain("did not answer (connection failed");
        expect(err.message).toContain(`endpoints.anthropic (now ${emulator.url})`);
        expectNoLeak([key.value], err);
    });

    it("x-should-retry: false stops retries on a 500", async () => {
        emulator.failNext(500, { ...where, headers: { "x-should-retry": "false" } });
        const err = await expectValidationError(provider.create(inputsFor(emulator, key.value, { mode })));
        expect(err.kind).toBe("unexpected");
        expect(err.message).toContain("HTTP 500 api_error");
        expect(emulator.calls({ fingerprint: key.fingerprint })).toHaveLength(1);
    });
});

describe("billing and spend limits (messages mode)", () => {
    it("400 'credit balance is too low' is a billing failure", async () => {
        emulator.setForcedError(key.value, {
            status: 400,
            type: "invalid_request_error",
            message: "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
        });
        const err = await expectValidationError(provider.create(inputsFor(emulator, key.value)));
        expect(err.kind).toBe("billing");
        expect(err.message).toContain("credit balance is too low");
    });

    it("429 enforced_spend_limit_reached is not retried and says spend limit", async () => {
        emulator.setForcedError(key.value, { status: 429, errorCode: "enforced_spend_limit_reached", message: "spend limit reached" });
        const err = await expectValidationError(provider.create(inputsFor(emulator, key.value)));
        expect(err.kind).toBe("billing");
        expect(err.message).toContain("has reached a spend limit");
        expect(err.message).toContain("error_code enforced_spend_limit_reached");
        expect(emulator.calls({ fingerprint: key.fingerprint })).toHaveLength(1);
    });

    it("400 for a bad max_tokens / request", async () => {
        emulator.failNext(400, { ...MESSAGES, message: "max_tokens: must be less than 8192" });
        const err = await expectValidationError(provider.create(inputsFor(emulator, key.value)));
        expect(err.kind).toBe("bad-request");
        expect(err.message).toContain("validation.maxTokens");
    });

    it("413 request_too_large is a bad request, not retried", async () => {
        emulator.failNext(413, MESSAGES);
        const err = await expectValidationError(provider.create(inputsFor(emulator, key.value)));
        expect(err.kind).toBe("bad-request");
        expect(err.message).toContain("HTTP 413 request_too_large");
    });
});

describe("rate limits the consumers need (validation.minimumLimits)", () => {
    it("passes when the key's limits meet the minimum", async () => {
        emulator.setLimits(key.value, { requests: 1000, inputTokens: 450_000 });
        const res = await provider.create(inputsFor(emulator, key.value, { minimumLimits: { requestsPerMinute: 1000, inputTokensPerMinute: 400_000 } }));
        expect((res.outs as { rateLimits: { requests: { limit: number } } }).rateLimits.requests.limit).toBe(1000);
    });

    it("fails with the figures when the headers show lower limits", async () => {
        emulator.setLimits(key.value, { requests: 50, inputTokens: 30_000 });
        const err = await expectValidationError(
            provider.create(inputsFor(emulator, key.value, { minimumLimits: { requestsPerMinute: 1000, inputTokensPerMinute: 400_000 } })),
        );
        expect(err.kind).toBe("limits-too-low");
        expect(err.message).toContain("requestsPerMinute: required 1000 | the key has 50 (anthropic-ratelimit-requests-limit)");
        expect(err.message).toContain("inputTokensPerMinute: required 400000 | the key has 30000 (anthropic-ratelimit-input-tokens-limit)");
        expect(err.message).toContain("keys in different workspaces can have different limits");
        expectNoLeak([key.value], err);
    });

    it("only the short limit is reported", async () => {
        emulator.setLimits(key.value, { requests: 5000, inputTokens: 30_000 });
        const err = await expectValidationError(provider.create(inputsFor(emulator, key.value, { minimumLimits: { requestsPerMinute: 1000, inputTokensPerMinute: 400_000 } })));
        expect(err.message).not.toContain("requestsPerMinute:");
        expect(err.message).toContain("inputTokensPerMinute: required 400000 | the key has 30000");
    });

    it("models mode: answers without rate-limit headers cannot prove the minimum, and say what to do", async () => {
        const err = await expectValidationError(provider.create(inputsFor(emulator, key.value, { mode: "models", minimumLimits: { requestsPerMinute: 10 } })));
        expect(err.kind).toBe("limits-too-low");
        expect(err.message).toContain("no anthropic-ratelimit-requests-limit header in the answer");
        expect(err.message).toContain("use validation.mode: messages");
    });

    it("models mode passes the minimum when the endpoint sends the headers", async () => {
        emulator.rateLimitHeaders = "all";
        try {
            const res = await provider.create(inputsFor(emulator, key.value, { mode: "models", minimumLimits: { requestsPerMinute: 10 } }));
            expect((res.outs as { rateLimits: { requests: { limit: number } } }).rateLimits.requests.limit).toBe(4000);
        } finally {
            emulator.rateLimitHeaders = "messages";
        }
    });
});
