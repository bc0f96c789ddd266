import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_HEALTH_INTERVAL_SECONDS, DEFAULT_HEALTH_TIMEOUT_SECONDS } from "../../components/config/schema";
import { fingerprint } from "../../components/domain/fingerprint";
import {
    DEFAULT_INTERVAL_SECONDS,
    DEFAULT_TIMEOUT_SECONDS,
    healthChecksProvider as p,
    HealthResult,
} from "../../components/health/healthChecksProvider";
import { HerokuApi } from "../../components/heroku/herokuApi";
import { HealthEmulator, HEALTHY_BODY } from "../../offline/emulators/healthEmulator";
import { LoopbackServer } from "../../offline/emulators/loopbackServer";
import { HerokuEmulator } from "../../offline/emulators/herokuEmulator";
import { makeApiKey } from "../../offline/emulators/keys";
import { auditLines, auditText, caught, expectErrorClean, expectNoLeaks, tempAuditContext, useFastRetries } from "../audit/support";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const newKey = makeApiKey();
const fp = fingerprint(newKey);
const health = new HealthEmulator();
const heroku = new HerokuEmulator();
const savedEnv = { ...process.env };

beforeAll(async () => {
    await health.start();
    await heroku.start();
});
afterAll(async () => {
    await health.stop();
    await heroku.stop();
});
beforeEach(() => {
    useFastRetries();
    // Short waits, but no call is cut off for being slow: on a loaded machine a loopback answer can take well
    // over the 300 ms of useFastRetries, and a cut-off attempt is one more attempt, request and poll than a test
    // expects. The tests whose subject is a timeout face an endpoint that never answers (or never passes), so
    // their outcome does not depend on how fast anything runs.
    process.env.ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS = "30000";
    process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_TOTAL_MS = "60000";
    process.env.HEROKU_API_KEY = heroku.token;
    process.env.PULUMI_ACTOR = "ops@raxx.app";
    health.clear();
    heroku.clearFaults();
});
afterEach(() => {
    process.env = { ...savedEnv };
});

/** A check expected to pass: polls every 30 ms, and the deadline is far beyond what a loaded machine needs. */
const fast = { timeoutSeconds: 30, intervalSeconds: 0.03 };

function inputs(checks: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { checks, fingerprint: fp, audit: tempAuditContext(fp), ...extra };
}

async function patchedRelease(app: string, plan: ("pending" | "succeeded" | "failed" | "expired")[]): Promise<number> {
    heroku.seedApp(app, { OTHER: "x" }, 3);
    heroku.app(app).releasePlan = plan;
    await new HerokuApi({ apiUrl: heroku.url }).patchConfigVars(app, { ANTHROPIC_API_KEY: newKey });
    return heroku.latestVersion(app);
}

