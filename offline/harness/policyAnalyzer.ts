/**
 * Runs a policy pack the way the Pulumi engine does and talks to it over the Analyzer gRPC protocol.
 *
 * The engine (pkg/resource/plugin NewPolicyAnalyzer, legacy Node.js path) starts
 * `node <@pulumi/pulumi>/cmd/run-policy-pack <engine-address> .` with the pack directory as working directory
 * and PULUMI_STACK / PULUMI_PROJECT / PULUMI_ORGANIZATION / PULUMI_DRY_RUN / PULUMI_CONFIG in the environment;
 * run-policy-pack registers ts-node (type-checking, with the pack's tsconfig.json) and loads the pack, which
 * prints the port of its Analyzer server. The engine then calls ConfigureStack, GetAnalyzerInfo, reconciles
 * the `--policy-pack-config` file with the schema defaults, validates it against each policy's configSchema
 * (rejecting the run with `Policy "<name>": <problem>` lines), and calls Configure with the result.
 * After that it calls Analyze per resource (inputs) and AnalyzeStack once (all resources, with dependencies).
 * This module does the same, so tests and the rehearsal harness exercise the real pack in the real server.
 *
 *   const pack = await startPolicyPack("policies", { stack: "prod", config: { "anthropic-key-max-age": { maxAgeDays: { prod: 30 } } } });
 *   const { diagnostics } = await pack.analyze({ type, name, props });
 *   const stack = await pack.analyzeStack([{ type, name, props, dependencies: [urn] }, ...]);
 *   await pack.stop();
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import Ajv from "ajv";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as analyzerRpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerProto from "@pulumi/pulumi/proto/analyzer_pb";
import { re2Problem } from "./re2Subset";

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";
export type Severity = "" | "low" | "medium" | "high" | "critical";

/** The content of a `--policy-pack-config` file. */
export type PolicyPackConfig = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

/** A resource as the engine describes it to the analyzer. */
export interface AnalyzerResource {
    readonly type: string;
    readonly name: string;
    /** Defaults to urnFor(type, name, ...) with the pack's stack and project. */
    readonly urn?: string;
    /** Inputs for analyze(), outputs for analyzeStack(). Use secret(v) and UNKNOWN_VALUE for the wire forms. */
    readonly props: Record<string, unknown>;
    /** Parent URN. */
    readonly parent?: string;
    /** URNs this resource depends on (analyzeStack). */
    readonly dependencies?: readonly string[];
    /** Per-property dependency URNs (analyzeStack). */
    readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
    readonly protect?: boolean;
    readonly additionalSecretOutputs?: readonly string[];
    readonly provider?: { type: string; name: string; urn: string; props?: Record<string, unknown> };
}

export interface AnalyzeDiagnostic {
    readonly policyName: string;
    readonly policyPackName: string;
    readonly policyPackVersion: string;
    readonly description: string;
    readonly message: string;
    readonly enforcementLevel: EnforcementLevel;
    readonly urn: string;
    readonly severity: Severity;
}

export interface AnalyzeResult {
    readonly diagnostics: AnalyzeDiagnostic[];
    readonly notApplicable: { policyName: string; reason: string }[];
}

export interface PolicyInfo {
    readonly name: string;
    readonly displayName: string;
    readonly description: string;
    readonly enforcementLevel: EnforcementLevel;
    readonly policyType: "resource" | "stack" | "unknown";
    readonly severity: Severity;
    readonly configSchema?: { properties: Record<string, unknown>; required: string[] };
}

export interface AnalyzerInfo {
    readonly name: string;
    readonly displayName: string;
    readonly version: string;
    readonly description: string;
    readonly supportsConfig: boolean;
    readonly policies: PolicyInfo[];
}

