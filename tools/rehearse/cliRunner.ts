import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "fs";
import { join } from "path";
import { parse, stringify } from "yaml";
import type { Operation, PolicyDiagnostic, StepRecord } from "../../offline/harness/harnessTypes";
import { PROJECT } from "../../offline/harness/rehearsal";
import { Sandbox, SANDBOX_STACK } from "../../offline/harness/sandbox";
import { PROJECT_ROOT } from "../../offline/harness/providerHost";
import type { LocatedCli } from "../toolchain/locate";
import { PulumiSession } from "../toolchain/session";
import type { PhaseResource, PhaseRunner } from "./types";

/**
 * The real-CLI path of `npm run rehearse` and `npm run bench`, used when a Pulumi CLI is found (the toolchain
 * built by `npm run toolchain`, else `pulumi` on PATH):
 *
 *  - a throw-away project directory: Pulumi.yaml copied, sources and node_modules symlinked, and
 *    Pulumi.sandbox.yaml = the project's sandbox stack config + the emulator endpoints (the repository's own
 *    stack file is never touched);
 *  - a PulumiSession (tools/toolchain/session.ts): private PULUMI_HOME with the provider plugins installed
 *    from the toolchain's files, a local file backend and a generated passphrase in the temp dir, no plugin
 *    download, no update check;
 *  - the key goes in with `pulumi config set --secret apiKey` on stdin, never on a command line;
 *  - `pulumi preview` / `pulumi up --yes --skip-preview`, `--policy-pack` as asked, `--event-log` for the
 *    steps, their timing (the event log has 1-second resolution) and the policy events.
 */

