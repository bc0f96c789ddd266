import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RehearsalRun } from "../../offline/harness/rehearsal";
import { scanForLeaks } from "../support/leakScan";
import { Scenario } from "./scenario";

/**
 * Issue 13 §2 through real runs: before deactivating, the usage report (emulated, per key per minute, with a
 * 5-minute data lag and scripted traffic) must show the old key quiet for 15 minutes. One look per run
 * (maxWaitMinutes 0), so the outcome depends on the traffic only. The new-key requirement is off here (it needs
 * a whole minute after the fan-out; the unit tests cover it on a manual clock).
 */

const MIN = 60_000;
type Key = ReturnType<Scenario["createKey"]>;

describe("a consumer outside targets keeps using the old key", () => {
    let sc: Scenario;
    let a: Key;
    let b: Key;
    let refused: RehearsalRun;
    let proven: RehearsalRun;
    let statusAfterRefusal: string;
    /** When the forgotten consumer stopped using key A (minute start, ms); Infinity: it still does. */
    let stoppedAt = Infinity;
    const config = { revocation: { mode: "deactivate", watchMinutes: 0 }, cutover: { idleMinutes: 15, minNewKeyRequests: 0, maxWaitMinutes: 0, dataLagMinutes: 5 } };

    beforeAll(async () => {
        sc = await Scenario.start({ anthropic: { usageLagMs: 5 * MIN } });
        a = sc.createKey();
        sc.sandbox.anthropic.scriptTraffic(a.id, (minute) => (minute < stoppedAt ? 12 : 0));
        await sc.upOk(a.value, { config });
        b = sc.createKey();
        refused = await sc.up(b.value, { config });
        statusAfterRefusal = sc.sandbox.anthropic.key(a.id)!.status;
        // The operator finds the consumer in the usage report and moves it; its last request with A was long ago.
        stoppedAt = Date.now() - 40 * MIN;
        proven = await sc.upOk(b.value, { config });
    }, 600_000);
    afterAll(() => sc?.stop());

    it("refuses to deactivate, naming the key, its last minute of use and what that means", () => {
        expect(refused.exitCode).not.toBe(0);
        expect(refused.error).toContain("revocation: nothing was deactivated — the usage report does not prove the cut-over");
        expect(refused.error).toContain(`${a.fingerprint} (${a.id}) served 180 request(s) in the idle window, last in the minute of`);
        expect(refused.error).toContain("a consumer that is not in targets (or one that did not restart) still uses the old key");
        expect(statusAfterRefusal).toBe("active");
        sc.expectConsumersHold(b.value);
    });

    it("deactivates once the report shows the old key quiet, and keeps the evidence in the outputs and the audit", () => {
        expect(sc.sandbox.anthropic.key(a.id)!.status).toBe("inactive");
        const revocation = proven.stackOutputs.revocation as { result: string; cutover?: { decision: string; keys: { keyId: string; role: string; requests: number }[] } };
        expect(revocation.result).toContain("cut-over proven by the usage report");
        expect(revocation.cutover).toMatchObject({ decision: "proven", keys: [{ keyId: a.id, role: "old", requests: 0 }, { keyId: b.id, role: "new" }] });
        const records = sc.auditRecords();
        expect(records.map((r) => [r.action, r.step ?? null])).toEqual([
            ["secret.rotate.completed", null],
            ["secret.rotate.failed", "revocation"],
            ["secret.rotate.completed", null],
        ]);
        expect(records[1]!.revocation).toMatchObject({ result: "failed: cut-over not proven", cutover: { decision: "not proven" } });
        expect(records[2]!.revocation).toMatchObject({ cutover: { decision: "proven" } });
        expect(scanForLeaks(sc.artifacts(), [a.value, b.value, sc.sandbox.adminKey])).toEqual([]);
    });
});