export interface StartOptions {
    /** The `--policy-pack-config` content. */
    readonly config?: PolicyPackConfig;
    /** Or the path of a `--policy-pack-config` file (JSON). */
    readonly configFile?: string;
    /** Stack, project and organization the engine reports (ConfigureStack and PULUMI_* variables). */
    readonly stack?: string;
    readonly project?: string;
    readonly organization?: string;
    /** The stack's config as the engine passes it in PULUMI_CONFIG (`"<project>:<key>": "<value>"`). */
    readonly stackConfig?: Record<string, string>;
    readonly dryRun?: boolean;
    /** Extra environment for the pack process. */
    readonly env?: Record<string, string>;
    /** How long the pack may take to print its port (ts-node type-checks it first). */
    readonly startTimeoutMs?: number;
}

export interface PolicyPackHandle {
    readonly port: number;
    /** GetAnalyzerInfo, as returned by the pack. */
    info(): Promise<AnalyzerInfo>;
    /** The config the pack was configured with, after the engine-style reconciliation. */
    readonly effectiveConfig: Record<string, { enforcementLevel: EnforcementLevel; properties: Record<string, unknown> }>;
    analyze(resource: AnalyzerResource): Promise<AnalyzeResult>;
    analyzeStack(resources: readonly AnalyzerResource[]): Promise<AnalyzeResult>;
    urn(type: string, name: string, parentType?: string): string;
    /** Everything the pack process wrote to stderr / stdout so far. */
    stderr(): string;
    stdout(): string;
    stop(): Promise<void>;
}

/** Raised when the config would be rejected by the engine before any analysis (like `pulumi preview` does). */
export class PolicyPackConfigError extends Error {
    constructor(readonly errors: readonly string[]) {
        super(`validating policy config:\n${errors.map((e) => `  ${e}`).join("\n")}`);
        this.name = "PolicyPackConfigError";
    }
}

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** The engine's wire form of an unknown (computed, preview-time) value. */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The engine's wire form of a secret value (the analyzer unwraps it: policies see plaintext). */
export function secret(value: unknown): Record<string, unknown> {
    return { [SIG_KEY]: SECRET_SIG, value };
}

export function urnFor(stack: string, project: string, type: string, name: string, parentType?: string): string {
    const qualified = parentType ? `${parentType}$${type}` : type;
    return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

const LEVELS: Record<number, EnforcementLevel> = {
    [analyzerProto.EnforcementLevel.ADVISORY]: "advisory",
    [analyzerProto.EnforcementLevel.MANDATORY]: "mandatory",
    [analyzerProto.EnforcementLevel.DISABLED]: "disabled",
    [analyzerProto.EnforcementLevel.REMEDIATE]: "remediate",
};
const LEVEL_CODES: Record<EnforcementLevel, analyzerProto.EnforcementLevel> = {
    advisory: analyzerProto.EnforcementLevel.ADVISORY,
    mandatory: analyzerProto.EnforcementLevel.MANDATORY,
    disabled: analyzerProto.EnforcementLevel.DISABLED,
    remediate: analyzerProto.EnforcementLevel.REMEDIATE,
};
const SEVERITIES: Record<number, Severity> = {
    [analyzerProto.PolicySeverity.POLICY_SEVERITY_UNSPECIFIED]: "",
    [analyzerProto.PolicySeverity.POLICY_SEVERITY_LOW]: "low",
    [analyzerProto.PolicySeverity.POLICY_SEVERITY_MEDIUM]: "medium",
    [analyzerProto.PolicySeverity.POLICY_SEVERITY_HIGH]: "high",
    [analyzerProto.PolicySeverity.POLICY_SEVERITY_CRITICAL]: "critical",
};

function isLevel(v: unknown): v is EnforcementLevel {
    return v === "advisory" || v === "mandatory" || v === "remediate" || v === "disabled";
}

/** JSON-able copy without undefined values (protobuf Structs cannot hold them). */
function plain(value: unknown): unknown {
    if (value === undefined) return undefined;
    if (value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : plain(v)));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = plain(v);
    return out;
}

