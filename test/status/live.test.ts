import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AnthropicEmulator } from "../../offline/emulators/anthropicEmulator";
import { LoopbackServer } from "../../offline/emulators/loopbackServer";
import { listOrganizationKeys, OrgKey } from "../../tools/status/adminKeys";
import { auditKeys, Finding } from "../../tools/status/audit";
import { StackKeyRow } from "../../tools/status/stackInventory";
import { makeAdminKey, makeApiKey } from "../../offline/emulators/keys";
import { NOW, projectDir, removeDir, runInProcess } from "./helpers";

// Fast retries: every wait between attempts is a few milliseconds. No bound a loaded machine can reach,
// though: a page of 1,000 keys can take well over 300 ms to serve when the machine is busy, and an attempt cut
// off for that is one more request than a test expects. The test of a server that never answers sets a short
// attempt timeout itself.
process.env.ANTHROPIC_KEY_ROTATION_RETRY_BASE_MS = "1";
process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_DELAY_MS = "5";
process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_TOTAL_MS = "60000";
process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_ATTEMPTS = "3";
process.env.ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS = "30000";

const STACKS = {
    prod: { keyName: "raxx-prod-agents-2026-11-01" }, // active in the org: no finding
    staging: { keyName: "raxx-staging-agents-2026-11-10" }, // archived in the org: inactive-referenced
    qa: { keyName: "raxx-qa-agents-2026-11-05" }, // not in the org: missing
    dev: { keyName: "raxx-dev-local-2025-10-01" }, // active, 418 days of 365: past-max-age (and the row is overdue)
};

/** The Admin API serves at most 1,000 keys a page: 2,045 keys take three pages. */
const TOTAL_KEYS = 2045;

/**
 * The stacks' keys (qa's is missing), three unmanaged keys with findings, one old inactive key, and 2,038
 * archived or expired keys that are history, not findings.
 */
function seed(emulator: AnthropicEmulator): void {
    // Active keys expire and are in use, so the lifecycle verdicts (test/status/liveAudit.test.ts) stay out of these.
    const expiresAt = "2027-06-01T00:00:00Z";
    emulator.addKey({ name: "raxx-prod-agents-2026-11-01", createdAt: "2026-11-01T09:00:00Z", workspaceId: "wrkspc_01RaxxProdAgents", expiresAt });
    emulator.addKey({ name: "raxx-staging-agents-2026-11-10", createdAt: "2026-11-10T09:00:00Z", status: "archived" });
    const dev = emulator.addKey({ name: "raxx-dev-local-2025-10-01", createdAt: "2025-10-01T09:00:00Z", expiresAt });
    emulator.addKey({ id: "apikey_01Unmanaged", name: "raxx-prod-batch-2026-10-01", createdAt: "2026-10-01T09:00:00Z", expiresAt });
    emulator.addKey({ id: "apikey_01BadName", name: "my test key", createdAt: "2026-11-20T09:00:00Z", expiresAt });
    emulator.addKey({ id: "apikey_01Legacy", name: "raxx-prod-legacy-2026-01-15", createdAt: "2026-01-15T09:00:00Z", expiresAt });
    const lastWeek = NOW.getTime() - 7 * 86_400_000;
    for (const id of [dev.id, "apikey_01Unmanaged", "apikey_01Legacy"]) emulator.scriptTraffic(id, (m) => (m === lastWeek ? 3 : 0));
    emulator.addKey({ id: "apikey_01OldInactive", name: "raxx-prod-agents-2026-08-03", createdAt: "2026-08-03T09:00:00Z", status: "inactive" });
    emulator.addKeys(TOTAL_KEYS - 7, (i) => ({ name: `raxx-prod-old${i}-2025-01-01`, createdAt: "2025-01-01T09:00:00Z", status: i % 2 ? "archived" : "expired" }));
}

