import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../components/audit/auditLog";
import type { RehearsalRun } from "../../offline/harness/rehearsal";
import { HEALTH_PATH } from "../../offline/harness/sandbox";
import { scanForLeaks } from "../support/leakScan";
import { Scenario } from "./scenario";

/**
 * Issue 13 §1, through real runs (the program, the provider host, the emulators, a state file carried between
 * runs): the revocation step must kill EVERY key that reached a consumer since the last proven revocation,
 * not only the one its own state last held. Each scenario ends with every consumer on the newest key, that
 * key active, and every other key inactive.
 */

type Key = ReturnType<Scenario["createKey"]>;

/** A consumer that stays unhealthy: the rotation fans out, then stops at the health step (fast: no real wait). */
function breakHealth(sc: Scenario): void {
    sc.sandbox.health.script(HEALTH_PATH, { status: 503, body: { anthropic: { ok: false, error: "authentication_error" } } });
}

function fastHealth(sc: Scenario): Record<string, unknown> {
    return { healthChecks: [{ url: sc.sandbox.health.at(HEALTH_PATH), expect: "anthropic.ok == true", timeoutSeconds: 0.5, intervalSeconds: 0.1 }] };
}

function statuses(sc: Scenario, ...keys: Key[]): string[] {
    return keys.map((k) => sc.sandbox.anthropic.key(k.id)!.status);
}

function lastCompleted(sc: Scenario): AuditRecord {
    return sc.auditRecords().filter((r) => r.action === "secret.rotate.completed").at(-1)!;
}

function expectNoLeaks(sc: Scenario, keys: readonly Key[]): void {
    expect(scanForLeaks(sc.artifacts(), [...keys.map((k) => k.value), sc.sandbox.adminKey])).toEqual([]);
}

describe("emergency after an unfinished rotation: the leaked key B is the one that dies (the bug of issue 13)", () => {
    let sc: Scenario;
    let a: Key;
    let b: Key;
    let c: Key;
    let unfinished: RehearsalRun;
    let emergency: RehearsalRun;

    beforeAll(async () => {
        sc = await Scenario.start();
        a = sc.createKey();
        await sc.upOk(a.value, { config: { revocation: "deactivate", ...fastHealth(sc) } });
        // Rotation to B reaches every consumer and stops at the health check.
        b = sc.createKey();
        breakHealth(sc);
        unfinished = await sc.up(b.value, { config: { revocation: "deactivate", ...fastHealth(sc) } });
        sc.sandbox.health.healthy(HEALTH_PATH);
        // B leaks: emergency rotation to C.
        c = sc.createKey();
        emergency = await sc.upOk(c.value, { config: { revocation: "deactivate", emergency: { compromisedKey: b.fingerprint }, ...fastHealth(sc) } });
    }, 600_000);
    afterAll(() => sc?.stop());

    it("the unfinished rotation put B on every consumer and revoked nothing", () => {
        expect(unfinished.exitCode).not.toBe(0);
        expect(unfinished.error).toMatch(/health/);
        expect(unfinished.steps.filter((s) => s.type.endsWith("PreviousKeyRevocation"))).toEqual([]);
    });

    it("the emergency rotation deactivates B (leaked, on every consumer) and A, and leaves C active", () => {
        expect(statuses(sc, a, b, c)).toEqual(["inactive", "inactive", "active"]);
        sc.expectConsumersHold(c.value);
        for (const key of [a, b]) {
            const probes = sc.sandbox.anthropic.calls({ method: "GET", path: "/v1/models", fingerprint: key.fingerprint });
            expect(probes.at(-1)?.outcome, `the 401 of ${key.fingerprint} was proven`).toBe(401);
        }
    });

    it("kills the leaked key before any consumer is written", () => {
        const deactivateB = sc.sandbox.anthropic.calls({ method: "POST", path: `/v1/organizations/api_keys/${b.id}` });
        expect(deactivateB).toHaveLength(1);
        const writesOfC = sc.consumerWrites().filter((w) => w.seq > deactivateB[0]!.seq);
        expect(writesOfC.length).toBeGreaterThan(0);
        const unfinishedWrites = sc.consumerWrites().filter((w) => w.seq < deactivateB[0]!.seq);
        expect(sc.consumerWrites().length).toBe(unfinishedWrites.length + writesOfC.length);
        expect(emergency.steps.findIndex((s) => s.type.endsWith("PreviousKeyRevocation"))).toBeLessThan(emergency.steps.findIndex((s) => s.type.endsWith("infisical:Secret")));
    });

    it("audits the emergency against B (the key the consumers held), names the compromised key and lists every key revoked", () => {
        const record = lastCompleted(sc);
        expect(record).toMatchObject({ emergency: true, compromisedKey: b.fingerprint, oldFingerprint: b.fingerprint, newFingerprint: c.fingerprint });
        expect(record.revocation?.keys?.map((k) => [k.fingerprint, k.keyId, k.outcome])).toEqual([
            [a.fingerprint, a.id, "deactivated"],
            [b.fingerprint, b.id, "deactivated"],
        ]);
        expect(emergency.stackOutputs.revocation).toMatchObject({ mode: "deactivate" });
        expectNoLeaks(sc, [a, b, c]);
    });
});

