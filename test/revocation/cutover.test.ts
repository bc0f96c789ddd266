import { describe, expect, it } from "vitest";
import type { KeyMinuteUsage } from "../../components/anthropic/usageReport";
import { DEFAULT_CUTOVER, FetchUsage, proveCutover } from "../../components/revocation/cutover";
import { cutoverFailureMessage } from "../../components/revocation/cutoverMessages";
import { ManualClock } from "../support/manualClock";

/** The cut-over proof on a manual clock: half an hour of polling runs in microseconds. */

const MIN = 60_000;
const OLD = { fingerprint: "sha256:aaaaaaaaaaaa", keyId: "apikey_01Old" };
const NEW = { fingerprint: "sha256:bbbbbbbbbbbb", keyId: "apikey_01New" };

/** A usage report computed from per-key traffic functions, like the Admin API: minutes with usage only, minute-aligned. */
function reportOf(traffic: Record<string, (minute: number) => number>, lagMs = 0, legacy = false, clock?: ManualClock): { fetch: FetchUsage; calls: { from: Date; to: Date }[] } {
    const calls: { from: Date; to: Date }[] = [];
    const fetch: FetchUsage = async (keyIds, from, to) => {
        calls.push({ from, to });
        const rows: KeyMinuteUsage[] = [];
        for (let m = Math.floor(from.getTime() / MIN) * MIN; m < to.getTime(); m += MIN) {
            if (clock && m + MIN + lagMs > clock.now()) continue;
            for (const id of keyIds) {
                const n = traffic[id]?.(m) ?? 0;
                if (n > 0) rows.push({ minute: new Date(m).toISOString(), keyId: id, requests: legacy ? null : n, tokens: n * 30 });
            }
        }
        return { source: legacy ? "usage_report" : "analytics", rows };
    };
    return { fetch, calls };
}

function plan(clock: ManualClock, settings: Partial<typeof DEFAULT_CUTOVER> = {}, fanOutAgoMs = 20 * MIN) {
    return { settings: { ...DEFAULT_CUTOVER, ...settings }, oldKeys: [OLD], newKey: NEW, fanOutAt: new Date(clock.now() - fanOutAgoMs).toISOString() };
}

describe("proveCutover", () => {
    it("proven at the first look when the old key has been quiet for the idle window and the new key is in use", async () => {
        const clock = new ManualClock();
        const t0 = clock.now();
        const { fetch } = reportOf({ [OLD.keyId]: (m) => (m < t0 - 30 * MIN ? 40 : 0), [NEW.keyId]: (m) => (m >= t0 - 25 * MIN ? 12 : 0) }, 0, false, clock);
        const e = await proveCutover(plan(clock, {}, 26 * MIN), { clock, fetch });
        expect(e).toMatchObject({ decision: "proven", polls: 1, waitedSeconds: 0, source: "analytics" });
        expect(e.keys.find((k) => k.role === "old")).toMatchObject({ requests: 0, lastUsed: null });
        expect(e.keys.find((k) => k.role === "new")!.requests).toBeGreaterThan(0);
        expect(e.reason).toMatch(/^no request with the old key for the 15 minutes before .* \(data lag 5 min\), and \d+ request\(s\) with the new key since the fan-out$/);
    });

    it("waits, once a minute, until the old key has been quiet long enough; minutes inside the data lag do not count", async () => {
        const clock = new ManualClock();
        const t0 = clock.now();
        // The last consumer moved off the old key 2 minutes ago: 15 quiet minutes older than the 5-minute lag take 18-20 more minutes.
        const { fetch } = reportOf({ [OLD.keyId]: (m) => (m < t0 - 2 * MIN ? 5 : 0), [NEW.keyId]: () => 3 });
        const e = await proveCutover(plan(clock), { clock, fetch });
        expect(e.decision).toBe("proven");
        expect(e.waitedSeconds! / 60).toBeGreaterThanOrEqual(18);
        expect(e.waitedSeconds! / 60).toBeLessThanOrEqual(21);
        expect(clock.sleeps.every((ms) => ms === 60_000)).toBe(true);
    });

    it("gives up after maxWaitMinutes naming the old key that still has traffic and the last minute it was used", async () => {
        const clock = new ManualClock();
        const { fetch } = reportOf({ [OLD.keyId]: () => 7, [NEW.keyId]: () => 3 });
        const e = await proveCutover(plan(clock), { clock, fetch });
        expect(e.decision).toBe("not proven");
        expect(e.polls).toBe(31);
        expect(e.reason).toMatch(/^sha256:aaaaaaaaaaaa \(apikey_01Old\) served 105 request\(s\) in the idle window, last in the minute of \d{4}-\d\d-\d\dT\d\d:\d\d:00.000Z$/);
        const message = cutoverFailureMessage(e, DEFAULT_CUTOVER, NEW.fingerprint, "deactivate");
        expect(message).toContain("revocation: nothing was deactivated — the usage report does not prove the cut-over after 30 min (31 looks)");
        expect(message).toContain("a consumer that is not in targets (or one that did not restart) still uses the old key");
    });

    it("requires requests with the new key after the fan-out minute (the validation ping's minute is left out)", async () => {
        const clock = new ManualClock();
        const fanOut = Math.floor(clock.now() / MIN) * MIN - 10 * MIN + 30_000;
        const { fetch } = reportOf({ [NEW.keyId]: (m) => (m === Math.floor(fanOut / MIN) * MIN ? 1 : 0) });
        const e = await proveCutover({ ...plan(clock, { maxWaitMinutes: 0 }), fanOutAt: new Date(fanOut).toISOString() }, { clock, fetch });
        expect(e.decision).toBe("not proven");
        expect(e.reason).toContain("the new key sha256:bbbbbbbbbbbb (apikey_01New) served 0 request(s) since the fan-out, fewer than 1");
        expect(cutoverFailureMessage(e, DEFAULT_CUTOVER, NEW.fingerprint, "verify")).toContain("no consumer has been seen using the new key");
    });

    it("maxWaitMinutes 0 is a single look; the legacy report (tokens only) counts a minute with tokens as a request", async () => {
        const clock = new ManualClock();
        const { fetch, calls } = reportOf({ [OLD.keyId]: () => 9, [NEW.keyId]: () => 9 }, 0, true);
        const e = await proveCutover(plan(clock, { maxWaitMinutes: 0 }), { clock, fetch });
        expect(calls).toHaveLength(1);
        expect(e).toMatchObject({ decision: "not proven", source: "usage_report" });
        expect(e.keys.find((k) => k.role === "old")!.requests).toBe(15);
    });
});
