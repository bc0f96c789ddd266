import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CheckOnce, CheckOutcome } from "../../components/health/checkOnce";
import type { RevocationDone } from "../../components/revocation/revokeKeys";
import { isRolledBack, watchOrUndo } from "../../components/revocation/undoableDeactivation";
import { FAILS_IN_A_ROW, watchHealth } from "../../components/revocation/watch";
import { AnthropicEmulator, EmulatedKey } from "../../offline/emulators/anthropicEmulator";
import { makeAdminKey } from "../../offline/emulators/keys";
import { caught, useFastRetries } from "../audit/support";
import { ManualClock } from "../support/manualClock";

/** The watch after a deactivation, on a manual clock: five minutes run in microseconds. */

const URL_A = "https://api.raxx.app/api/agents/health";
const URL_B = "https://agents.raxx.app/health";
const FP = "sha256:0123456789ab";

/** A check that answers from a per-URL script, one outcome per poll (the last one repeats). */
function scripted(scripts: Record<string, boolean[]>): { check: CheckOnce; polls: Record<string, number> } {
    const polls: Record<string, number> = {};
    const check: CheckOnce = async (c) => {
        const n = (polls[c.url] = (polls[c.url] ?? 0) + 1);
        const script = scripts[c.url] ?? [true];
        const ok = script[Math.min(n, script.length) - 1]!;
        return ok ? { ok, status: 200 } : ({ ok, status: 503, detail: "HTTP 503: {\"anthropic\":{\"ok\":false}}" } satisfies CheckOutcome);
    };
    return { check, polls };
}

describe("watchHealth", () => {
    it("polls every check once per interval for the whole window, then passes", async () => {
        const clock = new ManualClock();
        const { check, polls } = scripted({});
        const result = await watchHealth({ checks: [{ url: URL_A }, { url: URL_B }], fingerprint: FP, windowMs: 5 * 60_000, intervalMs: 30_000 }, { clock, check });
        expect(result).toEqual({ ok: true, polls: 11, elapsedMs: 300_000 });
        expect(polls).toEqual({ [URL_A]: 11, [URL_B]: 11 });
        expect(clock.sleeps.every((ms) => ms === 30_000)).toBe(true);
    });

    it(`fails on the ${FAILS_IN_A_ROW}nd failed poll in a row of one check, naming it`, async () => {
        const clock = new ManualClock();
        const { check } = scripted({ [URL_B]: [true, true, false, false] });
        const result = await watchHealth({ checks: [{ url: URL_A }, { url: URL_B }], fingerprint: FP, windowMs: 300_000, intervalMs: 30_000 }, { clock, check });
        expect(result).toMatchObject({ ok: false, url: URL_B, polls: 4, elapsedMs: 90_000 });
        expect((result as { detail: string }).detail).toMatch(/HTTP 503/);
    });

    it("tolerates a single blip", async () => {
        const { check } = scripted({ [URL_A]: [true, false, true] });
        expect(await watchHealth({ checks: [{ url: URL_A }], fingerprint: FP, windowMs: 120_000, intervalMs: 30_000 }, { clock: new ManualClock(), check })).toMatchObject({ ok: true });
    });

    it("confirms a failure on the last poll of the window instead of passing over it", async () => {
        const clock = new ManualClock();
        const { check, polls } = scripted({ [URL_A]: [true, true, false, false] });
        const result = await watchHealth({ checks: [{ url: URL_A }], fingerprint: FP, windowMs: 60_000, intervalMs: 30_000 }, { clock, check });
        expect(result).toMatchObject({ ok: false, polls: 4 });
        expect(polls[URL_A]).toBe(4);
    });
});

describe("watchOrUndo", () => {
    const anthropic = new AnthropicEmulator();
    const savedEnv = { ...process.env };
    let adminKey: string;
    let old: EmulatedKey;
    const settings = { minutes: 5, intervalSeconds: 30, checks: [{ url: URL_A }] };

    beforeAll(() => anthropic.start());
    afterAll(() => anthropic.stop());
    beforeEach(() => {
        useFastRetries();
        anthropic.clearFaults();
        adminKey = anthropic.addAdminKey(makeAdminKey());
        old = anthropic.addKey({ status: "inactive" });
    });
    afterEach(() => {
        process.env = { ...savedEnv };
    });

    function done(): RevocationDone {
        return {
            result: `deactivated ${old.id}; 401 proven after 0.1 s`,
            keys: [{ fingerprint: old.fingerprint, keyId: old.id, outcome: "deactivated", provedAt: "2026-11-23T10:00:00.000Z" }],
            provedAt: "2026-11-23T10:00:00.000Z",
            deactivated: [{ id: old.id, fingerprint: old.fingerprint }],
        };
    }
    const ctx = (check: CheckOnce, extra: Record<string, unknown> = {}) => ({
        emergency: false,
        newFingerprint: FP,
        admin: { adminKey, baseUrl: anthropic.url, maxRetrySeconds: 2 },
        clock: new ManualClock(),
        check,
        ...extra,
    });

    it("all healthy: says how long it watched, reactivates nothing", async () => {
        const suffix = await watchOrUndo(done(), settings, ctx(scripted({}).check));
        expect(suffix).toBe("; health watched for 5.0 min after the deactivation (11 polls of 1 check): all passed");
        expect(anthropic.key(old.id)!.status).toBe("inactive");
    });

    it("a failure reactivates every key this run deactivated, and says what to do", async () => {
        const err = await caught(() => watchOrUndo(done(), settings, ctx(scripted({ [URL_A]: [false] }).check)));
        expect(isRolledBack(err)).toBe(true);
        expect(anthropic.key(old.id)!.status).toBe("active");
        expect(err.message).toContain(`revocation: rolled back — ${URL_A} failed 30.0 s after ${old.id} (${old.fingerprint}) was deactivated (HTTP 503`);
        expect(err.message).toContain(`${old.id} (${old.fingerprint}) is active again`);
        expect(err.message).toContain("find the consumer that still holds the old key");
        expect((err as unknown as { keys: { outcome: string }[] }).keys.map((k) => k.outcome)).toEqual(["reactivated"]);
    });

    it("when the reactivation itself fails: the old key is dead, the new one is on every consumer", async () => {
        anthropic.failNext(500, { method: "POST", path: `/v1/organizations/api_keys/${old.id}`, times: 50 });
        const err = await caught(() => watchOrUndo(done(), settings, ctx(scripted({ [URL_A]: [false] }).check)));
        expect(anthropic.key(old.id)!.status).toBe("inactive");
        expect(err.message).toContain("reactivating FAILED for");
        expect(err.message).toContain(`The old key ${old.fingerprint} is DEAD and this run could not bring it back; the new key ${FP} is on every consumer in targets`);
        expect(err.message).toContain("reactivate the old key in the Console");
        expect((err as unknown as { keys: { outcome: string }[] }).keys.map((k) => k.outcome)).toEqual(["reactivation failed"]);
    });

    it("is skipped, and says why: emergency, no checks, 0 minutes, nothing deactivated by this run", async () => {
        const never: CheckOnce = async () => {
            throw new Error("must not poll");
        };
        expect(await watchOrUndo(done(), settings, ctx(never, { emergency: true }))).toMatch(/not watched \(emergency/);
        expect(await watchOrUndo(done(), { ...settings, checks: [] }, ctx(never))).toMatch(/no healthChecks configured/);
        expect(await watchOrUndo(done(), { ...settings, minutes: 0 }, ctx(never))).toMatch(/watchMinutes is 0/);
        expect(await watchOrUndo({ ...done(), deactivated: [] }, settings, ctx(never))).toBe("");
    });
});
