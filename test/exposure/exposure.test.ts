import { existsSync, mkdtempSync, readFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ANALYTICS_USAGE_PATH, LEGACY_USAGE_PATH } from "../../components/anthropic/usageReport";
import { exposureReportProvider } from "../../components/exposure/exposureProvider";
import type { ExposureReport, ExposureResult, ExposureSummary } from "../../components/exposure/exposureTypes";
import { runExposure } from "../../components/exposure/runExposure";
import { DEFAULT_EXPOSURE_SETTINGS, ExposureSettings } from "../../components/exposure/settings";
import { AnthropicEmulator, EmulatedKey } from "../../offline/emulators/anthropicEmulator";
import { makeAdminKey } from "../../offline/emulators/keys";
import { useFastRetries } from "../audit/support";
import { scanForLeaks } from "../support/leakScan";

/** The exposure report of a compromised key against the emulator's scripted, per-model traffic. */

const MIN = 60_000;
const HOUR = 60 * MIN;
/** Monday 2026-11-23, 12:30 UTC: the window is [2026-11-21T13:00, 2026-11-23T13:00), the baseline the 7 days before. */
const NOW = Date.parse("2026-11-23T12:30:00Z");
const OPUS = "claude-opus-4-1-20250805";

const anthropic = new AnthropicEmulator();
const savedEnv = { ...process.env };
let adminKey: string;
let leaked: EmulatedKey;

/** 1 request a minute from 08:00 to 20:00 UTC, every day: the key's normal life. */
const office = (m: number) => {
    const h = new Date(m).getUTCHours();
    return h >= 8 && h < 20 ? 1 : 0;
};
const inHour = (iso: string) => (m: number) => m >= Date.parse(iso) && m < Date.parse(iso) + HOUR;

beforeAll(() => anthropic.start());
afterAll(() => anthropic.stop());
beforeEach(() => {
    useFastRetries();
    anthropic.clearFaults();
    anthropic.usage.clearScripts();
    anthropic.modelUsage.clear();
    anthropic.analyticsEndpoint = true;
    anthropic.now = () => NOW;
    adminKey = anthropic.addAdminKey(makeAdminKey());
    leaked = anthropic.addKey();
    anthropic.scriptTraffic(leaked.id, office);
});
afterEach(() => {
    process.env = { ...savedEnv };
    anthropic.now = () => Date.now();
});

const run = (settings: Partial<ExposureSettings> = {}, key: string | null = adminKey) =>
    runExposure({ keyId: leaked.id, adminKey: key ?? undefined, baseUrl: anthropic.url, settings: { ...DEFAULT_EXPOSURE_SETTINGS, ...settings }, now: new Date(NOW) });

function ready(r: ExposureResult): ExposureReport {
    expect(r.status, r.status === "unavailable" ? r.reason : "").toBe("ready");
    return r as ExposureReport;
}