describe("HealthChecks provider: polling", () => {
    it("happy path: every URL answers 2xx and its condition holds; nothing is written to the audit log", async () => {
        health.healthy("/api/agents/health");
        health.healthy("/status", { ok: true });
        const props = inputs([
            { url: health.at("/api/agents/health"), expect: "anthropic.ok == true", ...fast },
            { url: health.at("/status"), ...fast },
        ]);
        const { id, outs } = await p.create(props);
        expect(id).toBe("prod-health-2");
        expect(outs.results).toEqual([
            { url: health.at("/api/agents/health"), ok: true, status: 200, attempts: 1, seconds: expect.any(Number) },
            { url: health.at("/status"), ok: true, status: 200, attempts: 1, seconds: expect.any(Number) },
        ]);
        expect(outs.releases).toEqual([]);
        expect(typeof outs.checkedAt).toBe("string");
        expect(auditText((props.audit as { path: string }).path)).toBe("");
    });

    it("keeps polling an unhealthy consumer until it becomes healthy (dynos restarting)", async () => {
        health.unhealthyThenHealthy("/api/agents/health", 3);
        const { outs } = await p.create(inputs([{ url: health.at("/api/agents/health"), expect: "anthropic.ok == true", ...fast }]));
        const [result] = outs.results as HealthResult[];
        expect(result).toMatchObject({ ok: true, status: 200, attempts: 4 });
        expect(health.hits("/api/agents/health")).toBe(4);
    });

    it("survives dropped connections and slow answers between polls", async () => {
        health.healthy("/h");
        health.injectFault({ path: "/h", fault: { kind: "drop" }, times: 2 });
        const { outs } = await p.create(inputs([{ url: health.at("/h"), ...fast }]));
        expect((outs.results as HealthResult[])[0]).toMatchObject({ ok: true, attempts: 3 });
    });

    it("times out naming the URL, the last status and body (redacted, truncated), records the failure and throws", async () => {
        const leakedInBody = makeApiKey();
        health.script("/api/agents/health", {
            status: 503,
            body: { anthropic: { ok: false, error: `401 from api.anthropic.com with ${leakedInBody}` }, padding: "x".repeat(500) },
        });
        const props = inputs([{ url: health.at("/api/agents/health"), expect: "anthropic.ok == true", timeoutSeconds: 0.3, intervalSeconds: 0.05 }]);
        const err = await caught(() => p.create(props));
        expect(err.message).toContain(`${health.at("/api/agents/health")} did not pass within 0.3 s`);
        expect(err.message).toMatch(/\(\d+ attempts?\): last answer HTTP 503: \{"anthropic":\{"ok":false,"error":"401 from api.anthropic.com with \[REDACTED\]"\}/);
        expect(err.message).toMatch(/x{20}…/); // truncated
        expect(err.message).toMatch(/previous key was NOT revoked/);
        expect(err.message).toMatch(/heroku logs --tail/);
        expectErrorClean(err, [newKey, leakedInBody]);
        const lines = auditLines((props.audit as { path: string }).path);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatchObject({ action: "secret.rotate.failed", step: "health", newFingerprint: fp });
        expect(lines[0]!.reason).toContain(health.at("/api/agents/health"));
        expect(lines[0]!.health).toEqual([{ url: health.at("/api/agents/health"), ok: false, status: 503, attempts: expect.any(Number), seconds: expect.any(Number) }]);
        expectNoLeaks({ audit: auditText((props.audit as { path: string }).path) }, [newKey, leakedInBody]);
    });

    it("fails when the JSON condition is false even though the status is 200", async () => {
        health.script("/api/agents/health", { status: 200, body: { anthropic: { ok: false } } });
        const err = await caught(() => p.create(inputs([{ url: health.at("/api/agents/health"), expect: "anthropic.ok == true", timeoutSeconds: 0.2, intervalSeconds: 0.05 }])));
        expect(err.message).toContain("last answer HTTP 200 but anthropic.ok == true does not hold (anthropic.ok is false, expected true)");
    });

    it("fails on wrong JSON (not JSON at all, missing field)", async () => {
        health.script("/html", { status: 200, body: "<html>fine</html>" });
        health.script("/missing", { status: 200, body: { status: "ok" } });
        const err = await caught(() =>
            p.create(
                inputs([
                    { url: health.at("/html"), expect: "anthropic.ok == true", timeoutSeconds: 0.2, intervalSeconds: 0.05 },
                    { url: health.at("/missing"), expect: "anthropic.ok == true", timeoutSeconds: 0.2, intervalSeconds: 0.05 },
                ]),
            ),
        );
        expect(err.message).toContain("2 of 2 health check(s) failed");
        expect(err.message).toContain("the body is not JSON");
        expect(err.message).toContain("anthropic.ok is missing from the body");
    });

    it("a hanging endpoint is cut by the per-attempt timeout and reported as no answer", async () => {
        // The endpoint never answers, so every attempt ends by its timeout however slow the machine is. An attempt
        // never outlives the check's deadline (0.5 s here, not the 30 s attempt timeout): it runs for what is left,
        // and at least 250 ms.
        health.script("/hang", { hang: true });
        const err = await caught(() => p.create(inputs([{ url: health.at("/hang"), timeoutSeconds: 0.5, intervalSeconds: 0.05 }])));
        expect(err.message).toContain(`${health.at("/hang")} did not pass within 0.5 s`);
        expect(err.message).toMatch(/last attempt got no answer: .*timed out after (2[5-9]\d|[34]\d\d|500) ms/);
        expect(health.requests.filter((r) => r.path === "/hang").every((r) => r.outcome === "hung")).toBe(true);
    });

    it("reports only the failing URL when others pass, and polls all checks in parallel", async () => {
        health.healthy("/good");
        health.script("/bad", { status: 404, body: { error: "no route" } });
        // /slow answers only once /bad has been asked: polled one check after another (good, slow, bad), /slow
        // would wait for a request that never comes and fail. Proven by order, not by a stopwatch.
        const slow = new LoopbackServer("slow-health", async () => {
            for (let waited = 0; health.hits("/bad") === 0 && waited < 60_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
            return health.hits("/bad") > 0 ? { status: 200, body: HEALTHY_BODY } : { status: 503, body: { error: "/bad was never polled while /slow waited" } };
        });
        await slow.start();
        try {
            const err = await caught(() =>
                p.create(
                    inputs([
                        { url: health.at("/good"), ...fast },
                        { url: `${slow.url}/slow`, ...fast },
                        { url: health.at("/bad"), timeoutSeconds: 0.6, intervalSeconds: 0.05 },
                    ]),
                ),
            );
            const [slowCall] = slow.calls("GET", "/slow");
            expect(slowCall!.outcome).toBe(200);
            expect(health.requests.find((r) => r.path === "/bad")!.seq).toBeLessThan(slowCall!.seq);
            expect(err.message).toContain("1 of 3 health check(s) failed");
            expect(err.message).toContain(`${health.at("/bad")} did not pass`);
            expect(err.message).toContain('last answer HTTP 404: {"error":"no route"}');
            expect(err.message).not.toContain(`${health.at("/good")} did not pass`);
            expect(err.message).not.toContain(`${slow.url}/slow did not pass`);
        } finally {
            await slow.stop();
        }
    });

    it("with no checks and no releases it succeeds at once", async () => {
        const { outs } = await p.create(inputs([]));
        expect(outs.results).toEqual([]);
    });
});

describe("HealthChecks provider: Heroku releases first", () => {
    it("waits for the release our PATCH created to succeed before polling any URL", async () => {
        const version = await patchedRelease("raxx-api-prod", ["pending", "pending", "succeeded"]);
        health.healthy("/api/agents/health");
        const { outs } = await p.create(
            inputs([{ url: health.at("/api/agents/health"), expect: "anthropic.ok == true", ...fast }], {
                herokuReleases: [{ app: "raxx-api-prod", apiUrl: heroku.url, releaseVersion: version, releaseCreated: true }],
                releaseIntervalSeconds: 0.02,
            }),
        );
        // The release succeeded and its dynos run it (the emulator's web.1 and worker.1).
        expect(outs.releases).toEqual([{ app: "raxx-api-prod", version, status: "succeeded", seconds: expect.any(Number), dynos: 2 }]);
        const releaseCalls = heroku.calls("GET", "/apps/raxx-api-prod/releases");
        expect(releaseCalls.length).toBe(3);
        const firstHealth = health.requests.find((r) => r.path === "/api/agents/health")!;
        expect(firstHealth.seq).toBeGreaterThan(releaseCalls[releaseCalls.length - 1]!.seq);
    });

    it("a failed release stops everything: no URL is polled, the failure is audited and the message says what to do", async () => {
        const version = await patchedRelease("raxx-worker-prod", ["pending", "failed"]);
        health.healthy("/api/agents/health");
        const props = inputs([{ url: health.at("/api/agents/health"), ...fast }], {
            herokuReleases: [{ app: "raxx-worker-prod", apiUrl: heroku.url, releaseVersion: version, releaseCreated: true }],
            releaseIntervalSeconds: 0.02,
        });
        const err = await caught(() => p.create(props));
        expect(err.message).toMatch(/^heroku release: 1 of 1 Heroku release\(s\) did not succeed/);
        expect(err.message).toContain(`heroku app raxx-worker-prod: release v${version}`);
        expect(err.message).toContain(`heroku releases:output v${version} -a raxx-worker-prod`);
        expect(health.hits("/api/agents/health")).toBe(0);
        expectErrorClean(err, [newKey, heroku.token]);
        const [line] = auditLines((props.audit as { path: string }).path);
        expect(line).toMatchObject({ action: "secret.rotate.failed", step: "heroku release" });
    });

    it("a release that stays pending times out with the app named", async () => {
        const version = await patchedRelease("raxx-slow-prod", ["pending"]);
        const err = await caught(() =>
            p.create(
                inputs([], {
                    herokuReleases: [{ app: "raxx-slow-prod", apiUrl: heroku.url, releaseVersion: version, releaseCreated: true }],
                    releaseTimeoutSeconds: 0.2,
                    releaseIntervalSeconds: 0.02,
                }),
            ),
        );
        expect(err.message).toContain(`heroku app raxx-slow-prod: release v${version} is still pending`);
    });

    it("does not wait when no PATCH was sent (releaseCreated false) or no release is known", async () => {
        heroku.seedApp("raxx-idle", {}, 2);
        const before = heroku.calls().length;
        await p.create(
            inputs([], {
                herokuReleases: [
                    { app: "raxx-idle", apiUrl: heroku.url, releaseVersion: 2, releaseCreated: false },
                    { app: "raxx-idle", apiUrl: heroku.url, releaseVersion: null },
                ],
            }),
        );
        expect(heroku.calls().length).toBe(before);
    });

    it("a missing HEROKU_API_KEY is a clear release failure", async () => {
        delete process.env.HEROKU_API_KEY;
        const err = await caught(() => p.create(inputs([], { herokuReleases: [{ app: "raxx-api-prod", apiUrl: heroku.url, releaseVersion: 5 }] })));
        expect(err.message).toContain("HEROKU_API_KEY is not set");
    });
});

describe("HealthChecks provider: check and diff", () => {
    it("check reports bad URLs, conditions and timings, and accepts unknowns", async () => {
        const { failures } = await p.check!(
            {},
            inputs([
                { url: "ftp://x" },
                { url: "https://ok.example/health", expect: "anthropic.ok >= 1" },
                { url: "https://ok.example/health", timeoutSeconds: 0 },
                { url: "https://ok.example/health", intervalSeconds: 301 },
            ]),
        );
        expect(failures!.map((f) => f.reason)).toEqual([
            "checks[0].url must be an http(s) URL",
            expect.stringMatching(/^checks\[1\]\.expect: .*is not a condition/),
            "checks[2].timeoutSeconds must be a number of seconds above 0 and at most 3600",
            "checks[3].intervalSeconds must be a number of seconds above 0 and at most 300",
        ]);
        expect((await p.check!({}, { checks: UNKNOWN, fingerprint: UNKNOWN, herokuReleases: UNKNOWN, audit: UNKNOWN })).failures).toEqual([]);
        expect((await p.check!({}, inputs([{ url: "https://ok.example/h", expect: "anthropic.ok == true" }]))).failures).toEqual([]);
    });

    it("diff: the same key and checks is no change; a new key, new checks or a new release of ours is", async () => {
        const checks = [{ url: "https://a.example/h", expect: "anthropic.ok == true", timeoutSeconds: 300, intervalSeconds: 10 }];
        const releases = [{ app: "raxx-api-prod", apiUrl: "https://api.heroku.com", releaseVersion: 12, releaseCreated: true }];
        const olds = { ...inputs(checks, { herokuReleases: releases }), results: [] };
        expect((await p.diff!("id", olds, inputs(checks, { herokuReleases: releases }))).changes).toBe(false);
        expect((await p.diff!("id", olds, { ...inputs(checks, { herokuReleases: releases }), fingerprint: fingerprint(makeApiKey()) })).changes).toBe(true);
        expect((await p.diff!("id", olds, { ...inputs(checks, { herokuReleases: releases }), fingerprint: UNKNOWN })).changes).toBe(true);
        expect((await p.diff!("id", olds, inputs([...checks, { url: "https://b.example/h" }], { herokuReleases: releases }))).changes).toBe(true);
        expect((await p.diff!("id", olds, inputs(checks, { herokuReleases: [{ ...releases[0], releaseVersion: 13 }] }))).changes).toBe(true);
        // Someone else's deploy (no PATCH of ours) does not re-run the checks.
        expect((await p.diff!("id", olds, inputs(checks, { herokuReleases: [{ ...releases[0], releaseVersion: 14, releaseCreated: false }] }))).changes).toBe(false);
        expect((await p.diff!("id", olds, inputs(checks, { herokuReleases: [{ ...releases[0], releaseVersion: UNKNOWN }] }))).changes).toBe(true);
        // Defaults are applied before comparing.
        expect((await p.diff!("id", olds, inputs([{ url: "https://a.example/h", expect: "anthropic.ok == true" }], { herokuReleases: releases }))).changes).toBe(false);
    });

    it("update runs the checks again; read and delete touch nothing", async () => {
        health.healthy("/h");
        const props = inputs([{ url: health.at("/h"), ...fast }]);
        const { outs } = await p.create(props);
        await p.update!("id", outs, { ...props, fingerprint: fingerprint(makeApiKey()) });
        expect(health.hits("/h")).toBe(2);
        expect((await p.read!("id", outs)).props).toEqual(outs);
        await p.delete!("id", outs);
        expect(health.hits("/h")).toBe(2);
    });

    it("defaults match the stack config schema (300 s timeout, 10 s interval)", () => {
        expect(DEFAULT_TIMEOUT_SECONDS).toBe(DEFAULT_HEALTH_TIMEOUT_SECONDS);
        expect(DEFAULT_INTERVAL_SECONDS).toBe(DEFAULT_HEALTH_INTERVAL_SECONDS);
        expect(DEFAULT_TIMEOUT_SECONDS).toBe(300);
    });
});
