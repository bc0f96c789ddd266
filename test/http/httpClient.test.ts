import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HttpClient, TransportError } from "../../components/http/httpClient";
import { backoffDelayMs, DEFAULT_RETRY_POLICY, serverRequestedDelayMs, withEnvironmentOverrides } from "../../components/http/retryPolicy";
import { LoopbackServer } from "../../offline/emulators/loopbackServer";
import { makeApiKey } from "../../offline/emulators/keys";

const server = new LoopbackServer("echo", (req) => ({ status: 200, body: { ok: true, path: req.path } }));
/**
 * Short waits between attempts, but no bound a loaded machine can reach: an attempt cut off because the loopback
 * answer was slow is one more attempt and one more request than a test expects. The tests about a timeout set
 * a short one themselves and face a server that never answers, so every attempt times out whatever the load.
 */
const fast = { baseDelayMs: 5, maxDelayMs: 50, maxTotalMs: 60_000, attemptTimeoutMs: 30_000, maxAttempts: 4 };
const ctx = { step: "test call", target: "echo emulator" };

beforeAll(async () => {
    await server.start();
});
afterAll(async () => {
    await server.stop();
});
beforeEach(() => {
    server.clearFaults();
    server.requests.length = 0;
});

describe("HttpClient", () => {
    it("returns a successful response on the first attempt", async () => {
        const res = await new HttpClient({ retry: fast }).send({ method: "GET", url: `${server.url}/x` }, ctx);
        expect(res.status).toBe(200);
        expect(res.attempts).toBe(1);
        expect(JSON.parse(res.text)).toEqual({ ok: true, path: "/x" });
    });

    it.each([429, 500, 503, 529])("retries %i and then succeeds", async (status) => {
        server.injectFault({ path: "/x", fault: { kind: "status", status }, times: 2 });
        const res = await new HttpClient({ retry: fast }).send({ method: "GET", url: `${server.url}/x` }, ctx);
        expect(res.status).toBe(200);
        expect(res.attempts).toBe(3);
        expect(server.calls("GET", "/x")).toHaveLength(3);
    });

    it("does not retry a 4xx that retrying cannot fix", async () => {
        server.injectFault({ path: "/x", fault: { kind: "status", status: 401 }, times: 5 });
        const res = await new HttpClient({ retry: fast }).send({ method: "GET", url: `${server.url}/x` }, ctx);
        expect(res.status).toBe(401);
        expect(server.calls("GET", "/x")).toHaveLength(1);
    });

    it("honours retry-after, waiting as long as the server asks", async () => {
        server.injectFault({ path: "/x", fault: { kind: "status", status: 429, headers: { "retry-after": "1" } }, times: 1 });
        const waits: number[] = [];
        const client = new HttpClient({ retry: { ...fast, maxDelayMs: 2_000 }, sleep: async (ms) => void waits.push(ms) });
        const res = await client.send({ method: "GET", url: `${server.url}/x` }, ctx);
        expect(res.status).toBe(200);
        expect(waits).toEqual([1000]);
    });

    it("honours x-should-retry: false", async () => {
        server.injectFault({ path: "/x", fault: { kind: "status", status: 503, headers: { "x-should-retry": "false" } }, times: 3 });
        const res = await new HttpClient({ retry: fast }).send({ method: "GET", url: `${server.url}/x` }, ctx);
        expect(res.status).toBe(503);
        expect(res.attempts).toBe(1);
    });

    it("gives up after maxAttempts and returns the last response", async () => {
        server.injectFault({ path: "/x", fault: { kind: "status", status: 500 }, times: 10 });
        const res = await new HttpClient({ retry: fast }).send({ method: "GET", url: `${server.url}/x` }, ctx);
        expect(res.status).toBe(500);
        expect(server.calls("GET", "/x")).toHaveLength(4);
    });

    it("stops within the total time bound even when retry-after asks for longer", async () => {
        // retry-after asks for 10 minutes, the budget is 30 s: the 429 comes back at once, with no wait at all.
        server.injectFault({ path: "/x", fault: { kind: "status", status: 429, headers: { "retry-after": "600" } }, times: 10 });
        const waits: number[] = [];
        const client = new HttpClient({ retry: { ...fast, maxDelayMs: 3_600_000, maxTotalMs: 30_000 }, sleep: async (ms) => void waits.push(ms) });
        const res = await client.send({ method: "GET", url: `${server.url}/x` }, ctx);
        expect(res.status).toBe(429);
        expect(res.attempts).toBe(1);
        expect(waits).toEqual([]);
        expect(server.calls("GET", "/x")).toHaveLength(1);
    });

    it("retries a dropped connection, then succeeds", async () => {
        server.injectFault({ path: "/x", fault: { kind: "drop" }, times: 1 });
        const res = await new HttpClient({ retry: fast }).send({ method: "GET", url: `${server.url}/x` }, ctx);
        expect(res.status).toBe(200);
        expect(res.attempts).toBe(2);
    });

    it("times out a hung attempt and retries", async () => {
        // The server never answers, so each attempt ends by its 200 ms timeout however loaded the machine is, and
        // is retried until the attempts are spent. (A timed-out attempt takes the same path as a dropped one, which
        // the test above shows succeeding on the next attempt.)
        // Counted on the client's side: a starved event loop can fire the 200 ms timer before the server has even
        // read the request, so the server's log may not show every attempt by the time the call gives up.
        server.injectFault({ path: "/x", fault: { kind: "hang" }, times: 10 });
        const retries: { attempt: number; reason: string }[] = [];
        const err = await new HttpClient({ retry: { ...fast, attemptTimeoutMs: 200, maxAttempts: 3 }, onRetry: ({ attempt, reason }) => void retries.push({ attempt, reason }) })
            .send({ method: "GET", url: `${server.url}/x` }, ctx)
            .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(TransportError);
        expect((err as TransportError).message).toMatch(/^test call: echo emulator did not answer \(timed out after 200 ms\) after [\d.]+s of retries/);
        expect(retries).toEqual([
            { attempt: 1, reason: "timed out after 200 ms" },
            { attempt: 2, reason: "timed out after 200 ms" },
        ]);
        expect(server.calls("GET", "/x").every((c) => c.outcome === "hung")).toBe(true);
    });

    it("throws a redacted TransportError naming the step and target when nothing answers", async () => {
        const key = makeApiKey();
        server.injectFault({ path: "/x", fault: { kind: "drop" }, times: 10 });
        const err = await new HttpClient({ retry: fast })
            .send({ method: "GET", url: `${server.url}/x`, headers: { "x-api-key": key } }, { ...ctx, secrets: [key] })
            .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(TransportError);
        expect((err as TransportError).message).toMatch(/^test call: echo emulator did not answer \(connection failed/);
        expect((err as TransportError).message).not.toContain(key);
    });

    it("reports a refused connection clearly", async () => {
        const closed = new LoopbackServer("closed", () => ({ status: 200 }));
        const url = await closed.start();
        await closed.stop();
        const err = await new HttpClient({ retry: { ...fast, maxAttempts: 2 } }).send({ method: "GET", url: `${url}/x` }, ctx).catch((e: unknown) => e);
        expect((err as Error).message).toMatch(/ECONNREFUSED/);
    });

    it("sends JSON bodies with a content type", async () => {
        await new HttpClient({ retry: fast }).send({ method: "PATCH", url: `${server.url}/y`, body: { A: "b" } }, ctx);
        const [call] = server.calls("PATCH", "/y");
        expect(call!.json).toEqual({ A: "b" });
        expect(call!.headers["content-type"]).toBe("application/json");
    });
});

describe("retry policy", () => {
    it("reads retry-after in seconds, as a date, and retry-after-ms", () => {
        expect(serverRequestedDelayMs({ "retry-after": "2" })).toBe(2000);
        expect(serverRequestedDelayMs({ "retry-after-ms": "150" })).toBe(150);
        expect(serverRequestedDelayMs({ "retry-after": new Date(10_000).toUTCString() }, 4_000)).toBe(6000);
        expect(serverRequestedDelayMs({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": "20" }, 15_000)).toBe(5000);
        expect(serverRequestedDelayMs({})).toBeUndefined();
    });
    it("backs off exponentially with jitter, capped", () => {
        const p = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };
        expect(backoffDelayMs(p, 0, () => 0.5)).toBe(100);
        expect(backoffDelayMs(p, 2, () => 0.5)).toBe(400);
        expect(backoffDelayMs(p, 2, () => 0)).toBe(300);
        expect(backoffDelayMs(p, 10, () => 1)).toBe(1000);
    });
    it("takes overrides from the environment and ignores garbage", () => {
        const p = withEnvironmentOverrides(DEFAULT_RETRY_POLICY, {
            ANTHROPIC_KEY_ROTATION_RETRY_BASE_MS: "10",
            ANTHROPIC_KEY_ROTATION_RETRY_MAX_ATTEMPTS: "0",
            ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS: "nope",
        });
        expect(p).toEqual({ ...DEFAULT_RETRY_POLICY, baseDelayMs: 10, maxAttempts: 1 });
    });
});
