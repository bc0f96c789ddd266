import { existsSync, mkdtempSync, readFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { expect } from "vitest";
import type { AuditRecord } from "../../components/audit/auditLog";
import { rehearse, RehearsalOptions, RehearsalRun } from "../../offline/harness/rehearsal";
import { Sandbox, SandboxKey, SandboxOptions, UNRELATED_VARS } from "../../offline/harness/sandbox";
import type { Artifact } from "../support/leakScan";
import { ProviderHost } from "../../offline/harness/providerHost";

/**
 * One operator's sandbox for end-to-end tests: the emulated services, a state file carried between runs (the
 * stack's checkpoint) and an audit log of its own. Each `up` runs the real program through the real
 * provider host, as `pulumi up` would.
 */
export class Scenario {
    readonly runs: RehearsalRun[] = [];
    readonly dir = mkdtempSync(join(tmpdir(), "akr-e2e-"));
    readonly statePath = join(this.dir, "state.json");
    readonly auditLog = join(this.dir, "audit", "rotations.jsonl");
    /**
     * One real dynamic provider host per provider environment, kept for the scenario's runs the way one engine
     * process serves a deployment (a fresh host per run would cost ~0.8 s of CPU for nothing).
     */
    private readonly hosts = new Map<string, Promise<ProviderHost>>();

    private constructor(readonly sandbox: Sandbox) {}

    static async start(options: SandboxOptions = {}): Promise<Scenario> {
        return new Scenario(await Sandbox.start(options));
    }

    async stop(): Promise<void> {
        const hosts = await Promise.all(this.hosts.values());
        await Promise.all(hosts.map((h) => h.stop()));
        await this.sandbox.stop();
    }

    private readonly hostsStarted: ProviderHost[] = [];

    private host(env: Record<string, string>): Promise<ProviderHost> {
        const signature = JSON.stringify(env);
        let host = this.hosts.get(signature);
        if (!host) {
            host = ProviderHost.start({ env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env } }).then((h) => {
                this.hostsStarted.push(h);
                return h;
            });
            this.hosts.set(signature, host);
        }
        return host;
    }

    /** "Creates the key in the Console" (registers it with the Anthropic emulator). */
    createKey(options?: Parameters<Sandbox["createKey"]>[0]): SandboxKey {
        return this.sandbox.createKey(options);
    }

    async up(
        key: string,
        options: { config?: Record<string, unknown>; env?: Record<string, string>; preview?: boolean; policies?: boolean } & Pick<RehearsalOptions, "policyConfig" | "secretConfig"> = {},
    ): Promise<RehearsalRun> {
        const providerEnv = this.sandbox.providerEnv(options.env);
        const run = await rehearse({
            stack: "sandbox",
            apiKey: key,
            config: this.sandbox.config({ auditLog: this.auditLog, ...options.config }),
            secretConfig: options.secretConfig,
            providerEnv,
            providerHostPort: (await this.host(providerEnv)).port,
            preview: options.preview,
            statePath: this.statePath,
            policyPack: options.policies ? "policies" : undefined,
            policyConfig: options.policyConfig,
        });
        this.runs.push(run);
        return run;
    }

    /** `up` that must succeed; shows the run's error and stderr otherwise. */
    async upOk(key: string, options: Parameters<Scenario["up"]>[1] = {}): Promise<RehearsalRun> {
        const run = await this.up(key, options);
        expect(run.error, `${run.error}\n${run.stderr}`).toBeUndefined();
        expect(run.exitCode).toBe(0);
        return run;
    }

    auditRecords(): AuditRecord[] {
        if (!existsSync(this.auditLog)) return [];
        return readFileSync(this.auditLog, "utf8")
            .split("\n")
            .filter((l) => l.length > 0)
            .map((l) => JSON.parse(l) as AuditRecord);
    }

    /** Every write any consumer received (Heroku config-var PATCHes, Infisical secret writes), in order. */
    consumerWrites(): { emulator: string; method: string; path: string; seq: number }[] {
        const heroku = this.sandbox.heroku.server.requests.filter((r) => r.method === "PATCH");
        const infisical = this.sandbox.infisical.server.requests.filter((r) => r.path.startsWith("/api/v3/secrets") && (r.method === "POST" || r.method === "PATCH"));
        return [...heroku, ...infisical].map((r) => ({ emulator: r.emulator, method: r.method, path: r.path, seq: r.seq })).sort((a, b) => a.seq - b.seq);
    }

    /** The value each emulated consumer holds now, by label. */
    consumerValues(): Record<string, string | undefined> {
        const out: Record<string, string | undefined> = {};
        const { herokuApps } = this.sandbox.targets();
        for (const app of herokuApps) {
            const vars = this.sandbox.heroku.configVars(app);
            for (const [name, value] of Object.entries(vars)) if (name.startsWith("ANTHROPIC_API_KEY")) out[`heroku ${app} ${name}`] = value;
        }
        out["infisical ANTHROPIC_API_KEY"] = this.sandbox.infisical.currentValue({
            projectId: "raxx-sandbox-project",
            environment: "sandbox",
            secretPath: "/anthropic",
            secretName: "ANTHROPIC_API_KEY",
        });
        return out;
    }

    /** Every consumer holds exactly `key`, and the apps' other config vars are intact byte for byte. */
    expectConsumersHold(key: string): void {
        const values = this.consumerValues();
        expect(Object.keys(values).length).toBeGreaterThanOrEqual(4);
        for (const [label, value] of Object.entries(values)) expect(value === key, `${label} holds the expected key`).toBe(true);
        this.expectUnrelatedVarsIntact();
    }

    expectUnrelatedVarsIntact(): void {
        for (const app of this.sandbox.targets().herokuApps) {
            const vars = this.sandbox.heroku.configVars(app);
            for (const [name, value] of Object.entries(UNRELATED_VARS)) expect(vars[name], `${app} ${name}`).toBe(value);
        }
    }

    /** Everything the runs produced, for leak scans. */
    artifacts(): Artifact[] {
        const out: Artifact[] = [];
        this.runs.forEach((run, i) => {
            const { stdout, stderr, ...result } = run;
            out.push({ name: `run ${i} stdout`, text: stdout }, { name: `run ${i} stderr`, text: stderr }, { name: `run ${i} result`, text: JSON.stringify(result) });
            out.push({ name: `run ${i} provider host stderr`, text: run.providerHostStderr });
            for (const [j, text] of run.providerTexts.entries()) out.push({ name: `run ${i} provider text ${j}`, text });
        });
        for (const [i, host] of [...this.hostsStarted].entries()) {
            out.push({ name: `provider host ${i} stdout`, text: host.stdout }, { name: `provider host ${i} stderr`, text: host.stderr });
        }
        if (existsSync(this.statePath)) out.push({ name: "state file", text: readFileSync(this.statePath, "utf8") });
        if (existsSync(this.auditLog)) out.push({ name: "audit log", text: readFileSync(this.auditLog, "utf8") });
        out.push(...this.sandbox.requestLogArtifacts());
        return out;
    }
}

/** The step of a run for a resource type (last one when there are several). */
export function stepOf(run: RehearsalRun, typeSuffix: string): RehearsalRun["steps"][number] | undefined {
    return [...run.steps].reverse().find((s) => s.type.endsWith(typeSuffix));
}
