import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnthropicEmulator } from "../../offline/emulators/anthropicEmulator";
import { projectDir, removeDir, runCli } from "./helpers";

/**
 * `tools/status/main.ts` run as `npm run status` runs it (ts-node, a child process): what cron and CI see is
 * the exit code and the streams, so these check exactly those. No credentials in the environment.
 */

const dirs: string[] = [];
const project = (stacks: Parameters<typeof projectDir>[0]) => {
    const dir = projectDir(stacks);
    dirs.push(dir);
    return dir;
};
let emulator: AnthropicEmulator;
let adminKey: string;

beforeAll(async () => {
    emulator = new AnthropicEmulator();
    await emulator.start();
    adminKey = emulator.addAdminKey();
    emulator.addKey({ name: "raxx-prod-agents-2026-11-01", createdAt: "2026-11-01T09:00:00Z", expiresAt: "2027-01-30T00:00:00Z" });
    emulator.addKey({ name: "raxx-staging-agents-2026-11-10", createdAt: "2026-11-10T09:00:00Z", status: "inactive" });
    emulator.addKeys(2043, (i) => ({ name: `raxx-prod-old${i}-2025-01-01`, createdAt: "2025-01-01T09:00:00Z", status: "archived" }));
});
afterAll(async () => {
    await emulator.stop();
    dirs.forEach(removeDir);
});

describe("tools/status/main.ts as a child process", () => {
    it("exit 0 and a table when every key is within policy", async () => {
        const { code, stdout, stderr } = await runCli(["--now", "2026-11-23"], { cwd: project({ prod: { keyName: "raxx-prod-agents-2026-11-01" } }) });
        expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
        expect(stdout).toMatch(/^STACK\s+ENV\s+KEY NAME\s+CREATED\s+AGE\s+MAX AGE\s+DUE\s+DAYS LEFT\s+VERDICT$/m);
        expect(stdout).toMatch(/^prod\s+prod\s+raxx-prod-agents-2026-11-01\s+2026-11-01\s+22d\s+90d\s+2027-01-30\s+68\s+ok$/m);
    });

    it("exit 2 when a key is overdue, with machine-readable JSON", async () => {
        const dir = project({ prod: { keyName: "raxx-prod-agents-2026-11-01" }, dev: { keyName: "raxx-dev-local-2025-01-01" } });
        const { code, stdout } = await runCli(["--json", "--now", "2026-11-23"], { cwd: dir });
        expect(code).toBe(2);
        const report = JSON.parse(stdout);
        expect(report.exitCode).toBe(2);
        expect(report.stacks.map((r: { stack: string; verdict: string }) => `${r.stack}:${r.verdict}`)).toEqual(["dev:overdue", "prod:ok"]);
    });

    it("exit 1 for a stack file with a problem, and for a usage error", async () => {
        const problem = await runCli(["--now", "2026-11-23"], { cwd: project({ prod: { keyName: "prod-key" } }) });
        expect(problem.code).toBe(1);
        expect(problem.stdout).toMatch(/^prod\s+prod\s+prod-key\s+-\s+-\s+90d\s+-\s+-\s+problem$/m);
        const usage = await runCli(["--now", "tomorrow"], { cwd: project({ prod: { keyName: "raxx-prod-agents-2026-11-01" } }) });
        expect(usage.code).toBe(1);
        expect(usage.stdout).toBe("");
        expect(usage.stderr).toContain('status: --now must be a real date as YYYY-MM-DD, e.g. 2026-11-23 (got "tomorrow")');
    });

    it("--live against the Anthropic emulator: 2,045 keys over 3 pages, exit 2 for the inactive key a stack still uses", async () => {
        const dir = project({ prod: { keyName: "raxx-prod-agents-2026-11-01" }, staging: { keyName: "raxx-staging-agents-2026-11-10" } });
        const { code, stdout, stderr } = await runCli(["--live", "--anthropic-url", emulator.url, "--json", "--now", "2026-11-23"], {
            cwd: dir,
            env: { ANTHROPIC_ADMIN_API_KEY: adminKey },
        });
        // stderr: progress only, ending with the count of Admin API calls (3 pages of keys, 1 of usage).
        expect(stderr.trim().split("\n").every((l) => /^status: (keys: page|usage report: page|read 2045 keys)/.test(l))).toBe(true);
        expect(stderr.trim().split("\n").at(-1)).toBe("status: read 2045 keys on 3 pages and their usage: 4 Admin API calls (3 key list, 1 usage report)");
        expect(code).toBe(2);
        const report = JSON.parse(stdout);
        expect(report.organization.pages).toBe(3);
        expect(report.organization.keys).toHaveLength(2045);
        expect(report.organization.findings).toEqual([
            expect.objectContaining({ kind: "inactive-referenced", keyName: "raxx-staging-agents-2026-11-10", status: "inactive", stack: "staging" }),
        ]);
        expect(stdout + stderr).not.toContain(adminKey);
        expect(stdout + stderr).not.toContain("sk-ant-");
    });
});
