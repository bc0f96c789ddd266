import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HerokuApi } from "../../components/heroku/herokuApi";
import { dynoOnRelease, dynoViewOf, waitForHerokuDynos } from "../../components/heroku/herokuDynos";
import { HerokuEmulator } from "../../offline/emulators/herokuEmulator";
import { caught } from "../audit/support";
import { ManualClock } from "../support/manualClock";

/** A succeeded release is not enough: every dyno must run it (Preboot keeps the old ones serving). */

const heroku = new HerokuEmulator();
const savedEnv = { ...process.env };

beforeAll(() => heroku.start());
afterAll(() => heroku.stop());
beforeEach(() => {
    process.env.HEROKU_API_KEY = heroku.token;
    heroku.seedApp("raxx-api-prod", { ANTHROPIC_API_KEY: "old" }, 10);
});
afterEach(() => {
    process.env = { ...savedEnv };
});

async function releaseAfterPatch(app: string) {
    const api = new HerokuApi({ apiUrl: heroku.url });
    await api.patchConfigVars(app, { ANTHROPIC_API_KEY: "new" });
    return api.waitForRelease(app, { afterVersion: 10, timeoutMs: 5000, intervalMs: 1, sleep: async () => undefined });
}

describe("waitForHerokuDynos", () => {
    it("returns as soon as every dyno runs the release (the emulator's default: no lag)", async () => {
        const release = await releaseAfterPatch("raxx-api-prod");
        const clock = new ManualClock();
        const result = await waitForHerokuDynos({ app: "raxx-api-prod", release, apiUrl: heroku.url, timeoutMs: 300_000, intervalMs: 5000, clock });
        expect(result).toEqual({ dynos: 2, seconds: 0 });
        expect(heroku.server.requests.filter((r) => r.path === "/apps/raxx-api-prod/dynos")).toHaveLength(1);
    });

    it("waits while old dynos still serve (Preboot), polling at the interval", async () => {
        heroku.app("raxx-api-prod").dynoLag = 3;
        const release = await releaseAfterPatch("raxx-api-prod");
        const clock = new ManualClock();
        const result = await waitForHerokuDynos({ app: "raxx-api-prod", release, apiUrl: heroku.url, timeoutMs: 300_000, intervalMs: 5000, clock });
        expect(result).toEqual({ dynos: 2, seconds: 15 });
        expect(clock.sleeps).toEqual([5000, 5000, 5000]);
    });

    it("times out naming the dynos still on the old release, and says what to do", async () => {
        heroku.app("raxx-api-prod").dynoLag = 1000;
        const release = await releaseAfterPatch("raxx-api-prod");
        const err = await caught(() => waitForHerokuDynos({ app: "raxx-api-prod", release, apiUrl: heroku.url, timeoutMs: 60_000, intervalMs: 5000, clock: new ManualClock() }));
        expect(err.message).toContain(`heroku release: heroku app raxx-api-prod: 2 of 2 dyno(s) still run a release older than v${release.version}`);
        expect(err.message).toContain("web.1 (v10, up), worker.1 (v10, up)");
        expect(err.message).toContain("heroku ps -a raxx-api-prod");
        expect(err.message).not.toContain(heroku.token);
    });

    it("judges by release version, else by updated_at against the release's creation; one-off dynos do not count", () => {
        const release = { id: "r", version: 11, status: "succeeded" as const, current: true, created_at: "2026-11-23T10:00:00Z" };
        expect(dynoOnRelease(dynoViewOf({ name: "web.1", type: "web", release: { version: 11 } }), release)).toBe(true);
        expect(dynoOnRelease(dynoViewOf({ name: "web.1", type: "web", release: { version: 10 } }), release)).toBe(false);
        expect(dynoOnRelease(dynoViewOf({ name: "web.1", type: "web", updated_at: "2026-11-23T10:00:05Z" }), release)).toBe(true);
        expect(dynoOnRelease(dynoViewOf({ name: "web.1", type: "web", updated_at: "2026-11-23T09:59:00Z" }), release)).toBe(false);
    });
});
