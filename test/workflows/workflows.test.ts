import { readdirSync, readFileSync } from "fs";
import { join } from "path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { findStackFiles } from "../../tools/status/stackInventory";

/**
 * The GitHub Actions workflows can only run on GitHub, so these tests read them as GitHub would (YAML) and
 * check what matters: triggers, jobs, the policy pack on every Pulumi step, the approval gate in front of
 * `pulumi up`, least-privilege permissions, that credentials only ever appear as `${{ secrets.NAME }}`, and
 * that production credentials are reachable only from main through the `production` environment (never from a
 * pull request's code).
 */

const ROOT = join(__dirname, "..", "..");
const DIR = join(ROOT, ".github", "workflows");

interface Step {
    id?: string;
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
/** The stack whose secrets live only in the `production` environment. */
const PROD_STACK = "prod";
const PRODUCTION_ENVIRONMENT = "production";
/** Credentials that exist only for production: the organisation's Admin key and the run-time credentials of `pulumi up`. */
const PRODUCTION_ONLY = ["ANTHROPIC_ADMIN_API_KEY", "HEROKU_API_KEY", "INFISICAL_CLIENT_ID", "INFISICAL_CLIENT_SECRET"];
/** Triggers that run code from a ref nobody has reviewed (a pull request's head). */
const UNTRUSTED_TRIGGERS = ["pull_request", "pull_request_target"];
const MAIN_ONLY = "github.ref == 'refs/heads/main'";

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
/** Not a rotation credential: the reminder webhooks of `npm run status` (a chat channel, no key). */
const REMINDER_ENV: Readonly<Record<string, string>> = { ANTHROPIC_KEY_ROTATION_WEBHOOKS: "ANTHROPIC_KEY_ROTATION_WEBHOOKS" };
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
                // The gh CLI gets the job's own token, which the job's permissions limit; never a stored secret.
                if (name === "GH_TOKEN") {
                    if (value !== "${{ github.token }}") problems.push("GH_TOKEN must be ${{ github.token }}");
                    continue;
                }
                const secret = CREDENTIAL_ENV[name] ?? REMINDER_ENV[name];
                if (secret === undefined) problems.push(`${name} is not a credential this project uses`);
                else if (value !== `\${{ secrets.${secret} }}`) problems.push(`${name} must be \${{ secrets.${secret} }}`);
            }
        }
    }
    return problems;
}

const environmentOf = (job: Job) => (typeof job.environment === "string" ? job.environment : job.environment?.name);
/** The secrets a job references anywhere (env, with, run), by name. */
const secretsOf = (job: Job) => [...new Set([...JSON.stringify(job).matchAll(/secrets\.([A-Za-z0-9_]+)/g)].map((m) => m[1]!))];
/** The stacks a job's Pulumi steps act on: a literal stack-name, or every value of its matrix. */
function stacksOf(job: Job): string[] {
    const out: string[] = [];
    for (const step of pulumiSteps(job)) {
        const name = String(step.with?.["stack-name"] ?? "");
        if (name === "${{ matrix.stack }}") out.push(...((job.strategy?.matrix?.stack as string[] | undefined) ?? []));
        else if (name) out.push(name);
    }
    return out;
}

/**
 * Every way a workflow could hand a production credential to code that is not reviewed or not on main. Rules:
 * a job of a pull-request workflow gets no secret and no environment (and pull_request_target is never used:
 * it runs with the base repository's secrets); any secret comes from an environment (no repository secrets);
 * the Admin key and the run-time credentials, and anything of the prod stack, only from `production`; a job in
 * `production` runs on main only, in a workflow no pull request or push can start.
 */