/** A throw-away copy of the project whose sandbox stack file points at the emulators. */
export function makeProject(dir: string, config: Readonly<Record<string, unknown>>, stack: string = SANDBOX_STACK): string {
    const project = join(dir, "project");
    mkdirSync(project, { recursive: true });
    copyFileSync(join(PROJECT_ROOT, "Pulumi.yaml"), join(project, "Pulumi.yaml"));
    for (const entry of ["index.ts", "components", "policies", "node_modules", "package.json", "tsconfig.json"]) {
        if (existsSync(join(PROJECT_ROOT, entry))) symlinkSync(join(PROJECT_ROOT, entry), join(project, entry));
    }
    const doc = (parse(readFileSync(join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8")) ?? {}) as { config?: Record<string, unknown> };
    const merged: Record<string, unknown> = { ...doc.config };
    for (const [k, v] of Object.entries(config)) merged[k.includes(":") ? k : `${PROJECT}:${k}`] = v;
    writeFileSync(join(project, `Pulumi.${stack}.yaml`), stringify({ config: merged }));
    return project;
}

const OPS: Record<string, Operation> = { create: "create", update: "update", same: "same", delete: "delete", replace: "replace", "create-replacement": "replace", read: "read" };

interface EngineEvent {
    timestamp?: number;
    resourcePreEvent?: { metadata: StepMeta; planning?: boolean };
    resOutputsEvent?: { metadata: StepMeta };
    resOpFailedEvent?: { metadata: StepMeta };
    diagnosticEvent?: { urn?: string; message?: string; severity?: string };
    policyEvent?: { resourceUrn?: string; message?: string; policyName: string; policyPackName?: string; enforcementLevel: string };
}
interface StepMeta {
    op: string;
    urn: string;
    type: string;
    old?: { inputs?: Record<string, unknown> };
    new?: { inputs?: Record<string, unknown> };
}

/** Steps, resources and policy diagnostics from a `--event-log` file. */
export function readEventLog(path: string): { steps: StepRecord[]; resources: PhaseResource[]; diagnostics: PolicyDiagnostic[]; errors: string[] } {
    const events = existsSync(path)
        ? readFileSync(path, "utf8")
              .split("\n")
              .filter((l) => l.trim())
              .map((l) => JSON.parse(l) as EngineEvent)
        : [];
    const started = new Map<string, { at: number; meta: StepMeta }>();
    const steps: StepRecord[] = [];
    const resources: PhaseResource[] = [];
    const diagnostics: PolicyDiagnostic[] = [];
    const errors: string[] = [];
    const errorsByUrn = new Map<string, string>();
    for (const e of events) {
        const at = (e.timestamp ?? 0) * 1000;
        if (e.resourcePreEvent) {
            const m = e.resourcePreEvent.metadata;
            started.set(m.urn, { at, meta: m });
            resources.push({ urn: m.urn, type: m.type, name: m.urn.split("::").pop() ?? "", inputs: m.new?.inputs ?? m.old?.inputs ?? {}, dependencies: [] });
        }
        const done = e.resOutputsEvent?.metadata ?? e.resOpFailedEvent?.metadata;
        if (done) {
            const s = started.get(done.urn);
            const fp = (x?: { inputs?: Record<string, unknown> }) => (typeof x?.inputs?.fingerprint === "string" ? (x.inputs.fingerprint as string) : undefined);
            steps.push({
                urn: done.urn,
                type: done.type,
                op: OPS[done.op] ?? "same",
                ...(fp(done.old) ? { oldFingerprint: fp(done.old) } : {}),
                ...(fp(done.new) ? { newFingerprint: fp(done.new) } : {}),
                startedAt: s?.at ?? at,
                finishedAt: at,
                ...(e.resOpFailedEvent ? { error: errorsByUrn.get(done.urn) ?? "failed" } : {}),
            });
        }
        if (e.diagnosticEvent?.severity === "error" && e.diagnosticEvent.message) {
            const msg = e.diagnosticEvent.message.trim();
            errors.push(msg);
            if (e.diagnosticEvent.urn) errorsByUrn.set(e.diagnosticEvent.urn, msg);
        }
        if (e.policyEvent) {
            const p = e.policyEvent;
            diagnostics.push({ policyName: p.policyName, policyPackName: p.policyPackName, enforcementLevel: p.enforcementLevel, message: p.message ?? "", urn: p.resourceUrn });
        }
    }
    return { steps, resources, diagnostics, errors };
}

export async function cliRunner(sb: Sandbox, dir: string, config: Readonly<Record<string, unknown>>, cli: LocatedCli): Promise<PhaseRunner> {
    const project = makeProject(dir, sb.config(config));
    const session = await PulumiSession.create({ dir, cli, env: sb.providerEnv() });
    const exec = (args: string[], stdin?: string) => session.exec(args, { cwd: project, stdin });
    const init = await exec(["stack", "init", SANDBOX_STACK, "--secrets-provider", "passphrase", "--non-interactive"]);
    if (init.code !== 0) throw new Error(`pulumi stack init failed: ${init.stderr || init.stdout}`);
    const stackArgs = ["--stack", SANDBOX_STACK, "--non-interactive"];
    return {
        mode: "pulumi-cli",
        engine: `${session.pulumi}, local file backend in ${dir}`,
        async run(phase, key, { preview, policies }) {
            const startedAt = Date.now();
            const set = await exec(["config", "set", "--secret", "apiKey", ...stackArgs], key);
            const eventLog = join(dir, `${phase}.events.jsonl`);
            const policyArgs = policies ? ["--policy-pack", join(PROJECT_ROOT, "policies")] : [];
            const verb = preview ? ["preview", "--diff"] : ["up", "--yes", "--skip-preview"];
            const run = set.code === 0 ? await exec([...verb, ...policyArgs, "--event-log", eventLog, ...stackArgs]) : set;
            const outputs = !preview && run.code === 0 ? await exec(["stack", "output", "--json", ...stackArgs]) : undefined;
            const log = { ...readEventLog(eventLog) };
            // The event log carries no dependencies; the state does (after an update): fill them in, so the report's
            // dependency depth and the bench's critical path work for the real engine too.
            if (!preview && run.code === 0) {
                const exported = await exec(["stack", "export", ...stackArgs]);
                const deps = new Map<string, string[]>();
                try {
                    const doc = JSON.parse(exported.stdout) as { deployment?: { resources?: { urn: string; dependencies?: string[] }[] } };
                    for (const r of doc.deployment?.resources ?? []) deps.set(r.urn, r.dependencies ?? []);
                } catch {
                    /* no dependencies: the report shows no depth */
                }
                log.resources = log.resources.map((r) => ({ ...r, dependencies: deps.get(r.urn) ?? r.dependencies }));
            }
            let stackOutputs: Record<string, unknown> = {};
            try {
                stackOutputs = outputs ? (JSON.parse(outputs.stdout) as Record<string, unknown>) : {};
            } catch {
                /* reported through ok below */
            }
            const ok = run.code === 0;
            return {
                phase,
                runner: "pulumi-cli",
                ok,
                ...(ok ? {} : { error: log.errors[0] ?? `pulumi ${verb[0]} exited with ${run.code}: ${(run.stderr || run.stdout).trim().slice(-800)}` }),
                startedAt,
                durationMs: Date.now() - startedAt,
                steps: log.steps,
                resources: log.resources,
                stackOutputs,
                policyDiagnostics: log.diagnostics,
                withPolicies: policies,
                output: `${run.stdout}${run.stderr}`,
            };
        },
        async dispose() {},
    };
}
