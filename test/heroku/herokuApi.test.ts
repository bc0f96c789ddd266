import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HerokuApi, HerokuApiError, HerokuReleaseError, isHerokuApiError, isHerokuReleaseError, isTransportError, waitForHerokuRelease } from "../../components/heroku/herokuApi";
import { HttpClient } from "../../components/http/httpClient";
import { HerokuEmulator } from "../../offline/emulators/herokuEmulator";
import { makeApiKey } from "../../offline/emulators/keys";
import { caught, expectNoSecrets, GENEROUS_ATTEMPT_TIMEOUT_MS, ODD_VARS, useFastRetries } from "./helpers";

useFastRetries();

const APP = "raxx-api-prod";
const heroku = new HerokuEmulator();
let key: string;

beforeAll(async () => {
    await heroku.start();
});
afterAll(async () => {
    await heroku.stop();
});
beforeEach(() => {
    key = makeApiKey();
    heroku.seedApp(APP, { ...ODD_VARS, ANTHROPIC_API_KEY: makeApiKey() });
    heroku.clearFaults();
    heroku.releasePlan = ["pending", "succeeded"];
    process.env.HEROKU_API_KEY = heroku.token;
});
afterEach(() => {
    heroku.server.requests.length = 0;
});

const api = () => new HerokuApi({ apiUrl: heroku.url, secrets: [key] });

describe("HerokuApi requests", () => {
    it("sends the v3 Accept header and the bearer token from HEROKU_API_KEY", async () => {
        const vars = await api().getConfigVars(APP);
        expect(vars.GREETING).toBe(ODD_VARS.GREETING);
        const [req] = heroku.calls("GET", `/apps/${APP}/config-vars`);
        expect(req!.headers["accept"]).toBe("application/vnd.heroku+json; version=3");
        expect(req!.headers["authorization"]).toBe(`Bearer ${heroku.token}`);
    });

    it("reads the token at call time, not at construction", async () => {
        const client = api();
        process.env.HEROKU_API_KEY = "HRKU-stale-token-value-0000";
        const err = await caught(() => client.getConfigVars(APP));
        expect((err as HerokuApiError).status).toBe(401);
        process.env.HEROKU_API_KEY = `${heroku.token}\n`; // a pasted newline is tolerated
        await expect(client.getConfigVars(APP)).resolves.toBeTruthy();
    });

    it("PATCHes only the named vars, null removes, and returns the full object", async () => {
        const result = await api().patchConfigVars(APP, { ANTHROPIC_API_KEY: key, PADDED: null });
        expect(result.ANTHROPIC_API_KEY).toBe(key);
        expect("PADDED" in result).toBe(false);
        expect(result.PEM).toBe(ODD_VARS.PEM);
        const [req] = heroku.calls("PATCH", `/apps/${APP}/config-vars`);
        expect(req!.json).toEqual({ ANTHROPIC_API_KEY: key, PADDED: null });
        expect(req!.headers["content-type"]).toMatch(/application\/json/);
        expect(heroku.releaseCount(APP)).toBe(1);
    });

    it("asks for the newest release with the documented Range header", async () => {
        const release = await api().latestRelease(APP);
        expect(release).toMatchObject({ version: 10, status: "succeeded", current: true });
        const [req] = heroku.calls("GET", `/apps/${APP}/releases`);
        expect(req!.headers["range"]).toBe("version ..; order=desc, max=1");
    });

    it("returns undefined for an app without releases", async () => {
        heroku.seedApp("empty-app", {}, 0);
        await expect(api().latestRelease("empty-app")).resolves.toBeUndefined();
    });
});

