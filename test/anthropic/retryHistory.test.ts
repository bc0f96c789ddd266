import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { describePingFailure, FailureContext } from "../../components/anthropic/failures";
import { ApiCallError, callWithRetries, decisiveFailure } from "../../components/anthropic/retry";
import { FakeClock, withRetryEnv } from "./fakeClock";

/**
 * How a failed call is judged from every attempt, on a fake clock. The flake this replaces: with a 0.2 s
 * budget, 503s, then a last attempt cut off by the budget, the failure was judged from the cut-off attempt
 * alone and said "unreachable" although the API had answered every time before.
 */

const sdk = require("@anthropic-ai/sdk") as typeof import("@anthropic-ai/sdk");

type Step = 503 | 529 | "hang" | "refused";

/** An attempt function that plays `steps` in order, advancing the fake clock as the real call would take. */
function scripted(clock: FakeClock, steps: readonly Step[]): { attempt: (timeoutMs: number) => Promise<never>; timeouts: number[] } {
    const timeouts: number[] = [];
    let i = 0;
    const attempt = async (timeoutMs: number): Promise<never> => {
        timeouts.push(timeoutMs);
        const step = steps[Math.min(i++, steps.length - 1)];
        if (step === "hang") {
            clock.advance(timeoutMs); // no answer until the attempt's timeout fires
            throw new sdk.APIConnectionTimeoutError();
        }
        clock.advance(50);
        if (step === "refused") throw new sdk.APIConnectionError({ cause: Object.assign(new Error("fetch failed"), { cause: { code: "ECONNREFUSED" } }) });
        const body = { type: "error", error: { type: step === 529 ? "overloaded_error" : "api_error", message: "Internal server error" } };
        throw sdk.APIError.generate(step, body, undefined, new Headers());
    };
    return { attempt, timeouts };
}

const ctx: FailureContext = {
    keyName: "raxx-prod-agents-2026-11-23",
    fingerprint: "sha256:0000000000000000",
    mode: "messages",
    model: "claude-haiku-4-5",
    baseUrl: "http://127.0.0.1:9",
    maxRetrySeconds: 1,
    secrets: [],
};

async function failedCall(clock: FakeClock, steps: readonly Step[]): Promise<{ err: ApiCallError; timeouts: number[] }> {
    const { attempt, timeouts } = scripted(clock, steps);
    const err = await callWithRetries(attempt, { maxRetrySeconds: 1, clock }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiCallError);
    return { err: err as ApiCallError, timeouts };
}

let restore: () => void;
beforeEach(() => {
    // Every backoff is exactly 200 ms (400 ms ±25% jitter, capped at 200); attempts may last 400 ms; the budget is 1 s.
    restore = withRetryEnv({
        ANTHROPIC_KEY_ROTATION_RETRY_BASE_MS: "400",
        ANTHROPIC_KEY_ROTATION_RETRY_MAX_DELAY_MS: "200",
        ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS: "400",
        ANTHROPIC_KEY_ROTATION_RETRY_MAX_ATTEMPTS: "10",
    });
    delete process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_TOTAL_MS;
});
afterEach(() => restore());

describe("a call is judged from every attempt", () => {
    it("503s, then a last attempt cut off by the budget: the API kept failing (retries-exhausted), not unreachable", async () => {
        const clock = new FakeClock();
        const { err, timeouts } = await failedCall(clock, [503, 503, 503, "hang"]);
        // 0: 503 (50 ms) + 200 wait, 250: 503 + 200, 500: 503 + 200, 750: only 250 ms left, so the 4th attempt is cut to 250 ms.
        expect(timeouts).toEqual([400, 400, 400, 250]);
        expect(err.stop).toBe("time");
        expect(err.history.map((a) => [a.failure.kind, a.cutByBudget])).toEqual([
            ["status", false],
            ["status", false],
            ["status", false],
            ["transport", true],
        ]);
        expect(err.failure).toMatchObject({ kind: "status", status: 503 });
        expect(clock.now()).toBe(1000);

        const described = describePingFailure(err, ctx);
        expect(described.kind).toBe("retries-exhausted");
        expect(described.message).toContain("the Anthropic API was still failing on its side after 4 attempts in 1.0 s");
        expect(described.message).toContain("last answer HTTP 503 api_error");
        expect(described.message).toContain("1 attempt got no answer (timed out), cut short because the retry budget ran out");
        expect(described.message).not.toContain("did not answer");
    });

    it("no attempt got an answer: unreachable, naming the last failure", async () => {
        const clock = new FakeClock();
        const { err } = await failedCall(clock, ["refused", "refused", "hang"]);
        expect(err.failure).toEqual({ kind: "transport", timedOut: true, detail: "timed out" });
        const described = describePingFailure(err, ctx);
        expect(described.kind).toBe("unreachable");
        expect(described.message).toContain("the Anthropic API did not answer (timed out)");
    });

    it("unanswered attempts before an answer are named too, without blaming the budget", async () => {
        const clock = new FakeClock();
        const { err } = await failedCall(clock, ["refused", 529]);
        expect(err.stop).toBe("time");
        const described = describePingFailure(err, ctx);
        expect(described.kind).toBe("retries-exhausted");
        expect(described.message).toContain("the Anthropic API was still overloaded after 4 attempts in 0.8 s");
        expect(described.message).toContain("last answer HTTP 529 overloaded_error: Internal server error; 1 attempt got no answer (connection failed: ECONNREFUSED).");
        expect(described.message).not.toContain("cut short");
    });

    it("the whole call stays within the budget on the call's own clock: waits and attempts together", async () => {
        const clock = new FakeClock();
        await failedCall(clock, [503]);
        expect(clock.sleeps).toEqual([200, 200, 200]);
        expect(clock.now()).toBeLessThanOrEqual(1000);
    });

    it("decisiveFailure: the last answer wins over later silence; with no answer, the last failure", () => {
        const status = { kind: "status", status: 503, headers: {} } as const;
        const silence = { kind: "transport", timedOut: true, detail: "timed out" } as const;
        expect(decisiveFailure([{ failure: status, cutByBudget: false }, { failure: silence, cutByBudget: true }])).toBe(status);
        expect(decisiveFailure([{ failure: silence, cutByBudget: false }])).toBe(silence);
        expect(decisiveFailure([])).toEqual({ kind: "internal", detail: "no attempt made" });
    });
});
