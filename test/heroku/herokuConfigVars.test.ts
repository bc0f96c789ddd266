import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { fingerprint } from "../../components/domain/fingerprint";
import { HerokuConfigVarsOutputs, herokuConfigVarsProvider as provider, MISSING } from "../../components/heroku/herokuConfigVarsProvider";
import { waitForHerokuRelease } from "../../components/heroku/herokuApi";
import { HerokuEmulator } from "../../offline/emulators/herokuEmulator";
import { makeAdminKey, makeApiKey } from "../../offline/emulators/keys";
import { caught, expectNoSecrets, GENEROUS_ATTEMPT_TIMEOUT_MS, ODD_VARS, useFastRetries } from "./helpers";

useFastRetries();

const APP = "raxx-api-prod";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const heroku = new HerokuEmulator();
let oldKey: string;
let newKey: string;

beforeAll(async () => {
    await heroku.start();
});
afterAll(async () => {
    await heroku.stop();
});
beforeEach(() => {
    oldKey = makeApiKey();
    newKey = makeApiKey();
    heroku.seedApp(APP, { ...ODD_VARS, ANTHROPIC_API_KEY: oldKey });
    heroku.clearFaults();
    heroku.releasePlan = ["pending", "succeeded"];
    process.env.HEROKU_API_KEY = heroku.token;
});
afterEach(() => {
    heroku.server.requests.length = 0;
    vi.restoreAllMocks();
});

type Props = Record<string, unknown>;

function inputs(key: string, extra: Props = {}): Props {
    return { app: APP, vars: ["ANTHROPIC_API_KEY"], apiKey: key, fingerprint: fingerprint(key), apiUrl: heroku.url, removeOnDelete: false, ...extra };
}

/** check() then create(), as the engine does. */
async function create(key: string, extra: Props = {}): Promise<{ id: string; outs: HerokuConfigVarsOutputs }> {
    const checked = await provider.check!({}, inputs(key, extra));
    expect(checked.failures).toEqual([]);
    const result = await provider.create(checked.inputs);
    return { id: result.id, outs: result.outs as HerokuConfigVarsOutputs };
}

async function update(id: string, olds: HerokuConfigVarsOutputs, key: string, extra: Props = {}): Promise<HerokuConfigVarsOutputs> {
    const checked = await provider.check!(inputs(oldKey), inputs(key, extra));
    expect(checked.failures).toEqual([]);
    const result = await provider.update!(id, olds as unknown as Props, checked.inputs);
    return result.outs as HerokuConfigVarsOutputs;
}

function othersOf(vars: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of Object.keys(ODD_VARS)) if (name in vars) out[name] = vars[name]!;
    return out;
}

/** The app's other vars are exactly what was seeded, byte for byte, and no PATCH ever named them. */
function expectOthersUntouched(app = APP): void {
    const now = heroku.configVars(app);
    expect(othersOf(now)).toEqual(ODD_VARS);
    for (const [name, value] of Object.entries(ODD_VARS)) expect(Buffer.from(now[name]!, "utf8").equals(Buffer.from(value, "utf8"))).toBe(true);
    for (const body of heroku.patches(app)) for (const name of Object.keys(ODD_VARS)) expect(body).not.toHaveProperty(name);
}

function expectNoKeyInOutputs(outs: unknown, ...keys: string[]): void {
    const text = JSON.stringify(outs);
    for (const k of keys) expect(text.includes(k)).toBe(false);
    expect(text).not.toMatch(/sk-ant-/);
}