const EXPECTED_FINDINGS: Partial<Finding>[] = [
    { kind: "inactive-referenced", severity: "error", keyName: "raxx-staging-agents-2026-11-10", status: "archived", stack: "staging" },
    { kind: "missing", severity: "error", keyName: "raxx-qa-agents-2026-11-05", stack: "qa" },
    { kind: "past-max-age", severity: "error", keyName: "raxx-dev-local-2025-10-01", status: "active", stack: "dev" },
    { kind: "past-max-age", severity: "error", keyId: "apikey_01Legacy", keyName: "raxx-prod-legacy-2026-01-15", status: "active" },
    { kind: "unmanaged", severity: "warning", keyId: "apikey_01BadName", keyName: "my test key" },
    { kind: "unmanaged", severity: "warning", keyId: "apikey_01Unmanaged", keyName: "raxx-prod-batch-2026-10-01" },
    { kind: "unmanaged", severity: "warning", keyId: "apikey_01Legacy", keyName: "raxx-prod-legacy-2026-01-15" },
    { kind: "bad-name", severity: "warning", keyId: "apikey_01BadName", keyName: "my test key", status: "active" },
];

let emulator: AnthropicEmulator;
let adminKey: string;
const dirs: string[] = [];
const project = (stacks: Parameters<typeof projectDir>[0]) => {
    const dir = projectDir(stacks);
    dirs.push(dir);
    return dir;
};
/** The Admin key goes only to --anthropic-url (or the stacks' endpoints.anthropic), never to ANTHROPIC_BASE_URL. */
const liveEnv = () => ({ ANTHROPIC_ADMIN_API_KEY: adminKey });
const live = (...args: string[]) => ["--live", "--anthropic-url", emulator.url, ...args];
const listCalls = () => emulator.calls({ method: "GET", path: "/v1/organizations/api_keys" });

beforeAll(async () => {
    emulator = new AnthropicEmulator();
    // The usage report answers as of the tests' fixed clock.
    emulator.now = () => NOW.getTime();
    await emulator.start();
    adminKey = emulator.addAdminKey();
    seed(emulator);
});
afterAll(async () => {
    await emulator.stop();
    dirs.forEach(removeDir);
});
beforeEach(() => {
    emulator.clearFaults();
    emulator.server.requests.length = 0;
});

function expectNoSecrets(...texts: string[]): void {
    for (const t of texts) {
        expect(t).not.toContain(adminKey);
        expect(t).not.toContain("sk-ant-");
        // Any part of a partial_key_hint starts with the key prefix, so the check above covers hints too.
        for (const k of emulator.allKeys()) expect(t).not.toContain(k.value);
    }
}