describe("HerokuApi errors", () => {
    const secrets = () => [key, heroku.token];

    it("missing HEROKU_API_KEY: clear error before any request", async () => {
        delete process.env.HEROKU_API_KEY;
        const err = await caught(() => api().patchConfigVars(APP, { ANTHROPIC_API_KEY: key }));
        expect(err).toBeInstanceOf(Error);
        expect(isHerokuApiError(err)).toBe(true);
        expect(err.message).toContain("HEROKU_API_KEY is not set");
        expect(err.message).toContain(APP);
        expect(err.message).toContain("heroku authorizations:create");
        expect(heroku.requests).toHaveLength(0);
        expectNoSecrets(err, [key]);
    });

    it("401: names the variable and how to get a new token; no retry", async () => {
        process.env.HEROKU_API_KEY = `HRKU-${"x".repeat(40)}`;
        const err = await caught(() => api().patchConfigVars(APP, { ANTHROPIC_API_KEY: key }));
        expect(err.message).toMatch(/heroku config vars: heroku app raxx-api-prod: Heroku rejected the token in HEROKU_API_KEY \(HTTP 401 unauthorized/);
        expect(err.message).toContain("heroku authorizations:create");
        expect(err.message).toMatch(/Request-Id [0-9a-f-]{36}/);
        expect(heroku.calls("PATCH")).toHaveLength(1);
        expectNoSecrets(err, [...secrets(), `HRKU-${"x".repeat(40)}`]);
    });

    it("402 delinquent", async () => {
        heroku.app(APP).delinquent = true;
        const err = await caught(() => api().getConfigVars(APP));
        expect(err.message).toContain("delinquent");
        expect(err.message).toContain("Billing");
        expectNoSecrets(err, secrets());
    });

    it("403 forbidden: the token has no access to the app", async () => {
        heroku.app(APP).forbidden = true;
        const err = await caught(() => api().patchConfigVars(APP, { ANTHROPIC_API_KEY: key }));
        expect((err as HerokuApiError).herokuId).toBe("forbidden");
        expect(err.message).toContain(`the token in HEROKU_API_KEY has no access to app ${APP}`);
        expect(heroku.configVars(APP).ANTHROPIC_API_KEY).not.toBe(key);
        expectNoSecrets(err, secrets());
    });

    it("403 suspended", async () => {
        heroku.app(APP).suspended = true;
        const err = await caught(() => api().getConfigVars(APP));
        expect(err.message).toContain("suspended");
        expectNoSecrets(err, secrets());
    });

    it("404: Couldn't find that app, check targets.heroku", async () => {
        const err = await caught(() => api().patchConfigVars("raxx-api-typo", { ANTHROPIC_API_KEY: key }));
        expect(err.message).toContain("heroku app raxx-api-typo: Couldn't find that app (HTTP 404 not_found");
        expect(err.message).toContain("targets.heroku");
        expect(heroku.calls("PATCH")).toHaveLength(1);
        expectNoSecrets(err, secrets());
    });

    it("406 on a wrong Accept header (emulator contract)", async () => {
        const res = await fetch(`${heroku.url}/apps/${APP}/config-vars`, { headers: { Authorization: `Bearer ${heroku.token}` } });
        expect(res.status).toBe(406);
        expect(((await res.json()) as { id: string }).id).toBe("not_acceptable");
    });

    it("422 invalid_params: Heroku's message is kept, the values are not", async () => {
        const err = await caught(() => api().patchConfigVars(APP, { "BAD-NAME": key }));
        expect((err as HerokuApiError).status).toBe(422);
        expect(err.message).toContain("Invalid config var names: BAD-NAME");
        expect(err.message).toContain("check the config var names in targets.heroku");
        expectNoSecrets(err, secrets());
    });

    it("429 without Retry-After: retried with backoff, then succeeds", async () => {
        heroku.injectFault({ method: "PATCH", fault: { kind: "status", status: 429, body: { id: "rate_limit", message: "Your account reached the API rate limit" } } });
        await api().patchConfigVars(APP, { ANTHROPIC_API_KEY: key });
        expect(heroku.calls("PATCH").map((r) => r.outcome)).toEqual([429, 200]);
        expect(heroku.releaseCount(APP)).toBe(1);
    });

    it("429 with Retry-After: honoured, then succeeds", async () => {
        heroku.injectFault({ method: "GET", fault: { kind: "status", status: 429, headers: { "Retry-After": "0" }, body: { id: "rate_limit", message: "slow down" } } });
        await expect(api().getConfigVars(APP)).resolves.toMatchObject({ EMPTY: "" });
        expect(heroku.calls("GET").map((r) => r.outcome)).toEqual([429, 200]);
    });

    it("429: waits what Retry-After asks when sent, else exponential backoff", async () => {
        const waits: number[] = [];
        const http = new HttpClient({ retry: { maxDelayMs: 60_000, maxTotalMs: 60_000, baseDelayMs: 400 }, sleep: async (ms) => void waits.push(ms) });
        const client = new HerokuApi({ apiUrl: heroku.url, http });
        heroku.injectFault({ fault: { kind: "status", status: 429, headers: { "Retry-After": "7" }, body: { id: "rate_limit", message: "slow down" } } });
        await client.getConfigVars(APP);
        heroku.injectFault({ fault: { kind: "status", status: 429, body: { id: "rate_limit", message: "slow down" } }, times: 2 });
        await client.getConfigVars(APP);
        expect(waits[0]).toBe(7000);
        expect(waits[1]).toBeGreaterThanOrEqual(300); // 400 ms ± 25 %
        expect(waits[1]).toBeLessThanOrEqual(500);
        expect(waits[2]).toBeGreaterThanOrEqual(600); // then 800 ms ± 25 %
        expect(waits[2]).toBeLessThanOrEqual(1000);
    });

    it("429 that does not clear: bounded retries, then a clear error", async () => {
        heroku.injectFault({ fault: { kind: "status", status: 429, headers: { "RateLimit-Remaining": "0" }, body: { id: "rate_limit", message: "Your account reached the API rate limit" } }, times: 99 });
        // The waits, recorded rather than timed: two short backoffs (at most the 20 ms of useFastRetries), no long wait.
        const waits: number[] = [];
        const http = new HttpClient({ sleep: async (ms) => void waits.push(ms) });
        const err = await caught(() => new HerokuApi({ apiUrl: heroku.url, secrets: [key], http }).patchConfigVars(APP, { ANTHROPIC_API_KEY: key }));
        expect(waits).toHaveLength(2);
        expect(Math.max(...waits)).toBeLessThanOrEqual(20);
        expect(heroku.calls("PATCH")).toHaveLength(3);
        expect(err.message).toContain(`heroku app ${APP}: Heroku's rate limit for this account is used up (HTTP 429 rate_limit`);
        expect(err.message).toContain("after 3 attempts");
        expect(err.message).toContain("wait a few minutes");
        expect(heroku.configVars(APP).ANTHROPIC_API_KEY).not.toBe(key);
        expectNoSecrets(err, secrets());
    });

    it.each([500, 503])("%i once: retried and succeeds", async (status) => {
        heroku.injectFault({ method: "PATCH", fault: { kind: "status", status, body: { id: "internal_error", message: "boom" } } });
        await api().patchConfigVars(APP, { ANTHROPIC_API_KEY: key });
        expect(heroku.configVars(APP).ANTHROPIC_API_KEY).toBe(key);
        expect(heroku.releaseCount(APP)).toBe(1);
    });

    it.each([500, 503])("%i every time: clear error after bounded retries", async (status) => {
        heroku.injectFault({ fault: { kind: "status", status, body: { id: "service_unavailable", message: "down" } }, times: 99 });
        const err = await caught(() => api().patchConfigVars(APP, { ANTHROPIC_API_KEY: key }));
        expect(heroku.calls("PATCH")).toHaveLength(3);
        expect(err.message).toContain(`heroku app ${APP}: the Heroku Platform API failed (HTTP ${status}`);
        expect(err.message).toContain("status.heroku.com");
        expectNoSecrets(err, secrets());
    });

    it("a hang: each attempt times out, then a TransportError naming the app", async () => {
        // The API never answers, so every attempt ends by its 150 ms timeout whatever the load. Attempts are counted
        // on the client's side: a starved event loop can fire the timer before the emulator has read the request.
        heroku.injectFault({ fault: { kind: "hang" }, times: 99 });
        process.env.ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS = "150";
        try {
            const retries: string[] = [];
            const http = new HttpClient({ onRetry: ({ reason }) => void retries.push(reason) });
            const err = await caught(() => new HerokuApi({ apiUrl: heroku.url, secrets: [key], http }).patchConfigVars(APP, { ANTHROPIC_API_KEY: key }));
            expect(err).toBeInstanceOf(Error);
            expect(isTransportError(err)).toBe(true);
            expect(err.message).toContain(`heroku config vars: heroku app ${APP} did not answer (timed out after 150 ms)`);
            expect(retries).toEqual(["timed out after 150 ms", "timed out after 150 ms"]);
            expect(heroku.calls("PATCH").every((c) => c.outcome === "hung")).toBe(true);
            expectNoSecrets(err, secrets());
        } finally {
            process.env.ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS = GENEROUS_ATTEMPT_TIMEOUT_MS;
        }
    });

    it("a dropped connection once: retried and succeeds", async () => {
        heroku.injectFault({ method: "PATCH", fault: { kind: "drop" } });
        await api().patchConfigVars(APP, { ANTHROPIC_API_KEY: key });
        expect(heroku.calls("PATCH").map((r) => r.outcome)).toEqual(["dropped", 200]);
        expect(heroku.configVars(APP).ANTHROPIC_API_KEY).toBe(key);
    });

    it("a TransportError that lost its message (as after serialization) still yields a clear Error", async () => {
        const http = { send: () => Promise.reject(Object.assign(Object.create(null), { name: "TransportError" })) } as unknown as HttpClient;
        const err = await caught(() => new HerokuApi({ apiUrl: heroku.url, http }).getConfigVars(APP));
        expect(err).toBeInstanceOf(Error);
        expect(isTransportError(err)).toBe(true);
        expect(err.message).toBe(`heroku config vars: heroku app ${APP} did not answer (timeouts or dropped connections) after bounded retries; check apiUrl and the network, then run again`);
    });

    it("dropped connections every time: a TransportError naming the app", async () => {
        heroku.injectFault({ fault: { kind: "drop" }, times: 99 });
        const err = await caught(() => api().getConfigVars(APP));
        expect(err).toBeInstanceOf(Error);
        expect(isTransportError(err)).toBe(true);
        expect(err.message).toContain(`heroku app ${APP} did not answer (connection failed`);
        expectNoSecrets(err, secrets());
    });
});

describe("waiting for a release", () => {
    it("succeeded: polls past pending", async () => {
        heroku.releasePlan = ["pending", "pending", "pending", "succeeded"];
        await api().patchConfigVars(APP, { ANTHROPIC_API_KEY: key });
        const ours = heroku.latestVersion(APP);
        const release = await waitForHerokuRelease({ app: APP, releaseVersion: ours, apiUrl: heroku.url, intervalMs: 5, timeoutMs: 2000 });
        expect(release).toMatchObject({ version: ours, status: "succeeded", current: true });
        expect(heroku.calls("GET", `/apps/${APP}/releases`)).toHaveLength(4);
    });

    it("does not accept an older release while ours has not appeared", async () => {
        const before = heroku.latestVersion(APP);
        const err = await caught(() => api().waitForRelease(APP, { afterVersion: before, intervalMs: 5, timeoutMs: 60 }));
        expect(err).toBeInstanceOf(Error);
        expect(isHerokuReleaseError(err)).toBe(true);
        expect((err as HerokuReleaseError).reason).toBe("timeout");
        expect(err.message).toContain(`heroku release: heroku app ${APP}: no release newer than v${before} appeared`);
    });

    it("failed: clear error with the version and how to read the release output", async () => {
        heroku.releasePlan = ["pending", "failed"];
        await api().patchConfigVars(APP, { ANTHROPIC_API_KEY: key });
        const ours = heroku.latestVersion(APP);
        const err = await caught(() => waitForHerokuRelease({ app: APP, releaseVersion: ours, apiUrl: heroku.url, intervalMs: 5, timeoutMs: 2000 }));
        expect(err).toBeInstanceOf(Error);
        expect(isHerokuReleaseError(err)).toBe(true);
        expect((err as HerokuReleaseError).reason).toBe("failed");
        expect(err.message).toContain(`release v${ours} ("Set ANTHROPIC_API_KEY config vars") failed`);
        expect(err.message).toContain(`heroku releases:output v${ours} -a ${APP}`);
        expectNoSecrets(err, [key, heroku.token]);
    });

    it("expired: clear error", async () => {
        heroku.releasePlan = ["expired"];
        await api().patchConfigVars(APP, { ANTHROPIC_API_KEY: key });
        const err = await caught(() => api().waitForRelease(APP, { afterVersion: heroku.latestVersion(APP) - 1, intervalMs: 5, timeoutMs: 2000 }));
        expect((err as HerokuReleaseError).reason).toBe("expired");
        expect(err.message).toContain("expired before it finished");
    });

    it("stuck pending: times out with the version it waited for", async () => {
        heroku.releasePlan = ["pending"];
        await api().patchConfigVars(APP, { ANTHROPIC_API_KEY: key });
        const ours = heroku.latestVersion(APP);
        // The release never leaves "pending", so the wait ends by its 100 ms limit however slow the machine is (were
        // the limit ignored, the 300 s default would outlast the test).
        const err = await caught(() => waitForHerokuRelease({ app: APP, releaseVersion: ours, apiUrl: heroku.url, intervalMs: 10, timeoutMs: 100 }));
        expect((err as HerokuReleaseError).reason).toBe("timeout");
        expect(err.message).toContain(`release v${ours} is still pending after`);
        expectNoSecrets(err, [key, heroku.token]);
    });

    it("a newer release that succeeded also counts", async () => {
        await api().patchConfigVars(APP, { ANTHROPIC_API_KEY: key });
        const ours = heroku.latestVersion(APP);
        heroku.setConfigVarOutOfBand(APP, "OTHER", "x");
        const release = await waitForHerokuRelease({ app: APP, releaseVersion: ours, apiUrl: heroku.url, intervalMs: 5, timeoutMs: 1000 });
        expect(release.version).toBe(ours + 1);
    });

    it("an API error while polling is the mapped error, not a timeout", async () => {
        heroku.app(APP).forbidden = true;
        const err = await caught(() => waitForHerokuRelease({ app: APP, releaseVersion: 11, apiUrl: heroku.url, intervalMs: 5, timeoutMs: 1000 }));
        expect(err).toBeInstanceOf(Error);
        expect(isHerokuApiError(err)).toBe(true);
        expect(err.message).toContain("heroku release: heroku app raxx-api-prod: the token in HEROKU_API_KEY has no access");
    });
});