describe("check", () => {
    it("accepts good inputs and fills the defaults", async () => {
        const { inputs: checked, failures } = await provider.check!({}, { app: APP, apiKey: newKey, fingerprint: fingerprint(newKey) });
        expect(failures).toEqual([]);
        expect(checked).toEqual({
            app: APP,
            vars: ["ANTHROPIC_API_KEY"],
            apiKey: newKey,
            fingerprint: fingerprint(newKey),
            apiUrl: "https://api.heroku.com",
            removeOnDelete: false,
        });
        expect(heroku.requests).toHaveLength(0);
    });

    it("trims a pasted newline from the key and drops stray properties", async () => {
        const { inputs: checked, failures } = await provider.check!({}, { ...inputs(newKey), apiKey: `${newKey}\n`, apiUrl: `${heroku.url}/`, releaseVersion: 3 });
        expect(failures).toEqual([]);
        expect(checked!.apiKey).toBe(newKey);
        expect(checked!.apiUrl).toBe(heroku.url);
        expect(checked).not.toHaveProperty("releaseVersion");
    });

    it.each([
        ["app", { app: "Raxx_API" }, "Heroku app names"],
        ["vars", { vars: [] }, "non-empty list"],
        ["vars", { vars: ["ANTHROPIC-API-KEY"] }, "letters, digits and '_'"],
        ["vars", { vars: ["HEROKU_ANTHROPIC_KEY"] }, "reserved by Heroku"],
        ["vars", { vars: ["ANTHROPIC__KEY"] }, "'__'"],
        ["vars", { vars: ["ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY"] }, "listed twice"],
        ["fingerprint", { fingerprint: "sha256:000000000000" }, "does not match apiKey"],
        ["fingerprint", { fingerprint: "3f9a" }, "sha256:<12 hex digits>"],
        ["apiKey", { apiKey: "  " }, "apiKey is empty"],
        ["apiUrl", { apiUrl: "api.heroku.com" }, "http(s) URL"],
        ["removeOnDelete", { removeOnDelete: "yes" }, "true or false"],
    ])("rejects a bad %s (%j)", async (property, extra, reason) => {
        const { failures } = await provider.check!({}, inputs(newKey, extra));
        expect(failures!.map((f) => f.property)).toContain(property);
        expect(failures!.map((f) => f.reason).join(" ")).toContain(reason);
        expectNoSecrets(new Error(JSON.stringify(failures)), [newKey]);
    });

    it("refuses an Admin API key without echoing it", async () => {
        const admin = makeAdminKey();
        const { failures } = await provider.check!({}, { ...inputs(newKey), apiKey: admin, fingerprint: fingerprint(admin) });
        expect(failures).toEqual([{ property: "apiKey", reason: expect.stringContaining("Admin API key") }]);
        expectNoSecrets(new Error(JSON.stringify(failures)), [admin, newKey]);
    });

    it("refuses another vendor's key, and a key whose fingerprint does not match", async () => {
        const other = `sk-proj-${"a".repeat(40)}`;
        const a = await provider.check!({}, { ...inputs(newKey), apiKey: other, fingerprint: fingerprint(other) });
        expect(a.failures!.map((f) => f.property)).toEqual(["apiKey"]);
        const b = await provider.check!({}, { ...inputs(newKey), apiKey: oldKey });
        expect(b.failures!.map((f) => f.property)).toEqual(["fingerprint"]);
        expectNoSecrets(new Error(JSON.stringify([a, b].map((r) => r.failures))), [other, oldKey, newKey]);
    });

    it("lets unknown (preview) values through", async () => {
        const { failures } = await provider.check!({}, { ...inputs(newKey), apiKey: UNKNOWN, fingerprint: UNKNOWN, vars: [UNKNOWN] });
        expect(failures).toEqual([]);
    });

    it("keeps the validation receipt of the key it carries, and refuses one for another key (nothing is written)", async () => {
        const ok = await provider.check!({}, { ...inputs(newKey), validatedFingerprint: fingerprint(newKey) });
        expect(ok.failures).toEqual([]);
        expect(ok.inputs!.validatedFingerprint).toBe(fingerprint(newKey));
        const pending = await provider.check!({}, { ...inputs(newKey), validatedFingerprint: UNKNOWN });
        expect(pending.failures).toEqual([]);
        const foreign = await provider.check!({}, { ...inputs(newKey), validatedFingerprint: fingerprint(oldKey) });
        expect(foreign.failures).toEqual([{ property: "validatedFingerprint", reason: expect.stringMatching(/the key validated is sha256:[0-9a-f]{12}, but this consumer would receive sha256:[0-9a-f]{12}/) }]);
        const malformed = await provider.check!({}, { ...inputs(newKey), validatedFingerprint: "yes" });
        expect(malformed.failures!.map((f) => f.property)).toEqual(["validatedFingerprint"]);
        expect(heroku.requests).toHaveLength(0);
    });
});

