import { readdirSync, readFileSync } from "fs";
import { join } from "path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { findStackFiles } from "../../tools/status/stackInventory";

/**
 * The GitHub Actions workflows can only run on GitHub, so these tests read them as GitHub would (YAML) and
 * check what matters: triggers, jobs, the policy pack on every Pulumi step, the approval gate in front of
 * `pulumi up`, least-privilege permissions, and that credentials only ever appear as `${{ secrets.NAME }}`.
 */

const ROOT = join(__dirname, "..", "..");
const DIR = join(ROOT, ".github", "workflows");

interface Step {
    name?: string;
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    env?: Record<string, unknown>;
    if?: string;
}
interface Job {
    name?: string;
    needs?: string | string[];
    if?: string;
    "runs-on"?: string;
    environment?: string | { name: string; url?: string };
    permissions?: Record<string, string> | string;
    concurrency?: { group: string; "cancel-in-progress"?: boolean } | string;
    strategy?: { matrix?: Record<string, unknown>; "fail-fast"?: boolean };
    env?: Record<string, unknown>;
    steps: Step[];
}
interface Workflow {
    name: string;
    on: Record<string, unknown>;
    permissions?: Record<string, string> | string;
    env?: Record<string, unknown>;
    jobs: Record<string, Job>;
}

const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const workflows: Record<string, Workflow> = Object.fromEntries(files.map((f) => [f, parse(readFileSync(join(DIR, f), "utf8")) as Workflow]));
const wf = (file: string) => {
    const w = workflows[file];
    if (!w) throw new Error(`missing .github/workflows/${file}`);
    return w;
};
const pulumiSteps = (job: Job) => job.steps.filter((s) => s.uses?.startsWith("pulumi/actions@"));
const runs = (job: Job) => job.steps.map((s) => s.run?.trim()).filter((r): r is string => r !== undefined);
const needsOf = (job: Job) => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);

/** The stacks of this project, from the committed Pulumi.<stack>.yaml files. */
const STACKS = findStackFiles(ROOT).map((s) => s.stack);

/** The credentials the program reads (README: "Credentials"), by environment variable. */
const CREDENTIAL_ENV: Readonly<Record<string, string>> = {
    PULUMI_CONFIG_PASSPHRASE: "PULUMI_CONFIG_PASSPHRASE",
    PULUMI_ACCESS_TOKEN: "PULUMI_ACCESS_TOKEN",
    ANTHROPIC_ADMIN_API_KEY: "ANTHROPIC_ADMIN_API_KEY",
    HEROKU_API_KEY: "HEROKU_API_KEY",
    GITHUB_TOKEN: "PULUMI_GITHUB_TOKEN",
    INFISICAL_CLIENT_ID: "INFISICAL_CLIENT_ID",
    INFISICAL_CLIENT_SECRET: "INFISICAL_CLIENT_SECRET",
};
const RUN_TIME_CREDENTIALS = ["ANTHROPIC_ADMIN_API_KEY", "HEROKU_API_KEY", "INFISICAL_CLIENT_ID", "INFISICAL_CLIENT_SECRET"];

/** A step that runs the Pulumi CLI: the official action, or a shell line calling `pulumi`. */
const runsPulumi = (step: Step) => step.uses?.startsWith("pulumi/actions@") === true || /(^|[\s;&|(])pulumi\s/m.test(step.run ?? "");

const BACKEND_FROM_VARIABLE = "${{ vars.PULUMI_BACKEND_URL }}";

/**
 * Every step that runs Pulumi without PULUMI_BACKEND_URL from the repository variable (workflow, job or step env;
 * the innermost wins, as in GitHub Actions). The CLI takes the backend from PULUMI_BACKEND_URL, then Pulumi.yaml's
 * `backend.url`, then stored credentials, so pulumi/actions' `cloud-url` (a `pulumi login`) loses to the project's
 * file:// default: an empty backend on the runner.
 */
function backendProblems(w: Workflow): string[] {
    const problems: string[] = [];
    for (const [id, job] of Object.entries(w.jobs)) {
        job.steps.forEach((step, i) => {
            if (!runsPulumi(step)) return;
            const env = { ...(w.env ?? {}), ...(job.env ?? {}), ...(step.env ?? {}) };
            if (env.PULUMI_BACKEND_URL !== BACKEND_FROM_VARIABLE) {
                problems.push(`jobs.${id}.steps[${i}] runs Pulumi without PULUMI_BACKEND_URL: ${BACKEND_FROM_VARIABLE} in its env (or its job's)`);
            }
        });
    }
    return problems;
}

/** Every string in a parsed document, with its path. */
function strings(value: unknown, path = ""): { path: string; value: string }[] {
    if (typeof value === "string") return [{ path, value }];
    if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
    if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => strings(v, path ? `${path}.${k}` : k));
    return [];
}

