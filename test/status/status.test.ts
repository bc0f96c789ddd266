import { afterAll, describe, expect, it } from "vitest";
import { stackRow, maxAgeOf, readInventory, StackKeyRow } from "../../tools/status/stackInventory";
import { renderTable } from "../../tools/status/format";
import { parseStatusArgs, UsageError } from "../../tools/status/args";
import { makeApiKey } from "../../offline/emulators/keys";
import { CIPHERTEXT, NOW, projectDir, removeDir, runInProcess, stackYaml } from "./helpers";

const dirs: string[] = [];
const project = (stacks: Parameters<typeof projectDir>[0]) => {
    const dir = projectDir(stacks);
    dirs.push(dir);
    return dir;
};
afterAll(() => dirs.forEach(removeDir));

/** Four stacks, one per verdict, as of 2026-11-23. */
const MIXED = {
    prod: { keyName: "raxx-prod-agents-2026-11-01" }, // 22 days of 90: ok
    staging: { keyName: "raxx-staging-agents-2026-08-30", maxAgeDays: { staging: 95, prod: 10 } }, // 85 of 95: due soon
    qa: { keyName: "raxx-qa-agents-2026-10-10", maxAgeDays: 50 }, // 44 of 50: due soon (urgent)
    dev: { keyName: "raxx-dev-local-2025-11-01" }, // 387 of 365: overdue
};

function row(rows: readonly StackKeyRow[], stack: string): StackKeyRow {
    const r = rows.find((x) => x.stack === stack);
    if (!r) throw new Error(`no row for ${stack}`);
    return r;
}

/** Splits a rendered table into cells (no cell is empty or holds two spaces in a row). */
function cellsOf(table: string): Record<string, string>[] {
    const [header, ...lines] = table.split("\n");
    const names = header!.split(/\s{2,}/);
    return lines.map((line) => {
        const cells = line.trim().split(/\s{2,}/);
        expect(cells).toHaveLength(names.length);
        return Object.fromEntries(names.map((n, i) => [n, cells[i]!]));
    });
}

