/**
 * Child-process entry of the rehearsal harness: runs the Pulumi program (index.ts) the way the language host
 * does, under ts-node, with a monitor that plays the engine's part. Every registration is recorded; dynamic
 * resources are carried out through the REAL dynamic provider host (check → diff → create/update) in the
 * order the program's dependencies impose; native-provider resources (GitHub, command) are recorded with the
 * inputs the engine would send them. Policies (when a pack is given) are evaluated through the real analyzer in
 * the engine's order (enginePolicies.ts): every resource after its Check and before its step, then, once every
 * step succeeded, the whole stack on its outputs.
 *
 * Usage: ts-node programRunner.ts <job.json>; the stack config arrives in AKR_HARNESS_CONFIG (like the
 * engine's PULUMI_CONFIG) and is removed from the environment at once.
 */
import { readFileSync, writeFileSync } from "fs";
import { ProviderHost, Props } from "./providerHost";
import type { HarnessJob, HarnessResult, Registration, StepRecord } from "./harnessTypes";
import { EnginePolicies, PolicyAnalyzerLike } from "./enginePolicies";
import { ResourceState, SECRET_SIG, SECRET_SIG_KEY, StateStore } from "./stateStore";

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any -- Pulumi runtime internals are untyped */


const job = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as HarnessJob;
const configText = process.env.AKR_HARNESS_CONFIG ?? "{}";
const secretKeysText = process.env.AKR_HARNESS_SECRET_KEYS ?? "[]";
delete process.env.AKR_HARNESS_CONFIG;
delete process.env.AKR_HARNESS_SECRET_KEYS;

const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
const settings = require("@pulumi/pulumi/runtime/settings");
const stateModule = require("@pulumi/pulumi/runtime/state");
const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks");
const rpc = require("@pulumi/pulumi/runtime/rpc");
const outputModule = require("@pulumi/pulumi/output");
const resproto = require("@pulumi/pulumi/proto/resource_pb");
const structproto = require("google-protobuf/google/protobuf/struct_pb");

const registrations: Registration[] = [];
const steps: StepRecord[] = [];
/** Every resource's outputs as the engine would hold them (plaintext), for AnalyzeStack. */
const outputsByUrn = new Map<string, Record<string, unknown>>();
const providerTexts = new Set<string>();
let stackOutputsRaw: Record<string, unknown> = {};
let seq = 0;

// Like the engine: after the first failed step no new step starts, in-flight steps finish, and the deployment
// ends with that error (the program's pending registrations are abandoned).
let deploymentError: Error | undefined;
let signalFailure: (err: Error) => void = () => undefined;
const deploymentFailed = new Promise<never>((_, reject) => (signalFailure = reject));
deploymentFailed.catch(() => undefined);
const inFlight = new Set<Promise<unknown>>();

const store = new StateStore(job.statePath, process.env.PULUMI_CONFIG_PASSPHRASE ?? "rehearsal");
let host: ProviderHost | undefined;
let policies = new EnginePolicies(undefined, job.preview);

