import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RehearsalRun } from "../../offline/harness/rehearsal";
import { HEALTH_PATH } from "../../offline/harness/sandbox";
import { UNHEALTHY_BODY } from "../../offline/emulators/healthEmulator";
import { scanForLeaks } from "../support/leakScan";
import { Scenario } from "./scenario";

/**
 * Issue 13 §4 through real runs: after the deactivation the consumers' health is watched (a window of a few
 * hundred milliseconds here: watchMinutes takes fractions); a consumer that fails then makes the run reactivate
 * the old key at once and fail with `secret.rotate.rolled_back`. A consumer outside `targets` that still holds
 * the old key is what this catches: the emulated one fails as soon as the old key is deactivated.
 */

type Key = ReturnType<Scenario["createKey"]>;

function config(sc: Scenario): Record<string, unknown> {
    return {
        revocation: { mode: "deactivate", watchMinutes: 0.005, watchIntervalSeconds: 0.1 },
        healthChecks: [{ url: sc.sandbox.health.at(HEALTH_PATH), expect: "anthropic.ok == true", timeoutSeconds: 2, intervalSeconds: 0.1 }],
    };
}

/** From the moment `key` is deactivated, the consumer fails (it still runs with that key). */
function consumerStillOn(sc: Scenario, key: Key, also: () => void = () => undefined): () => void {
    return sc.sandbox.anthropic.onStatusChange((k, status) => {
        if (k.id !== key.id || status !== "inactive") return;
        sc.sandbox.health.script(HEALTH_PATH, { status: 503, body: UNHEALTHY_BODY });
        also();
    });
}

describe("a consumer fails after the deactivation: the old key comes back", () => {
    let sc: Scenario;
    let a: Key;
    let b: Key;
    let rolledBack: RehearsalRun;
    let retried: RehearsalRun;
    let statusAfterRollback: string;

    beforeAll(async () => {
        sc = await Scenario.start();
        a = sc.createKey();
        await sc.upOk(a.value, { config: config(sc) });
        b = sc.createKey();
        const off = consumerStillOn(sc, a);
        rolledBack = await sc.up(b.value, { config: config(sc) });
        off();
        statusAfterRollback = sc.sandbox.anthropic.key(a.id)!.status;
        // The operator moves the forgotten consumer to the new key, then runs `pulumi up` again.
        sc.sandbox.health.healthy(HEALTH_PATH);
        retried = await sc.upOk(b.value, { config: config(sc) });
    }, 600_000);
    afterAll(() => sc?.stop());

    it("fails the run, reactivates the old key and says what to do", () => {
        expect(rolledBack.exitCode).not.toBe(0);
        expect(rolledBack.error).toContain("revocation: rolled back");
        expect(rolledBack.error).toContain(`${a.id} (${a.fingerprint}) is active again`);
        expect(rolledBack.error).toContain("find the consumer that still holds the old key");
        expect(statusAfterRollback).toBe("active");
        const calls = sc.sandbox.anthropic.calls({ method: "POST", path: `/v1/organizations/api_keys/${a.id}` });
        expect(calls.slice(0, 2).map((c) => c.outcome)).toEqual([200, 200]);
    });

    it("audits secret.rotate.rolled_back with the reason and the keys", () => {
        const records = sc.auditRecords();
        expect(records.map((r) => [r.action, r.step ?? null])).toEqual([
            ["secret.rotate.completed", null],
            ["secret.rotate.rolled_back", "revocation"],
            ["secret.rotate.completed", null],
        ]);
        expect(records[1]).toMatchObject({
            oldFingerprint: a.fingerprint,
            newFingerprint: b.fingerprint,
            revocation: { mode: "deactivate", result: "rolled back: keys reactivated", keys: [{ fingerprint: a.fingerprint, keyId: a.id, outcome: "reactivated" }] },
        });
        expect(records[1]!.reason).toMatch(/failed .* after .* was deactivated/);
    });

    it("the next run deactivates again, watches, and completes", () => {
        expect(sc.sandbox.anthropic.key(a.id)!.status).toBe("inactive");
        sc.expectConsumersHold(b.value);
        expect(String((retried.stackOutputs.revocation as { result: string }).result)).toMatch(/health watched for .* all passed$/);
        expect(scanForLeaks(sc.artifacts(), [a.value, b.value, sc.sandbox.adminKey])).toEqual([]);
    });
});

describe("a consumer fails after the deactivation and the reactivation fails too", () => {
    let sc: Scenario;
    let a: Key;
    let b: Key;
    let run: RehearsalRun;

    beforeAll(async () => {
        sc = await Scenario.start();
        a = sc.createKey();
        await sc.upOk(a.value, { config: config(sc) });
        b = sc.createKey();
        consumerStillOn(sc, a, () => sc.sandbox.anthropic.failNext(500, { method: "POST", path: `/v1/organizations/api_keys/${a.id}`, times: 100 }));
        run = await sc.up(b.value, { config: config(sc) });
    }, 600_000);
    afterAll(() => sc?.stop());

    it("says the old key is dead and the new key is on every consumer", () => {
        expect(run.exitCode).not.toBe(0);
        expect(run.error).toContain(`The old key ${a.fingerprint} is DEAD and this run could not bring it back; the new key ${b.fingerprint} is on every consumer in targets`);
        expect(sc.sandbox.anthropic.key(a.id)!.status).toBe("inactive");
        sc.expectConsumersHold(b.value);
        expect(sc.auditRecords().at(-1)).toMatchObject({ action: "secret.rotate.rolled_back", revocation: { result: "rollback failed: a key could not be reactivated" } });
    });
});