describe("exposure report: flags from scripted traffic", () => {
    it("none: business-hours Sonnet traffic at its usual rate", async () => {
        const r = ready(await run());
        expect(r.flags).toEqual([]);
        expect(r.window).toEqual({ start: "2026-11-21T13:00:00.000Z", end: "2026-11-23T13:00:00.000Z", hours: 48 });
        expect(r.firstRequestHour).toBe("2026-11-21T13:00:00.000Z");
        expect(r.lastRequestHour).toBe("2026-11-23T12:00:00.000Z"); // the current hour, its 30 finished minutes
        // 21st 13–20 (7 h), 22nd 8–20 (12 h), 23rd 8–12 (4 h) at 60 requests an hour, and 30 since 12:00.
        expect(r.totals).toEqual({ requests: 1410, inputTokens: 1410 * 20, outputTokens: 1410 * 5 });
        expect(r.byModel).toEqual([{ model: "claude-sonnet-4-5-20250929", requests: 1410, inputTokens: 28200, outputTokens: 7050 }]);
        expect(r.byHour).toHaveLength(24);
        expect(r.byHour[0]).toEqual({ hour: "2026-11-21T13:00:00.000Z", requests: 60, inputTokens: 1200, outputTokens: 300, models: [{ model: "claude-sonnet-4-5-20250929", requests: 60, inputTokens: 1200, outputTokens: 300 }] });
        expect(r.baseline).toEqual({ days: 7, metric: "requests", hourlyAverage: 30, threshold: 90 });
        expect(r.source).toBe("analytics");
    });

    it("model-not-allowed: Opus calls, the hours named", async () => {
        anthropic.modelUsage.script(leaked.id, OPUS, (m) => (m === Date.parse("2026-11-23T10:15:00Z") ? 5 : 0));
        const r = ready(await run());
        expect(r.flags.map((f) => f.kind)).toEqual(["model-not-allowed"]);
        expect(r.flags[0]).toMatchObject({ models: [OPUS], hours: ["2026-11-23T10:00:00.000Z"] });
        expect(r.byModel.find((m) => m.model === OPUS)).toEqual({ model: OPUS, requests: 5, inputTokens: 100, outputTokens: 25 });
        // The model list is config: allowing Opus clears the flag.
        expect(ready(await run({ allowedModels: ["claude-sonnet-4-5-20250929", OPUS] })).flags).toEqual([]);
    });

    it("outside-business-hours: requests at 22:00, read in the configured time zone", async () => {
        anthropic.scriptTraffic(leaked.id, (m) => (m === Date.parse("2026-11-22T22:10:00Z") ? 3 : 0));
        const r = ready(await run());
        expect(r.flags.map((f) => f.kind)).toEqual(["outside-business-hours"]);
        expect(r.flags[0]!.hours).toEqual(["2026-11-22T22:00:00.000Z"]);
        // In Los Angeles 08:00–20:00 local is 16:00–04:00 UTC: the 22:00 UTC call is inside, the office hours partly not.
        const la = ready(await run({ businessHours: { start: 8, end: 20, timeZone: "America/Los_Angeles" } }));
        expect(la.flags[0]!.hours).not.toContain("2026-11-22T22:00:00.000Z");
        expect(la.flags[0]!.hours).toContain("2026-11-23T08:00:00.000Z");
    });

    it("usage-spike: an hour above three times the 7-day hourly average", async () => {
        anthropic.scriptTraffic(leaked.id, (m) => (inHour("2026-11-23T10:00:00Z")(m) ? 3 : 0));
        const r = ready(await run());
        expect(r.flags.map((f) => f.kind)).toEqual(["usage-spike"]);
        expect(r.flags[0]!.hours).toEqual(["2026-11-23T10:00:00.000Z"]);
        expect(r.flags[0]!.summary).toContain("above 3× the 7-day hourly average of 30 requests (peak 240)");
    });

    it("usage-spike: any use after a week of silence", async () => {
        anthropic.usage.clearScripts();
        anthropic.scriptTraffic(leaked.id, (m) => (m === Date.parse("2026-11-23T09:00:00Z") ? 1 : 0));
        const r = ready(await run());
        expect(r.flags.map((f) => f.kind)).toEqual(["usage-spike"]);
        expect(r.baseline.hourlyAverage).toBe(0);
    });
});

describe("exposure report: the usage report", () => {
    it("asks once for 1h buckets by key and model, from the baseline's start to the end of the current hour", async () => {
        const before = anthropic.calls({ path: ANALYTICS_USAGE_PATH }).length;
        await run();
        const calls = anthropic.calls({ path: ANALYTICS_USAGE_PATH }).slice(before);
        expect(calls).toHaveLength(1);
        const q = new URLSearchParams(calls[0]!.query);
        expect(q.get("time_bucket_width")).toBe("1h");
        expect(q.getAll("group_by[]")).toEqual(["api_key_id", "model"]);
        expect(q.getAll("api_key_ids[]")).toEqual([leaked.id]);
        expect(q.get("starting_at")).toBe("2026-11-14T13:00:00.000Z");
        expect(q.get("ending_at")).toBe("2026-11-23T13:00:00.000Z");
    });

    it("keeps traffic older than the window out of the report (48 h), and a wider window takes it in", async () => {
        anthropic.modelUsage.script(leaked.id, OPUS, (m) => (m === Date.parse("2026-11-21T10:00:00Z") ? 2 : 0)); // 50.5 h ago
        expect(ready(await run()).flags).toEqual([]);
        const wide = ready(await run({ hours: 72 }));
        expect(wide.flags.map((f) => f.kind)).toEqual(["model-not-allowed"]);
        expect(wide.window.start).toBe("2026-11-20T13:00:00.000Z");
    });

    it("follows every page of the legacy endpoint (168 hour buckets a page), tokens only", async () => {
        anthropic.analyticsEndpoint = false;
        anthropic.scriptTraffic(leaked.id, () => 1); // every hour has usage: 216 buckets
        const before = anthropic.calls({ path: LEGACY_USAGE_PATH }).length;
        const r = ready(await run());
        expect(anthropic.calls({ path: LEGACY_USAGE_PATH }).length - before).toBe(2);
        expect(r.source).toBe("usage_report");
        expect(r.totals.requests).toBeNull();
        expect(r.baseline.metric).toBe("tokens");
        expect(r.byHour).toHaveLength(48);
        expect(r.firstRequestHour).toBe("2026-11-21T13:00:00.000Z");
    });

    it("retries a 429 and still reports", async () => {
        const before = anthropic.calls({ path: ANALYTICS_USAGE_PATH }).length;
        anthropic.injectFault({ path: ANALYTICS_USAGE_PATH, fault: { kind: "status", status: 429, headers: { "retry-after": "0" }, body: { type: "error", error: { type: "rate_limit_error", message: "slow down" } } } });
        const r = ready(await run());
        expect(r.totals.requests).toBe(1410);
        expect(anthropic.calls({ path: ANALYTICS_USAGE_PATH }).length - before).toBe(2);
    });

    it("is unavailable, never thrown, without an admin key or with one the API refuses", async () => {
        const missing = await run({}, null);
        expect(missing).toMatchObject({ status: "unavailable", keyId: leaked.id });
        expect(missing.status === "unavailable" && missing.reason).toMatch(/^exposure report unavailable: ANTHROPIC_ADMIN_API_KEY is not set/);
        const refused = await run({}, makeAdminKey());
        expect(refused.status).toBe("unavailable");
        expect(refused.status === "unavailable" && refused.reason).toMatch(/^exposure report unavailable: GET .* answered HTTP 401.*ANTHROPIC_ADMIN_API_KEY/);
    });
});