function isSecretValue(v: unknown): boolean {
    if (typeof v !== "object" || v === null) return false;
    if ((v as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG) return true;
    return Object.values(v as Record<string, unknown>).some(isSecretValue);
}

/**
 * The engine sends plaintext to providers and policies: strip the SDK's secret wrappers, and turn the SDK's
 * in-memory "unknown" (a preview value not known yet) back into the wire sentinel the engine sends.
 */
function unwrapSecrets(v: unknown): unknown {
    if (v === outputModule.unknown) return rpc.unknownValue;
    if (typeof v !== "object" || v === null) return v;
    if (Array.isArray(v)) return v.map(unwrapSecrets);
    const o = v as Record<string, unknown>;
    if (o[SECRET_SIG_KEY] === SECRET_SIG) return unwrapSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
}

function wrapSecrets(props: Record<string, unknown>, secretKeys: readonly string[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(props)) out[k] = secretKeys.includes(k) && v !== undefined ? pulumi.secret(v) : v;
    return out;
}

function fp(props: Record<string, unknown> | undefined): string | undefined {
    const v = props?.fingerprint;
    return typeof v === "string" ? v : undefined;
}

async function carryOut(reg: Registration): Promise<{ id: string; outputs: Record<string, unknown>; secretKeys: string[] }> {
    const prior = store.get(reg.urn);
    const secretKeys = [...new Set([...reg.secretInputs, ...reg.additionalSecretOutputs, ...(prior?.secretKeys ?? [])])];
    const startedAt = Date.now();
    const record = (step: Omit<StepRecord, "urn" | "type" | "startedAt" | "finishedAt">) =>
        steps.push({ urn: reg.urn, type: reg.type, startedAt, finishedAt: Date.now(), ...step });

    // Components (and the Stack) have no provider and no step: the engine only analyzes their inputs.
    if (!reg.custom) {
        const violation = await policies.analyze(reg, reg.inputs);
        if (violation) {
            record({ op: prior ? "update" : "create", error: violation.message });
            throw violation;
        }
        return { id: "", outputs: {}, secretKeys: [] };
    }

    if (!reg.type.startsWith("pulumi-nodejs:dynamic")) {
        // No Check for a native provider here: its resource is analyzed on the inputs as registered.
        const violation = await policies.analyze(reg, reg.inputs);
        if (violation) {
            record({ op: prior ? "update" : "create", error: violation.message });
            throw violation;
        }
        // A native provider's resource: recorded with the inputs the engine would send it.
        const same = prior && JSON.stringify(prior.inputs) === JSON.stringify(reg.inputs);
        record({ op: !prior ? "create" : same ? "same" : "update", oldFingerprint: fp(prior?.inputs), newFingerprint: fp(reg.inputs) });
        const id = prior?.id ?? `${reg.name}-id`;
        if (!job.preview) store.set({ urn: reg.urn, type: reg.type, id, inputs: reg.inputs, outputs: reg.inputs, secretKeys, dependencies: reg.dependencies });
        return { id, outputs: reg.inputs, secretKeys };
    }

    providerTexts.add(String(reg.inputs.__provider));
    const h = host!;
    try {
        // The engine's order: Check, then Analyze on the checked inputs, then (if neither failed) the step.
        const checked = await h.check(reg.urn, (prior?.inputs ?? {}) as Props, reg.inputs as Props);
        const violation = await policies.analyze(reg, checked.inputs);
        if (checked.failures.length > 0) {
            throw new Error(`check failed: ${checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
        }
        if (violation) throw violation;
        const news = checked.inputs;
        if (!prior) {
            if (job.preview) {
                record({ op: "create", newFingerprint: fp(news) });
                return { id: "", outputs: news, secretKeys };
            }
            const created = await h.create(reg.urn, news);
            record({ op: "create", newFingerprint: fp(news) });
            store.set({ urn: reg.urn, type: reg.type, id: created.id, inputs: news, outputs: created.properties, secretKeys, dependencies: reg.dependencies });
            return { id: created.id, outputs: created.properties, secretKeys };
        }
        const diff = await h.diff(prior.id, reg.urn, prior.outputs as Props, news);
        const oldFingerprint = fp(prior.outputs) ?? fp(prior.inputs);
        if (diff.changes === "none") {
            record({ op: "same", oldFingerprint, newFingerprint: fp(news) });
            return { id: prior.id, outputs: prior.outputs, secretKeys };
        }
        if (diff.replaces.length > 0) {
            if (job.preview) {
                record({ op: "replace", oldFingerprint, newFingerprint: fp(news), replaces: diff.replaces });
                return { id: "", outputs: news, secretKeys };
            }
            // Create-before-delete, the engine's default.
            const created = await h.create(reg.urn, news);
            await h.delete(prior.id, reg.urn, prior.outputs as Props);
            record({ op: "replace", oldFingerprint, newFingerprint: fp(news), replaces: diff.replaces });
            store.set({ urn: reg.urn, type: reg.type, id: created.id, inputs: news, outputs: created.properties, secretKeys, dependencies: reg.dependencies });
            return { id: created.id, outputs: created.properties, secretKeys };
        }
        if (job.preview) {
            // A dynamic provider does no preview: the engine takes the checked inputs as the outputs, so every
            // output-only property (a validation receipt, a release number) is unknown to the program.
            record({ op: "update", oldFingerprint, newFingerprint: fp(news) });
            return { id: prior.id, outputs: news, secretKeys };
        }
        const updated = await h.update(prior.id, reg.urn, prior.outputs as Props, news);
        record({ op: "update", oldFingerprint, newFingerprint: fp(news) });
        store.set({ urn: reg.urn, type: reg.type, id: prior.id, inputs: news, outputs: updated.properties, secretKeys, dependencies: reg.dependencies });
        return { id: prior.id, outputs: updated.properties, secretKeys };
    } catch (err) {
        const message = (err as Error).message;
        if (!steps.some((s) => s.urn === reg.urn)) record({ op: prior ? "update" : "create", error: message });
        throw err;
    }
}


class EngineMonitor extends MockMonitor {
    constructor() {
        super({ newResource: () => ({ id: "", state: {} }), call: () => ({}) });
    }

    async registerResource(req: any, callback: (err: unknown, resp?: unknown) => void): Promise<void> {
        try {
            const urn = this.newUrn(req.getParent(), req.getType(), req.getName());
            const rawObject = req.getObject().toJavaScript() as Record<string, unknown>;
            const propertyDependencies: Record<string, string[]> = {};
            req.getPropertydependenciesMap().forEach((v: any, k: string) => (propertyDependencies[k] = v.getUrnsList()));
            const reg: Registration = {
                urn,
                type: req.getType(),
                name: req.getName(),
                parent: req.getParent(),
                custom: req.getCustom(),
                inputs: unwrapSecrets(rpc.deserializeProperties(req.getObject(), true)) as Record<string, unknown>,
                secretInputs: Object.entries(rawObject).filter(([, v]) => isSecretValue(v)).map(([k]) => k),
                additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
                retainOnDelete: req.getRetainondelete() === true,
                dependencies: req.getDependenciesList(),
                propertyDependencies,
                provider: req.getProvider(),
                seq: ++seq,
            };
            registrations.push(reg);
            if (deploymentError) throw new Error(`not started: an earlier step failed`);
            const work = carryOut(reg);
            inFlight.add(work);
            let result: Awaited<ReturnType<typeof carryOut>>;
            try {
                result = await work;
            } catch (err) {
                if (!deploymentError) {
                    deploymentError = err instanceof Error ? err : new Error(String(err));
                    signalFailure(deploymentError);
                }
                throw err;
            } finally {
                inFlight.delete(work);
            }
            if (reg.custom) outputsByUrn.set(urn, result.outputs);
            const state = await rpc.serializeProperties("", wrapSecrets(result.outputs, result.secretKeys));
            this.resources.set(urn, { urn, id: result.id || null, state });
            const response = new resproto.RegisterResourceResponse();
            response.setUrn(urn);
            response.setId(result.id || "");
            response.setObject(structproto.Struct.fromJavaScript(state));
            callback(null, response);
        } catch (err) {
            callback(err);
        }
    }

    registerResourceOutputs(req: any, callback: (err: unknown, resp?: unknown) => void): void {
        if (req.getUrn().includes("::pulumi:pulumi:Stack::")) stackOutputsRaw = req.getOutputs()?.toJavaScript() ?? {};
        // A component's (and the Stack's) outputs are what it registers here.
        const outputs = req.getOutputs();
        if (outputs) outputsByUrn.set(req.getUrn(), unwrapSecrets(rpc.deserializeProperties(outputs, true)) as Record<string, unknown>);
        super.registerResourceOutputs(req, callback);
    }
}

function maskSecrets(value: unknown): unknown {
    if (typeof value !== "object" || value === null) return value;
    if ((value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG) return "[secret]";
    if (Array.isArray(value)) return value.map(maskSecrets);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v)]));
}

async function main(): Promise<void> {
    let error: string | undefined;
    try {
        host = job.providerHostPort
            ? ProviderHost.connect(job.providerHostPort)
            : await ProviderHost.start({ env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...job.providerEnv } });
        if (job.policyPack) {
            const { startPolicyAnalyzerForHarness } = require("./policyAnalyzer") as {
                startPolicyAnalyzerForHarness(packDir: string, config: Record<string, unknown> | undefined, stack: string, project: string): Promise<PolicyAnalyzerLike>;
            };
            policies = new EnginePolicies(await startPolicyAnalyzerForHarness(job.policyPack, job.policyConfig, job.stack, job.project), job.preview);
        }
        settings.setMockOptions(new EngineMonitor(), job.project, job.stack, job.preview);
        const s = stateModule.getStore();
        Object.assign(s, { supportsSecrets: true, supportsResourceReferences: true, supportsOutputValues: false, supportsDeletedWith: true, supportsAliasSpecs: true });
        pulumi.runtime.setAllConfig(JSON.parse(configText) as Record<string, string>, JSON.parse(secretKeysText) as string[]);

        await Promise.race([pulumi.runtime.runInPulumiStack(async () => require(job.programPath)), deploymentFailed]);
        await Promise.race([settings.waitForRPCs(), deploymentFailed]);

        if (!job.preview) {
            // Resources in state that the program no longer registers are deleted, as the engine would.
            const registered = new Set(registrations.map((r) => r.urn));
            for (const gone of store.all().filter((r) => !registered.has(r.urn)).reverse()) {
                const startedAt = Date.now();
                if (gone.type.startsWith("pulumi-nodejs:dynamic")) await host.delete(gone.id, gone.urn, gone.outputs as Props);
                store.delete(gone.urn);
                steps.push({ urn: gone.urn, type: gone.type, op: "delete", oldFingerprint: fp(gone.inputs), startedAt, finishedAt: Date.now() });
            }
        }
        // Every step succeeded: AnalyzeStack on the outputs of all resources, Stack, components and providers included.
        const stackViolation = await policies.analyzeStack(registrations.map((r) => ({ view: r, outputs: outputsByUrn.get(r.urn) ?? {} })));
        const failure = policies.previewFailure() ?? stackViolation;
        if (failure) throw failure;
    } catch (err) {
        error = err instanceof Error ? err.message : String(err);
        // Let steps already under way finish, as the engine does, so their state is recorded.
        await Promise.allSettled([...inFlight]);
    } finally {
        if (!job.preview) store.save();
        await policies.stop().catch(() => undefined);
        if (host) await host.stop().catch(() => undefined);
    }
    const result: HarnessResult = {
        // Secret inputs are masked, as the engine's display and encrypted state would have them.
        registrations: registrations.map((r) => ({
            ...r,
            inputs: Object.fromEntries(Object.entries(r.inputs).map(([k, v]) => [k, r.secretInputs.includes(k) ? "[secret]" : v])),
        })),
        steps,
        stackOutputs: maskSecrets(stackOutputsRaw) as Record<string, unknown>,
        secretStackOutputs: Object.entries(stackOutputsRaw).filter(([, v]) => isSecretValue(v)).map(([k]) => k),
        policyDiagnostics: policies.diagnostics,
        policyCalls: policies.calls,
        providerTexts: [...providerTexts],
        providerHostStderr: host?.stderr ?? "",
        error,
    };
    writeFileSync(job.resultPath, JSON.stringify(result, null, 2));
    process.exit(error ? 1 : 0);
}

process.on("unhandledRejection", () => undefined); // failures are reported through the stack's outputs
void main();
export type { ResourceState };
