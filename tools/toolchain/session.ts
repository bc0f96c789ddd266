/**
 * One isolated Pulumi CLI environment: a private PULUMI_HOME with the provider plugins installed from the
 * toolchain's files, a local file backend and a passphrase in a temporary directory, no update check, no
 * plugin download, no ambient plugins from PATH, and the event log enabled. Used by the real-engine suite,
 * `npm run rehearse` and `npm run bench`.
 */
import { spawn } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { LocatedCli } from "./locate";

export interface CliResult {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

export interface ExecOptions {
    readonly cwd: string;
    /** Written to the CLI's stdin (secrets go in this way, never on a command line). */
    readonly stdin?: string;
    readonly env?: Readonly<Record<string, string>>;
    /** Called once the process has started (tests use it to interrupt a run). */
    readonly onSpawn?: (pid: number) => void;
    /** Called for each chunk of stdout (tests use it to interrupt a run at a given step). */
    readonly onStdout?: (chunk: string, kill: (signal: NodeJS.Signals) => void) => void;
}

export interface SessionOptions {
    readonly dir: string;
    readonly cli: LocatedCli;
    readonly passphrase?: string;
    /** Extra environment for every command (provider credentials, a network guard's proxy settings). */
    readonly env?: Readonly<Record<string, string>>;
}

export class PulumiSession {
    readonly pulumi: string;
    readonly home: string;
    readonly backendDir: string;
    readonly env: Readonly<Record<string, string>>;

    private constructor(options: SessionOptions, binDir: string) {
        this.pulumi = path.join(binDir, "pulumi");
        this.home = path.join(options.dir, "pulumi-home");
        this.backendDir = path.join(options.dir, "backend");
        const inherited: Record<string, string> = {};
        // A small, explicit environment: the CLI, node for the program and policy pack, and nothing of the
        // caller's Pulumi or cloud settings.
        for (const name of ["HOME", "USER", "LANG", "TMPDIR", "TERM"]) {
            const value = process.env[name];
            if (value !== undefined) inherited[name] = value;
        }
        this.env = {
            ...inherited,
            PATH: [binDir, path.dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(path.delimiter),
            PULUMI_HOME: this.home,
            PULUMI_BACKEND_URL: `file://${this.backendDir}`,
            PULUMI_CONFIG_PASSPHRASE: options.passphrase ?? randomBytes(24).toString("base64url"),
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
            // `--event-log` is only registered when debug commands are on.
            PULUMI_DEBUG_COMMANDS: "true",
            PULUMI_SKIP_CONFIRMATIONS: "true",
            NO_COLOR: "1",
            ...options.env,
        };
    }

    static async create(options: SessionOptions): Promise<PulumiSession> {
        const binDir = options.cli.source === "toolchain" ? options.cli.manifest.binDir : options.cli.binDir;
        const session = new PulumiSession(options, binDir);
        fs.mkdirSync(session.home, { recursive: true });
        fs.mkdirSync(session.backendDir, { recursive: true });
        if (options.cli.source === "toolchain") {
            for (const provider of options.cli.manifest.providers) {
                const installed = await session.exec(
                    ["plugin", "install", "resource", provider.name, provider.version, "--file", provider.path],
                    { cwd: options.dir },
                );
                if (installed.code !== 0) {
                    throw new Error(`pulumi plugin install resource ${provider.name} ${provider.version} failed: ${installed.stderr || installed.stdout}`);
                }
            }
        }
        return session;
    }

    exec(args: readonly string[], options: ExecOptions): Promise<CliResult> {
        return new Promise((resolve) => {
            const child = spawn(this.pulumi, [...args], {
                cwd: options.cwd,
                env: { ...this.env, ...options.env },
                stdio: ["pipe", "pipe", "pipe"],
            });
            let stdout = "";
            let stderr = "";
            const kill = (signal: NodeJS.Signals) => child.kill(signal);
            if (child.pid !== undefined) options.onSpawn?.(child.pid);
            child.stdout.on("data", (d: Buffer) => {
                const chunk = d.toString();
                stdout += chunk;
                options.onStdout?.(chunk, kill);
            });
            child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
            child.on("error", (err) => resolve({ code: 127, stdout, stderr: stderr + err.message }));
            child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
            child.stdin.end(options.stdin ?? "");
        });
    }
}
