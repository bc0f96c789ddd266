import { spawn } from "child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { isAbsolute, join } from "path";
import { parse } from "yaml";
import { PROJECT_ROOT } from "./providerHost";
import type { HarnessJob, HarnessResult } from "./harnessTypes";

/**
 * Parent side of the rehearsal harness: runs the real program in a child process (ts-node, as Pulumi runs
 * TypeScript), hands it the stack config the way the engine does (an environment variable, not a file), and
 * returns everything the run produced, for assertions and leak scans.
 */

export const PROJECT = "anthropic-key-rotation";

export interface RehearsalOptions {
    readonly stack: string;
    /** Stack file to start from; defaults to Pulumi.<stack>.yaml in the project. `null` starts from nothing. */
    readonly stackFile?: string | null;
    /** Config overrides by key (`keyName`, `targets`, or fully qualified `github:owner`); objects are JSON-encoded. */
    readonly config?: Readonly<Record<string, unknown>>;
    /** The pasted key (secret config). */
    readonly apiKey?: string;
    /** Other secret config by key (e.g. `notifications`, whose webhook URLs carry tokens); objects are JSON-encoded. */
    readonly secretConfig?: Readonly<Record<string, unknown>>;
    /** Environment for the dynamic provider host: credentials, endpoint and retry overrides. */
    readonly providerEnv?: Readonly<Record<string, string>>;
    readonly preview?: boolean;
    /** State file carried between runs; a fresh temp file when omitted. */
    readonly statePath?: string;
    /**
     * An already running provider host (started with the provider env) to use instead of a fresh one per run;
     * its stderr is then the caller's to collect.
     */
    readonly providerHostPort?: number;
    /**
     * Policy pack directory, to evaluate policies through the real analyzer: relative to the project (e.g.
     * `policies`, taken from bin/ when compiled), or an absolute path taken as it is.
     */
    readonly policyPack?: string;
    readonly policyConfig?: Record<string, unknown>;
    readonly programPath?: string;
    /**
     * How the program runs: `ts-node` (as `pulumi` runs a TypeScript project by default) or `compiled` (the
     * JavaScript that `tsc` emitted to bin/, as Pulumi runs a project whose main is compiled). Defaults to
     * compiled when the test setup has built bin/ (AKR_COMPILED_DIR), else ts-node. The policy pack follows:
     * bin/policies when compiled.
     */
    readonly runtime?: "ts-node" | "compiled";
}

export interface RehearsalRun extends HarnessResult {
    readonly exitCode: number;
    readonly stdout: string;
    readonly stderr: string;
    readonly statePath: string;
    readonly durationMs: number;
}

export function stackConfig(options: RehearsalOptions): { config: Record<string, string>; secretKeys: string[] } {
    const config: Record<string, string> = {};
    const file = options.stackFile === null ? undefined : options.stackFile ?? join(PROJECT_ROOT, `Pulumi.${options.stack}.yaml`);
    if (file) {
        const doc = (parse(readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
        for (const [k, v] of Object.entries(doc.config ?? {})) config[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    for (const [k, v] of Object.entries(options.config ?? {})) {
        const full = k.includes(":") ? k : `${PROJECT}:${k}`;
        if (v === undefined) delete config[full];
        else config[full] = typeof v === "string" ? v : JSON.stringify(v);
    }
    const secretKeys: string[] = [];
    for (const [k, v] of Object.entries(options.secretConfig ?? {})) {
        const full = k.includes(":") ? k : `${PROJECT}:${k}`;
        config[full] = typeof v === "string" ? v : JSON.stringify(v);
        secretKeys.push(full);
    }
    if (options.apiKey !== undefined) {
        config[`${PROJECT}:apiKey`] = options.apiKey;
        secretKeys.push(`${PROJECT}:apiKey`);
    }
    return { config, secretKeys };
}

export async function rehearse(options: RehearsalOptions): Promise<RehearsalRun> {
    const dir = mkdtempSync(join(tmpdir(), "akr-rehearsal-"));
    const statePath = options.statePath ?? join(dir, "state.json");
    const compiledDir = process.env.AKR_COMPILED_DIR;
    const runtime = options.runtime ?? (compiledDir ? "compiled" : "ts-node");
    if (runtime === "compiled" && !compiledDir) throw new Error("runtime compiled needs bin/ built by tsc (AKR_COMPILED_DIR)");
    const job: HarnessJob = {
        programPath: options.programPath ?? (runtime === "compiled" ? join(compiledDir!, "index.js") : join(PROJECT_ROOT, "index.ts")),
        project: PROJECT,
        stack: options.stack,
        preview: options.preview ?? false,
        statePath,
        resultPath: join(dir, "result.json"),
        providerEnv: { ...options.providerEnv },
        providerHostPort: options.providerHostPort,
        policyPack: options.policyPack ? (isAbsolute(options.policyPack) ? options.policyPack : join(runtime === "compiled" ? compiledDir! : PROJECT_ROOT, options.policyPack)) : undefined,
        policyConfig: options.policyConfig,
    };
    const jobPath = join(dir, "job.json");
    writeFileSync(jobPath, JSON.stringify(job));
    const { config, secretKeys } = stackConfig(options);
    const started = Date.now();
    const { exitCode, stdout, stderr } = await new Promise<{ exitCode: number; stdout: string; stderr: string }>((resolve) => {
        const entry =
            runtime === "compiled"
                ? [join(compiledDir!, "offline", "harness", "programRunner.js"), jobPath]
                : ["-r", "ts-node/register/transpile-only", join(__dirname, "programRunner.ts"), jobPath];
        const child = spawn(process.execPath, entry, {
            cwd: PROJECT_ROOT,
            env: {
                PATH: process.env.PATH ?? "",
                HOME: process.env.HOME ?? "",
                TS_NODE_PROJECT: join(PROJECT_ROOT, "tsconfig.json"),
                AKR_HARNESS_CONFIG: JSON.stringify(config),
                AKR_HARNESS_SECRET_KEYS: JSON.stringify(secretKeys),
            },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        let err = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        child.on("exit", (code) => resolve({ exitCode: code ?? 1, stdout: out, stderr: err }));
    });
    let result: HarnessResult;
    try {
        result = JSON.parse(readFileSync(job.resultPath, "utf8")) as HarnessResult;
    } catch {
        result = {
            registrations: [], steps: [], stackOutputs: {}, secretStackOutputs: [], policyDiagnostics: [], policyCalls: { analyze: 0, analyzeStack: 0 }, providerTexts: [],
            providerHostStderr: "", error: `the program runner produced no result (exit ${exitCode}): ${stderr.slice(-2000)}`,
        };
    }
    return { ...result, exitCode, stdout, stderr, statePath, durationMs: Date.now() - started };
}
