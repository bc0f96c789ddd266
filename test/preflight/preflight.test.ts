import { existsSync, readFileSync } from "fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fingerprint } from "../../components/domain/fingerprint";
import { preflightProvider } from "../../components/preflight/preflightProvider";
import { isPreflightError } from "../../components/preflight/problem";
import { runPreflight } from "../../components/preflight/runPreflight";
import { makeApiKey } from "../../offline/emulators/keys";
import { tempAuditContext } from "../audit/support";
import { caught, expectNoSecrets } from "../support/errors";
import { contextOf, envOf, inputsOf, secretsOf, Services, startServices, stopServices, writes } from "./support";

/**
 * The preflight as one step: every check at once, one error listing every problem (credential, target, answer,
 * fix), an audit line with step `preflight`, no credential in any of it, and nothing written anywhere.
 */

let s: Services;
beforeAll(async () => {
    s = await startServices();
});
afterAll(() => stopServices(s));

const CREDENTIALS = ["HEROKU_API_KEY", "INFISICAL_CLIENT_ID", "INFISICAL_CLIENT_SECRET", "GITHUB_TOKEN", "ANTHROPIC_ADMIN_API_KEY"];
const saved = Object.fromEntries(CREDENTIALS.map((k) => [k, process.env[k]]));
afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
});

describe("runPreflight", () => {
    it("passes when every credential works, listing what it checked", async () => {
        const { passed } = await runPreflight(inputsOf(s), contextOf(envOf(s)));
        expect(passed).toHaveLength(1 + 2 + 1 + 2 + 1); // account + 2 apps, Infisical, 2 GitHub scopes, Admin API
        expect(writes(s)).toEqual([]);
    });

    it("fails once, listing every problem: a bad Heroku token, a rejected Infisical login, an unknown repository, a missing admin key", async () => {
        const inputs = inputsOf(s);
        const broken = {
            ...inputs,
            github: { ...inputs.github, scopes: [...inputs.github.scopes, { kind: "repository" as const, owner: "raxx-app", repository: "gone" }] },
        };
        const env = envOf(s, { HEROKU_API_KEY: "HRKU-bad-token-0000000000", INFISICAL_CLIENT_SECRET: "f".repeat(64), ANTHROPIC_ADMIN_API_KEY: undefined });
        const started = Date.now();
        const err = await caught(() => runPreflight(broken, contextOf(env)));
        expect(isPreflightError(err)).toBe(true);
        if (!isPreflightError(err)) return;
        expect(err.message).toMatch(/^preflight: 4 problems with the credentials this run needs; nothing was written anywhere/);
        expect(err.problems.map((p) => p.credential)).toEqual(["HEROKU_API_KEY", "INFISICAL_CLIENT_ID / INFISICAL_CLIENT_SECRET", "GITHUB_TOKEN", "ANTHROPIC_ADMIN_API_KEY"]);
        const lines = err.message.split("\n").slice(1);
        expect(lines).toHaveLength(4);
        for (const line of lines) expect(line).toMatch(/^ - \S.* → .+: .+\. Fix: .+/);
        expect(lines[0]).toContain("HTTP 401 unauthorized");
        expect(lines[1]).toContain("HTTP 401");
        expect(lines[2]).toContain("github repository raxx-app/gone: HTTP 404");
        expect(lines[3]).toContain("not set in the environment of pulumi, and revocation is deactivate");
        expectNoSecrets(err, [...secretsOf(s), "HRKU-bad-token-0000000000", "f".repeat(64)]);
        expect(writes(s)).toEqual([]);
        // In parallel: the slowest check bounds the run (Infisical's SDK does not retry a 401), not their sum.
        expect(Date.now() - started).toBeLessThan(30_000);
    });
});

describe("the provider", () => {
    const key = makeApiKey();
    const fp = fingerprint(key);

    it("creates only when every credential works, with what passed in its outputs and no credential anywhere", async () => {
        Object.assign(process.env, envOf(s));
        const { id, outs } = await preflightProvider.create!({ ...inputsOf(s, fp), audit: tempAuditContext(fp) });
        expect(id).toMatch(/^preflight-[0-9a-f]{16}$/);
        expect(outs.fingerprint).toBe(fp);
        expect(typeof outs.checkedAt).toBe("string");
        expect((outs.passed as string[]).length).toBeGreaterThanOrEqual(6);
        const text = JSON.stringify(outs);
        for (const secret of secretsOf(s)) expect(text.includes(secret)).toBe(false);
    });

    it("records a failure in the audit log with step preflight, redacted, and throws the one error", async () => {
        Object.assign(process.env, envOf(s, { GITHUB_TOKEN: "ghp_wrongtoken000000000000000000000000" }));
        const audit = tempAuditContext(fp);
        const err = await caught(() => preflightProvider.create!({ ...inputsOf(s, fp), audit }));
        expect(err.message).toMatch(/^preflight: 1 problem/);
        expect(err.message).toContain("GITHUB_TOKEN → github repository raxx-app/agents");
        expect(existsSync(audit.path)).toBe(true);
        const [line] = readFileSync(audit.path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { action: string; step: string; reason: string });
        expect(line).toMatchObject({ action: "secret.rotate.failed", step: "preflight" });
        expect(line!.reason).toContain("GITHUB_TOKEN");
        expect(readFileSync(audit.path, "utf8").includes("ghp_wrongtoken000000000000000000000000")).toBe(false);
        expectNoSecrets(err, [...secretsOf(s), "ghp_wrongtoken000000000000000000000000"]);
    });

    it("re-runs for a new key or changed targets, and previews clean when nothing changed", async () => {
        const olds = { ...inputsOf(s, fp), checkedAt: "2026-01-01T00:00:00.000Z", passed: [] };
        // State may hold an object's keys in another order: still no change.
        const reordered = Object.fromEntries(Object.entries(inputsOf(s, fp)).reverse());
        expect((await preflightProvider.diff!("id", olds, reordered)).changes).toBe(false);
        expect((await preflightProvider.diff!("id", olds, inputsOf(s, fingerprint(makeApiKey())))).changes).toBe(true);
        const moreApps = { ...inputsOf(s, fp), heroku: { apiUrl: s.heroku.url, apps: ["raxx-api-prod"] } };
        expect((await preflightProvider.diff!("id", olds, moreApps)).changes).toBe(true);
    });

    it("check refuses inputs that are not a preflight's", async () => {
        const { failures } = await preflightProvider.check!({}, { ...inputsOf(s, fp), fingerprint: "nope", admin: { baseUrl: "" } });
        expect(failures?.map((f) => f.property)).toEqual(["fingerprint", "admin"]);
    });
});