describe("an unfinished rotation followed by a normal one", () => {
    let sc: Scenario;
    let a: Key;
    let b: Key;
    let c: Key;

    beforeAll(async () => {
        sc = await Scenario.start();
        a = sc.createKey();
        await sc.upOk(a.value, { config: fastHealth(sc) });
        b = sc.createKey();
        breakHealth(sc);
        await sc.up(b.value, { config: fastHealth(sc) });
        sc.sandbox.health.healthy(HEALTH_PATH);
        c = sc.createKey();
        await sc.upOk(c.value, { config: fastHealth(sc) });
    }, 600_000);
    afterAll(() => sc?.stop());

    it("revokes both A and B, and C stays active on every consumer", () => {
        expect(statuses(sc, a, b, c)).toEqual(["inactive", "inactive", "active"]);
        sc.expectConsumersHold(c.value);
        const record = lastCompleted(sc);
        expect(record).toMatchObject({ oldFingerprint: b.fingerprint, newFingerprint: c.fingerprint, emergency: false });
        expect(record.revocation?.keys?.map((k) => k.fingerprint)).toEqual([a.fingerprint, b.fingerprint]);
        expectNoLeaks(sc, [a, b, c]);
    });
});

describe("two failed rotations in a row, then one that completes", () => {
    let sc: Scenario;
    let a: Key;
    let b: Key;
    let c: Key;
    let d: Key;
    let ledgerAfterFailures: unknown;

    beforeAll(async () => {
        sc = await Scenario.start();
        a = sc.createKey();
        await sc.upOk(a.value, { config: fastHealth(sc) });
        breakHealth(sc);
        b = sc.createKey();
        await sc.up(b.value, { config: fastHealth(sc) });
        c = sc.createKey();
        const second = await sc.up(c.value, { config: fastHealth(sc) });
        ledgerAfterFailures = second.steps.filter((s) => s.type.endsWith("KeyLedger"));
        sc.sandbox.health.healthy(HEALTH_PATH);
        d = sc.createKey();
        await sc.upOk(d.value, { config: fastHealth(sc) });
    }, 600_000);
    afterAll(() => sc?.stop());

    it("the ledger recorded each key before it was written anywhere, even in the runs that failed", () => {
        expect(ledgerAfterFailures).toEqual([expect.objectContaining({ op: "update", newFingerprint: c.fingerprint })]);
        expect(sc.auditRecords().map((r) => [r.action, r.step ?? null])).toEqual([
            ["secret.rotate.completed", null],
            ["secret.rotate.failed", "health"],
            ["secret.rotate.failed", "health"],
            ["secret.rotate.completed", null],
        ]);
    });

    it("revokes A, B and C, and only D is active", () => {
        expect(statuses(sc, a, b, c, d)).toEqual(["inactive", "inactive", "inactive", "active"]);
        sc.expectConsumersHold(d.value);
        expect(lastCompleted(sc).revocation?.keys?.map((k) => k.fingerprint)).toEqual([a.fingerprint, b.fingerprint, c.fingerprint]);
        expectNoLeaks(sc, [a, b, c, d]);
    });
});

describe("a rollback, then the next rotation", () => {
    let sc: Scenario;
    let a: Key;
    let b: Key;
    let c: Key;
    let rollback: RehearsalRun;
    let deactivationsAfterRollback: number;

    beforeAll(async () => {
        sc = await Scenario.start();
        a = sc.createKey();
        await sc.upOk(a.value, { config: fastHealth(sc) });
        b = sc.createKey();
        breakHealth(sc);
        await sc.up(b.value, { config: fastHealth(sc) });
        sc.sandbox.health.healthy(HEALTH_PATH);
        // The README's rollback: the previous value back in config, revocation none.
        rollback = await sc.upOk(a.value, { config: { revocation: "none", ...fastHealth(sc) } });
        deactivationsAfterRollback = sc.sandbox.anthropic.calls({ method: "POST", path: /^\/v1\/organizations\/api_keys\// }).length;
        c = sc.createKey();
        await sc.upOk(c.value, { config: fastHealth(sc) });
    }, 600_000);
    afterAll(() => sc?.stop());

    it("the rollback puts A back everywhere, revokes nothing and says that B is still alive", () => {
        const result = String((rollback.stackOutputs.revocation as { result: string }).result);
        expect(result).toMatch(/^skipped: revocation is none/);
        expect(result).toContain(b.fingerprint);
        expect(result).not.toContain(a.fingerprint);
        expect(deactivationsAfterRollback).toBe(0);
    });

    it("the next rotation revokes both A and the abandoned B", () => {
        expect(statuses(sc, a, b, c)).toEqual(["inactive", "inactive", "active"]);
        sc.expectConsumersHold(c.value);
        expect(lastCompleted(sc).revocation?.keys?.map((k) => k.fingerprint).sort()).toEqual([a.fingerprint, b.fingerprint].sort());
        expectNoLeaks(sc, [a, b, c]);
    });
});