/** The test command the README gives, from its code blocks (`npm test`). */
function readmeTestCommand(): string {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const blocks = [...readme.matchAll(/```(?:bash|sh|shell)?\n([\s\S]*?)```/g)].map((m) => m[1]!);
    for (const block of blocks) {
        for (const line of block.split("\n")) {
            const command = line.replace(/#.*$/, "").trim();
            if (/^npm (run )?test\b/.test(command)) return command;
        }
    }
    throw new Error("README.md gives no npm test command in a code block");
}

/** Every way a workflow could leak or misuse a credential; empty when each is a whole `${{ secrets.NAME }}` in env. */
function credentialProblems(w: Workflow): string[] {
    const problems: string[] = [];
    for (const { path, value } of strings(w)) {
        if (/sk-ant-|ghp_|gho_|github_pat_|HRKU-|st\.[a-z0-9-]{20,}/i.test(value)) problems.push(`${path} looks like a credential value`);
        if (!value.includes("secrets.")) continue;
        // The whole value is one reference in an env block: nothing pasted beside it, nothing interpolated into a shell line.
        if (!/\.env\.[A-Z_]+$/.test(path)) problems.push(`${path} uses a secret outside env`);
        else if (!/^\$\{\{ secrets\.[A-Z][A-Z0-9_]* \}\}$/.test(value)) problems.push(`${path} is not a single \${{ secrets.NAME }} reference`);
    }
    for (const job of Object.values(w.jobs)) {
        for (const step of job.steps) {
            for (const [name, value] of Object.entries(step.env ?? {})) {
                if (!/TOKEN|KEY|SECRET|PASSPHRASE|PASSWORD|CLIENT_ID/.test(name)) continue;
                const secret = CREDENTIAL_ENV[name];
                if (secret === undefined) problems.push(`${name} is not a credential this project uses`);
                else if (value !== `\${{ secrets.${secret} }}`) problems.push(`${name} must be \${{ secrets.${secret} }}`);
            }
        }
    }
    return problems;
}

describe("workflow files", () => {
    it("are the three expected workflows, each valid YAML with a name, triggers and jobs", () => {
        expect(files).toEqual(["preview.yml", "rotate-prod.yml", "rotation-reminder.yml"]);
        for (const [file, w] of Object.entries(workflows)) {
            expect(w.name, file).toEqual(expect.any(String));
            expect(Object.keys(w.on).length, file).toBeGreaterThan(0);
            expect(Object.keys(w.jobs).length, file).toBeGreaterThan(0);
            for (const job of Object.values(w.jobs)) {
                expect(job["runs-on"]).toBe("ubuntu-latest");
                expect(job.steps.length).toBeGreaterThan(0);
            }
        }
    });

    it("every workflow runs the README's test command after npm ci, on Node 20", () => {
        const testCommand = readmeTestCommand();
        expect(testCommand).toBe("npm test");
        for (const [file, w] of Object.entries(workflows)) {
            const testJobs = Object.values(w.jobs).filter((j) => runs(j).includes(testCommand));
            expect(testJobs.length, `${file} runs ${testCommand}`).toBeGreaterThan(0);
            for (const job of testJobs) {
                const r = runs(job);
                expect(r.indexOf("npm ci"), file).toBeGreaterThanOrEqual(0);
                expect(r.indexOf("npm ci"), file).toBeLessThan(r.indexOf(testCommand));
            }
            for (const job of Object.values(w.jobs)) {
                const node = job.steps.find((s) => s.uses?.startsWith("actions/setup-node@"));
                expect(node?.with?.["node-version"], file).toBe(20);
                // npm ci, never npm install: the lock file decides.
                expect(runs(job).some((r) => /^npm (i|install)\b/.test(r)), file).toBe(false);
            }
        }
    });

    it("pin every action to a major version, and use the official Pulumi action v6", () => {
        for (const [file, w] of Object.entries(workflows)) {
            for (const job of Object.values(w.jobs)) {
                for (const step of job.steps.filter((s) => s.uses)) {
                    expect(step.uses, file).toMatch(/^[\w.-]+\/[\w.-]+@v\d+$/);
                }
                for (const step of pulumiSteps(job)) expect(step.uses).toBe("pulumi/actions@v6");
            }
        }
        const used = new Set(Object.values(workflows).flatMap((w) => Object.values(w.jobs).flatMap((j) => j.steps.map((s) => s.uses).filter(Boolean))));
        expect([...used].sort()).toEqual(["actions/checkout@v4", "actions/setup-node@v4", "actions/upload-artifact@v4", "pulumi/actions@v6"]);
    });

    it("run the policy pack on every Pulumi command, against the configured backend", () => {
        let count = 0;
        for (const w of Object.values(workflows)) {
            for (const job of Object.values(w.jobs)) {
                for (const step of pulumiSteps(job)) {
                    count += 1;
                    expect(step.with?.policyPacks).toBe("policies");
                    expect(["preview", "up"]).toContain(step.with?.command);
                    expect(step.with?.["cloud-url"]).toBe("${{ vars.PULUMI_BACKEND_URL }}");
                    expect(step.env?.PULUMI_CONFIG_PASSPHRASE).toBe("${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
                    // The Pulumi program needs its dependencies (and the policy pack, a workspace) installed first.
                    const index = job.steps.indexOf(step);
                    expect(job.steps.slice(0, index).some((s) => s.run?.trim() === "npm ci")).toBe(true);
                    // A runner's local file backend forgets the state after every run: refuse to go on without a shared one.
                    const guard = job.steps.slice(0, index).find((s) => s.if === "vars.PULUMI_BACKEND_URL == ''");
                    expect(guard?.run).toMatch(/::error title=PULUMI_BACKEND_URL is not set::[\s\S]*\nexit 1\n?$/);
                }
            }
        }
        expect(count).toBe(4);
    });

    it("grant least privilege: nothing at the top, read-only contents per job, write only for the PR comment", () => {
        for (const [file, w] of Object.entries(workflows)) {
            expect(w.permissions, file).toEqual({});
            for (const [id, job] of Object.entries(w.jobs)) {
                expect(typeof job.permissions, `${file}:${id}`).toBe("object");
                const perms = job.permissions as Record<string, string>;
                expect(perms.contents, `${file}:${id}`).toBe("read");
                const writes = Object.entries(perms).filter(([, level]) => level === "write").map(([scope]) => scope);
                expect(writes, `${file}:${id}`).toEqual(file === "preview.yml" && id === "preview" ? ["pull-requests"] : []);
            }
        }
    });
});

describe("state backend", () => {
    it("every step that runs Pulumi gets PULUMI_BACKEND_URL from the repository variable", () => {
        for (const [file, w] of Object.entries(workflows)) expect(backendProblems(w), file).toEqual([]);
        const pulumiStepCount = Object.values(workflows).flatMap((w) => Object.values(w.jobs).flatMap((j) => j.steps.filter(runsPulumi))).length;
        expect(pulumiStepCount).toBe(4);
    });

    it("the check catches a Pulumi step that only has cloud-url, and a shell line running pulumi", () => {
        const bad = structuredClone(wf("rotate-prod.yml"));
        delete bad.jobs.up!.env;
        bad.jobs.preview!.steps.push({ run: "npx pulumi stack output --json", env: { PULUMI_BACKEND_URL: "file://~/.pulumi" } });
        expect(backendProblems(bad)).toEqual([
            expect.stringMatching(/^jobs\.preview\.steps\[\d+\] runs Pulumi without PULUMI_BACKEND_URL/),
            expect.stringMatching(/^jobs\.up\.steps\[\d+\] runs Pulumi without PULUMI_BACKEND_URL/),
        ]);
    });

    it("Pulumi.yaml's comment gives the CLI's real order (PULUMI_BACKEND_URL, then backend.url, then pulumi login)", () => {
        const project = readFileSync(join(ROOT, "Pulumi.yaml"), "utf8");
        expect(project).not.toMatch(/pulumi login[^\n]*\)?[^\n]*(still )?takes? precedence/);
        expect(project).toMatch(/PULUMI_BACKEND_URL/);
    });
});

describe("credentials", () => {
    it("appear only as whole ${{ secrets.NAME }} references, never as values", () => {
        for (const [file, w] of Object.entries(workflows)) expect(credentialProblems(w), file).toEqual([]);
    });

    it("the credential check catches an inlined value, a secret in a shell line and an unknown credential", () => {
        const bad = structuredClone(wf("rotate-prod.yml"));
        const step = pulumiSteps(bad.jobs.up!)[0]!;
        step.env!.HEROKU_API_KEY = "HRKU-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        step.env!.PULUMI_CONFIG_PASSPHRASE = "correct horse battery staple";
        step.env!.SLACK_TOKEN = "${{ secrets.SLACK_TOKEN }}";
        bad.jobs.up!.steps.push({ run: 'echo "${{ secrets.ANTHROPIC_ADMIN_API_KEY }}" > key.txt' });
        const problems = credentialProblems(bad);
        expect(problems).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/HEROKU_API_KEY.*looks like a credential value/),
                expect.stringMatching(/HEROKU_API_KEY must be \$\{\{ secrets\.HEROKU_API_KEY \}\}/),
                expect.stringMatching(/PULUMI_CONFIG_PASSPHRASE must be \$\{\{ secrets\.PULUMI_CONFIG_PASSPHRASE \}\}/),
                expect.stringMatching(/SLACK_TOKEN is not a credential this project uses/),
                expect.stringMatching(/steps\[\d+\]\.run uses a secret outside env/),
            ]),
        );
    });

    it("previews get no run-time credential: only the passphrase, the backend token and the GitHub token", () => {
        const previewJobs = [wf("preview.yml").jobs.preview!, wf("rotation-reminder.yml").jobs.preview!, wf("rotate-prod.yml").jobs.preview!];
        for (const job of previewJobs) {
            const env = Object.assign({}, ...job.steps.map((s) => s.env ?? {}));
            expect(Object.keys(env).sort()).toEqual(["GITHUB_TOKEN", "PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE"]);
            for (const name of RUN_TIME_CREDENTIALS) expect(env[name]).toBeUndefined();
        }
    });
});

