import { ChildProcess, spawn } from "child_process";
import { createRequire } from "module";
import { existsSync } from "fs";
import { dirname, join } from "path";

/**
 * Drives the REAL Pulumi dynamic provider host (`@pulumi/pulumi/cmd/dynamic-provider`) over gRPC, exactly as
 * the engine does during `pulumi preview` / `up` / `refresh` / `destroy`: each call carries the resource's
 * properties including the serialized provider text in `__provider`.
 */

/** The project directory (the one with Pulumi.yaml), whether this file runs from test/ or compiled from bin/test/. */
export const PROJECT_ROOT = findProjectRoot(__dirname);

function findProjectRoot(from: string): string {
    for (let dir = from; ; dir = dirname(dir)) {
        if (existsSync(join(dir, "Pulumi.yaml"))) return dir;
        if (dirname(dir) === dir) throw new Error(`no Pulumi.yaml above ${from}`);
    }
}
const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/proto/provider_grpc_pb"));

/* eslint-disable @typescript-eslint/no-explicit-any -- generated gRPC stubs are untyped JS */
const grpc = pulumiRequire("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
const providerGrpc = pulumiRequire("./provider_grpc_pb") as any;
const providerPb = pulumiRequire("./provider_pb") as any;
const structPb = pulumiRequire("google-protobuf/google/protobuf/struct_pb") as any;

export type Props = Record<string, unknown>;

export interface CheckResult {
    readonly inputs: Props;
    readonly failures: { property: string; reason: string }[];
}
export interface DiffResult {
    readonly changes: "some" | "none" | "unknown";
    readonly replaces: string[];
    readonly deleteBeforeReplace: boolean;
}

/** A gRPC error from the host, with the provider's message. */
export class ProviderCallError extends Error {
    constructor(
        readonly method: string,
        message: string,
        readonly code: number,
    ) {
        super(message);
        this.name = "ProviderCallError";
    }
}

export interface ProviderHostOptions {
    /** Working directory of the host (the project root, as the engine uses). */
    readonly cwd?: string;
    /** Environment of the host process: credentials and endpoint overrides live here, never in state. */
    readonly env?: NodeJS.ProcessEnv;
    /**
     * How long to wait for the host to print its port (default PROVIDER_HOST_START_TIMEOUT_MS). A host that
     * fails exits and is reported at once; this limit only catches one that hangs.
     */
    readonly startTimeoutMs?: number;
}

/**
 * Idle, the host prints its port in 1–3 s. On two cores shared with other work (load average 13–18, e.g. a
 * full test run next to another) it took over 20 s, the former limit, and failed rehearsals that had nothing
 * wrong: the limit is there to catch a hang, so it is far above what a loaded machine needs.
 */
export const PROVIDER_HOST_START_TIMEOUT_MS = 5 * 60_000;

export class ProviderHost {
    stdout = "";
    stderr = "";
    private constructor(
        private readonly child: ChildProcess | undefined,
        private readonly client: any,
        /** The gRPC port the host listens on (127.0.0.1). */
        readonly port: number,
    ) {}

    /**
     * A client of a host started elsewhere (a rehearsal scenario keeps one host for its runs, like one
     * engine process serving several deployments). stop() then only closes the connection.
     */
    static connect(port: number): ProviderHost {
        const client = new providerGrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        return new ProviderHost(undefined, client, port);
    }

    static async start(options: ProviderHostOptions = {}): Promise<ProviderHost> {
        const cwd = options.cwd ?? PROJECT_ROOT;
        const entry = join(PROJECT_ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "dynamic-provider");
        // The engine address is only used for logging back to the engine; nothing listens there.
        const child = spawn(process.execPath, [entry, "127.0.0.1:1"], { cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        const port = await new Promise<number>((resolve, reject) => {
            const limitMs = options.startTimeoutMs ?? PROVIDER_HOST_START_TIMEOUT_MS;
            const timer = setTimeout(() => {
                child.kill("SIGKILL");
                reject(new Error(`provider host printed no port in ${limitMs / 1000} s; stderr: ${stderr}`));
            }, limitMs);
            child.stdout!.on("data", (d: Buffer) => {
                stdout += d.toString();
                const m = /^(\d+)\s*$/m.exec(stdout);
                if (m) {
                    clearTimeout(timer);
                    resolve(Number(m[1]));
                }
            });
            child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
            child.once("exit", (code) => {
                clearTimeout(timer);
                reject(new Error(`provider host exited with ${code}: ${stderr}`));
            });
        });
        const client = new providerGrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        const host = new ProviderHost(child, client, port);
        host.stdout = stdout;
        host.stderr = stderr;
        child.stdout!.on("data", (d: Buffer) => (host.stdout += d.toString()));
        child.stderr!.on("data", (d: Buffer) => (host.stderr += d.toString()));
        return host;
    }

    async stop(): Promise<void> {
        this.client.close();
        const child = this.child;
        if (child && child.exitCode === null) {
            await new Promise<void>((resolve) => {
                child.once("exit", () => resolve());
                child.kill("SIGTERM");
            });
        }
    }

    async check(urn: string, olds: Props, news: Props): Promise<CheckResult> {
        const req = new providerPb.CheckRequest();
        req.setUrn(urn);
        req.setOlds(toStruct(olds));
        req.setNews(toStruct(news));
        const resp = await this.call("check", req);
        return {
            inputs: resp.getInputs()?.toJavaScript() ?? {},
            failures: resp.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
        };
    }

    async diff(id: string, urn: string, olds: Props, news: Props): Promise<DiffResult> {
        const req = new providerPb.DiffRequest();
        req.setId(id);
        req.setUrn(urn);
        req.setOlds(toStruct(olds));
        req.setNews(toStruct(news));
        const resp = await this.call("diff", req);
        const changes = resp.getChanges();
        const enumValues = providerPb.DiffResponse.DiffChanges;
        return {
            changes: changes === enumValues.DIFF_SOME ? "some" : changes === enumValues.DIFF_NONE ? "none" : "unknown",
            replaces: resp.getReplacesList(),
            deleteBeforeReplace: resp.getDeletebeforereplace(),
        };
    }

    async create(urn: string, properties: Props): Promise<{ id: string; properties: Props }> {
        const req = new providerPb.CreateRequest();
        req.setUrn(urn);
        req.setProperties(toStruct(properties));
        const resp = await this.call("create", req);
        return { id: resp.getId(), properties: resp.getProperties()?.toJavaScript() ?? {} };
    }

    async read(id: string, urn: string, properties: Props, inputs?: Props): Promise<{ id: string; properties: Props; inputs?: Props }> {
        const req = new providerPb.ReadRequest();
        req.setId(id);
        req.setUrn(urn);
        req.setProperties(toStruct(properties));
        if (inputs) req.setInputs(toStruct(inputs));
        const resp = await this.call("read", req);
        return { id: resp.getId(), properties: resp.getProperties()?.toJavaScript() ?? {}, inputs: resp.getInputs()?.toJavaScript() };
    }

    async update(id: string, urn: string, olds: Props, news: Props): Promise<{ properties: Props }> {
        const req = new providerPb.UpdateRequest();
        req.setId(id);
        req.setUrn(urn);
        req.setOlds(toStruct(olds));
        req.setNews(toStruct(news));
        const resp = await this.call("update", req);
        return { properties: resp.getProperties()?.toJavaScript() ?? {} };
    }

    async delete(id: string, urn: string, properties: Props): Promise<void> {
        const req = new providerPb.DeleteRequest();
        req.setId(id);
        req.setUrn(urn);
        req.setProperties(toStruct(properties));
        await this.call("delete", req);
    }

    private call(method: string, req: unknown): Promise<any> {
        return new Promise((resolve, reject) => {
            this.client[method](req, (err: { code: number; details?: string; message: string } | null, resp: unknown) => {
                if (err) reject(new ProviderCallError(method, err.details ?? err.message, err.code));
                else resolve(resp);
            });
        });
    }
}

/** Struct.fromJavaScript rejects `undefined`; the engine never sends it either. */
function toStruct(props: Props): unknown {
    return structPb.Struct.fromJavaScript(JSON.parse(JSON.stringify(props)));
}

export function urnOf(type: string, name: string, stack = "test", project = "anthropic-key-rotation"): string {
    return `urn:pulumi:${stack}::${project}::${type}::${name}`;
}