function toStruct(value: Record<string, unknown>): Struct {
    return Struct.fromJavaScript(plain(value) as Record<string, never>);
}

function options(r: AnalyzerResource): analyzerProto.AnalyzerResourceOptions {
    const o = new analyzerProto.AnalyzerResourceOptions();
    o.setProtect(r.protect ?? false);
    o.setIgnorechangesList([]);
    o.setAliasesList([]);
    o.setAdditionalsecretoutputsList([...(r.additionalSecretOutputs ?? [])]);
    o.setCustomtimeouts(new analyzerProto.AnalyzerResourceOptions.CustomTimeouts());
    if (r.parent) o.setParent(r.parent);
    return o;
}

function provider(r: AnalyzerResource): analyzerProto.AnalyzerProviderResource | undefined {
    if (!r.provider) return undefined;
    const p = new analyzerProto.AnalyzerProviderResource();
    p.setType(r.provider.type);
    p.setName(r.provider.name);
    p.setUrn(r.provider.urn);
    p.setProperties(toStruct(r.provider.props ?? {}));
    return p;
}

function toResult(resp: analyzerProto.AnalyzeResponse): AnalyzeResult {
    return {
        diagnostics: resp.getDiagnosticsList().map((d) => ({
            policyName: d.getPolicyname(),
            policyPackName: d.getPolicypackname(),
            policyPackVersion: d.getPolicypackversion(),
            description: d.getDescription(),
            message: d.getMessage(),
            enforcementLevel: LEVELS[d.getEnforcementlevel()] ?? "advisory",
            urn: d.getUrn(),
            severity: SEVERITIES[d.getSeverity()] ?? "",
        })),
        notApplicable: resp.getNotApplicableList().map((n) => ({ policyName: n.getPolicyName(), reason: n.getReason() })),
    };
}

function call<Req, Res>(fn: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown, req: Req): Promise<Res> {
    return new Promise((resolve, reject) => fn(req, (err, res) => (err ? reject(err) : resolve(res))));
}

/** Parses a `--policy-pack-config` document the way the engine does (parsePolicyPackConfig). */
export function parsePolicyPackConfig(config: unknown): Record<string, { enforcementLevel?: EnforcementLevel; properties: Record<string, unknown> }> {
    if (config === null || typeof config !== "object" || Array.isArray(config)) {
        throw new PolicyPackConfigError(["the policy pack config must be a JSON object keyed by policy name"]);
    }
    const out: Record<string, { enforcementLevel?: EnforcementLevel; properties: Record<string, unknown> }> = {};
    for (const [name, value] of Object.entries(config)) {
        if (typeof value === "string") {
            if (!isLevel(value)) throw new PolicyPackConfigError([`Value "${value}" for "${name}" is not a valid enforcement level`]);
            out[name] = { enforcementLevel: value, properties: {} };
        } else if (value && typeof value === "object" && !Array.isArray(value)) {
            const { enforcementLevel, ...properties } = value as Record<string, unknown>;
            if (enforcementLevel !== undefined && !isLevel(enforcementLevel)) {
                throw new PolicyPackConfigError([`Value ${JSON.stringify(enforcementLevel)} for "${name}" is not a valid enforcement level`]);
            }
            out[name] = { ...(enforcementLevel ? { enforcementLevel } : {}), properties };
        } else {
            throw new PolicyPackConfigError([`Value ${JSON.stringify(value)} for "${name}" is not a valid value; must be a string or object`]);
        }
    }
    return out;
}

/**
 * The engine's ReconcilePolicyPackConfig: schema defaults, then an "all" enforcement level, then the given
 * config; the result is validated against each policy's schema (with `enforcementLevel` injected).
 */