describe("diff (offline)", () => {
    it("no change: same fingerprint, vars (in any order), app and endpoint", async () => {
        const { id, outs } = await create(newKey, { vars: ["ANTHROPIC_API_KEY", "CLAUDE_KEY"] });
        heroku.server.requests.length = 0;
        const diff = await provider.diff!(id, outs as unknown as Props, inputs(newKey, { vars: ["CLAUDE_KEY", "ANTHROPIC_API_KEY"], apiUrl: `${heroku.url}/` }));
        expect(diff).toMatchObject({ changes: false, replaces: [] });
        expect(heroku.requests).toHaveLength(0);
    });

    it("a new key (fingerprint) is an in-place update", async () => {
        const { id, outs } = await create(oldKey);
        const diff = await provider.diff!(id, outs as unknown as Props, inputs(newKey));
        expect(diff).toMatchObject({ changes: true, replaces: [] });
    });

    it("a changed var list is an update; a changed app is a replacement", async () => {
        const { id, outs } = await create(newKey);
        expect((await provider.diff!(id, outs as unknown as Props, inputs(newKey, { vars: ["ANTHROPIC_API_KEY", "CLAUDE_KEY"] }))).changes).toBe(true);
        expect(await provider.diff!(id, outs as unknown as Props, inputs(newKey, { app: "raxx-api-staging" }))).toMatchObject({ changes: true, replaces: ["app"] });
    });

    it("an unknown fingerprint (preview) counts as a change", async () => {
        const { id, outs } = await create(newKey);
        expect((await provider.diff!(id, outs as unknown as Props, { ...inputs(newKey), fingerprint: UNKNOWN })).changes).toBe(true);
    });
});

describe("create", () => {
    it("writes the key in one PATCH, records the release, leaves other vars byte for byte", async () => {
        const before = heroku.latestVersion(APP);
        const { id, outs } = await create(newKey);
        expect(id).toBe(APP);
        expect(heroku.configVars(APP).ANTHROPIC_API_KEY).toBe(newKey);
        expect(heroku.patches(APP)).toEqual([{ ANTHROPIC_API_KEY: newKey }]);
        expect(heroku.releaseCount(APP)).toBe(1);
        expect(outs).toEqual({
            app: APP,
            vars: ["ANTHROPIC_API_KEY"],
            fingerprint: fingerprint(newKey),
            apiUrl: heroku.url,
            removeOnDelete: false,
            onDelete: "retain",
            releaseVersion: before + 1,
            releaseCreated: true,
            remoteFingerprints: { ANTHROPIC_API_KEY: fingerprint(newKey) },
            drift: [],
            removedVars: [],
            releasedVars: [],
        });
        expectOthersUntouched();
        expectNoKeyInOutputs(outs, newKey, oldKey, heroku.token);
    });

    it("several vars: still one PATCH, one release, one restart", async () => {
        const vars = ["ANTHROPIC_API_KEY", "CLAUDE_API_KEY", "ANTHROPIC_API_KEY_AGENTS"];
        const { outs } = await create(newKey, { vars });
        expect(heroku.calls("PATCH")).toHaveLength(1);
        expect(heroku.releaseCount(APP)).toBe(1);
        for (const v of vars) expect(heroku.configVars(APP)[v]).toBe(newKey);
        expect(Object.keys(outs.remoteFingerprints).sort()).toEqual([...vars].sort());
        expectOthersUntouched();
    });

    it("one release per app when several apps rotate", async () => {
        heroku.seedApp("raxx-worker-prod", { ...ODD_VARS, ANTHROPIC_API_KEY: oldKey });
        await Promise.all([create(newKey, { vars: ["ANTHROPIC_API_KEY", "CLAUDE_KEY"] }), create(newKey, { app: "raxx-worker-prod" })]);
        expect(heroku.releaseCount(APP)).toBe(1);
        expect(heroku.releaseCount("raxx-worker-prod")).toBe(1);
        expectOthersUntouched(APP);
        expectOthersUntouched("raxx-worker-prod");
    });

    it("is idempotent: when the app already holds the key, no PATCH and no restart", async () => {
        heroku.seedApp(APP, { ...ODD_VARS, ANTHROPIC_API_KEY: newKey });
        const { outs } = await create(newKey);
        expect(heroku.calls("PATCH")).toHaveLength(0);
        expect(heroku.releaseCount(APP)).toBe(0);
        expect(outs).toMatchObject({ releaseCreated: false, releaseVersion: heroku.latestVersion(APP), drift: [] });
        // and once more, as a re-run after an interrupted `pulumi up` would
        await create(newKey);
        expect(heroku.releaseCount(APP)).toBe(0);
    });

    it("the release it records is the one the health check can wait for", async () => {
        heroku.releasePlan = ["pending", "pending", "succeeded"];
        const { outs } = await create(newKey);
        const release = await waitForHerokuRelease({ app: APP, releaseVersion: outs.releaseVersion!, apiUrl: heroku.url, intervalMs: 5, timeoutMs: 2000 });
        expect(release).toMatchObject({ version: outs.releaseVersion, status: "succeeded" });
    });
});

