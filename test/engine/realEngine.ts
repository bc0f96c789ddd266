/**
 * The real-engine suite's fixture: the sandbox emulators, a throw-away copy of the project whose sandbox stack
 * points at them, and a PulumiSession running the real CLI (the toolchain from `npm run toolchain`, else a
 * `pulumi` on PATH) with a network guard that records any attempt to reach an address other than loopback.
 * Every command's output, every event log and the exported state are kept for the leak scan.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parse, stringify } from "yaml";
import { Sandbox, SANDBOX_STACK } from "../../offline/harness/sandbox";
import { PROJECT_ROOT } from "../../offline/harness/providerHost";
import { makeProject } from "../../tools/rehearse/cliRunner";
import { ENABLE_HINT, LocatedCli, locatePulumi } from "../../tools/toolchain/locate";
import { NetworkGuard } from "../../tools/toolchain/networkGuard";
import { CliResult, PulumiSession } from "../../tools/toolchain/session";

export const PROJECT = "anthropic-key-rotation";

/** The CLI to test with, or why the suite is skipped; with AKR_REQUIRE_REAL_ENGINE=1 (CI) a missing CLI fails. */
export function realEngineAvailability(): { cli?: LocatedCli; required: boolean } {
    const cli = locatePulumi();
    const required = process.env.AKR_REQUIRE_REAL_ENGINE === "1";
    if (!cli && !required) process.stderr.write(`\n${ENABLE_HINT}\n`);
    return { cli, required };
}

export function requireCli(cli: LocatedCli | undefined): LocatedCli {
    if (!cli) {
        throw new Error("AKR_REQUIRE_REAL_ENGINE=1 but no Pulumi CLI was found: `npm run toolchain` must run first (see .ci/run).");
    }
    return cli;
}

export interface RunRecord {
    readonly args: readonly string[];
    readonly result: CliResult;
}

export class EngineStack {
    readonly runs: RunRecord[] = [];
    readonly eventLogs: string[] = [];
    private eventSeq = 0;

    private constructor(
        readonly sb: Sandbox,
        readonly session: PulumiSession,
        readonly guard: NetworkGuard,
        readonly dir: string,
        readonly project: string,
        readonly stack: string,
    ) {}

    static async start(cli: LocatedCli, options: { config?: Record<string, unknown>; stack?: string } = {}): Promise<EngineStack> {
        const sb = await Sandbox.start();
        const guard = new NetworkGuard();
        await guard.start();
        const dir = mkdtempSync(join(tmpdir(), "akr-engine-"));
        const stackName = options.stack ?? SANDBOX_STACK;
        // Health checks get a generous time limit: on a loaded machine the limit must not decide a test's outcome.
        const healthChecks = (sb.config().healthChecks as Record<string, unknown>[]).map((c) => ({ ...c, timeoutSeconds: 300 }));
        const project = makeProject(dir, sb.config({ auditLog: join(dir, "audit", "rotations.jsonl"), healthChecks, ...options.config }), stackName);
        const session = await PulumiSession.create({ dir, cli, env: { ...sb.providerEnv(), ...guard.env() } });
        const stack = new EngineStack(sb, session, guard, dir, project, stackName);
        const init = await stack.run(["stack", "init", "--secrets-provider", "passphrase"]);
        if (init.code !== 0) throw new Error(`pulumi stack init failed: ${init.stderr}${init.stdout}`);
        return stack;
    }

    get stackFile(): string {
        return join(this.project, `Pulumi.${this.stack}.yaml`);
    }

    get auditFile(): string {
        return join(this.dir, "audit", "rotations.jsonl");
    }

    /** Runs the CLI in the project with `--stack` and `--non-interactive`; the result is kept for the leak scan. */
    async run(args: readonly string[], options: { stdin?: string; onStdout?: Parameters<PulumiSession["exec"]>[1]["onStdout"] } = {}): Promise<CliResult> {
        const full = [...args, "--stack", this.stack, "--non-interactive"];
        const result = await this.session.exec(full, { cwd: this.project, stdin: options.stdin, onStdout: options.onStdout });
        this.runs.push({ args: full, result });
        return result;
    }

    /** `pulumi config set --secret apiKey` with the key on stdin, as the runbook says. */
    async setKey(key: string): Promise<void> {
        const set = await this.run(["config", "set", "--secret", "apiKey"], { stdin: key });
        if (set.code !== 0) throw new Error(`pulumi config set --secret apiKey failed: ${set.stderr}`);
    }

    /** Changes stack config (not the key), keeping the encrypted apiKey the CLI wrote. */
    setConfig(values: Record<string, unknown>): void {
        const doc = parse(readFileSync(this.stackFile, "utf8")) as { config: Record<string, unknown> };
        for (const [k, v] of Object.entries(values)) {
            const name = k.includes(":") ? k : `${PROJECT}:${k}`;
            if (v === undefined) delete doc.config[name];
            else doc.config[name] = v;
        }
        writeFileSync(this.stackFile, stringify(doc));
    }