function secretScopeProblems(w: Workflow): string[] {
    const problems: string[] = [];
    const triggers = Object.keys(w.on);
    const untrusted = triggers.filter((t) => UNTRUSTED_TRIGGERS.includes(t));
    if (triggers.includes("pull_request_target")) problems.push("on.pull_request_target runs a pull request with the repository's secrets");
    for (const [id, job] of Object.entries(w.jobs)) {
        const where = `jobs.${id}`;
        const environment = environmentOf(job);
        const secrets = secretsOf(job);
        if (untrusted.length) {
            if (secrets.length) problems.push(`${where} runs on ${untrusted.join("/")} with secrets ${secrets.join(", ")}`);
            if (environment !== undefined) problems.push(`${where} runs on ${untrusted.join("/")} in environment ${environment}`);
            if (pulumiSteps(job).length) problems.push(`${where} runs on ${untrusted.join("/")} and runs Pulumi against a real stack`);
        }
        if (secrets.length && environment === undefined) problems.push(`${where} reads ${secrets.join(", ")} as repository secrets, outside any environment`);
        const production = environment === PRODUCTION_ENVIRONMENT;
        const prodOnly = secrets.filter((name) => PRODUCTION_ONLY.includes(name));
        if (prodOnly.length && !production) problems.push(`${where} reads ${prodOnly.join(", ")} outside the ${PRODUCTION_ENVIRONMENT} environment`);
        if (stacksOf(job).includes(PROD_STACK) && !production) problems.push(`${where} acts on the ${PROD_STACK} stack outside the ${PRODUCTION_ENVIRONMENT} environment`);
        if (production) {
            if (!String(job.if ?? "").includes(MAIN_ONLY)) problems.push(`${where} runs in ${PRODUCTION_ENVIRONMENT} without ${MAIN_ONLY} in its if`);
            const unsafe = triggers.filter((t) => !["workflow_dispatch", "schedule"].includes(t));
            if (unsafe.length) problems.push(`${where} runs in ${PRODUCTION_ENVIRONMENT} in a workflow started by ${unsafe.join(", ")}`);
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
                // Every job that runs npm sets up Node 20 first (a job that only calls gh needs no Node).
                if (!runs(job).some((r) => /\bnpm\b/.test(r))) continue;
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
        expect([...used].sort()).toEqual(["actions/checkout@v4", "actions/download-artifact@v4", "actions/setup-node@v4", "actions/upload-artifact@v4", "pulumi/actions@v6"]);
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
        expect(count).toBe(3);
    });

    it("grant least privilege: nothing at the top, read-only contents per job, writes only where the audit pull request is opened", () => {
        for (const [file, w] of Object.entries(workflows)) {
            expect(w.permissions, file).toEqual({});
            for (const [id, job] of Object.entries(w.jobs)) {
                expect(typeof job.permissions, `${file}:${id}`).toBe("object");
                const perms = job.permissions as Record<string, string>;
                const auditTrail = file === "rotate-prod.yml" && id === "audit-trail";
                expect(perms.contents, `${file}:${id}`).toBe(auditTrail ? "write" : "read");
                const writes = Object.entries(perms).filter(([, level]) => level === "write").map(([scope]) => scope);
                expect(writes, `${file}:${id}`).toEqual(auditTrail ? ["contents", "pull-requests"] : []);
            }
        }
    });
});

describe("state backend", () => {
    it("every step that runs Pulumi gets PULUMI_BACKEND_URL from the repository variable", () => {
        for (const [file, w] of Object.entries(workflows)) expect(backendProblems(w), file).toEqual([]);
        const pulumiStepCount = Object.values(workflows).flatMap((w) => Object.values(w.jobs).flatMap((j) => j.steps.filter(runsPulumi))).length;
        expect(pulumiStepCount).toBe(3);
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
        const previewJobs = [wf("rotation-reminder.yml").jobs.preview!, wf("rotate-prod.yml").jobs.preview!];
        for (const job of previewJobs) {
            const env = Object.assign({}, ...job.steps.map((s) => s.env ?? {}));
            expect(Object.keys(env).sort()).toEqual(["GITHUB_TOKEN", "PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE"]);
            for (const name of RUN_TIME_CREDENTIALS) expect(env[name]).toBeUndefined();
        }
    });
});