describe("update", () => {
    it("a fingerprint change writes the new key in one release", async () => {
        const { id, outs } = await create(oldKey, { vars: ["ANTHROPIC_API_KEY", "CLAUDE_KEY"] });
        const after = await update(id, outs, newKey, { vars: ["ANTHROPIC_API_KEY", "CLAUDE_KEY"] });
        expect(heroku.releaseCount(APP)).toBe(2);
        expect(heroku.patches(APP)).toHaveLength(2);
        expect(heroku.configVars(APP)).toMatchObject({ ANTHROPIC_API_KEY: newKey, CLAUDE_KEY: newKey });
        expect(after).toMatchObject({ fingerprint: fingerprint(newKey), releaseVersion: heroku.latestVersion(APP), releaseCreated: true, drift: [] });
        expectOthersUntouched();
        expectNoKeyInOutputs(after, newKey, oldKey);
    });

    it("a var dropped from vars that still holds our key is removed in the same PATCH", async () => {
        const { id, outs } = await create(oldKey, { vars: ["ANTHROPIC_API_KEY", "LEGACY_CLAUDE_KEY"] });
        const after = await update(id, outs, newKey, { vars: ["ANTHROPIC_API_KEY"] });
        expect(heroku.patches(APP)[1]).toEqual({ ANTHROPIC_API_KEY: newKey, LEGACY_CLAUDE_KEY: null });
        expect(heroku.configVars(APP)).not.toHaveProperty("LEGACY_CLAUDE_KEY");
        expect(heroku.releaseCount(APP)).toBe(2);
        expect(after).toMatchObject({ removedVars: ["LEGACY_CLAUDE_KEY"], releasedVars: [] });
        expectOthersUntouched();
    });

    it("a dropped var someone else has changed since is left alone, with a warning", async () => {
        const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
        const { id, outs } = await create(oldKey, { vars: ["ANTHROPIC_API_KEY", "LEGACY_CLAUDE_KEY"] });
        heroku.setConfigVarOutOfBand(APP, "LEGACY_CLAUDE_KEY", "someone-elses-value");
        const after = await update(id, outs, newKey, { vars: ["ANTHROPIC_API_KEY"] });
        expect(heroku.configVars(APP).LEGACY_CLAUDE_KEY).toBe("someone-elses-value");
        expect(heroku.patches(APP)[1]).toEqual({ ANTHROPIC_API_KEY: newKey });
        expect(after).toMatchObject({ removedVars: [], releasedVars: ["LEGACY_CLAUDE_KEY"] });
        expect(warn.mock.calls.flat().join("\n")).toContain("no longer managing LEGACY_CLAUDE_KEY");
    });

    it("only an endpoint/removeOnDelete change: no PATCH, no release, new outputs", async () => {
        const { id, outs } = await create(newKey);
        const after = await update(id, outs, newKey, { removeOnDelete: true });
        expect(heroku.releaseCount(APP)).toBe(1);
        expect(after).toMatchObject({ removeOnDelete: true, onDelete: "remove", releaseCreated: false });
    });

    it("a failed update leaves the old key in place and the error names the app", async () => {
        const { id, outs } = await create(oldKey);
        heroku.injectFault({ method: "PATCH", fault: { kind: "status", status: 503, body: { id: "unavailable", message: "down" } }, times: 99 });
        const err = await caught(() => update(id, outs, newKey));
        expect(err.message).toContain(`heroku app ${APP}`);
        expect(heroku.configVars(APP).ANTHROPIC_API_KEY).toBe(oldKey);
        expectNoSecrets(err, [oldKey, newKey, heroku.token]);
    });
});