describe("listOrganizationKeys against the Anthropic emulator", () => {
    it("follows every page with after_id and x-api-key, and keeps no part of any key", async () => {
        const { keys, pages } = await listOrganizationKeys({ baseUrl: emulator.url, adminKey });
        expect(pages).toBe(3);
        expect(keys).toHaveLength(TOTAL_KEYS);
        expect(new Set(keys.map((k) => k.id)).size).toBe(TOTAL_KEYS);
        const calls = listCalls();
        expect(calls.map((c) => c.query)).toEqual([
            "limit=1000",
            expect.stringMatching(/^limit=1000&after_id=apikey_01\w+$/),
            expect.stringMatching(/^limit=1000&after_id=apikey_01\w+$/),
        ]);
        expect(calls.every((c) => c.via === "x-api-key" && c.keyKind === "admin" && c.version === "2023-06-01")).toBe(true);
        expect(keys.find((k) => k.name === "raxx-prod-agents-2026-11-01")).toEqual({
            id: expect.stringMatching(/^apikey_01/),
            name: "raxx-prod-agents-2026-11-01",
            status: "active",
            createdAt: "2026-11-01T09:00:00Z",
            workspaceId: "wrkspc_01RaxxProdAgents",
            expiresAt: "2027-06-01T00:00:00Z",
            scope: "workspace",
            createdBy: "user_01EmulatorOperator",
        });
        expectNoSecrets(JSON.stringify(keys));
    });

    it("retries a 429 with retry-after and a 529, then completes the listing", async () => {
        emulator.failNext(429, { path: "/v1/organizations/api_keys", headers: { "retry-after": "0" } });
        emulator.failNext(529, { path: "/v1/organizations/api_keys" });
        const { keys } = await listOrganizationKeys({ baseUrl: emulator.url, adminKey });
        expect(keys).toHaveLength(TOTAL_KEYS);
        expect(listCalls().map((c) => c.outcome)).toEqual([429, 529, 200, 200, 200]);
    });

    it("survives a dropped connection mid-listing", async () => {
        emulator.server.injectFault({ path: "/v1/organizations/api_keys", fault: { kind: "drop" } });
        const { keys } = await listOrganizationKeys({ baseUrl: emulator.url, adminKey });
        expect(keys).toHaveLength(TOTAL_KEYS);
    });

    it.each([
        [401, /answered 401 authentication_error: invalid x-api-key \(request-id req_011\w+\)\. ANTHROPIC_ADMIN_API_KEY was rejected; set it to an active Admin API key/],
        [403, /answered 403 permission_error.*use an Admin API key of an organisation admin/],
        [404, /answered 404 not_found_error.*does not serve the Admin API; check --anthropic-url \/ endpoints\.anthropic/],
        [500, /answered 500 api_error.*kept failing after retries; try again later/],
        [429, /answered 429 rate_limit_error.*rate limited even after retries/],
    ])("a %i says what failed and what to do, without the key", async (status, message) => {
        emulator.failNext(status, { path: "/v1/organizations/api_keys", times: 5 });
        const error = await listOrganizationKeys({ baseUrl: emulator.url, adminKey }).then(
            () => undefined,
            (e: Error) => e,
        );
        expect(error?.name).toBe("AdminApiError");
        expect(error!.message).toMatch(message);
        expect(error!.message).toMatch(/^list organisation API keys: the Admin API at http:\/\/127\.0\.0\.1:\d+ answered/);
        expectNoSecrets(error!.message);
    });

    it("a wrong admin key is a 401 from the emulator itself", async () => {
        const wrong = makeAdminKey();
        const error = await listOrganizationKeys({ baseUrl: emulator.url, adminKey: wrong }).catch((e: Error) => e);
        expect((error as Error).message).toMatch(/answered 401 .*ANTHROPIC_ADMIN_API_KEY was rejected/);
        expect((error as Error).message).not.toContain(wrong);
    });

    it("a server that never answers is a transport error with the step and target", async () => {
        // Every attempt hangs, so every one ends by its (short) timeout however loaded the machine is.
        emulator.server.injectFault({ path: "/v1/organizations/api_keys", fault: { kind: "hang" }, times: 5 });
        process.env.ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS = "200";
        const error = await listOrganizationKeys({ baseUrl: emulator.url, adminKey })
            .catch((e: Error) => e)
            .finally(() => (process.env.ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS = "30000"));
        expect((error as Error).message).toMatch(/^list organisation API keys: the Admin API at http:\/\/127\.0\.0\.1:\d+ did not answer \(timed out\) after retries; check --anthropic-url/);
        expectNoSecrets((error as Error).message);
    });

    it("stops instead of looping when has_more never ends or the cursor repeats", async () => {
        const page = (lastId: string | null) => ({ data: [{ id: "apikey_01A", name: "raxx-prod-a-2026-11-01", status: "active", created_at: "2026-11-01T00:00:00Z" }], has_more: true, last_id: lastId });
        for (const [lastId, message] of [
            [null, /^list organisation API keys: the Admin API said there were more keys but gave no new cursor \(last_id\)/],
            ["apikey_01A", /^list organisation API keys: the Admin API said there were more keys but gave no new cursor \(last_id\)/],
        ] as const) {
            const server = new LoopbackServer("loop", () => ({ status: 200, body: page(lastId) }));
            const url = await server.start();
            try {
                await expect(listOrganizationKeys({ baseUrl: url, adminKey })).rejects.toThrow(message);
                expect(server.calls().length).toBeLessThanOrEqual(2);
            } finally {
                await server.stop();
            }
        }
    });

});