describe("stack rows (pure, fixed clock)", () => {
    it("computes age, max age, due date, days left and verdict per stack", () => {
        const rows = readInventory(project(MIXED), NOW);
        expect(rows.map((r) => r.stack)).toEqual(["dev", "prod", "qa", "staging"]);
        expect(row(rows, "prod")).toMatchObject({
            environment: "prod",
            keyName: "raxx-prod-agents-2026-11-01",
            apiKey: "encrypted",
            createdAt: "2026-11-01",
            ageDays: 22,
            maxAgeDays: 90,
            maxAgeSource: "default",
            dueDate: "2027-01-30",
            daysLeft: 68,
            verdict: "ok",
            problems: [],
        });
        expect(row(rows, "staging")).toMatchObject({ ageDays: 85, maxAgeDays: 95, maxAgeSource: "config", dueDate: "2026-12-03", daysLeft: 10, verdict: "due-soon" });
        expect(row(rows, "qa")).toMatchObject({ ageDays: 44, maxAgeDays: 50, maxAgeSource: "config", daysLeft: 6, verdict: "due-urgent" });
        expect(row(rows, "dev")).toMatchObject({ ageDays: 387, maxAgeDays: 365, maxAgeSource: "default", dueDate: "2026-11-01", daysLeft: -22, verdict: "overdue" });
    });

    it("honours the environment setting over the stack name", () => {
        const rows = readInventory(project({ "prod-eu": { keyName: "raxx-prod-agents-2026-11-01", environment: "prod" } }), NOW);
        expect(rows[0]).toMatchObject({ stack: "prod-eu", environment: "prod", verdict: "ok", maxAgeDays: 90 });
    });

    it("reads maxAgeDays as a number or a per-environment map, and rejects anything else", () => {
        expect(maxAgeOf(undefined, "dev")).toEqual({ days: 365, source: "default" });
        expect(maxAgeOf("180", "prod")).toEqual({ days: 180, source: "config" });
        expect(maxAgeOf('{"prod":120,"dev":30}', "prod")).toEqual({ days: 120, source: "config" });
        expect(maxAgeOf('{"dev":30}', "staging")).toEqual({ days: 90, source: "default" });
        for (const bad of ["0", "-5", "1.5", '"90"', "[90]", '{"prod":0}', "not json"]) expect(maxAgeOf(bad, "prod")).toHaveProperty("problem");
    });

    it.each([
        ["missing keyName", {}, /keyName is not set; set the key's Console name: pulumi config set keyName <project>-prod-<purpose>-<YYYY-MM-DD> -s prod/],
        ["bad format", { keyName: "my-key" }, /"my-key" is not valid: it has too few parts/],
        ["wrong environment", { keyName: "raxx-staging-agents-2026-11-01" }, /environment is "staging" but this stack's environment is "prod"/],
        ["impossible date", { keyName: "raxx-prod-agents-2026-02-30" }, /2026-02-30 is not a real calendar date/],
        ["future date", { keyName: "raxx-prod-agents-2027-01-01" }, /2027-01-01 is in the future/],
        ["bad maxAgeDays", { keyName: "raxx-prod-agents-2026-11-01", maxAgeDays: 0 }, /maxAgeDays must be a positive whole number/],
        ["bad environment", { keyName: "raxx-prod-agents-2026-11-01", environment: "Prod!" }, /environment must be lower-case letters and digits/],
    ])("a stack file with a %s is a problem row, not a crash", (_label, spec, message) => {
        const rows = readInventory(project({ prod: spec as Parameters<typeof stackYaml>[0] }), NOW);
        expect(rows).toHaveLength(1);
        expect(rows[0]!.verdict).toBe("problem");
        expect(rows[0]!.ageDays).toBeUndefined();
        expect(rows[0]!.problems.join("\n")).toMatch(message);
    });

    it("flags a plaintext apiKey as a leak without ever reading the value into the row", () => {
        const key = makeApiKey();
        const rows = readInventory(project({ prod: { keyName: "raxx-prod-agents-2026-11-01", apiKey: { plaintext: key } } }), NOW);
        expect(rows[0]).toMatchObject({ apiKey: "plaintext", verdict: "problem" });
        expect(rows[0]!.problems[0]).toMatch(/PLAINTEXT.*treat the key as leaked/);
        expect(JSON.stringify(rows)).not.toContain(key);
        expect(JSON.stringify(rows)).not.toContain("sk-ant-");
    });

    it("redacts a key pasted into keyName and says so", () => {
        const key = makeApiKey();
        const rows = readInventory(project({ prod: { keyName: key } }), NOW);
        expect(rows[0]!.verdict).toBe("problem");
        expect(rows[0]!.keyName).toBeUndefined();
        expect(rows[0]!.problems[0]).toMatch(/keyName holds a key value.*treat that key as leaked/);
        expect(JSON.stringify(rows)).not.toContain("sk-ant-");
    });

    it("a file that is not YAML is a problem row", () => {
        const rows = readInventory(project({ prod: "config: [unclosed\n  - {", staging: { keyName: "raxx-staging-agents-2026-11-01" } }), NOW);
        expect(row(rows, "prod")).toMatchObject({ verdict: "problem" });
        expect(row(rows, "prod").problems[0]).toMatch(/Pulumi\.prod\.yaml could not be read as YAML/);
        expect(row(rows, "staging").verdict).toBe("ok");
    });

    it("notes a stack whose apiKey is not set yet, without making it a problem", () => {
        const r = stackRow({ stack: "prod", values: { keyName: "raxx-prod-agents-2026-11-01" }, secureKeys: [], foreign: {} }, "Pulumi.prod.yaml", NOW);
        expect(r).toMatchObject({ apiKey: "missing", verdict: "ok", problems: [] });
        expect(r.notes[0]).toMatch(/apiKey is not set .* pulumi config set --secret apiKey -s prod/);
    });
});

describe("table rendering", () => {
    it("aligns columns, right-aligns numbers and never pads the last column", () => {
        const text = renderTable(
            [{ header: "A" }, { header: "NUM", align: "right" }, { header: "LAST" }],
            [
                ["long value", "5", "x"],
                ["b", "1234", "yy"],
            ],
        );
        expect(text.split("\n")).toEqual(["A            NUM  LAST", "long value     5  x", "b           1234  yy"]);
    });
});

describe("npm run status (in-process, fixed clock)", () => {
    it("prints one aligned row per stack with every column", async () => {
        const { code, stdout, stderr } = await runInProcess(["--dir", project(MIXED)]);
        expect(stderr).toBe("");
        expect(code).toBe(2);
        expect(stdout).toContain("Anthropic API keys by stack, as of 2026-11-23 (UTC)");
        const table = stdout.split("\n\n")[1]!;
        const lines = table.split("\n");
        expect(lines[0]).toMatch(/^STACK\s+ENV\s+KEY NAME\s+CREATED\s+AGE\s+MAX AGE\s+DUE\s+DAYS LEFT\s+VERDICT$/);
        // Alignment: every header starts where its cells start (left columns) or ends where they end (right columns).
        const verdictAt = lines[0]!.indexOf("VERDICT");
        const daysLeftEnd = lines[0]!.indexOf("DAYS LEFT") + "DAYS LEFT".length;
        for (const line of lines.slice(1)) {
            expect(line[verdictAt - 1]).toBe(" ");
            expect(line[verdictAt]).not.toBe(" ");
            expect(line[daysLeftEnd - 1]).not.toBe(" ");
            expect(line[daysLeftEnd]).toBe(" ");
        }
        const cells = cellsOf(table);
        expect(cells).toEqual([
            { STACK: "dev", ENV: "dev", "KEY NAME": "raxx-dev-local-2025-11-01", CREATED: "2025-11-01", AGE: "387d", "MAX AGE": "365d", DUE: "2026-11-01", "DAYS LEFT": "-22", VERDICT: "overdue" },
            { STACK: "prod", ENV: "prod", "KEY NAME": "raxx-prod-agents-2026-11-01", CREATED: "2026-11-01", AGE: "22d", "MAX AGE": "90d", DUE: "2027-01-30", "DAYS LEFT": "68", VERDICT: "ok" },
            { STACK: "qa", ENV: "qa", "KEY NAME": "raxx-qa-agents-2026-10-10", CREATED: "2026-10-10", AGE: "44d", "MAX AGE": "50d", DUE: "2026-11-29", "DAYS LEFT": "6", VERDICT: "due soon (urgent)" },
            { STACK: "staging", ENV: "staging", "KEY NAME": "raxx-staging-agents-2026-08-30", CREATED: "2026-08-30", AGE: "85d", "MAX AGE": "95d", DUE: "2026-12-03", "DAYS LEFT": "10", VERDICT: "due soon" },
        ]);
        expect(stdout).toContain("4 stacks: 1 ok, 2 due soon, 1 overdue, 0 with problems.");
        expect(stdout).toMatch(/Exit 2:\n {2}- stack dev: key raxx-dev-local-2025-11-01 is overdue since 2026-11-01; rotate it now/);
        expect(stdout).not.toContain(CIPHERTEXT);
    });

    it("--now fixes the clock", async () => {
        const dir = project({ prod: { keyName: "raxx-prod-agents-2026-11-01" } });
        const early = await runInProcess(["--dir", dir, "--now", "2026-11-02"]);
        expect(early.code).toBe(0);
        expect(cellsOf(early.stdout.split("\n\n")[1]!)[0]).toMatchObject({ AGE: "1d", "DAYS LEFT": "89", VERDICT: "ok" });
        const late = await runInProcess(["--dir", dir, "--now=2027-02-01"]);
        expect(late.code).toBe(2);
        expect(cellsOf(late.stdout.split("\n\n")[1]!)[0]).toMatchObject({ AGE: "92d", "DAYS LEFT": "-2", VERDICT: "overdue" });
    });

    it("--json gives every row, a summary and the exit code, and nothing else on stdout", async () => {
        const { code, stdout } = await runInProcess(["--json", "--dir", project(MIXED)]);
        expect(code).toBe(2);
        const report = JSON.parse(stdout);
        expect(report.asOf).toBe("2026-11-23");
        expect(report.exitCode).toBe(2);
        expect(report.summary).toEqual({ stacks: 4, ok: 1, dueSoon: 1, dueUrgent: 1, overdue: 1, problems: 0 });
        expect(report.stacks).toHaveLength(4);
        expect(report.stacks.find((r: StackKeyRow) => r.stack === "staging")).toEqual({
            stack: "staging",
            file: "Pulumi.staging.yaml",
            environment: "staging",
            keyName: "raxx-staging-agents-2026-08-30",
            apiKey: "encrypted",
            createdAt: "2026-08-30",
            ageDays: 85,
            maxAgeDays: 95,
            maxAgeSource: "config",
            dueDate: "2026-12-03",
            daysLeft: 10,
            verdict: "due-soon",
            problems: [],
            notes: [],
        });
        expect(report.reasons).toEqual(["stack dev: key raxx-dev-local-2025-11-01 is overdue since 2026-11-01; rotate it now (README: scheduled rotation)"]);
        expect(report.organization).toBeUndefined();
        expect(stdout).not.toContain(CIPHERTEXT);
    });

    it("exit 0 when every key is within policy, due-soon included", async () => {
        const { code, stdout } = await runInProcess(["--dir", project({ prod: MIXED.prod, staging: MIXED.staging, qa: MIXED.qa })]);
        expect(code).toBe(0);
        expect(stdout).not.toContain("Exit ");
    });

    it("exit 1 when a stack file has a problem, listing it with its fix; overdue still wins with exit 2", async () => {
        const problem = await runInProcess(["--dir", project({ prod: MIXED.prod, staging: { keyName: "staging-key" } })]);
        expect(problem.code).toBe(1);
        expect(problem.stdout).toMatch(/staging\s+staging\s+staging-key\s+-\s+-\s+90d\s+-\s+-\s+problem/);
        expect(problem.stdout).toContain('Problems:\n  staging (Pulumi.staging.yaml): anthropic-key-rotation:keyName "staging-key" is not valid');
        expect(problem.stdout).toContain("Exit 1:\n  - stack staging: Pulumi.staging.yaml has 1 problem (listed above)");

        const both = await runInProcess(["--json", "--dir", project({ dev: MIXED.dev, staging: { keyName: "staging-key" } })]);
        expect(both.code).toBe(2);
        expect(JSON.parse(both.stdout).reasons).toHaveLength(2);
    });

    it.each([
        [["--bogus"], /unknown option "--bogus"/],
        [["--now", "2026-13-01"], /--now must be a real date as YYYY-MM-DD/],
        [["--now"], /--now needs a value/],
        [["--strict"], /--strict only applies to --live/],
        [["--json", "--github"], /use it without --json/],
        [["--live", "--anthropic-url", "ftp://x"], /--anthropic-url must be an https URL \(got ftp:\/\/\)/],
        [["--live", "--anthropic-url", "http://api.example.com"], /--anthropic-url uses http:\/\/ to api\.example\.com, which would send the key or a token in clear text/],
    ])("usage error %j: exit 1 with a clear message and nothing on stdout", async (args, message) => {
        const { code, stdout, stderr } = await runInProcess([...args, "--dir", project(MIXED)]);
        expect(code).toBe(1);
        expect(stdout).toBe("");
        expect(stderr).toMatch(message);
        expect(stderr).toContain('Run "npm run status -- --help"');
    });

    it("exit 1 when the directory has no stack files", async () => {
        const { code, stderr } = await runInProcess(["--dir", project({})]);
        expect(code).toBe(1);
        expect(stderr).toMatch(/no Pulumi\.<stack>\.yaml file in .*; run from the project directory \(where Pulumi\.yaml is\) or pass --dir/);
    });

    it("--help prints the usage with the exit codes", async () => {
        const { code, stdout } = await runInProcess(["--help"]);
        expect(code).toBe(0);
        expect(stdout).toContain("Usage: npm run status -- [options]");
        expect(stdout).toContain("2  at least one key is overdue");
    });

    it("--github adds workflow annotations for due, overdue and problem rows", async () => {
        const { stdout } = await runInProcess(["--github", "--dir", project({ ...MIXED, broken: {} })]);
        const annotations = stdout.split("\n").filter((l) => l.startsWith("::"));
        expect(annotations).toEqual([
            expect.stringMatching(/^::error title=Stack file problem::broken: anthropic-key-rotation:keyName is not set; /),
            "::error title=Anthropic key overdue::dev: key raxx-dev-local-2025-11-01 was due on 2026-11-01 (22 days ago); rotate it now",
            "::warning title=Anthropic key rotation due soon::qa: key raxx-qa-agents-2026-10-10 is due on 2026-11-29 (6 days left); schedule the rotation",
            "::warning title=Anthropic key rotation due soon::staging: key raxx-staging-agents-2026-08-30 is due on 2026-12-03 (10 days left); schedule the rotation",
        ]);
    });

    it("reports the committed stack files of this project", async () => {
        const { code, stdout } = await runInProcess(["--json", "--now", "2026-12-01"]);
        const report = JSON.parse(stdout);
        expect(report.stacks.map((r: StackKeyRow) => [r.stack, r.keyName, r.verdict])).toEqual([
            ["prod", "raxx-prod-agents-2026-11-23", "ok"],
            ["staging", "raxx-staging-agents-2026-11-23", "ok"],
        ]);
        expect(code).toBe(0);
    });
});

describe("argument parsing", () => {
    it("parses every option", () => {
        expect(parseStatusArgs(["--json", "--live", "--strict", "--now", "2026-01-02", "--dir", "x", "--anthropic-url=http://127.0.0.1:1"])).toEqual({
            json: true,
            live: true,
            strict: true,
            github: false,
            help: false,
            now: new Date("2026-01-02T00:00:00Z"),
            dir: "x",
            anthropicUrl: "http://127.0.0.1:1",
        });
        expect(parseStatusArgs([])).toEqual({ json: false, live: false, strict: false, github: false, help: false });
        expect(() => parseStatusArgs(["--json=1"])).toThrow(UsageError);
    });
});