describe("read (refresh)", () => {
    it("in sync: no drift, no write", async () => {
        const { id, outs } = await create(newKey);
        heroku.server.requests.length = 0;
        const read = await provider.read!(id, outs as unknown as Props);
        expect(read.id).toBe(APP);
        expect(read.props).toMatchObject({ drift: [], remoteFingerprints: { ANTHROPIC_API_KEY: fingerprint(newKey) }, fingerprint: fingerprint(newKey) });
        expect(heroku.calls("PATCH")).toHaveLength(0);
        expect(heroku.calls("GET")).toHaveLength(1);
    });

    it("someone changed the var in the dashboard: drift with the remote fingerprint; the next up repairs it", async () => {
        const { id, outs } = await create(newKey, { vars: ["ANTHROPIC_API_KEY", "CLAUDE_KEY"] });
        const intruder = makeApiKey();
        heroku.setConfigVarOutOfBand(APP, "ANTHROPIC_API_KEY", intruder);
        heroku.setConfigVarOutOfBand(APP, "CLAUDE_KEY", null);
        const read = await provider.read!(id, outs as unknown as Props);
        const props = read.props as HerokuConfigVarsOutputs;
        expect(props.drift).toEqual(["ANTHROPIC_API_KEY", "CLAUDE_KEY"]);
        expect(props.remoteFingerprints).toEqual({ ANTHROPIC_API_KEY: fingerprint(intruder), CLAUDE_KEY: MISSING });
        expect(props.fingerprint).toBe(fingerprint(newKey));
        expectNoKeyInOutputs(props, intruder, newKey);

        // Same inputs as before, but the refreshed state shows drift: diff asks for an update...
        const diff = await provider.diff!(id, props as unknown as Props, inputs(newKey, { vars: ["ANTHROPIC_API_KEY", "CLAUDE_KEY"] }));
        expect(diff.changes).toBe(true);
        // ...and the update puts the key back, in one release.
        const releasesBefore = heroku.releaseCount(APP);
        const fixed = await update(id, props, newKey, { vars: ["ANTHROPIC_API_KEY", "CLAUDE_KEY"] });
        expect(heroku.configVars(APP)).toMatchObject({ ANTHROPIC_API_KEY: newKey, CLAUDE_KEY: newKey });
        expect(heroku.releaseCount(APP)).toBe(releasesBefore + 1);
        expect(fixed.drift).toEqual([]);
        expectOthersUntouched();
    });

    it("the app is gone: the resource reads as deleted", async () => {
        const { id, outs } = await create(newKey);
        const read = await provider.read!(id, { ...(outs as unknown as Props), app: "raxx-deleted-app" });
        expect(read.id).toBe("");
    });

    it("a 401 during refresh is an error naming the app, not a deletion", async () => {
        const { id, outs } = await create(newKey);
        process.env.HEROKU_API_KEY = "HRKU-wrong-token-0123456789";
        const err = await caught(() => provider.read!(id, outs as unknown as Props));
        expect(err.message).toContain(`heroku app ${APP}: Heroku rejected the token in HEROKU_API_KEY`);
        expectNoSecrets(err, [newKey, "HRKU-wrong-token-0123456789"]);
    });
});