describe("npm run status --live (in-process, fixed clock)", () => {
    it("--json: all 2,045 keys over 3 pages, each kind of finding, exit 2", async () => {
        const { code, stdout, stderr } = await runInProcess(live("--json", "--dir", project(STACKS)), { env: liveEnv() });
        // stderr holds only the progress lines: one per page of keys, one per usage query, the total.
        expect(stderr.split("\n").filter(Boolean).every((l) => /^status: (keys: page \d listed|usage report: page \d read|read 2045 keys on 3 pages)/.test(l))).toBe(true);
        expect(code).toBe(2);
        const report = JSON.parse(stdout);
        expect(report.organization.pages).toBe(3);
        expect(report.organization.keys).toHaveLength(TOTAL_KEYS);
        expect(report.organization.findings).toEqual(EXPECTED_FINDINGS.map((f) => expect.objectContaining(f)));
        expect(report.organization.findings.map((f: Finding) => f.kind).sort()).toEqual(
            ["bad-name", "inactive-referenced", "missing", "past-max-age", "past-max-age", "unmanaged", "unmanaged", "unmanaged"],
        );
        const prodKey = report.organization.keys.find((k: { name: string }) => k.name === "raxx-prod-agents-2026-11-01");
        expect(prodKey).toMatchObject({ status: "active", managedBy: ["prod"], createdDate: "2026-11-01", ageDays: 22, maxAgeDays: 90 });
        expect(report.reasons).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/^stack dev: key raxx-dev-local-2025-10-01 is overdue/),
                "audit: inactive-referenced raxx-staging-agents-2026-11-10 (" + report.organization.findings[0].keyId + ")",
                "audit: missing raxx-qa-agents-2026-11-05",
            ]),
        );
        expect(listCalls()).toHaveLength(3);
        expectNoSecrets(stdout, stderr);
    });

    it("text: the stack table, then the findings table", async () => {
        const { code, stdout } = await runInProcess(live("--dir", project(STACKS)), { env: liveEnv() });
        expect(code).toBe(2);
        const summary = /Organisation keys \(Admin API\): 2045 keys on 3 pages \(([^)]*)\)/.exec(stdout);
        expect(summary?.[1]!.split(", ").sort()).toEqual(["1 inactive", "1019 expired", "1020 archived", "5 active"]);
        const findings = stdout.slice(stdout.indexOf("SEVERITY")).split("\n\n")[0]!.split("\n");
        expect(findings[0]).toMatch(/^SEVERITY\s+FINDING\s+KEY ID\s+KEY NAME\s+STATUS\s+STACK\s+DETAIL$/);
        expect(findings).toHaveLength(1 + EXPECTED_FINDINGS.length);
        expect(findings[1]).toMatch(/^error\s+inactive-referenced\s+apikey_01\w+\s+raxx-staging-agents-2026-11-10\s+archived\s+staging\s+stack staging still references this key but it is archived: its consumers get 401/);
        expect(findings[2]).toMatch(/^error\s+missing\s+-\s+raxx-qa-agents-2026-11-05\s+-\s+qa\s+stack qa references raxx-qa-agents-2026-11-05, which is not in this organisation/);
        expect(findings[3]).toMatch(/^error\s+past-max-age\s+apikey_01\w+\s+raxx-dev-local-2025-10-01\s+active\s+dev\s+active for 418 days \(max 365, due 2026-10-01\); rotate it now/);
        expect(findings[4]).toMatch(/^error\s+past-max-age\s+apikey_01Legacy\s+raxx-prod-legacy-2026-01-15\s+active\s+-\s+active for 312 days \(max 90, due 2026-04-15\)/);
        expect(findings.slice(5).join("\n")).toMatch(/warning\s+unmanaged\s+apikey_01BadName\s+my test key\s+active\s+-\s+active, but no stack's keyName or keyId names it/);
        expect(findings[8]).toMatch(/^warning\s+bad-name\s+apikey_01BadName\s+my test key\s+active\s+-\s+breaks the naming convention: it has too few parts/);
        // Column alignment: every row's KEY NAME starts under its header.
        const at = findings[0]!.indexOf("KEY NAME");
        for (const line of findings.slice(1)) expect(line.slice(at - 2, at)).toBe("  ");
        expect(stdout).toContain("8 findings: 4 errors, 4 warnings.");
        expectNoSecrets(stdout);
    });

    it("warnings alone pass (exit 0); --strict makes them fail (exit 2)", async () => {
        const small = new AnthropicEmulator();
        const url = await small.start();
        try {
            const admin = small.addAdminKey();
            small.addKey({ name: "raxx-prod-agents-2026-11-01", createdAt: "2026-11-01T09:00:00Z", expiresAt: "2027-01-01T00:00:00Z" });
            small.addKey({ name: "raxx-prod-batch-2026-11-02", createdAt: "2026-11-02T09:00:00Z", expiresAt: "2027-01-01T00:00:00Z" });
            const dir = project({ prod: STACKS.prod });
            const env = { ANTHROPIC_ADMIN_API_KEY: admin };
            const relaxed = await runInProcess(["--live", "--anthropic-url", url, "--json", "--dir", dir], { env });
            expect(relaxed.code).toBe(0);
            expect(JSON.parse(relaxed.stdout).organization.findings).toEqual([
                expect.objectContaining({ kind: "unmanaged", severity: "warning", keyName: "raxx-prod-batch-2026-11-02" }),
            ]);
            const strict = await runInProcess(["--live", "--anthropic-url", url, "--strict", "--json", "--dir", dir], { env });
            expect(strict.code).toBe(2);
            expect(JSON.parse(strict.stdout).reasons).toEqual([expect.stringMatching(/^audit: unmanaged raxx-prod-batch-2026-11-02 \(apikey_01\w+\)$/)]);
            const clean = await runInProcess(["--live", "--anthropic-url", url, "--dir", project({ prod: STACKS.prod, batch: { keyName: "raxx-prod-batch-2026-11-02", environment: "prod" } })], { env });
            expect(clean.code).toBe(0);
            expect(clean.stdout).toContain(
                "No findings: every active key is managed by a stack, follows the naming convention, is within its max age, expires, and was used in the last 30 days.",
            );
        } finally {
            await small.stop();
        }
    });

    it("--anthropic-url is used; ANTHROPIC_BASE_URL never is (test/status/adminEndpoint.test.ts)", async () => {
        const { code, stdout } = await runInProcess(["--live", "--json", "--anthropic-url", emulator.url, "--dir", project(STACKS)], {
            env: { ANTHROPIC_ADMIN_API_KEY: adminKey, ANTHROPIC_BASE_URL: "http://127.0.0.1:9" },
        });
        expect(code).toBe(2);
        expect(JSON.parse(stdout).organization.keys).toHaveLength(TOTAL_KEYS);
    });

    it("no admin key: exit 1 before any output, and the offline report still works without --live", async () => {
        const dir = project(STACKS);
        const live = await runInProcess(["--live", "--dir", dir], { env: { ANTHROPIC_BASE_URL: emulator.url } });
        expect(live.code).toBe(1);
        expect(live.stdout).toBe("");
        expect(live.stderr).toMatch(/--live needs ANTHROPIC_ADMIN_API_KEY, an Admin API key \(admin01 prefix\)/);
        expect(listCalls()).toHaveLength(0);
    });

    it("a regular API key in ANTHROPIC_ADMIN_API_KEY: exit 1, never sent, never printed", async () => {
        const apiKey = makeApiKey();
        const { code, stdout, stderr } = await runInProcess(["--live", "--dir", project(STACKS)], { env: { ANTHROPIC_ADMIN_API_KEY: apiKey, ANTHROPIC_BASE_URL: emulator.url } });
        expect(code).toBe(1);
        expect(stderr).toMatch(/holds a regular API key \(api03 prefix\); the Admin API needs an Admin API key/);
        expect(stdout + stderr).not.toContain(apiKey);
        expect(listCalls()).toHaveLength(0);
    });

    it("an Admin API failure still prints the stack report, then exits 1 (or 2 when a key is overdue)", async () => {
        emulator.failNext(401, { path: "/v1/organizations/api_keys" });
        const ok = await runInProcess(live("--dir", project({ prod: STACKS.prod })), { env: liveEnv() });
        expect(ok.code).toBe(1);
        expect(ok.stdout).toMatch(/prod\s+prod\s+raxx-prod-agents-2026-11-01/);
        expect(ok.stdout).toContain("Organisation keys (Admin API): not audited — list organisation API keys: the Admin API at");
        expect(ok.stderr).toMatch(/^status: list organisation API keys: .* answered 401 authentication_error/m);
        expectNoSecrets(ok.stdout, ok.stderr);

        emulator.failNext(500, { path: "/v1/organizations/api_keys", times: 5 });
        const overdue = await runInProcess(live("--json", "--dir", project({ dev: STACKS.dev })), { env: liveEnv() });
        expect(overdue.code).toBe(2);
        expect(JSON.parse(overdue.stdout).organization.error).toMatch(/answered 500 api_error/);
    });
});