export function reconcilePolicyPackConfig(
    policies: readonly PolicyInfo[],
    given: ReturnType<typeof parsePolicyPackConfig>,
): Record<string, { enforcementLevel: EnforcementLevel; properties: Record<string, unknown> }> {
    const result: Record<string, { enforcementLevel: EnforcementLevel; properties: Record<string, unknown> }> = {};
    for (const p of policies) {
        const properties: Record<string, unknown> = {};
        for (const [k, schema] of Object.entries(p.configSchema?.properties ?? {})) {
            const d = (schema as { default?: unknown }).default;
            if (d !== undefined) properties[k] = structuredClone(d);
        }
        result[p.name] = { enforcementLevel: p.enforcementLevel, properties };
    }
    const all = given.all?.enforcementLevel;
    if (all) for (const r of Object.values(result)) r.enforcementLevel = all;
    for (const [name, g] of Object.entries(given)) {
        const r = result[name];
        if (!r) continue; // the engine ignores config for policies the pack does not have
        if (g.enforcementLevel) r.enforcementLevel = g.enforcementLevel;
        Object.assign(r.properties, g.properties);
    }
    const ajv = new Ajv({ allErrors: true, strict: false });
    // The CLI's gojsonschema compiles `format: regex` values with Go's regexp (RE2), not JavaScript's.
    ajv.addFormat("regex", (s: string) => re2Problem(s) === undefined);
    const errors: string[] = [];
    for (const p of policies) {
        if (!p.configSchema) continue;
        const schema = {
            type: "object",
            properties: { ...p.configSchema.properties, enforcementLevel: { type: "string", enum: ["advisory", "mandatory", "remediate", "disabled"] } },
            ...(p.configSchema.required.length ? { required: p.configSchema.required } : {}),
        };
        const validate = ajv.compile(schema);
        if (!validate({ ...result[p.name]!.properties })) {
            for (const e of validate.errors ?? []) {
                const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, ".") : "(root)";
                errors.push(`Policy "${p.name}": ${where}: ${e.message ?? "is invalid"}`);
            }
        }
    }
    if (errors.length) throw new PolicyPackConfigError(errors.sort());
    return result;
}

function resolveRunner(packDir: string): string {
    return require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
}

function waitForPort(child: ChildProcess, output: { out: string; err: string }, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            cleanup();
            reject(new Error(`policy pack did not print its port within ${timeoutMs} ms; stderr:\n${output.err}`));
        }, timeoutMs);
        const onData = () => {
            const m = /^(\d+)\s*$/m.exec(output.out);
            if (m) {
                cleanup();
                resolve(Number(m[1]));
            }
        };
        const onExit = (code: number | null) => {
            cleanup();
            reject(new Error(`policy pack exited (code ${code}) before printing its port; stderr:\n${output.err}\nstdout:\n${output.out}`));
        };
        const cleanup = () => {
            clearTimeout(timer);
            child.stdout?.off("data", onData);
            child.off("exit", onExit);
        };
        child.stdout?.on("data", onData);
        child.on("exit", onExit);
    });
}

