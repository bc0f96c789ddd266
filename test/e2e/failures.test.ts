import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fingerprint } from "../../components/domain/fingerprint";
import type { RehearsalRun } from "../../offline/harness/rehearsal";
import { HEALTH_PATH } from "../../offline/harness/sandbox";
import { makeApiKey } from "../../offline/emulators/keys";
import { scanForLeaks } from "../support/leakScan";
import { PROCESSES_SETUP_MS } from "../support/timeouts";
import { Scenario } from "./scenario";

/**
 * Failures that must stop a rotation cleanly, proven through the ordering of real runs: the emulators'
 * request logs show what was (not) written, and the audit log what was recorded.
 */
describe("a key that does not work is never propagated", () => {
    let sc: Scenario;
    let rejectedKey: string;
    let rejected: RehearsalRun;
    let inactiveKey: ReturnType<Scenario["createKey"]>;
    let inactive: RehearsalRun;

    beforeAll(async () => {
        // Deactivation takes a minute to reach authentication: the Admin API is the only one that knows. The
        // emulator's clock stands still, so "within that minute" holds however long a loaded machine takes to start
        // the rehearsal (once it took longer, and the key already answered 401).
        sc = await Scenario.start({ anthropic: { propagationDelayMs: 60_000 } });
        const frozen = Date.now();
        sc.sandbox.anthropic.now = () => frozen;
        rejectedKey = makeApiKey(); // never created in the Console: the API answers 401
        rejected = await sc.up(rejectedKey);
        inactiveKey = sc.createKey();
        sc.sandbox.anthropic.setStatus(inactiveKey.id, "inactive");
        inactive = await sc.up(inactiveKey.value);
    }, PROCESSES_SETUP_MS);
    afterAll(() => sc?.stop());

    it("stops at validation when the API rejects the key, with a message that says what to do", () => {
        expect(rejected.exitCode).not.toBe(0);
        expect(rejected.error).toMatch(/the API rejected the new key/);
        expect(rejected.error).toMatch(/whole key was pasted/);
        expect(rejected.error).toMatch(/Nothing was propagated/);
    });

    it("refuses a key the Admin API reports inactive, even while it still authenticates (rollback to a dead key)", () => {
        expect(inactive.exitCode).not.toBe(0);
        expect(inactive.error).toMatch(/inactive/);
        expect(sc.sandbox.anthropic.messageCalls(inactiveKey.fingerprint).some((c) => c.outcome === 200)).toBe(true);
    });

    it("writes nothing to any consumer in either case", () => {
        expect(sc.consumerWrites()).toEqual([]);
        expect(sc.sandbox.infisical.server.requests.filter((r) => r.path.startsWith("/api/v3/secrets"))).toEqual([]);
        expect(sc.sandbox.heroku.server.requests).toEqual([]);
        for (const run of [rejected, inactive]) {
            const started = run.steps.filter((s) => /infisical|heroku|HealthChecks|PreviousKeyRevocation|RotationAudit/.test(s.type));
            expect(started).toEqual([]);
        }
        sc.expectUnrelatedVarsIntact();
        for (const app of sc.sandbox.targets().herokuApps) expect(sc.sandbox.heroku.configVars(app).ANTHROPIC_API_KEY).toBeUndefined();
    });

    it("records each failure in the audit log, naming the step, with no key in it", () => {
        const records = sc.auditRecords();
        expect(records.map((r) => [r.action, r.step, r.newFingerprint])).toEqual([
            ["secret.rotate.failed", "validation", fingerprint(rejectedKey)],
            ["secret.rotate.failed", "validation", fingerprint(inactiveKey.value)],
        ]);
        expect(scanForLeaks(sc.artifacts(), [rejectedKey, inactiveKey.value, sc.sandbox.adminKey])).toEqual([]);
    });
});

describe("a consumer that stays unhealthy stops the rotation before the previous key is revoked", () => {
    let sc: Scenario;
    let keyA: ReturnType<Scenario["createKey"]>;
    let keyB: ReturnType<Scenario["createKey"]>;
    let failed: RehearsalRun;
    let recovered: RehearsalRun;
    let deactivationsWhileFailing: number;
    // The consumer that stays unhealthy (503 every time) fails within 2 s whatever the machine's speed; the runs
    // against a healthy consumer get a deadline no load reaches, so they pass on their first good answer.
    const health = (url: string, timeoutSeconds: number) => ({ healthChecks: [{ url, expect: "anthropic.ok == true", timeoutSeconds, intervalSeconds: 0.5 }] });

    beforeAll(async () => {
        sc = await Scenario.start();
        const url = sc.sandbox.health.at(HEALTH_PATH);
        keyA = sc.createKey();
        await sc.upOk(keyA.value, { config: health(url, 120) });
        keyB = sc.createKey();
        sc.sandbox.health.script(HEALTH_PATH, { status: 503, body: { anthropic: { ok: false, error: "authentication_error" } } });
        failed = await sc.up(keyB.value, { config: health(url, 2) });
        deactivationsWhileFailing = sc.sandbox.anthropic.calls({ method: "POST", path: /^\/v1\/organizations\/api_keys\// }).length;
        sc.sandbox.health.healthy(HEALTH_PATH);
        recovered = await sc.up(keyB.value, { config: health(url, 120) });
    }, PROCESSES_SETUP_MS);
    afterAll(() => sc?.stop());

    it("fails at the health step, naming the URL and the last status and body", () => {
        expect(failed.exitCode).not.toBe(0);
        expect(failed.error).toContain(HEALTH_PATH);
        expect(failed.error).toMatch(/503/);
        expect(failed.error).toMatch(/authentication_error/);
    });

    it("does not touch the previous key", () => {
        const revocationSteps = failed.steps.filter((s) => s.type.endsWith("PreviousKeyRevocation"));
        expect(revocationSteps).toEqual([]);
        // Nothing was deactivated until the consumer was healthy again (the next run, whose watch polls health afterwards).
        expect(deactivationsWhileFailing).toBe(0);
    });

    it("records the failure, then completes once the consumer is healthy again", () => {
        const records = sc.auditRecords();
        expect(records.map((r) => [r.action, r.step ?? null])).toEqual([
            ["secret.rotate.completed", null],
            ["secret.rotate.failed", "health"],
            ["secret.rotate.completed", null],
        ]);
        expect(recovered.error, recovered.stderr).toBeUndefined();
        sc.expectConsumersHold(keyB.value);
        expect(sc.sandbox.anthropic.key(keyA.id)?.status).toBe("inactive");
        expect(records[2]).toMatchObject({ oldFingerprint: fingerprint(keyA.value), newFingerprint: fingerprint(keyB.value) });
    });
});