    config(name: string): unknown {
        const doc = parse(readFileSync(this.stackFile, "utf8")) as { config: Record<string, unknown> };
        return doc.config[name.includes(":") ? name : `${PROJECT}:${name}`];
    }

    private nextEventLog(verb: string): string {
        const file = join(this.dir, `${++this.eventSeq}-${verb}.events.jsonl`);
        this.eventLogs.push(file);
        return file;
    }

    preview(extra: readonly string[] = []): Promise<CliResult> {
        return this.run(["preview", "--diff", "--event-log", this.nextEventLog("preview"), ...extra]);
    }

    up(extra: readonly string[] = [], options: { onStdout?: Parameters<PulumiSession["exec"]>[1]["onStdout"] } = {}): Promise<CliResult> {
        return this.run(["up", "--yes", "--skip-preview", "--event-log", this.nextEventLog("up"), ...extra], options);
    }

    refresh(extra: readonly string[] = []): Promise<CliResult> {
        return this.run(["refresh", "--yes", "--skip-preview", "--event-log", this.nextEventLog("refresh"), ...extra]);
    }

    destroy(extra: readonly string[] = []): Promise<CliResult> {
        return this.run(["destroy", "--yes", "--skip-preview", "--event-log", this.nextEventLog("destroy"), ...extra]);
    }

    policyArgs(): string[] {
        return ["--policy-pack", join(PROJECT_ROOT, "policies")];
    }

    /** `pulumi stack export` (secrets stay encrypted, as stored). */
    async exportState(): Promise<{ text: string; deployment: { resources?: { urn: string; type: string; outputs?: Record<string, unknown>; inputs?: Record<string, unknown>; retainOnDelete?: boolean }[] } }> {
        const exported = await this.run(["stack", "export"]);
        if (exported.code !== 0) throw new Error(`pulumi stack export failed: ${exported.stderr}`);
        return { text: exported.stdout, deployment: (JSON.parse(exported.stdout) as { deployment: never }).deployment };
    }

    async outputs(): Promise<Record<string, unknown>> {
        const out = await this.run(["stack", "output", "--json"]);
        return JSON.parse(out.stdout) as Record<string, unknown>;
    }

    /** Everything the CLI produced: every command's stdout and stderr, every event log. */
    artifacts(): { name: string; text: string }[] {
        const texts = this.runs.map((r, i) => ({ name: `run ${i} pulumi ${r.args.slice(0, 2).join(" ")}`, text: `${r.result.stdout}\n${r.result.stderr}` }));
        for (const file of this.eventLogs) {
            try {
                texts.push({ name: file, text: readFileSync(file, "utf8") });
            } catch {
                /* a run that stopped before writing its log */
            }
        }
        return texts;
    }

    /**
     * The leak scan: every command's output and event log, the stack export, the audit log and the emulators'
     * request logs (without the headers and bodies built to carry credentials) must hold no key, no credential
     * and no sk-ant- string.
     */
    async leaks(keys: readonly string[]): Promise<string[]> {
        const state = await this.exportState();
        const emulatorLogs = this.sb.servers.map((s) => ({
            name: `emulator ${s.name} log`,
            text: JSON.stringify(s.requests.map((r) => ({ ...r, headers: undefined, body: undefined, json: undefined }))),
        }));
        const artifacts = [...this.artifacts(), { name: "stack export", text: state.text }, ...(existsSync(this.auditFile) ? [{ name: "audit log", text: readFileSync(this.auditFile, "utf8") }] : []), ...emulatorLogs];
        return findLeaks(artifacts, secretsOf(this.sb, keys));
    }

    async dispose(): Promise<void> {
        await this.guard.stop();
        await this.sb.stop();
        rmSync(this.dir, { recursive: true, force: true });
    }
}

/**
 * The end of every engine scenario: the CLI reached no address but 127.0.0.1, and no key, credential or sk-ant-
 * text is in anything it printed or stored (see EngineStack.leaks).
 */
export async function traceProblems(stack: EngineStack, keys: readonly string[]): Promise<string[]> {
    return [...stack.guard.attempts.map((a) => `tried to reach ${a.method} ${a.target}`), ...(await stack.leaks(keys))];
}

/** Every credential and key a test used: none may appear in any artifact. */
export function secretsOf(sb: Sandbox, keys: readonly string[]): string[] {
    return [sb.adminKey, sb.heroku.token, sb.infisical.clientSecret, sb.github.token, ...keys];
}

export function findLeaks(artifacts: readonly { name: string; text: string }[], secrets: readonly string[]): string[] {
    const leaks: string[] = [];
    for (const a of artifacts) {
        for (const s of secrets) if (s && a.text.includes(s)) leaks.push(`${a.name}: contains a secret (…${s.slice(-4)})`);
        if (/sk-ant-[A-Za-z0-9_-]{8,}/.test(a.text)) leaks.push(`${a.name}: contains an sk-ant- string`);
    }
    return leaks;
}
