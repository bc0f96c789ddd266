import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ANALYTICS_BETA, fetchKeyUsage, UsageReportError } from "../../components/anthropic/usageReport";
import { AnthropicEmulator, EmulatedKey } from "../../offline/emulators/anthropicEmulator";
import { makeAdminKey } from "../../offline/emulators/keys";
import { caught, expectErrorClean, useFastRetries } from "../audit/support";

/** The usage-report client against the emulator: both endpoints, pagination, the data lag, failures. */

const MIN = 60_000;
const anthropic = new AnthropicEmulator();
const savedEnv = { ...process.env };
let adminKey: string;
let a: EmulatedKey;
let b: EmulatedKey;
let now: number;

beforeAll(() => anthropic.start());
afterAll(() => anthropic.stop());
beforeEach(() => {
    useFastRetries();
    anthropic.clearFaults();
    anthropic.usage.clearScripts();
    anthropic.usage.lagMs = 0;
    anthropic.analyticsEndpoint = true;
    now = Math.floor(Date.now() / MIN) * MIN + 30_000;
    anthropic.now = () => now;
    adminKey = anthropic.addAdminKey(makeAdminKey());
    a = anthropic.addKey();
    b = anthropic.addKey();
});
afterEach(() => {
    process.env = { ...savedEnv };
    anthropic.now = () => Date.now();
});

const query = (extra: Partial<Parameters<typeof fetchKeyUsage>[0]> = {}) => ({
    adminKey,
    baseUrl: anthropic.url,
    keyIds: [a.id, b.id],
    startingAt: new Date(now - 60 * MIN),
    endingAt: new Date(now),
    ...extra,
});

describe("fetchKeyUsage", () => {
    it("reads per-key, per-minute requests from the analytics endpoint, with its beta header and 1m buckets", async () => {
        anthropic.scriptTraffic(a.id, (m) => (m >= now - 10 * MIN ? 4 : 0));
        anthropic.scriptTraffic(b.id, (m) => (m === Math.floor((now - 30 * MIN) / MIN) * MIN ? 2 : 0));
        const report = await fetchKeyUsage(query());
        expect(report.source).toBe("analytics");
        const ofA = report.rows.filter((r) => r.keyId === a.id);
        // The 9 complete minutes of the last 10 (the current minute is not over, so not reported yet).
        expect(ofA).toHaveLength(9);
        expect(ofA.every((r) => r.requests === 4 && r.tokens > 0)).toBe(true);
        expect(report.rows.filter((r) => r.keyId === b.id)).toEqual([{ minute: new Date(Math.floor((now - 30 * MIN) / MIN) * MIN).toISOString(), keyId: b.id, requests: 2, tokens: 50 }]);
        const call = anthropic.calls({ path: "/v1/organizations/analytics/usage" })[0]!;
        expect(call.keyKind).toBe("admin");
        const q = new URLSearchParams(call.query);
        expect(q.get("time_bucket_width")).toBe("1m");
        expect(q.getAll("group_by[]")).toEqual(["api_key_id"]);
        expect(q.getAll("api_key_ids[]")).toEqual([a.id, b.id]);
        expect(anthropic.server.requests.find((r) => r.path === "/v1/organizations/analytics/usage")!.headers["anthropic-beta"]).toBe(ANALYTICS_BETA);
    });

    it("follows next_page to the end (more than 1000 rows)", async () => {
        anthropic.scriptTraffic(a.id, () => 1);
        anthropic.scriptTraffic(b.id, () => 1);
        const report = await fetchKeyUsage(query({ startingAt: new Date(now - 600 * MIN) }));
        expect(report.rows).toHaveLength(1200);
        expect(anthropic.calls({ path: "/v1/organizations/analytics/usage" }).length).toBeGreaterThanOrEqual(2);
    });

    it("falls back to the legacy usage_report/messages (tokens only: requests null) where analytics is missing", async () => {
        anthropic.analyticsEndpoint = false;
        anthropic.scriptTraffic(a.id, (m) => (m >= now - 3 * MIN ? 1 : 0));
        const report = await fetchKeyUsage(query());
        expect(report.source).toBe("usage_report");
        expect(report.rows).toHaveLength(2);
        expect(report.rows.every((r) => r.requests === null && r.tokens > 0)).toBe(true);
        const q = new URLSearchParams(anthropic.calls({ path: "/v1/organizations/usage_report/messages" })[0]!.query);
        expect(q.get("bucket_width")).toBe("1m");
    });

    it("counts real Messages calls in their minute, once the data lag has passed", async () => {
        anthropic.usage.lagMs = 5 * MIN;
        anthropic.usage.record(a.id, 17);
        expect((await fetchKeyUsage(query({ endingAt: new Date(now + MIN) }))).rows).toEqual([]);
        now += 6 * MIN;
        const rows = (await fetchKeyUsage(query({ endingAt: new Date(now) }))).rows;
        expect(rows).toEqual([{ minute: new Date(Math.floor((now - 6 * MIN) / MIN) * MIN).toISOString(), keyId: a.id, requests: 1, tokens: 17 }]);
    });

    it("a rejected admin key is an error naming the call and the status, without the key", async () => {
        const err = await caught(() => fetchKeyUsage(query({ adminKey: makeAdminKey() })));
        expect(err).toBeInstanceOf(UsageReportError);
        expect(err.message).toMatch(/GET \/v1\/organizations\/analytics\/usage answered HTTP 401 authentication_error/);
        expectErrorClean(err, [adminKey]);
    });
});
