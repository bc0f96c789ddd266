/**
 * The operator procedures of the README, through the real Pulumi CLI against the loopback emulators, one stack
 * carried through them in order as an operator would:
 *   1. verify mode across two runs: the first `up` stops at the revocation step while the old key still works,
 *      the operator revokes it in the Console, the second `up` proves the 401 and completes;
 *   2. an unfinished rotation (health fails after the fan-out), then an emergency rotation naming the key that
 *      leaked: both replaced keys die, the leaked one before any consumer is written;
 *   3. a rollback after a failed rotation: the previous key back on every consumer, nothing revoked;
 *   4. targets removed and renamed, then `pulumi destroy`: what is retained and what is removed at each
 *      emulator matches the README's security model.
 * Then the network guard and a leak scan over everything the CLI printed and stored.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fingerprint } from "../../components/domain/fingerprint";
import { HEALTH_PATH } from "../../offline/harness/sandbox";
import { auditLines, holdings, sandboxTargets } from "../../tools/rehearse/observe";
import { EngineStack, realEngineAvailability, requireCli } from "./realEngine";

const { cli, required } = realEngineAvailability();
const STEP = 900_000;

type Key = { value: string; id: string; fingerprint: string };
type Targets = { infisical: Record<string, unknown>[]; heroku: Record<string, unknown>[]; github: Record<string, unknown>[] };

describe.runIf(cli !== undefined || required)("real engine: the operator procedures, one stack through all of them", () => {
    let stack: EngineStack;
    const keys: Key[] = [];
    const newKey = (): Key => {
        const k = stack.sb.createKey();
        keys.push(k);
        return k;
    };
    const status = (...ks: Key[]) => ks.map((k) => stack.sb.anthropic.key(k.id)?.status);
    const expectEveryConsumerOn = (key: Key) => {
        const held = holdings(stack.sb, sandboxTargets(stack.stackFile));
        expect(held.length).toBeGreaterThan(0);
        for (const h of held) expect.soft(h.holds, `${h.kind}[${h.index}]`).toBe(key.fingerprint);
    };
    const audit = () => auditLines(stack.auditFile);
    const lastAudit = () => audit().at(-1) ?? {};
    const healthCheck = (timeoutSeconds: number) => [{ url: stack.sb.health.at(HEALTH_PATH), expect: "anthropic.ok == true", timeoutSeconds, intervalSeconds: 0.5 }];
    /** Health that fails after the fan-out; a short limit, as the outcome does not depend on timing. */
    const breakHealth = () => {
        stack.sb.health.script(HEALTH_PATH, { status: 503, body: { anthropic: { ok: false, error: "authentication_error" } } });
        stack.setConfig({ healthChecks: healthCheck(2) });
    };
    /** Healthy again, with a limit generous enough that machine load never decides the outcome. */
    const healHealth = () => {
        stack.sb.health.healthy(HEALTH_PATH);
        stack.setConfig({ healthChecks: healthCheck(300) });
    };
    const targets = () => stack.config("targets") as Targets;
    const deactivations = () => stack.sb.anthropic.server.requests.filter((r) => r.method === "POST" && r.path.startsWith("/v1/organizations/api_keys/"));

    let a: Key, b: Key, c: Key, d: Key, e: Key;

    beforeAll(async () => {
        stack = await EngineStack.start(requireCli(cli), { config: { revocation: { mode: "verify" } } });
    }, STEP);

    afterAll(async () => {
        await stack?.dispose();
    });

    it("first rotation: key A on every consumer", async () => {
        a = newKey();
        await stack.setKey(a.value);
        const up = await stack.up();
        expect(up.code, up.stderr + up.stdout).toBe(0);
        expectEveryConsumerOn(a);
    }, STEP);

    describe("1. verify mode across two runs", () => {
        it("the first up puts B everywhere and stops at the revocation step: A still works, revoke it in the Console", async () => {
            b = newKey();
            await stack.setKey(b.value);
            const up = await stack.up();
            expect(up.code).not.toBe(0);
            expect(up.stdout + up.stderr).toMatch(/revocation: the previous key \(sha256:[0-9a-f]{12}\) still works[\s\S]*revoke it in the Console/);
            expect(up.stdout + up.stderr).toContain(a.fingerprint);
            expectEveryConsumerOn(b);
            expect(status(a, b)).toEqual(["active", "active"]);
            expect(deactivations()).toHaveLength(0);
            expect(lastAudit()).toMatchObject({ action: "secret.rotate.failed", step: "revocation" });
        }, STEP);

        it("after the operator revokes A in the Console, the second up proves its 401 and completes", async () => {
            stack.sb.anthropic.setStatus(a.id, "inactive");
            const up = await stack.up();
            expect(up.code, up.stderr + up.stdout).toBe(0);
            expectEveryConsumerOn(b);
            const record = lastAudit();
            expect(record).toMatchObject({ action: "secret.rotate.completed", oldFingerprint: a.fingerprint, newFingerprint: b.fingerprint });
            expect(JSON.stringify(record.revocation)).toMatch(/401/);
            const proof = stack.sb.anthropic.server.requests.filter((r) => r.path === "/v1/models" && r.headers["x-api-key"] === a.value);
            expect(proof.at(-1)?.outcome).toBe(401);
            expect(deactivations(), "verify never deactivates").toHaveLength(0);
        }, STEP);
    });

    describe("2. an unfinished rotation, then an emergency rotation naming the leaked key", () => {
        it("the rotation to C reaches every consumer and stops at the health check, revoking nothing", async () => {
            stack.setConfig({ revocation: { mode: "deactivate", watchMinutes: 0.05, watchIntervalSeconds: 1 } });
            breakHealth();
            c = newKey();
            await stack.setKey(c.value);
            const up = await stack.up();
            expect(up.code).not.toBe(0);
            expect(up.stdout + up.stderr).toMatch(/health: 1 of 1 health check/);
            expectEveryConsumerOn(c);
            expect(status(b, c)).toEqual(["active", "active"]);
            expect(deactivations()).toHaveLength(0);
        }, STEP);

        it("C leaks: the emergency rotation to D deactivates C before any consumer is written, and B too", async () => {
            healHealth();
            d = newKey();
            await stack.setKey(d.value);
            stack.setConfig({ emergency: { compromisedKey: c.fingerprint } });
            const writesBefore = stack.sb.heroku.server.requests.filter((r) => r.method === "PATCH").length;
            const up = await stack.up();
            expect(up.code, up.stderr + up.stdout).toBe(0);
            expectEveryConsumerOn(d);
            expect(status(b, c, d)).toEqual(["inactive", "inactive", "active"]);
            const deactivateC = deactivations().find((r) => r.path.endsWith(`/${c.id}`));
            expect(deactivateC).toBeDefined();
            const patchesOfD = stack.sb.heroku.server.requests.filter((r) => r.method === "PATCH").slice(writesBefore);
            expect(patchesOfD.length).toBeGreaterThan(0);
            expect(patchesOfD.every((p) => p.seq > deactivateC!.seq), "the leaked key died before the first consumer write").toBe(true);
            const record = lastAudit();
            expect(record).toMatchObject({ action: "secret.rotate.completed", emergency: true, compromisedKey: c.fingerprint, oldFingerprint: c.fingerprint, newFingerprint: d.fingerprint });
            const revoked = (record.revocation as { keys?: { fingerprint: string; outcome: string }[] }).keys?.map((k) => [k.fingerprint, k.outcome]);
            expect(revoked).toEqual([
                [b.fingerprint, "deactivated"],
                [c.fingerprint, "deactivated"],
            ]);
        }, STEP);
    });

    describe("3. a rollback after a failed rotation", () => {
        it("the rotation to E fails at the health check with E on every consumer", async () => {
            stack.setConfig({ emergency: undefined });
            breakHealth();
            e = newKey();
            await stack.setKey(e.value);
            const up = await stack.up();
            expect(up.code).not.toBe(0);
            expectEveryConsumerOn(e);
        }, STEP);

        it("the README's rollback (D back in config, revocation none) puts D back everywhere and revokes nothing", async () => {
            healHealth();
            await stack.setKey(d.value);
            stack.setConfig({ revocation: "none" });
            const before = deactivations().length;
            const up = await stack.up();
            expect(up.code, up.stderr + up.stdout).toBe(0);
            expectEveryConsumerOn(d);
            expect(deactivations().length).toBe(before);
            expect(status(d, e)).toEqual(["active", "active"]);
            expect(lastAudit()).toMatchObject({ action: "secret.rotate.completed", rollback: true, oldFingerprint: e.fingerprint, newFingerprint: d.fingerprint });
            const revocation = (await stack.outputs()).revocation as { result: string };
            expect(revocation.result).toMatch(/^skipped: revocation is none/);
            expect(revocation.result, "the result names the abandoned key left alive").toContain(e.fingerprint);
        }, STEP);
    });

    describe("4. targets removed and renamed, then destroy", () => {
        const appKept = "raxx-api-sandbox";
        const appRemoved = "raxx-agents-sandbox";
        let repoScope: string;
        let envScope: string;

        it("marking targets removeOnDelete changes no consumer's value", async () => {
            const t = targets();
            const github = t.github.map((g) => (g.environment ? g : { ...g, removeOnDelete: true }));
            const heroku = t.heroku.map((h) => (h.app === appRemoved ? { ...h, removeOnDelete: true } : h));
            stack.setConfig({ targets: { ...t, heroku, github } });
            const up = await stack.up();
            expect(up.code, up.stderr + up.stdout).toBe(0);
            expectEveryConsumerOn(d);
        }, STEP);

        it("removing two Heroku apps and renaming the environment secret: removeOnDelete removes, the rest is retained", async () => {
            const t = targets();
            const env = t.github.find((g) => g.environment)!;
            repoScope = `repo:${String(t.github.find((g) => !g.environment)!.repository)}`;
            envScope = `env:${String(env.repository)}:${String(env.environment)}`;
            const github = t.github.map((g) => (g.environment ? { ...g, secretName: "ANTHROPIC_API_KEY_V2" } : g));
            stack.setConfig({ targets: { ...t, heroku: [], github } });
            const up = await stack.up();
            expect(up.code, up.stderr + up.stdout).toBe(0);

            const fp = (v: string | undefined) => (v === undefined ? undefined : fingerprint(v));
            expect(fp(stack.sb.heroku.configVars(appKept).ANTHROPIC_API_KEY), "a removed app keeps its value (retained)").toBe(d.fingerprint);
            expect(stack.sb.heroku.configVars(appRemoved).ANTHROPIC_API_KEY, "removeOnDelete removed the var").toBeUndefined();
            expect(stack.sb.heroku.configVars(appRemoved).ANTHROPIC_API_KEY_AGENTS).toBeUndefined();
            expect(Object.keys(stack.sb.heroku.configVars(appRemoved)).length, "other vars untouched").toBeGreaterThan(0);
            expect(fp(stack.sb.github.secret(envScope, "ANTHROPIC_API_KEY_V2")?.value), "the renamed secret is created").toBe(d.fingerprint);
            expect(fp(stack.sb.github.secret(envScope, "ANTHROPIC_API_KEY")?.value), "the old name is retained").toBe(d.fingerprint);
            expect(stack.sb.github.server.requests.filter((r) => r.method === "DELETE")).toHaveLength(0);
        }, STEP);

        it("destroy removes only what opted in (the repository secret) and retains Infisical and the environment secret", async () => {
            const destroy = await stack.destroy();
            expect(destroy.code, destroy.stderr + destroy.stdout).toBe(0);
            const deletes = stack.sb.github.server.requests.filter((r) => r.method === "DELETE");
            expect(deletes.map((r) => r.path)).toEqual([expect.stringMatching(/\/actions\/secrets\/ANTHROPIC_API_KEY_SANDBOX$/)]);
            expect(stack.sb.github.secret(repoScope, "ANTHROPIC_API_KEY_SANDBOX")).toBeUndefined();
            expect(fingerprint(stack.sb.github.secret(envScope, "ANTHROPIC_API_KEY_V2")!.value)).toBe(d.fingerprint);
            const inf = targets().infisical[0]!;
            const value = stack.sb.infisical.currentValue({
                projectId: String(inf.projectId),
                environment: String(inf.environment),
                secretPath: String(inf.secretPath ?? "/"),
                secretName: String(inf.secretName ?? "ANTHROPIC_API_KEY"),
            });
            expect(value && fingerprint(value)).toBe(d.fingerprint);
            const state = await stack.exportState();
            expect((state.deployment.resources ?? []).filter((r) => !r.type.startsWith("pulumi:"))).toHaveLength(0);
        }, STEP);
    });

    it("nothing tried to reach an address other than 127.0.0.1", () => {
        expect(stack.guard.attempts).toEqual([]);
    });

    it("no key, credential or sk-ant- string in anything the CLI printed or stored", async () => {
        expect(await stack.leaks(keys.map((k) => k.value))).toEqual([]);
    }, STEP);
});