describe("pull requests (preview.yml)", () => {
    const w = wf("preview.yml");

    it("trigger on pull requests only", () => {
        expect(Object.keys(w.on)).toEqual(["pull_request"]);
    });

    it("test first, then preview every stack with the policy pack and a PR comment", () => {
        expect(runs(w.jobs.test!)).toEqual(["npm ci", "npm test"]);
        const preview = w.jobs.preview!;
        expect(needsOf(preview)).toEqual(["test"]);
        expect(preview.strategy?.matrix?.stack).toEqual(STACKS);
        expect(STACKS).toEqual(["prod", "staging"]);
        expect(preview.strategy?.["fail-fast"]).toBe(false);
        const [step] = pulumiSteps(preview);
        expect(step?.with).toMatchObject({ command: "preview", "stack-name": "${{ matrix.stack }}", policyPacks: "policies", "comment-on-pr": true });
    });

    it("skip the preview for pull requests from forks (they get no secrets)", () => {
        expect(w.jobs.preview!.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
    });
});

describe("reminders and audit (rotation-reminder.yml)", () => {
    const w = wf("rotation-reminder.yml");
    const schedule = w.on.schedule as { cron: string }[];

    it("run daily, monthly for the audit, and on demand", () => {
        expect(Object.keys(w.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
        const crons = schedule.map((s) => s.cron.split(/\s+/));
        for (const fields of crons) {
            expect(fields).toHaveLength(5);
            const [minute, hour] = fields.map(Number);
            expect(minute).toBeGreaterThanOrEqual(0);
            expect(minute).toBeLessThan(60);
            expect(hour).toBeGreaterThanOrEqual(0);
            expect(hour).toBeLessThan(24);
        }
        const daily = crons.filter((f) => f[2] === "*" && f[3] === "*" && f[4] === "*");
        const monthly = crons.filter((f) => f[2] === "1" && f[3] === "*" && f[4] === "*");
        expect([daily.length, monthly.length]).toEqual([1, 1]);
    });

    it("preview every stack daily with the policy pack, whatever the test job says", () => {
        const preview = w.jobs.preview!;
        expect(needsOf(preview)).toEqual([]);
        expect(preview.if).toBeUndefined();
        expect(preview.strategy?.matrix?.stack).toEqual(STACKS);
        expect(pulumiSteps(preview)[0]?.with).toMatchObject({ command: "preview", "stack-name": "${{ matrix.stack }}", policyPacks: "policies" });
    });

    it("run npm run status daily without any credential (it fails the run when a key is overdue)", () => {
        const status = w.jobs.status!;
        expect(status.if).toBeUndefined();
        expect(runs(status)).toEqual(["npm ci", "npm run status -- --github"]);
        expect(status.steps.every((s) => s.env === undefined)).toBe(true);
        expect(status.steps.some((s) => s.with && JSON.stringify(s.with).includes("secrets."))).toBe(false);
    });

    it("run the live key audit monthly (or on demand) with the Admin API key only", () => {
        const audit = w.jobs.audit!;
        const monthly = schedule.find((s) => s.cron.split(/\s+/)[2] === "1")!.cron;
        expect(audit.if).toBe(`github.event.schedule == '${monthly}' || inputs.audit`);
        const step = audit.steps.find((s) => s.run?.startsWith("npm run status"))!;
        expect(step.run).toBe("npm run status -- --live --github");
        expect(step.env).toEqual({ ANTHROPIC_ADMIN_API_KEY: "${{ secrets.ANTHROPIC_ADMIN_API_KEY }}" });
        expect((w.on.workflow_dispatch as { inputs: Record<string, { type: string }> }).inputs.audit?.type).toBe("boolean");
    });
});

describe("manual prod rotation (rotate-prod.yml)", () => {
    const w = wf("rotate-prod.yml");

    it("is started by hand only, with a reason", () => {
        expect(Object.keys(w.on)).toEqual(["workflow_dispatch"]);
        const inputs = (w.on.workflow_dispatch as { inputs: Record<string, { required?: boolean }> }).inputs;
        expect(inputs.reason?.required).toBe(true);
    });

    it("tests, previews prod, then runs pulumi up behind the production environment approval", () => {
        expect(needsOf(w.jobs.preview!)).toEqual(["test"]);
        const up = w.jobs.up!;
        expect(needsOf(up)).toEqual(["preview"]);
        const environment = typeof up.environment === "string" ? up.environment : up.environment?.name;
        expect(environment).toBe("production");
        expect(up.if).toBe("github.ref == 'refs/heads/main'");
        const [step] = pulumiSteps(up);
        expect(step?.with).toMatchObject({ command: "up", "stack-name": "prod", policyPacks: "policies", message: "${{ inputs.reason }}" });
        expect(pulumiSteps(w.jobs.preview!)[0]?.with).toMatchObject({ command: "preview", "stack-name": "prod", policyPacks: "policies" });
        // Only the gated job runs `up`.
        for (const [id, job] of Object.entries(w.jobs)) if (id !== "up") expect(pulumiSteps(job).every((s) => s.with?.command !== "up")).toBe(true);
    });

    it("never runs two prod updates at once, and never cancels one", () => {
        expect(w.jobs.up!.concurrency).toEqual({ group: "pulumi-up-prod", "cancel-in-progress": false });
    });

    it("gives the up job every credential the rotation needs, by secret name", () => {
        const env = pulumiSteps(w.jobs.up!)[0]!.env!;
        expect(env).toEqual(Object.fromEntries(Object.entries(CREDENTIAL_ENV).map(([name, secret]) => [name, `\${{ secrets.${secret} }}`])));
    });

    it("keeps the audit entry of the run as an artifact", () => {
        const upload = w.jobs.up!.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
        expect(upload?.if).toBe("always()");
        expect(upload?.with?.path).toBe("audit/");
    });
});

describe("scripts the workflows call", () => {
    it("exist in package.json (the lead adds \"status\": \"ts-node --transpile-only tools/status/main.ts\")", () => {
        const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
        const used = new Set<string>();
        for (const w of Object.values(workflows)) {
            for (const job of Object.values(w.jobs)) for (const r of runs(job)) for (const m of r.matchAll(/npm run ([\w:-]+)/g)) used.add(m[1]!);
        }
        expect([...used]).toEqual(["status"]);
        for (const name of used) expect(scripts[name], `add to package.json "scripts": "status": "ts-node --transpile-only tools/status/main.ts"`).toBeDefined();
        expect(scripts.status).toMatch(/^ts-node (--transpile-only )?tools\/status\/main\.ts$/);
    });
});