/** Starts the pack in `packDir` as the engine does, configures it, and returns a client for it. */
export async function startPolicyPack(packDir: string, opts: StartOptions = {}): Promise<PolicyPackHandle> {
    const dir = path.resolve(packDir);
    const stack = opts.stack ?? "dev";
    const project = opts.project ?? "anthropic-key-rotation";
    const organization = opts.organization ?? "organization";
    const rawConfig = opts.configFile ? (JSON.parse(fs.readFileSync(opts.configFile, "utf8")) as unknown) : opts.config;
    // Parse before starting anything: a malformed file is rejected up front, as the engine does.
    const given = rawConfig === undefined ? {} : parsePolicyPackConfig(rawConfig);

    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PULUMI_STACK: stack,
        PULUMI_NODEJS_STACK: stack,
        PULUMI_PROJECT: project,
        PULUMI_NODEJS_PROJECT: project,
        PULUMI_ORGANIZATION: organization,
        PULUMI_NODEJS_ORGANIZATION: organization,
        PULUMI_DRY_RUN: String(opts.dryRun ?? true),
        PULUMI_NODEJS_DRY_RUN: String(opts.dryRun ?? true),
        ...(opts.stackConfig ? { PULUMI_CONFIG: JSON.stringify(opts.stackConfig) } : {}),
        ...opts.env,
    };
    if (!opts.stackConfig) delete env.PULUMI_CONFIG;
    const child = spawn(process.execPath, [resolveRunner(dir), "127.0.0.1:0", "."], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    const output = { out: "", err: "" };
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (output.out += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (output.err += d));
    let exited = false;
    const exitedPromise = new Promise<void>((resolve) => child.on("exit", () => ((exited = true), resolve())));

    const stopChild = async () => {
        if (!exited) {
            child.kill("SIGTERM");
            const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
            await exitedPromise;
            clearTimeout(timer);
        }
    };

    let client: analyzerRpc.AnalyzerClient | undefined;
    try {
        // Idle, ts-node type-checks and starts the pack in a few seconds; 90 s was too close for a machine loaded
        // by parallel test runs (load average 13–18 on two cores). A pack that fails exits and is reported at once.
        const port = await waitForPort(child, output, opts.startTimeoutMs ?? 5 * 60_000);
        client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
            "grpc.max_receive_message_length": 400 * 1024 * 1024,
        });
        const c = client;

        const configureStack = new analyzerProto.AnalyzerStackConfigureRequest();
        configureStack.setStack(stack);
        configureStack.setProject(project);
        configureStack.setOrganization(organization);
        configureStack.setDryRun(opts.dryRun ?? true);
        await call(c.configureStack.bind(c), configureStack);

        const info = async (): Promise<AnalyzerInfo> => {
            const ai = await call<Empty, analyzerProto.AnalyzerInfo>(c.getAnalyzerInfo.bind(c), new Empty());
            return {
                name: ai.getName(),
                displayName: ai.getDisplayname(),
                version: ai.getVersion(),
                description: ai.getDescription(),
                supportsConfig: ai.getSupportsconfig(),
                policies: ai.getPoliciesList().map((p) => {
                    const schema = p.getConfigschema();
                    const type = p.getPolicyType();
                    return {
                        name: p.getName(),
                        displayName: p.getDisplayname(),
                        description: p.getDescription(),
                        enforcementLevel: LEVELS[p.getEnforcementlevel()] ?? "advisory",
                        policyType:
                            type === analyzerProto.PolicyType.POLICY_TYPE_RESOURCE ? "resource" : type === analyzerProto.PolicyType.POLICY_TYPE_STACK ? "stack" : "unknown",
                        severity: SEVERITIES[p.getSeverity()] ?? "",
                        ...(schema
                            ? { configSchema: { properties: (schema.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown>, required: schema.getRequiredList() } }
                            : {}),
                    };
                }),
            };
        };

        const analyzerInfo = await info();
        const effectiveConfig = reconcilePolicyPackConfig(analyzerInfo.policies, given);
        const configure = new analyzerProto.ConfigureAnalyzerRequest();
        const map = configure.getPolicyconfigMap();
        for (const [name, pc] of Object.entries(effectiveConfig)) {
            const v = new analyzerProto.PolicyConfig();
            v.setEnforcementlevel(LEVEL_CODES[pc.enforcementLevel]);
            v.setProperties(toStruct(pc.properties));
            map.set(name, v);
        }
        await call(c.configure.bind(c), configure);

        const urn = (type: string, name: string, parentType?: string) => urnFor(stack, project, type, name, parentType);

        return {
            port,
            info,
            effectiveConfig,
            urn,
            stderr: () => output.err,
            stdout: () => output.out,
            analyze: async (r) => {
                const req = new analyzerProto.AnalyzeRequest();
                req.setType(r.type);
                req.setName(r.name);
                req.setUrn(r.urn ?? urn(r.type, r.name));
                req.setProperties(toStruct(r.props));
                req.setOptions(options(r));
                const p = provider(r);
                if (p) req.setProvider(p);
                return toResult(await call(c.analyze.bind(c), req));
            },
            analyzeStack: async (resources) => {
                const req = new analyzerProto.AnalyzeStackRequest();
                req.setResourcesList(
                    resources.map((r) => {
                        const ar = new analyzerProto.AnalyzerResource();
                        ar.setType(r.type);
                        ar.setName(r.name);
                        ar.setUrn(r.urn ?? urn(r.type, r.name));
                        ar.setProperties(toStruct(r.props));
                        ar.setOptions(options(r));
                        if (r.parent) ar.setParent(r.parent);
                        ar.setDependenciesList([...(r.dependencies ?? [])]);
                        const deps = ar.getPropertydependenciesMap();
                        for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
                            if (!urns.length) continue; // the engine skips properties without dependencies
                            const d = new analyzerProto.AnalyzerPropertyDependencies();
                            d.setUrnsList([...urns]);
                            deps.set(k, d);
                        }
                        const p = provider(r);
                        if (p) ar.setProvider(p);
                        return ar;
                    }),
                );
                return toResult(await call(c.analyzeStack.bind(c), req));
            },
            stop: async () => {
                c.close();
                await stopChild();
            },
        };
    } catch (e) {
        client?.close();
        await stopChild();
        throw e;
    }
}

