import { readFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";
import { formatIsoDate, utcToday } from "../../components/domain/dates";
import { AnthropicEmulator, AnthropicEmulatorOptions, EmulatedKey, KeyOptions } from "../emulators/anthropicEmulator";
import { GithubEmulator } from "../emulators/githubEmulator";
import { HealthEmulator } from "../emulators/healthEmulator";
import { HerokuEmulator } from "../emulators/herokuEmulator";
import { InfisicalEmulator } from "../emulators/infisicalEmulator";
import type { LoopbackServer } from "../emulators/loopbackServer";
import type { Artifact } from "./harnessTypes";
import { makeAdminKey, makeApiKey } from "../emulators/keys";
import { PROJECT_ROOT } from "./providerHost";

/**
 * Every external API of a rotation, emulated on 127.0.0.1 and seeded to match Pulumi.sandbox.yaml: the
 * Anthropic API (with the Admin API), Heroku with two apps that already carry other config vars, an
 * Infisical project, GitHub and the consumer's health endpoint. It hands out the provider environment
 * (credentials, retry bounds) and the config overrides that point the stack at the emulators.
 */

export const SANDBOX_STACK = "sandbox";
export const HEALTH_PATH = "/api/agents/health";

/** Other config vars the Heroku apps already hold: they must survive every rotation byte for byte. */
export const UNRELATED_VARS: Readonly<Record<string, string>> = {
    DATABASE_URL: "postgres://u:p@db.internal:5432/raxx?sslmode=require",
    FEATURE_FLAGS: '{"agents":true,"beta":["a","b"]}',
    MOTD: "héllo wörld ✓\nsecond line",
    EMPTY: "",
};

export interface SandboxOptions {
    /** Emulated latency per API call, ms (benchmarks). */
    readonly latencyMs?: number;
    /** Heroku apps to seed; defaults to the sandbox stack file's. */
    readonly herokuApps?: readonly string[];
    /** Options of the Anthropic emulator (e.g. a revocation propagation delay). */
    readonly anthropic?: AnthropicEmulatorOptions;
}

export interface SandboxKey extends EmulatedKey {}

export class Sandbox {
    readonly anthropic: AnthropicEmulator;
    readonly heroku = new HerokuEmulator();
    readonly infisical = new InfisicalEmulator();
    readonly github = new GithubEmulator();
    readonly health = new HealthEmulator();
    readonly adminKey = makeAdminKey();
    readonly stackFile = join(PROJECT_ROOT, `Pulumi.${SANDBOX_STACK}.yaml`);
    private readonly stack = parse(readFileSync(this.stackFile, "utf8")) as { config: Record<string, unknown> };

    get servers(): LoopbackServer[] {
        return [this.anthropic.server, this.heroku.server, this.infisical.server, this.github.server, this.health.server];
    }

    private constructor(options: SandboxOptions) {
        this.anthropic = new AnthropicEmulator(options.anthropic);
    }

    static async start(options: SandboxOptions = {}): Promise<Sandbox> {
        const sandbox = new Sandbox(options);
        await Promise.all([sandbox.anthropic.start(), sandbox.heroku.start(), sandbox.infisical.start(), sandbox.github.start(), sandbox.health.start()]);
        sandbox.seed(options);
        for (const s of sandbox.servers) s.latencyMs = options.latencyMs ?? 0;
        return sandbox;
    }

    async stop(): Promise<void> {
        await Promise.all(this.servers.map((s) => s.stop()));
    }

    /**
     * The day the sandbox started (UTC). Every key it creates and every config it hands out carries this date, so
     * a scenario that runs across midnight UTC does not name its keys by one day and its stack by the next.
     */
    readonly today = formatIsoDate(utcToday());

    /** The Console name for the sandbox key, dated the day the sandbox started. */
    keyName(date: string = this.today): string {
        return `raxx-sandbox-agents-${date}`;
    }

    /** "Creates a key in the Console": registers a fresh key with the Anthropic emulator and returns it. */
    createKey(
        options: Pick<KeyOptions, "expiresAt" | "principal" | "createdBy"> & { name?: string; status?: "active" | "inactive" | "archived"; workspaceId?: string | null; value?: string } = {},
    ): SandboxKey {
        return this.anthropic.addKey({
            value: options.value ?? makeApiKey(),
            name: options.name ?? this.keyName(),
            workspaceId: options.workspaceId === undefined ? "wrkspc_01RaxxSandbox" : options.workspaceId,
            status: options.status ?? "active",
            ...(options.expiresAt !== undefined ? { expiresAt: options.expiresAt } : {}),
            ...(options.principal !== undefined ? { principal: options.principal } : {}),
            ...(options.createdBy !== undefined ? { createdBy: options.createdBy } : {}),
        });
    }

    /** Credentials and knobs for the dynamic provider host, as an operator would export them. */
    providerEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
        return {
            ANTHROPIC_ADMIN_API_KEY: this.adminKey,
            HEROKU_API_KEY: this.heroku.token,
            INFISICAL_CLIENT_ID: this.infisical.clientId,
            INFISICAL_CLIENT_SECRET: this.infisical.clientSecret,
            GITHUB_TOKEN: this.github.token,
            ANTHROPIC_KEY_ROTATION_RETRY_BASE_MS: "20",
            ANTHROPIC_KEY_ROTATION_RETRY_MAX_DELAY_MS: "200",
            ...extra,
        };
    }

    /** Stack config overrides that point the sandbox stack at the emulators. */
    config(overrides: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
        const checks = (this.stack.config["anthropic-key-rotation:healthChecks"] as { url: string }[]).map((c) => ({
            ...c,
            url: this.health.at(HEALTH_PATH),
        }));
        return {
            keyName: this.keyName(),
            endpoints: { anthropic: this.anthropic.url, heroku: this.heroku.url, infisical: this.infisical.url, github: this.github.url },
            healthChecks: checks,
            ...overrides,
        };
    }

    /** The Heroku apps and GitHub repositories the stack file names. */
    targets(): { herokuApps: string[]; repositories: string[] } {
        const t = this.stack.config["anthropic-key-rotation:targets"] as { heroku: { app: string }[]; github: { repository: string }[] };
        return { herokuApps: t.heroku.map((h) => h.app), repositories: [...new Set(t.github.map((g) => g.repository))] };
    }

    /** Request logs of every emulator, for leak scans; the fields built to carry the key are left out. */
    requestLogArtifacts(): Artifact[] {
        return this.servers.map((s) => ({
            name: `${s.name} emulator request log`,
            text: JSON.stringify(
                s.requests.map((r) => ({
                    method: r.method,
                    path: r.path,
                    query: r.query.toString(),
                    outcome: r.outcome,
                    // Headers that carry credentials or the key by design are left out; everything else is scanned.
                    headers: Object.fromEntries(Object.entries(r.headers).filter(([h]) => !["x-api-key", "authorization"].includes(h))),
                    // Bodies that carry the key by design: Heroku PATCH (the vars), Infisical writes (secretValue),
                    // GitHub PUT (sealed). Everything else is scanned whole.
                    body: carriesKeyByDesign(s.name, r.method) ? "[carries the key by design]" : r.body,
                })),
            ),
        }));
    }

    private seed(options: SandboxOptions): void {
        const { herokuApps, repositories } = this.targets();
        for (const app of options.herokuApps ?? herokuApps) this.heroku.seedApp(app, { ...UNRELATED_VARS });
        for (const repo of repositories) this.github.addRepository(repo);
        this.infisical.addProject("raxx-sandbox-project", ["sandbox"]);
        this.infisical.addFolder("raxx-sandbox-project", "sandbox", "/anthropic");
        this.anthropic.addAdminKey(this.adminKey);
        this.health.healthy(HEALTH_PATH);
    }
}

function carriesKeyByDesign(emulator: string, method: string): boolean {
    if (emulator === "heroku") return method === "PATCH";
    if (emulator === "infisical") return method === "POST" || method === "PATCH";
    if (emulator === "github") return method === "PUT";
    // Anthropic: Messages bodies carry only the prompt; the key travels in x-api-key (excluded above).
    return false;
}