describe("ExposureReport provider: file, summary, no key material", () => {
    const dir = mkdtempSync(join(tmpdir(), "akr-exposure-"));
    const inputs = (compromisedKey: string) => ({
        compromisedKey,
        revokedKeys: [{ fingerprint: leaked.fingerprint, keyId: leaked.id, outcome: "deactivated" }],
        fingerprint: "sha256:0123456789ab",
        settings: DEFAULT_EXPOSURE_SETTINGS,
        baseUrl: anthropic.url,
        audit: { path: join(dir, "audit", "rotations.jsonl"), environment: "sandbox", keyName: "k", newFingerprint: "sha256:0123456789ab", workspace: "default", emergency: true },
    });

    it("writes audit/exposure-<keyId>-<date>.json next to the audit log and outputs its summary (by fingerprint)", async () => {
        anthropic.now = () => Date.now();
        anthropic.modelUsage.script(leaked.id, OPUS, (m) => (m === Math.floor((Date.now() - 2 * HOUR) / MIN) * MIN ? 2 : 0));
        process.env.ANTHROPIC_ADMIN_API_KEY = adminKey;
        const { outs } = await exposureReportProvider.create!(inputs(leaked.fingerprint));
        const summary = outs.summary as ExposureSummary;
        expect(summary.status).toBe("ready");
        const file = outs.file as string;
        expect(file).toBe(join(dir, "audit", `exposure-${leaked.id}-${new Date().toISOString().slice(0, 10)}.json`));
        const report = JSON.parse(readFileSync(file, "utf8")) as ExposureReport;
        expect(report.byHour.length).toBeGreaterThan(0);
        expect(report.flags.map((f) => f.kind)).toContain("model-not-allowed");
        expect(summary).toMatchObject({ keyId: leaked.id, file, flags: report.flags, totals: report.totals });
        expect(summary).not.toHaveProperty("byHour");
        const leaks = scanForLeaks([{ name: "file", text: readFileSync(file, "utf8") }, { name: "outputs", text: JSON.stringify(outs) }], [leaked.value, adminKey]);
        expect(leaks).toEqual([]);
    });

    it("is unavailable (nothing written) when the key's id is not known or the admin key is missing", async () => {
        delete process.env.ANTHROPIC_ADMIN_API_KEY;
        const { outs } = await exposureReportProvider.create!(inputs(leaked.fingerprint));
        expect(outs.summary).toMatchObject({ status: "unavailable", reason: expect.stringMatching(/ANTHROPIC_ADMIN_API_KEY is not set/) });
        expect(outs.file).toBeNull();
        process.env.ANTHROPIC_ADMIN_API_KEY = adminKey;
        const unknown = await exposureReportProvider.create!(inputs("sha256:ffffffffffff"));
        expect(unknown.outs.summary).toMatchObject({ status: "unavailable", keyId: null, reason: expect.stringContaining("is not known") });
        expect(existsSync(join(dir, "audit", "exposure-unknown.json"))).toBe(false);
    });
});
