import { execFile } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { stringify } from "yaml";
import { runStatus, StatusIo } from "../../tools/status/run";

export const ROOT = join(__dirname, "..", "..");
/** The fixed clock of every status test: 2026-11-23, noon UTC. */
export const NOW = new Date("2026-11-23T12:00:00Z");
export const NS = "anthropic-key-rotation";

/** A secure (encrypted) config value as `pulumi config set --secret` writes it: opaque ciphertext. */
export const CIPHERTEXT = "v1:Zm9vYmFyYmF6cXV1eA==:c2VjcmV0LWNpcGhlcnRleHQtdGhhdC1tdXN0LW5vdC1hcHBlYXI=";

export interface StackSpec {
    keyName?: string;
    environment?: string;
    maxAgeDays?: number | Record<string, number>;
    keyId?: string;
    /** "encrypted" (default), "missing", or a plaintext value (a leak). */
    apiKey?: "encrypted" | "missing" | { plaintext: string };
}

export function stackYaml(spec: StackSpec): string {
    const config: Record<string, unknown> = {};
    const apiKey = spec.apiKey ?? "encrypted";
    if (apiKey === "encrypted") config[`${NS}:apiKey`] = { secure: CIPHERTEXT };
    else if (apiKey !== "missing") config[`${NS}:apiKey`] = apiKey.plaintext;
    if (spec.keyName !== undefined) config[`${NS}:keyName`] = spec.keyName;
    if (spec.environment !== undefined) config[`${NS}:environment`] = spec.environment;
    if (spec.maxAgeDays !== undefined) config[`${NS}:maxAgeDays`] = spec.maxAgeDays;
    if (spec.keyId !== undefined) config[`${NS}:keyId`] = spec.keyId;
    config[`${NS}:targets`] = { heroku: [{ app: "raxx-api-prod", vars: ["ANTHROPIC_API_KEY"] }] };
    config["github:owner"] = "raxx-app";
    return stringify({ config });
}

/** A temp project directory with a Pulumi.yaml and the given stack files (raw text or specs). */
export function projectDir(stacks: Record<string, StackSpec | string>): string {
    const dir = mkdtempSync(join(tmpdir(), "akr-status-"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: anthropic-key-rotation\nruntime: nodejs\n");
    for (const [stack, spec] of Object.entries(stacks)) {
        writeFileSync(join(dir, `Pulumi.${stack}.yaml`), typeof spec === "string" ? spec : stackYaml(spec));
    }
    return dir;
}

export function removeDir(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
}

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}

/** Runs the status command in-process with a fixed clock. */
export async function runInProcess(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<RunResult> {
    let stdout = "";
    let stderr = "";
    const io: StatusIo = {
        cwd: options.cwd ?? ROOT,
        env: options.env ?? {},
        stdout: (t) => (stdout += t),
        stderr: (t) => (stderr += t),
        clock: () => NOW,
    };
    const code = await runStatus(args, io);
    return { code, stdout, stderr };
}

/** Runs `tools/status/main.ts` as `npm run status` would (ts-node), in a child process. */
export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<RunResult> {
    const tsNode = require.resolve("ts-node/dist/bin.js");
    const env: Record<string, string | undefined> = { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env };
    return new Promise((resolve) => {
        execFile(
            process.execPath,
            [tsNode, "--transpile-only", join(ROOT, "tools", "status", "main.ts"), ...args],
            // --live --json on 2,000+ keys prints more than execFile's default 1 MB buffer.
            { cwd: options.cwd ?? ROOT, env: env as NodeJS.ProcessEnv, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
            (error, stdout, stderr) => {
                const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
                resolve({ code, stdout, stderr });
            },
        );
    });
}
