import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AnthropicEmulator, EmulatedKey } from "../../offline/emulators/anthropicEmulator";
import { makeApiKey } from "../../offline/emulators/keys";
import type { OrgKey } from "../../tools/status/adminKeys";
import { auditKeys, AuditUsage, FindingKind } from "../../tools/status/audit";
import { KeyUsageSummary, usageWindowFor } from "../../tools/status/keyUsage";
import { ROTATION_OVERLAP_DAYS } from "../../tools/status/lifecycleFindings";
import type { StackKeyRow } from "../../tools/status/stackInventory";
import { NOW, projectDir, removeDir, runInProcess } from "./helpers";

/**
 * The monthly key audit of `npm run status -- --live` (issue 14 §2): every key with its usage of the last 30 days
 * and the lifecycle verdicts, against the Anthropic emulator on the tests' fixed clock (2026-11-23 noon UTC).
 */

process.env.ANTHROPIC_KEY_ROTATION_RETRY_BASE_MS = "1";
process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_DELAY_MS = "5";
process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_TOTAL_MS = "60000";
process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_ATTEMPTS = "3";
process.env.ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS = "30000";

const DAY = 86_400_000;
const EXPIRES = "2027-06-01T00:00:00Z";
const USAGE_PATH = "/v1/organizations/analytics/usage";
const LEGACY_PATH = "/v1/organizations/usage_report/messages";
const KEYS_PATH = "/v1/organizations/api_keys";

// ------------------------------------------------------------------------------------------ pure verdicts

const row = (over: Partial<StackKeyRow>): StackKeyRow => ({
    stack: "prod",
    file: "Pulumi.prod.yaml",
    environment: "prod",
    apiKey: "encrypted",
    maxAgeDays: 90,
    maxAgeSource: "default",
    verdict: "ok",
    problems: [],
    notes: [],
    keyName: "raxx-prod-agents-2026-11-01",
    ...over,
});
const key = (over: Partial<OrgKey>): OrgKey => ({
    id: "apikey_01Current",
    name: "raxx-prod-agents-2026-11-01",
    status: "active",
    createdAt: "2026-11-01T09:00:00Z",
    workspaceId: "wrkspc_01Prod",
    expiresAt: EXPIRES,
    scope: "workspace",
    createdBy: "user_01Ops",
    ...over,
});
const used = (lastUsed: string, requests = 10): KeyUsageSummary => ({ lastUsed, requests, inputTokens: requests * 20, outputTokens: requests * 5, tokens: requests * 25 });
const usageOf = (entries: Record<string, KeyUsageSummary>): AuditUsage => ({ window: usageWindowFor(NOW), byKey: new Map(Object.entries(entries)) });
const kinds = (rows: StackKeyRow[], keys: OrgKey[], usage?: AuditUsage): FindingKind[] => auditKeys(rows, keys, NOW, usage).findings.map((f) => f.kind);