describe("production credentials (every workflow)", () => {
    it("reach only jobs of the production environment, on main, in workflows no pull request or push starts", () => {
        for (const [file, w] of Object.entries(workflows)) expect(secretScopeProblems(w), file).toEqual([]);
        const production = Object.entries(workflows).flatMap(([file, w]) =>
            Object.entries(w.jobs)
                .filter(([, j]) => environmentOf(j) === PRODUCTION_ENVIRONMENT)
                .map(([id]) => `${file}:${id}`),
        );
        expect(production.sort()).toEqual(["rotate-prod.yml:preview", "rotate-prod.yml:up", "rotation-reminder.yml:audit"]);
    });

    it("the check catches a secret in a pull request's job, a repository secret, production credentials elsewhere and an unguarded production job", () => {
        const pr = structuredClone(wf("preview.yml"));
        pr.jobs.rehearse!.steps.push({ run: "npm run rehearse", env: { PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}" } });
        pr.jobs.status!.environment = "production";
        (pr.on as Record<string, unknown>).pull_request_target = {};
        expect(secretScopeProblems(pr)).toEqual(
            expect.arrayContaining([
                "on.pull_request_target runs a pull request with the repository's secrets",
                "jobs.rehearse runs on pull_request/pull_request_target with secrets PULUMI_CONFIG_PASSPHRASE",
                "jobs.rehearse reads PULUMI_CONFIG_PASSPHRASE as repository secrets, outside any environment",
                "jobs.status runs on pull_request/pull_request_target in environment production",
                expect.stringMatching(/^jobs\.status runs in production in a workflow started by pull_request, pull_request_target$/),
            ]),
        );

        const rotate = structuredClone(wf("rotate-prod.yml"));
        delete rotate.jobs.preview!.environment;
        delete rotate.jobs.up!.if;
        expect(secretScopeProblems(rotate)).toEqual([
            expect.stringMatching(/^jobs\.preview reads .*PULUMI_CONFIG_PASSPHRASE.* as repository secrets, outside any environment$/),
            "jobs.preview acts on the prod stack outside the production environment",
            `jobs.up runs in production without ${MAIN_ONLY} in its if`,
        ]);

        const reminder = structuredClone(wf("rotation-reminder.yml"));
        reminder.jobs.preview!.strategy!.matrix!.stack = [...STACKS];
        reminder.jobs.audit!.environment = "staging";
        expect(secretScopeProblems(reminder)).toEqual([
            "jobs.preview acts on the prod stack outside the production environment",
            "jobs.audit reads ANTHROPIC_ADMIN_API_KEY outside the production environment",
        ]);
    });
});

describe("pull requests (preview.yml)", () => {
    const w = wf("preview.yml");

    it("trigger on pull requests only", () => {
        expect(Object.keys(w.on)).toEqual(["pull_request"]);
    });

    it("test, then rehearse the rotation against the sandbox emulators, and report key ages: no secret, no environment, no real stack", () => {
        expect(runs(w.jobs.test!)).toEqual(["npm ci", "npm test"]);
        expect(needsOf(w.jobs.rehearse!)).toEqual(["test"]);
        expect(runs(w.jobs.rehearse!)).toEqual(["npm ci", "npm run rehearse -- --harness"]);
        expect(runs(w.jobs.status!)).toEqual(["npm ci", "npm run status -- --github"]);
        // The parsed workflow (comments aside) names no secret, no environment and no Pulumi action.
        expect(JSON.stringify(w)).not.toMatch(/secrets\.|"environment"|pulumi\/actions/);
        for (const job of Object.values(w.jobs)) {
            expect(pulumiSteps(job)).toEqual([]);
            // The checkout leaves no token behind for the pull request's code.
            expect(job.steps.find((s) => s.uses?.startsWith("actions/checkout@"))?.with?.["persist-credentials"]).toBe(false);
        }
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

    it("preview every non-production stack daily with the policy pack, each in its own environment, whatever the test job says", () => {
        const preview = w.jobs.preview!;
        expect(needsOf(preview)).toEqual([]);
        expect(preview.if).toBeUndefined();
        expect(STACKS).toEqual(["prod", "staging"]);
        expect(preview.strategy?.matrix?.stack).toEqual(STACKS.filter((s) => s !== PROD_STACK));
        expect(preview.environment).toBe("${{ matrix.stack }}");
        expect(pulumiSteps(preview)[0]?.with).toMatchObject({ command: "preview", "stack-name": "${{ matrix.stack }}", policyPacks: "policies" });
    });

    it("run npm run status daily without any credential, only the reminder webhooks from their own environment (it fails the run when a key is overdue)", () => {
        const status = w.jobs.status!;
        expect(status.if).toBeUndefined();
        expect(runs(status)).toEqual(["npm ci", "npm run status -- --github"]);
        expect(environmentOf(status)).toBe("notifications");
        expect(secretsOf(status)).toEqual(["ANTHROPIC_KEY_ROTATION_WEBHOOKS"]);
        const step = status.steps.find((s) => s.run === "npm run status -- --github")!;
        expect(step.env).toEqual({ ANTHROPIC_KEY_ROTATION_WEBHOOKS: "${{ secrets.ANTHROPIC_KEY_ROTATION_WEBHOOKS }}" });
        expect(status.steps.some((s) => s.with && JSON.stringify(s.with).includes("secrets."))).toBe(false);
    });

    it("run the live key audit monthly (or on demand) with the Admin API key and the reminder webhooks only", () => {
        const audit = w.jobs.audit!;
        const monthly = schedule.find((s) => s.cron.split(/\s+/)[2] === "1")!.cron;
        expect(audit.if).toBe(`(github.event.schedule == '${monthly}' || inputs.audit) && ${MAIN_ONLY}`);
        expect(environmentOf(audit)).toBe(PRODUCTION_ENVIRONMENT);
        const step = audit.steps.find((s) => s.run?.startsWith("npm run status"))!;
        expect(step.run).toBe("npm run status -- --live --github");
        expect(step.env).toEqual({
            ANTHROPIC_ADMIN_API_KEY: "${{ secrets.ANTHROPIC_ADMIN_API_KEY }}",
            ANTHROPIC_KEY_ROTATION_WEBHOOKS: "${{ secrets.ANTHROPIC_KEY_ROTATION_WEBHOOKS }}",
        });
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

    it("tests, previews prod, then runs pulumi up, each Pulumi job on main behind the production environment", () => {
        expect(needsOf(w.jobs.preview!)).toEqual(["test", "audit-merged"]);
        expect(environmentOf(w.jobs.preview!)).toBe(PRODUCTION_ENVIRONMENT);
        expect(w.jobs.preview!.if).toBe(MAIN_ONLY);
        expect(secretsOf(w.jobs.test!)).toEqual([]);
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

    it("hands the run's audit log, success or failure, to the audit-trail job as an artifact", () => {
        const upload = w.jobs.up!.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
        expect(upload?.if).toBe("always()");
        expect(upload?.with).toMatchObject({ path: "audit/rotations.jsonl", "if-no-files-found": "error", name: "rotation-audit-prod-${{ github.run_id }}" });
    });

    it("commits the audit lines through a pull request, with the workflow's own token and no production secret", () => {
        const job = w.jobs["audit-trail"]!;
        expect(needsOf(job)).toEqual(["up"]);
        expect(job.if).toBe(`always() && needs.up.result != 'skipped' && ${MAIN_ONLY}`);
        expect(environmentOf(job)).toBeUndefined();
        expect(secretsOf(job)).toEqual([]);
        expect(job.steps.find((s) => s.uses?.startsWith("actions/checkout@"))?.with?.ref).toBe("main");
        const download = job.steps.find((s) => s.uses?.startsWith("actions/download-artifact@"));
        const upload = w.jobs.up!.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
        expect(download?.with?.name).toBe(upload?.with?.name);
        const merge = job.steps.find((s) => s.run?.includes("npm run -s audit-trail"))!;
        expect(merge.run).toMatch(/--from "\$RUNNER_TEMP\/runner-audit\/rotations\.jsonl" --into audit\/rotations\.jsonl .*>> "\$GITHUB_OUTPUT"$/);
        const open = job.steps.find((s) => s.run?.includes("gh pr create"))!;
        expect(open.if).toBe(`steps.${merge.id ?? "merge"}.outputs.added != '0'`);
        expect(open.env).toEqual({ GH_TOKEN: "${{ github.token }}" });
        expect(open.run).toMatch(/branch="audit\/prod-\$GITHUB_RUN_ID"/);
        expect(open.run).toMatch(/git add audit\/rotations\.jsonl\n/);
        expect(open.run).toMatch(/gh pr create --base main --head "\$branch"/);
    });

    it("does not start while an audit pull request is open: rollback detection reads the committed trail", () => {
        const guard = w.jobs["audit-merged"]!;
        expect(secretsOf(guard)).toEqual([]);
        expect(guard.permissions).toEqual({ contents: "read", "pull-requests": "read" });
        const [step] = guard.steps;
        expect(step!.env).toEqual({ GH_TOKEN: "${{ github.token }}" });
        expect(step!.run).toMatch(/gh pr list --repo "\$GITHUB_REPOSITORY" --state open .*startswith\("audit\/prod-"\)/);
        expect(step!.run).toMatch(/exit 1/);
        expect(needsOf(w.jobs.preview!)).toContain("audit-merged");
    });
});

describe("scripts the workflows call", () => {
    it("exist in package.json (the lead adds \"status\": \"ts-node --transpile-only tools/status/main.ts\")", () => {
        const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
        const used = new Set<string>();
        for (const w of Object.values(workflows)) {
            for (const job of Object.values(w.jobs)) for (const r of runs(job)) for (const m of r.matchAll(/npm run (?:-s )?([\w:-]+)/g)) used.add(m[1]!);
        }
        expect([...used].sort()).toEqual(["audit-trail", "rehearse", "status"]);
        for (const name of used) expect(scripts[name], `add to package.json "scripts": "status": "ts-node --transpile-only tools/status/main.ts"`).toBeDefined();
        expect(scripts.status).toMatch(/^ts-node (--transpile-only )?tools\/status\/main\.ts$/);
    });
});