describe("auditKeys (pure)", () => {
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
        ...over,
    });
    const key = (over: Partial<OrgKey>): OrgKey => ({
        id: "apikey_01X",
        name: "raxx-prod-agents-2026-11-01",
        status: "active",
        createdAt: "2026-11-01T00:00:00Z",
        workspaceId: null,
        expiresAt: "2027-01-01T00:00:00Z",
        ...over,
    });

    it("matches by keyId when the stack sets one, whatever the name", () => {
        const result = auditKeys([row({ keyName: "raxx-prod-agents-2026-11-01", keyId: "apikey_01Renamed" })], [key({ id: "apikey_01Renamed", name: "raxx-prod-agents-renamed-2026-11-01" })], NOW);
        expect(result.keys[0]!.managedBy).toEqual(["prod"]);
        expect(result.findings.map((f) => f.kind)).toEqual([]);
    });

    it("an inactive duplicate of a name that is also active is history, not a finding", () => {
        const result = auditKeys([row({ keyName: "raxx-prod-agents-2026-11-01" })], [key({}), key({ id: "apikey_01Old", status: "inactive" })], NOW);
        expect(result.findings).toEqual([]);
    });

    it("an expired key still referenced is inactive-referenced", () => {
        const result = auditKeys([row({ keyName: "raxx-prod-agents-2026-11-01" })], [key({ status: "expired" })], NOW);
        expect(result.findings).toEqual([expect.objectContaining({ kind: "inactive-referenced", status: "expired", stack: "prod" })]);
    });

    it("uses the stacks' max age for unmanaged keys of their environment, the default otherwise", () => {
        const rows = [row({ keyName: "raxx-prod-agents-2026-11-01", maxAgeDays: 30, maxAgeSource: "config" })];
        const result = auditKeys(rows, [key({}), key({ id: "apikey_01B", name: "raxx-prod-batch-2026-10-01", createdAt: "2026-10-01T00:00:00Z" }), key({ id: "apikey_01C", name: "raxx-dev-x-2026-01-01", createdAt: "2026-01-01T00:00:00Z" })], NOW);
        expect(result.keys.map((k) => [k.name, k.maxAgeDays, k.ageDays])).toEqual([
            ["raxx-prod-agents-2026-11-01", 30, 22],
            ["raxx-prod-batch-2026-10-01", 30, 53],
            ["raxx-dev-x-2026-01-01", 365, 326],
        ]);
        expect(result.findings.filter((f) => f.kind === "past-max-age").map((f) => f.keyName)).toEqual(["raxx-prod-batch-2026-10-01"]);
    });

    it("a managed key named for another environment breaks the convention for its stack", () => {
        const result = auditKeys([row({ keyId: "apikey_01X" })], [key({ name: "raxx-staging-agents-2026-11-01" })], NOW);
        expect(result.findings).toEqual([expect.objectContaining({ kind: "bad-name", message: expect.stringContaining('this stack\'s environment is "prod"') })]);
    });

    it("an unparseable created_at skips the age check instead of crashing", () => {
        const result = auditKeys([], [key({ createdAt: "yesterday" })], NOW);
        expect(result.keys[0]!.ageDays).toBeUndefined();
        expect(result.findings.map((f) => f.kind)).toEqual(["unmanaged"]);
    });
});