/** Shorthand: start(packDir, config?, options?) — the `--policy-pack-config` content as second argument. */
export function start(packDir: string, config?: PolicyPackConfig, options: Omit<StartOptions, "config"> = {}): Promise<PolicyPackHandle> {
    return startPolicyPack(packDir, { ...options, ...(config ? { config } : {}) });
}

// ------------------------------------------------------------------------------------------------
// The flat shape the rehearsal harness uses (offline/harness/programRunner.ts, PolicyAnalyzerLike)
// ------------------------------------------------------------------------------------------------

/** A registration as the rehearsal harness records it. `properties` may hold plain or wire-form secrets. */
export interface RegisteredResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly properties: Record<string, unknown>;
    readonly dependencies?: readonly string[];
    readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
    /** Parent URN; "" or undefined for none. */
    readonly parent?: string;
}

export interface FlatPolicyAnalyzer {
    analyze(resource: RegisteredResource): Promise<AnalyzeDiagnostic[]>;
    analyzeStack(resources: readonly RegisteredResource[]): Promise<AnalyzeDiagnostic[]>;
    stop(): Promise<void>;
    readonly handle: PolicyPackHandle;
}

function fromRegistration(r: RegisteredResource): AnalyzerResource {
    return {
        urn: r.urn,
        type: r.type,
        name: r.name,
        props: r.properties,
        ...(r.parent ? { parent: r.parent } : {}),
        dependencies: r.dependencies ?? [],
        propertyDependencies: r.propertyDependencies ?? {},
    };
}

/** Wraps a started pack in the flat interface (diagnostics only). */
export function flatAnalyzer(handle: PolicyPackHandle): FlatPolicyAnalyzer {
    return {
        handle,
        analyze: async (r) => (await handle.analyze(fromRegistration(r))).diagnostics,
        analyzeStack: async (rs) => (await handle.analyzeStack(rs.map(fromRegistration))).diagnostics,
        stop: () => handle.stop(),
    };
}

/** For the harness (programRunner.ts): start the pack for a stack with the `--policy-pack-config` content, flat interface. */
export async function startPolicyAnalyzerForHarness(
    packDir: string,
    config: Record<string, unknown> | undefined,
    stack: string,
    project: string,
    options: Omit<StartOptions, "config" | "stack" | "project"> = {},
): Promise<FlatPolicyAnalyzer> {
    return flatAnalyzer(await startPolicyPack(packDir, { ...options, stack, project, ...(config ? { config: config as PolicyPackConfig } : {}) }));
}