describe("delete", () => {
    it("default: leaves the vars in place, makes no call, and says so", async () => {
        const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
        const { id, outs } = await create(newKey, { vars: ["ANTHROPIC_API_KEY", "CLAUDE_KEY"] });
        heroku.server.requests.length = 0;
        await provider.delete!(id, outs as unknown as Props);
        expect(heroku.requests).toHaveLength(0);
        expect(heroku.configVars(APP)).toMatchObject({ ANTHROPIC_API_KEY: newKey, CLAUDE_KEY: newKey });
        const logged = warn.mock.calls.flat().join("\n");
        expect(logged).toContain(`heroku app ${APP}: left ANTHROPIC_API_KEY, CLAUDE_KEY in place on delete (removeOnDelete is false`);
        expect(logged).toContain(`heroku config:unset ANTHROPIC_API_KEY CLAUDE_KEY -a ${APP}`);
        expectNoSecrets(new Error(logged), [newKey]);
    });

    it("removeOnDelete: removes our vars in one PATCH, other vars untouched", async () => {
        vi.spyOn(console, "warn").mockImplementation(() => undefined);
        const { id, outs } = await create(newKey, { vars: ["ANTHROPIC_API_KEY", "CLAUDE_KEY"], removeOnDelete: true });
        await provider.delete!(id, outs as unknown as Props);
        const vars = heroku.configVars(APP);
        expect(vars).not.toHaveProperty("ANTHROPIC_API_KEY");
        expect(vars).not.toHaveProperty("CLAUDE_KEY");
        expect(heroku.patches(APP)[1]).toEqual({ ANTHROPIC_API_KEY: null, CLAUDE_KEY: null });
        expect(heroku.releaseCount(APP)).toBe(2);
        expectOthersUntouched();
    });

    it("removeOnDelete: a var that no longer holds our key is not ours to remove", async () => {
        vi.spyOn(console, "warn").mockImplementation(() => undefined);
        const { id, outs } = await create(newKey, { vars: ["ANTHROPIC_API_KEY", "CLAUDE_KEY"], removeOnDelete: true });
        const other = makeApiKey();
        heroku.setConfigVarOutOfBand(APP, "CLAUDE_KEY", other);
        await provider.delete!(id, outs as unknown as Props);
        expect(heroku.configVars(APP).CLAUDE_KEY).toBe(other);
        expect(heroku.configVars(APP)).not.toHaveProperty("ANTHROPIC_API_KEY");
        expect(heroku.patches(APP)[1]).toEqual({ ANTHROPIC_API_KEY: null });
    });

    it("removeOnDelete: nothing left to remove means no PATCH; a deleted app is fine", async () => {
        vi.spyOn(console, "warn").mockImplementation(() => undefined);
        const { id, outs } = await create(newKey, { removeOnDelete: true });
        heroku.setConfigVarOutOfBand(APP, "ANTHROPIC_API_KEY", null);
        await provider.delete!(id, outs as unknown as Props);
        expect(heroku.patches(APP)).toHaveLength(1);
        await provider.delete!(id, { ...(outs as unknown as Props), app: "raxx-deleted-app" });
    });

    it("removeOnDelete with a failing API: the error names the app and the vars stay", async () => {
        const { id, outs } = await create(newKey, { removeOnDelete: true });
        heroku.app(APP).forbidden = true;
        const err = await caught(() => provider.delete!(id, outs as unknown as Props));
        expect(err.message).toContain(`heroku app ${APP}: the token in HEROKU_API_KEY has no access`);
        heroku.app(APP).forbidden = false;
        expect(heroku.configVars(APP).ANTHROPIC_API_KEY).toBe(newKey);
        expectNoSecrets(err, [newKey, heroku.token]);
    });
});

