import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HerokuEmulator, parseRange } from "../../offline/emulators/herokuEmulator";

/** The emulator's own contract (api-contracts.md, Heroku), so provider tests stand on solid ground. */

const heroku = new HerokuEmulator();
const APP = "raxx-api-prod";
const H = () => ({ Accept: "application/vnd.heroku+json; version=3", Authorization: `Bearer ${heroku.token}` });

async function call(method: string, path: string, init: { headers?: Record<string, string>; body?: unknown } = {}) {
    const res = await fetch(`${heroku.url}${path}`, {
        method,
        headers: { ...(init.headers ?? H()), ...(init.body !== undefined ? { "content-type": "application/json" } : {}) },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as unknown };
}

beforeAll(async () => {
    await heroku.start();
});
afterAll(async () => {
    await heroku.stop();
});
beforeEach(() => {
    heroku.seedApp(APP, { KEEP: "a\nb", DROP: "x" }, 3);
    heroku.releasePlan = ["pending", "succeeded"];
    heroku.releaseOnNoopPatch = true;
});

describe("heroku emulator", () => {
    it("merge-PATCH: named vars set, null deletes, others untouched, 200 with the full object, one release", async () => {
        const res = await call("PATCH", `/apps/${APP}/config-vars`, { body: { NEW: "v", DROP: null } });
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ KEEP: "a\nb", NEW: "v" });
        expect(heroku.releaseCount(APP)).toBe(1);
        expect(heroku.latestVersion(APP)).toBe(4);
    });

    it("a no-op PATCH makes a release unless told otherwise", async () => {
        await call("PATCH", `/apps/${APP}/config-vars`, { body: { KEEP: "a\nb" } });
        expect(heroku.releaseCount(APP)).toBe(1);
        heroku.releaseOnNoopPatch = false;
        await call("PATCH", `/apps/${APP}/config-vars`, { body: { KEEP: "a\nb" } });
        expect(heroku.releaseCount(APP)).toBe(1);
    });

    it("422 invalid_params for bad names or non-string values, nothing changed", async () => {
        const a = await call("PATCH", `/apps/${APP}/config-vars`, { body: { "A-B": "v" } });
        const b = await call("PATCH", `/apps/${APP}/config-vars`, { body: { A: 1 } });
        expect([a.status, b.status]).toEqual([422, 422]);
        expect((a.body as { id: string }).id).toBe("invalid_params");
        expect(heroku.releaseCount(APP)).toBe(0);
    });

    it("401 without or with a wrong token, 406 without the v3 Accept, 404 for an unknown app", async () => {
        const none = await call("GET", `/apps/${APP}/config-vars`, { headers: { Accept: H().Accept } });
        const wrong = await call("GET", `/apps/${APP}/config-vars`, { headers: { ...H(), Authorization: "Bearer nope" } });
        const accept = await call("GET", `/apps/${APP}/config-vars`, { headers: { Authorization: H().Authorization, Accept: "application/json" } });
        const missing = await call("GET", "/apps/no-such-app/config-vars");
        expect([none.status, wrong.status, accept.status, missing.status]).toEqual([401, 401, 406, 404]);
        expect(none.body).toMatchObject({ id: "unauthorized" });
        expect(missing.body).toMatchObject({ id: "not_found", message: "Couldn't find that app." });
    });

    it("sends RateLimit-Remaining (decreasing) and a Request-Id on every answer", async () => {
        const a = await call("GET", `/apps/${APP}/config-vars`);
        const b = await call("GET", "/apps/no-such-app/config-vars");
        expect(Number(b.headers.get("ratelimit-remaining"))).toBe(Number(a.headers.get("ratelimit-remaining")) - 1);
        expect(a.headers.get("request-id")).toMatch(/^[0-9a-f-]{36}$/);
        expect(b.headers.get("request-id")).not.toBe(a.headers.get("request-id"));
    });

    it("honours the Range header on releases (order, max, 206 with Next-Range)", async () => {
        const newest = await call("GET", `/apps/${APP}/releases`, { headers: { ...H(), Range: "version ..; order=desc, max=1" } });
        expect(newest.status).toBe(206);
        expect((newest.body as { version: number }[]).map((r) => r.version)).toEqual([3]);
        expect(newest.headers.get("next-range")).toBe("version ..2; order=desc, max=1");
        const all = await call("GET", `/apps/${APP}/releases`);
        expect(all.status).toBe(200);
        expect((all.body as { version: number }[]).map((r) => r.version)).toEqual([1, 2, 3]);
        const bad = await call("GET", `/apps/${APP}/releases`, { headers: { ...H(), Range: "id ..; max=abc" } });
        expect(bad.status).toBe(400);
    });

    it("moves each new release along its status plan; current is the newest succeeded", async () => {
        heroku.releasePlan = ["pending", "failed"];
        await call("PATCH", `/apps/${APP}/config-vars`, { body: { NEW: "v" } });
        const look = async () => ((await call("GET", `/apps/${APP}/releases`, { headers: { ...H(), Range: "version ..; order=desc, max=2" } })).body as { version: number; status: string; current: boolean }[]);
        const first = await look();
        expect(first[0]).toMatchObject({ version: 4, status: "pending", current: false });
        expect(first[1]).toMatchObject({ version: 3, status: "succeeded", current: true });
        expect((await look())[0]).toMatchObject({ version: 4, status: "failed", current: false });
        expect((await look())[0]!.status).toBe("failed");
    });

    it("parses Range headers", () => {
        expect(parseRange("version ..; order=desc, max=1")).toEqual({ order: "desc", max: 1 });
        expect(parseRange("version 5..9")).toEqual({ start: 5, end: 9, order: "asc", max: 200 });
        expect(parseRange("name ..")).toBeUndefined();
    });
});
