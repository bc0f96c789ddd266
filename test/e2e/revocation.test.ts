import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fingerprint } from "../../components/domain/fingerprint";
import type { RehearsalRun } from "../../offline/harness/rehearsal";
import { PROCESSES_SETUP_MS } from "../support/timeouts";
import { Scenario } from "./scenario";

/** The previous key's fate, through real runs: verify, emergency deactivation first, and rollback. */

describe("verify mode: the previous key must be dead before the rotation completes", () => {
    let sc: Scenario;
    let keyA: ReturnType<Scenario["createKey"]>;
    let keyB: ReturnType<Scenario["createKey"]>;
    let stillWorks: RehearsalRun;
    let afterRevoke: RehearsalRun;
    let valuesWhileFailing: Record<string, string | undefined>;

    beforeAll(async () => {
        sc = await Scenario.start();
        keyA = sc.createKey();
        await sc.upOk(keyA.value, { config: { revocation: "verify" } });
        keyB = sc.createKey();
        stillWorks = await sc.up(keyB.value, { config: { revocation: "verify" } });
        valuesWhileFailing = sc.consumerValues();
        // The operator revokes the old key in the Console, then runs `pulumi up` again.
        sc.sandbox.anthropic.setStatus(keyA.id, "inactive");
        afterRevoke = await sc.up(keyB.value, { config: { revocation: "verify" } });
    }, PROCESSES_SETUP_MS);
    afterAll(() => sc?.stop());

    it("fails while the previous key still answers, saying to revoke it in the Console and run again", () => {
        expect(stillWorks.exitCode).not.toBe(0);
        expect(stillWorks.error).toMatch(/previous key \(sha256:[0-9a-f]{12}\) still works/);
        expect(stillWorks.error).toMatch(/revoke it in the Console/);
        expect(stillWorks.error).toMatch(/pulumi up/);
        expect(stillWorks.error).toContain(fingerprint(keyA.value));
    });

    it("has already moved every consumer to the new key (both keys valid: no outage)", () => {
        for (const [label, value] of Object.entries(valuesWhileFailing)) expect(value === keyB.value, label).toBe(true);
    });

    it("completes on the next run once the key is revoked, and proves the 401", () => {
        expect(afterRevoke.error, afterRevoke.stderr).toBeUndefined();
        expect(String((afterRevoke.stackOutputs.revocation as { result: string }).result)).toMatch(/401/);
        const records = sc.auditRecords();
        expect(records.map((r) => [r.action, r.step ?? null])).toEqual([
            ["secret.rotate.completed", null],
            ["secret.rotate.failed", "revocation"],
            ["secret.rotate.completed", null],
        ]);
        expect(records[2]).toMatchObject({ oldFingerprint: fingerprint(keyA.value), newFingerprint: fingerprint(keyB.value), revocation: { mode: "verify" } });
    });
});

describe("emergency rotation: the compromised key is deactivated before any consumer is written", () => {
    let sc: Scenario;
    let keyA: ReturnType<Scenario["createKey"]>;
    let keyB: ReturnType<Scenario["createKey"]>;
    let seqBefore: number;

    beforeAll(async () => {
        sc = await Scenario.start();
        keyA = sc.createKey();
        await sc.upOk(keyA.value);
        seqBefore = Math.max(...sc.consumerWrites().map((w) => w.seq));
        keyB = sc.createKey();
        await sc.upOk(keyB.value, { config: { emergency: { compromisedKey: keyA.fingerprint }, revocation: "deactivate" } });
    }, PROCESSES_SETUP_MS);
    afterAll(() => sc?.stop());

    it("sends the deactivation before the first write of the rotation", () => {
        const deactivation = sc.sandbox.anthropic.calls({ method: "POST", path: /^\/v1\/organizations\/api_keys\/apikey_/ });
        expect(deactivation).toHaveLength(1);
        const firstWrite = sc.consumerWrites().find((w) => w.seq > seqBefore)!;
        expect(firstWrite).toBeDefined();
        expect(deactivation[0]!.seq).toBeLessThan(firstWrite.seq);
        expect(sc.sandbox.anthropic.key(keyA.id)?.status).toBe("inactive");
    });

    it("still completes the fan-out, and records the emergency in the audit", () => {
        sc.expectConsumersHold(keyB.value);
        const last = sc.auditRecords().at(-1)!;
        expect(last).toMatchObject({ action: "secret.rotate.completed", emergency: true, oldFingerprint: fingerprint(keyA.value), newFingerprint: fingerprint(keyB.value) });
    });
});

describe("rollback while the previous key is still valid", () => {
    let sc: Scenario;
    let keyA: ReturnType<Scenario["createKey"]>;
    let keyB: ReturnType<Scenario["createKey"]>;
    let rollback: RehearsalRun;

    beforeAll(async () => {
        sc = await Scenario.start();
        keyA = sc.createKey();
        await sc.upOk(keyA.value, { config: { revocation: "none" } });
        keyB = sc.createKey();
        await sc.upOk(keyB.value, { config: { revocation: "none" } });
        // The new key misbehaves: put the previous value back in config and run `pulumi up`.
        rollback = await sc.upOk(keyA.value, { config: { revocation: "none" } });
    }, PROCESSES_SETUP_MS);
    afterAll(() => sc?.stop());

    it("fans the previous key back out to every consumer and revokes nothing", () => {
        sc.expectConsumersHold(keyA.value);
        expect(sc.sandbox.anthropic.key(keyA.id)?.status).toBe("active");
        expect(sc.sandbox.anthropic.key(keyB.id)?.status).toBe("active");
        expect(sc.sandbox.anthropic.calls({ method: "POST", path: /^\/v1\/organizations\/api_keys\// })).toEqual([]);
    });

    it("shows the rollback as fingerprint changes and records it", () => {
        const heroku = rollback.steps.filter((s) => s.type.endsWith("heroku:ConfigVars"));
        for (const s of heroku) expect(s).toMatchObject({ op: "update", oldFingerprint: fingerprint(keyB.value), newFingerprint: fingerprint(keyA.value) });
        const last = sc.auditRecords().at(-1)!;
        expect(last).toMatchObject({ action: "secret.rotate.completed", oldFingerprint: fingerprint(keyB.value), newFingerprint: fingerprint(keyA.value) });
        const history = sc.sandbox.infisical.history({ projectId: "raxx-sandbox-project", environment: "sandbox", secretPath: "/anthropic", secretName: "ANTHROPIC_API_KEY" });
        expect(history.map((v) => fingerprint(v.value))).toEqual([fingerprint(keyA.value), fingerprint(keyB.value), fingerprint(keyA.value)]);
    });
});