describe("create errors: clear, redacted, naming the app, nothing written", () => {
    const secrets = () => [newKey, oldKey, heroku.token];
    const fails = async (expected: RegExp | string): Promise<Error> => {
        const err = await caught(() => create(newKey));
        if (typeof expected === "string") expect(err.message).toContain(expected);
        else expect(err.message).toMatch(expected);
        expect(err.message).toContain(APP);
        expect(heroku.configVars(APP).ANTHROPIC_API_KEY).toBe(oldKey);
        expect(heroku.releaseCount(APP)).toBe(0);
        expectOthersUntouched();
        expectNoSecrets(err, secrets());
        return err;
    };

    it("no HEROKU_API_KEY", async () => {
        delete process.env.HEROKU_API_KEY;
        await fails("HEROKU_API_KEY is not set");
        expect(heroku.requests).toHaveLength(0);
    });

    it("401", async () => {
        process.env.HEROKU_API_KEY = `HRKU-${"0".repeat(60)}`;
        await fails("Heroku rejected the token in HEROKU_API_KEY (HTTP 401 unauthorized");
    });

    it("403", async () => {
        heroku.app(APP).forbidden = true;
        await fails(`the token in HEROKU_API_KEY has no access to app ${APP} (HTTP 403 forbidden`);
    });

    it("404", async () => {
        const err = await caught(() => create(newKey, { app: "raxx-api-typo" }));
        expect(err.message).toContain("heroku app raxx-api-typo: Couldn't find that app");
        expect(err.message).toContain("targets.heroku");
        expectNoSecrets(err, secrets());
    });

    it("422 on the PATCH", async () => {
        heroku.injectFault({ method: "PATCH", fault: { kind: "status", status: 422, body: { id: "invalid_params", message: `Invalid value for ANTHROPIC_API_KEY: ${newKey}` } } });
        const err = await fails("Heroku rejected the request as invalid (HTTP 422 invalid_params");
        expect(err.message).toContain("[REDACTED]");
        expect(heroku.calls("PATCH")).toHaveLength(1);
    });

    it("429 without Retry-After, then success", async () => {
        heroku.injectFault({ method: "PATCH", fault: { kind: "status", status: 429, body: { id: "rate_limit", message: "Your account reached the API rate limit" } }, times: 2 });
        const { outs } = await create(newKey);
        expect(heroku.calls("PATCH").map((r) => r.outcome)).toEqual([429, 429, 200]);
        expect(heroku.releaseCount(APP)).toBe(1);
        expect(outs.releaseCreated).toBe(true);
    });

    it("429 with Retry-After, then success", async () => {
        heroku.injectFault({ method: "GET", path: `/apps/${APP}/config-vars`, fault: { kind: "status", status: 429, headers: { "Retry-After": "0" }, body: { id: "rate_limit", message: "slow down" } } });
        await create(newKey);
        expect(heroku.configVars(APP).ANTHROPIC_API_KEY).toBe(newKey);
    });

    it("429 that never clears", async () => {
        heroku.injectFault({ fault: { kind: "status", status: 429, body: { id: "rate_limit", message: "Your account reached the API rate limit" } }, times: 99 });
        await fails("Heroku's rate limit for this account is used up (HTTP 429 rate_limit");
    });

    it.each([500, 503])("%i that never clears", async (status) => {
        heroku.injectFault({ fault: { kind: "status", status, body: { id: "internal_server_error", message: "Internal server error." } }, times: 99 });
        await fails(`the Heroku Platform API failed (HTTP ${status}`);
    });

    it("a hang", async () => {
        // Every PATCH hangs, so each attempt ends by its short timeout whatever the machine's speed.
        heroku.injectFault({ method: "PATCH", fault: { kind: "hang" }, times: 99 });
        process.env.ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS = "150";
        try {
            await fails(`heroku app ${APP} did not answer (timed out`);
        } finally {
            process.env.ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS = GENEROUS_ATTEMPT_TIMEOUT_MS;
        }
    });

    it("dropped connections", async () => {
        heroku.injectFault({ fault: { kind: "drop" }, times: 99 });
        await fails(`heroku app ${APP} did not answer (connection failed`);
    });

    it("a bad input that slipped past check is refused before any call", async () => {
        const err = await caught(() => provider.create({ ...inputs(newKey), fingerprint: fingerprint(oldKey) }));
        expect(err.message).toContain("fingerprint does not match apiKey");
        expect(heroku.requests).toHaveLength(0);
        expectNoSecrets(err, secrets());
    });
});