describe("lifecycle verdicts (pure)", () => {
    it("the window is today and the 29 days before it, in whole UTC days", () => {
        expect(usageWindowFor(NOW)).toMatchObject({ from: "2026-10-25", to: "2026-11-23", days: 30, startingAt: new Date("2026-10-25T00:00:00Z"), endingAt: new Date("2026-11-24T00:00:00Z") });
    });

    it("no-expiry: an active key that never expires; not one that expires, nor an inactive one", () => {
        expect(kinds([row({})], [key({ expiresAt: null })])).toEqual(["no-expiry"]);
        const finding = auditKeys([row({})], [key({ expiresAt: null })], NOW).findings[0]!;
        expect(finding).toMatchObject({ severity: "warning", stack: "prod", keyId: "apikey_01Current" });
        expect(finding.message).toMatch(/^never expires; at its next rotation create the new key with an expiry \(max age 90 days or less\)/);
        expect(kinds([row({})], [key({})])).toEqual([]);
        expect(kinds([row({})], [key({}), key({ id: "apikey_01Old", status: "inactive", expiresAt: null })])).toEqual([]);
    });

    it("unused-30d: an active key older than the window with no usage in it; not a used one, a young one, or without a usage report", () => {
        const old = key({ id: "apikey_01Idle", name: "raxx-prod-batch-2026-09-01", createdAt: "2026-09-01T09:00:00Z" });
        const rows = [row({})];
        const current = key({});
        expect(kinds(rows, [current, old], usageOf({ apikey_01Current: used("2026-11-23") }))).toEqual(["unused-30d", "unmanaged"]);
        const finding = auditKeys(rows, [current, old], NOW, usageOf({})).findings.find((f) => f.kind === "unused-30d")!;
        expect(finding.message).toMatch(/^no request from 2026-10-25 to 2026-11-23 \(created 2026-09-01\): revoke candidate \(policy §12\.3\)/);
        // Used once, on the window's first day: not unused.
        expect(kinds(rows, [current, old], usageOf({ apikey_01Idle: used("2026-10-25", 1) }))).toEqual(["unmanaged"]);
        // The stack's own key, 22 days old and not used yet: too young to judge.
        expect(kinds(rows, [current], usageOf({}))).toEqual([]);
        // No usage report (it could not be read): no usage verdicts at all.
        expect(kinds(rows, [current, old])).toEqual(["unmanaged"]);
        // A managed key that is unused says its stack's consumers do not use it.
        const managed = auditKeys([row({ keyName: "raxx-prod-batch-2026-09-01", maxAgeDays: 365 })], [old], NOW, usageOf({})).findings;
        expect(managed.map((f) => f.kind)).toEqual(["unused-30d"]);
        expect(managed[0]!.message).toMatch(/check stack prod's targets: none of its consumers uses this key$/);
    });

    it("inactive-used: an inactive, archived or expired key used today or yesterday; not one used before", () => {
        for (const status of ["inactive", "archived", "expired"]) {
            const k = key({ id: "apikey_01Dead", name: "raxx-prod-agents-2026-08-01", createdAt: "2026-08-01T09:00:00Z", status });
            expect(kinds([row({})], [key({}), k], usageOf({ apikey_01Current: used("2026-11-23"), apikey_01Dead: used("2026-11-22", 7) }))).toEqual(["inactive-used"]);
            expect(kinds([row({})], [key({}), k], usageOf({ apikey_01Current: used("2026-11-23"), apikey_01Dead: used("2026-11-21", 7) }))).toEqual([]);
        }
        const finding = auditKeys([row({})], [key({}), key({ id: "apikey_01Dead", status: "inactive", createdAt: "2026-08-01T09:00:00Z" })], NOW, usageOf({ apikey_01Dead: used("2026-11-23", 7) })).findings.find(
            (f) => f.kind === "inactive-used",
        )!;
        expect(finding.message).toMatch(/^inactive, yet used on 2026-11-23 \(7 requests, 175 tokens in the last 30 days\): a consumer still sends this key/);
    });

    it(`duplicate-active: a second active key for a stack once the newest is over ${ROTATION_OVERLAP_DAYS} days old; not during a rotation`, () => {
        const previous = key({ id: "apikey_01Previous", name: "raxx-prod-agents-2026-09-15", createdAt: "2026-09-15T09:00:00Z" });
        const result = auditKeys([row({})], [key({}), previous], NOW);
        expect(result.findings.map((f) => [f.kind, f.keyId, f.stack])).toEqual([
            ["duplicate-active", "apikey_01Previous", "prod"],
            ["unmanaged", "apikey_01Previous", undefined],
        ]);
        expect(result.findings[0]!.message).toMatch(/still active next to stack prod's current key raxx-prod-agents-2026-11-01 more than 7 days after the newest was created/);
        expect(result.keys.find((k) => k.id === "apikey_01Previous")!.verdicts).toEqual(["duplicate-active", "unmanaged"]);
        // The new key is 3 days old: a rotation in progress.
        const fresh = key({ name: "raxx-prod-agents-2026-11-20", createdAt: "2026-11-20T09:00:00Z" });
        expect(kinds([row({ keyName: "raxx-prod-agents-2026-11-20" })], [fresh, previous])).toEqual(["unmanaged"]);
        // A newer key the stack does not use yet, created 10 days ago: the rotation was never finished.
        const newer = key({ id: "apikey_01Newer", name: "raxx-prod-agents-2026-11-13", createdAt: "2026-11-13T09:00:00Z" });
        const stalled = auditKeys([row({})], [key({}), newer], NOW).findings.find((f) => f.kind === "duplicate-active")!;
        expect(stalled.message).toMatch(/^a newer active key for stack prod than the one it manages .* finish the rotation/);
        // Another purpose is another key, not a duplicate.
        expect(kinds([row({})], [key({}), key({ id: "apikey_01Batch", name: "raxx-prod-batch-2026-08-01", createdAt: "2026-08-01T09:00:00Z" })])).not.toContain("duplicate-active");
    });

    it("a clean organisation has no verdict on any key", () => {
        const result = auditKeys([row({})], [key({})], NOW, usageOf({ apikey_01Current: used("2026-11-23") }));
        expect(result.findings).toEqual([]);
        expect(result.keys[0]).toMatchObject({ verdicts: [], environment: "prod", lastUsed: "2026-11-23", requests: 10, tokens: 250, createdBy: "user_01Ops", scope: "workspace" });
    });
});

// ------------------------------------------------------------------------------------------ against the emulator

let emulator: AnthropicEmulator;
let adminKey: string;
const dirs: string[] = [];
const project = (stacks: Parameters<typeof projectDir>[0]) => {
    const dir = projectDir(stacks);
    dirs.push(dir);
    return dir;
};
const live = (...args: string[]) => ["--live", "--anthropic-url", emulator.url, ...args];
const env = () => ({ ANTHROPIC_ADMIN_API_KEY: adminKey });
const adminCalls = () => emulator.calls({ path: /^\/v1\/organizations\// }).filter((c) => c.outcome !== "dropped");

const TOTAL = 2_500;
/** Keys used every minute of the window: 40 keys × 30 days = 1,200 (key, day) rows, two pages of 1,000. */
const BUSY = 40;
let busy: EmulatedKey[];
let dead: EmulatedKey;
let pasted: string;

beforeAll(async () => {
    emulator = new AnthropicEmulator();
    emulator.now = () => NOW.getTime();
    await emulator.start();
    adminKey = emulator.addAdminKey();
    const windowStart = usageWindowFor(NOW).startingAt.getTime();
    // The stack's key: used every minute. Its predecessor: deactivated, but still used yesterday.
    busy = emulator.addKeys(BUSY, (i) => ({ name: i === 0 ? "raxx-prod-agents-2026-11-01" : `raxx-prod-worker${i}-2026-10-01`, createdAt: i === 0 ? "2026-11-01T09:00:00Z" : "2026-10-01T09:00:00Z", expiresAt: EXPIRES }));
    for (const k of busy) emulator.scriptTraffic(k.id, (m) => (m >= windowStart ? 1 : 0));
    dead = emulator.addKey({ id: "apikey_01Dead", name: "raxx-prod-agents-2026-08-01", createdAt: "2026-08-01T09:00:00Z", status: "inactive", expiresAt: EXPIRES });
    emulator.scriptTraffic(dead.id, (m) => (m >= NOW.getTime() - DAY - 3_600_000 && m < NOW.getTime() - DAY ? 2 : 0));
    emulator.addKey({ id: "apikey_01Idle", name: "raxx-prod-batch-2026-09-01", createdAt: "2026-09-01T09:00:00Z", expiresAt: EXPIRES });
    emulator.addKey({ id: "apikey_01Forever", name: "raxx-staging-agents-2026-11-20", createdAt: "2026-11-20T09:00:00Z", expiresAt: null, workspaceId: "wrkspc_01Staging" });
    emulator.addKey({ id: "apikey_01Org", name: "raxx-prod-batch-2026-11-21", createdAt: "2026-11-21T09:00:00Z", expiresAt: EXPIRES, scope: "organization", createdBy: { type: "service_account", id: "svac_01Ci" } });
    // A key whose name is a pasted key: it must never be printed.
    pasted = makeApiKey();
    emulator.addKey({ id: "apikey_01Pasted", name: pasted, createdAt: "2026-11-22T09:00:00Z", expiresAt: EXPIRES });
    emulator.addKeys(TOTAL - BUSY - 5, (i) => ({ name: `raxx-prod-old${i}-2025-01-01`, createdAt: "2025-01-01T09:00:00Z", status: i % 2 ? "archived" : "expired" }));
});
afterAll(async () => {
    await emulator.stop();
    dirs.forEach(removeDir);
});
beforeEach(() => {
    emulator.clearFaults();
    emulator.analyticsEndpoint = true;
    emulator.server.requests.length = 0;
});

function expectNoSecrets(...texts: string[]): void {
    for (const t of texts) {
        expect(t).not.toContain(adminKey);
        expect(t).not.toContain("sk-ant-");
        expect(t).not.toContain(pasted.slice(14));
        for (const k of emulator.allKeys()) expect(t).not.toContain(k.value);
    }
}

describe("npm run status -- --live: the monthly audit of 2,500 keys", () => {
    it("--json: every key with its usage and verdicts in 3 key pages + 2 usage pages = 5 Admin API calls", async () => {
        const started = Date.now();
        const { code, stdout, stderr } = await runInProcess(live("--json", "--dir", project({ prod: { keyName: "raxx-prod-agents-2026-11-01" } })), { env: env() });
        const seconds = (Date.now() - started) / 1000;
        const report = JSON.parse(stdout);
        const org = report.organization;
        expect(org.keys).toHaveLength(TOTAL);
        expect(org.pages).toBe(3);
        expect(org.usage).toEqual({ window: { from: "2026-10-25", to: "2026-11-23", days: 30 }, source: "analytics", queries: 1, calls: 2 });
        expect(org.adminApiCalls).toEqual({ keyList: 3, usage: 2, total: 5 });
        // What the emulator saw: the same five calls, every one with the admin key in x-api-key.
        const calls = adminCalls();
        expect(calls.map((c) => c.path).sort()).toEqual([KEYS_PATH, KEYS_PATH, KEYS_PATH, USAGE_PATH, USAGE_PATH].sort());
        expect(calls.every((c) => c.keyKind === "admin" && c.via === "x-api-key")).toBe(true);
        const usageQueries = calls.filter((c) => c.path === USAGE_PATH).map((c) => new URLSearchParams(c.query));
        expect(usageQueries.map((q) => [q.get("time_bucket_width"), q.getAll("group_by[]"), q.getAll("api_key_ids[]").length, q.get("limit"), q.get("starting_at"), q.get("ending_at")])).toEqual([
            ["1d", ["api_key_id"], 0, "1000", "2026-10-25T00:00:00.000Z", "2026-11-24T00:00:00.000Z"],
            ["1d", ["api_key_id"], 0, "1000", "2026-10-25T00:00:00.000Z", "2026-11-24T00:00:00.000Z"],
        ]);
        expect(usageQueries[1]!.get("page")).toBeTruthy();
        console.log(`status --live on ${TOTAL} keys: ${org.adminApiCalls.total} Admin API calls (${org.adminApiCalls.keyList} key list, ${org.adminApiCalls.usage} usage report) in ${seconds.toFixed(1)} s`);

        // The usage page boundary: 1,200 rows, 1,000 on the first page. Every busy key still adds up to 30 whole days
        // (today until noon): 29 × 1,440 + 720 requests, 25 tokens each.
        const requests = 29 * 1440 + 720;
        for (const k of busy) {
            expect(org.keys.find((x: { id: string }) => x.id === k.id)).toMatchObject({ lastUsed: "2026-11-23", requests, inputTokens: requests * 20, outputTokens: requests * 5, tokens: requests * 25 });
        }
        const byId = (id: string) => org.keys.find((x: { id: string }) => x.id === id);
        expect(byId(busy[0]!.id)).toMatchObject({ managedBy: ["prod"], environment: "prod", verdicts: [] });
        expect(byId("apikey_01Dead")).toMatchObject({ status: "inactive", lastUsed: "2026-11-22", requests: 120, verdicts: ["inactive-used"] });
        expect(byId("apikey_01Idle")).toMatchObject({ requests: 0, tokens: 0, verdicts: ["unused-30d", "unmanaged"] });
        expect(byId("apikey_01Idle").lastUsed).toBeUndefined();
        expect(byId("apikey_01Forever")).toMatchObject({ environment: "staging", workspaceId: "wrkspc_01Staging", expiresAt: null, verdicts: ["unmanaged", "no-expiry"] });
        expect(byId("apikey_01Org")).toMatchObject({ scope: "organization", workspaceId: null, createdBy: "svac_01Ci" });
        expect(byId("apikey_01Pasted").verdicts).toEqual(["unmanaged", "bad-name"]);
        // The JSON shape of one key.
        expect(Object.keys(byId(busy[1]!.id)).sort()).toEqual(
            ["id", "name", "status", "createdAt", "workspaceId", "expiresAt", "scope", "createdBy", "managedBy", "maxAgeDays", "createdDate", "ageDays", "environment", "lastUsed", "requests", "inputTokens", "outputTokens", "tokens", "verdicts"].sort(),
        );
        const counts: Record<string, number> = {};
        for (const f of org.findings) counts[f.kind] = (counts[f.kind] ?? 0) + 1;
        // 39 busy workers + Idle + Forever + Org + Pasted are unmanaged; no stack's key has a twin older than 7 days.
        expect(counts).toEqual({ "inactive-used": 1, "unused-30d": 1, unmanaged: 43, "no-expiry": 1, "bad-name": 1 });
        // Warnings only: exit 0, with the reasons empty.
        expect(code).toBe(0);
        expect(report.reasons).toEqual([]);
        // Progress on stderr: a line per page of keys, per page of usage, and the total.
        const progress = stderr.trim().split("\n");
        expect(progress.filter((l) => l.startsWith("status: keys: page "))).toHaveLength(3);
        expect(progress.filter((l) => l.startsWith("status: usage report: page "))).toHaveLength(2);
        expect(progress.at(-1)).toBe("status: read 2500 keys on 3 pages and their usage: 5 Admin API calls (3 key list, 2 usage report)");
        expectNoSecrets(stdout, stderr);
    });

    it("text: every key in one table, then the findings; --github annotates each finding; --strict fails on the warnings", async () => {
        const dir = project({ prod: { keyName: "raxx-prod-agents-2026-11-01" } });
        const { code, stdout, stderr } = await runInProcess(live("--github", "--dir", dir), { env: env() });
        expect(code).toBe(0);
        expect(stdout).toContain("Organisation keys (Admin API): 2500 keys on 3 pages");
        expect(stdout).toContain("Usage 2026-10-25 to 2026-11-23 (30 days, analytics usage report): one query for every key, 2 pages");
        expect(stdout).toContain("Admin API calls: 5 (3 key list, 2 usage report)");
        const lines = stdout.split("\n");
        const header = lines.find((l) => l.startsWith("KEY NAME"))!;
        expect(header).toMatch(/^KEY NAME\s+STATUS\s+ENV\s+WORKSPACE\s+CREATOR\s+CREATED\s+EXPIRES\s+LAST USED\s+REQUESTS\s+TOKENS\s+VERDICTS$/);
        const keyRows = lines.slice(lines.indexOf(header) + 1, lines.indexOf(header) + 1 + TOTAL);
        expect(keyRows).toHaveLength(TOTAL);
        expect(keyRows.find((l) => l.startsWith("raxx-prod-agents-2026-08-01 "))).toMatch(/^raxx-prod-agents-2026-08-01\s+inactive\s+prod\s+wrkspc_01EmulatorDefault\s+user_01EmulatorOperator\s+2026-08-01\s+2027-06-01\s+2026-11-22\s+120\s+3000\s+inactive-used$/);
        expect(keyRows.find((l) => l.startsWith("raxx-prod-batch-2026-11-21 "))).toMatch(/\s+\(organization\)\s+svac_01Ci\s+2026-11-21\s+2027-06-01\s+unused\s+0\s+0\s+unmanaged$/);
        expect(keyRows.find((l) => l.startsWith("raxx-staging-agents-2026-11-20 "))).toMatch(/\s+never\s+unused\s+0\s+0\s+unmanaged,no-expiry$/);
        expect(keyRows.find((l) => l.startsWith("raxx-prod-old0-2025-01-01 "))).toMatch(/^raxx-prod-old0-2025-01-01\s+expired\s+prod\s+.*\s+unused\s+0\s+0\s+ok$/);
        expect(stdout).toMatch(/^warning\s+inactive-used\s+apikey_01Dead\s+raxx-prod-agents-2026-08-01\s+inactive\s+-\s+inactive, yet used on 2026-11-22/m);
        expect(stdout).toMatch(/^warning\s+unused-30d\s+apikey_01Idle\s+raxx-prod-batch-2026-09-01\s+active\s+-\s+no request from 2026-10-25 to 2026-11-23/m);
        expect(stdout).toContain("47 findings: 0 errors, 47 warnings.");
        expect(lines.filter((l) => l.startsWith("::warning title=Key audit inactive-used::raxx-prod-agents-2026-08-01 (apikey_01Dead): inactive, yet used on 2026-11-22"))).toHaveLength(1);
        expect(lines.filter((l) => l.startsWith("::warning title=Key audit unused-30d::"))).toHaveLength(1);
        expectNoSecrets(stdout, stderr);

        const strict = await runInProcess(live("--strict", "--json", "--dir", dir), { env: env() });
        expect(strict.code).toBe(2);
        expect(JSON.parse(strict.stdout).reasons).toEqual(expect.arrayContaining(["audit: unused-30d raxx-prod-batch-2026-09-01 (apikey_01Idle)", "audit: inactive-used raxx-prod-agents-2026-08-01 (apikey_01Dead)"]));
    });

    it("a 429 from the usage report and from the key listing is retried; the calls are counted once per page", async () => {
        emulator.failNext(429, { path: USAGE_PATH, headers: { "retry-after": "0" } });
        emulator.failNext(429, { path: KEYS_PATH, headers: { "retry-after": "0" } });
        const { code, stdout } = await runInProcess(live("--json", "--dir", project({ prod: { keyName: "raxx-prod-agents-2026-11-01" } })), { env: env() });
        expect(code).toBe(0);
        const org = JSON.parse(stdout).organization;
        expect(org.keys).toHaveLength(TOTAL);
        expect(org.usage.calls).toBe(2);
        expect(adminCalls().map((c) => c.outcome).filter((o) => o === 429)).toHaveLength(2);
        expect(adminCalls()).toHaveLength(7);
    });

    it("a 401 from the usage report: the keys are still listed and judged, no usage verdict, exit 1 and what to do", async () => {
        emulator.failNext(401, { path: USAGE_PATH });
        const { code, stdout, stderr } = await runInProcess(live("--json", "--dir", project({ prod: { keyName: "raxx-prod-agents-2026-11-01" } })), { env: env() });
        expect(code).toBe(1);
        const report = JSON.parse(stdout);
        expect(report.organization.keys).toHaveLength(TOTAL);
        expect(report.organization.usage.error).toMatch(/^read the usage report: GET \/v1\/organizations\/analytics\/usage answered HTTP 401 authentication_error/);
        expect(report.organization.findings.map((f: { kind: string }) => f.kind)).not.toContain("unused-30d");
        expect(report.organization.keys[0].lastUsed).toBeUndefined();
        expect(report.reasons).toEqual(["the usage report could not be read, so unused and still-used keys are not judged (see the message above)"]);
        expect(stderr).toMatch(/^status: read the usage report: GET \/v1\/organizations\/analytics\/usage answered HTTP 401/m);
        expectNoSecrets(stdout, stderr);
    });

    it("a 401 from the key listing: exit 1, not audited, nothing of the key in any output", async () => {
        emulator.failNext(401, { path: KEYS_PATH });
        const { code, stdout, stderr } = await runInProcess(live("--dir", project({ prod: { keyName: "raxx-prod-agents-2026-11-01" } })), { env: env() });
        expect(code).toBe(1);
        expect(stdout).toContain("Organisation keys (Admin API): not audited — list organisation API keys: the Admin API at");
        expect(stderr).toMatch(/ANTHROPIC_ADMIN_API_KEY was rejected/);
        expectNoSecrets(stdout, stderr);
    });

    it("without the analytics endpoint: the legacy report (31 day buckets a page, tokens only) gives the same days; requests n/a", async () => {
        emulator.analyticsEndpoint = false;
        const { code, stdout } = await runInProcess(live("--json", "--dir", project({ prod: { keyName: "raxx-prod-agents-2026-11-01" } })), { env: env() });
        expect(code).toBe(0);
        const org = JSON.parse(stdout).organization;
        expect(org.usage).toMatchObject({ source: "usage_report", calls: 2 });
        expect(org.adminApiCalls).toEqual({ keyList: 3, usage: 2, total: 5 });
        const legacy = emulator.calls({ path: LEGACY_PATH }).map((c) => new URLSearchParams(c.query));
        expect(legacy.map((q) => [q.get("bucket_width"), q.get("limit")])).toEqual([["1d", "31"]]);
        const dead = org.keys.find((k: { id: string }) => k.id === "apikey_01Dead");
        expect(dead).toMatchObject({ lastUsed: "2026-11-22", requests: null, tokens: 3000, verdicts: ["inactive-used"] });
    });

    it("no admin key: exit 1 before any call or output", async () => {
        const { code, stdout, stderr } = await runInProcess(live("--dir", project({ prod: { keyName: "raxx-prod-agents-2026-11-01" } })), { env: {} });
        expect(code).toBe(1);
        expect(stdout).toBe("");
        expect(stderr).toMatch(/--live needs ANTHROPIC_ADMIN_API_KEY/);
        expect(adminCalls()).toHaveLength(0);
    });
});
