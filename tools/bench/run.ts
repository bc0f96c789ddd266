import { mkdtempSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { Sandbox } from "../../offline/harness/sandbox";
import { cliRunner } from "../rehearse/cliRunner";
import { harnessRunner } from "../rehearse/harnessRunner";
import type { LocatedCli } from "../toolchain/locate";
import { sandboxTargets } from "../rehearse/observe";
import { isRotationStep } from "../rehearse/steps";
import type { Phase, PhaseResult } from "../rehearse/types";
import { attributeCalls, callShape, herokuAppOf, LoggedCall, sequentialCalls } from "./apiCalls";
import { CriticalPath, criticalPath } from "./criticalPath";

/**
 * One benchmark size: N Heroku apps and N GitHub secrets, every emulated API call 100 ms, key A adopted
 * then rotated to key B through the harness. Timing is reported, never asserted; the economy invariants
 * (one Heroku release per app per run, runs that succeed) are.
 */

export const BENCH_LATENCY_MS = 100;
export const REPOSITORIES_MAX = 10;

export interface BenchRun {
    readonly phase: Phase;
    readonly ok: boolean;
    readonly error?: string;
    readonly totalMs: number;
    readonly startupMs: number;
    readonly path: CriticalPath & { readonly steps: readonly { label: string; durationMs: number; calls: number }[] };
    readonly apiCalls: number;
    /**
     * The API-latency floor: along the longest chain of dependent steps, each step weighted by the calls it had
     * to make one after another × BENCH_LATENCY_MS. No engine can finish the deployment sooner.
     */
    readonly latencyFloorMs: number;
    /** Per kind of target: calls each target needed (min / max), and what they were. */
    readonly callsPerTarget: readonly { kind: string; targets: number; min: number; max: number; shapes: Readonly<Record<string, number>> }[];
    /** Heroku releases each app got during this run: { releases → number of apps }. */
    readonly releasesPerApp: Readonly<Record<string, number>>;
    readonly publicKeyFetches: number;
    readonly githubExecuted: boolean;
    /**
     * Heroku steps: time from the step's start to its first API call (check and diff in the provider host,
     * before any network), median and max. Where the fan-out spends time that is not API latency.
     */
    readonly herokuLeadMs?: { readonly median: number; readonly max: number };
}

/** Which engine ran a size: the engine-free harness, or the real Pulumi CLI (`npm run toolchain`'s or PATH's). */
export type BenchEngine = "harness" | "pulumi-cli";

export interface BenchSize {
    readonly n: number;
    readonly engine: BenchEngine;
    readonly herokuApps: number;
    readonly githubSecrets: number;
    readonly repositories: number;
    readonly runs: readonly BenchRun[];
    readonly problems: readonly string[];
}

export function benchApps(n: number): string[] {
    return Array.from({ length: n }, (_, i) => `bench-app-${String(i + 1).padStart(3, "0")}`);
}

function benchTargets(sb: Sandbox, apps: readonly string[]): Record<string, unknown> {
    const base = sandboxTargets(sb.stackFile);
    const repos = Math.min(apps.length, REPOSITORIES_MAX);
    const github = apps.map((_, i) => ({
        repository: `${sb.github.owner}/bench-repo-${String((i % repos) + 1).padStart(2, "0")}`,
        secretName: `ANTHROPIC_API_KEY_${String(i + 1).padStart(3, "0")}`,
    }));
    for (const g of github) sb.github.addRepository(g.repository);
    return { infisical: base.infisical, heroku: apps.map((app) => ({ app, vars: ["ANTHROPIC_API_KEY"] })), github, commands: [] };
}

const LABELS: Record<string, string> = {
    "anthropic:KeyValidation": "validation",
    "anthropic:KeyLedger": "key ledger",
    "preflight:CredentialPreflight": "preflight",
    "infisical:Secret": "Infisical",
    "heroku:ConfigVars": "Heroku",
    "health:HealthChecks": "health",
    "anthropic:PreviousKeyRevocation": "revocation",
    "audit:RotationAudit": "audit",
};

function label(type: string, inputs: Readonly<Record<string, unknown>> | undefined): string {
    const suffix = Object.keys(LABELS).find((k) => type.endsWith(k));
    if (!suffix) return type.split(":").pop() ?? type;
    return suffix === "heroku:ConfigVars" ? `Heroku ${String(inputs?.app ?? "")}` : LABELS[suffix]!;
}

function summarize(result: PhaseResult, calls: readonly LoggedCall[], releases: Record<string, number>, fetches: number): BenchRun {
    const path = criticalPath(result.steps, result.resources);
    const { byStep } = attributeCalls(result.steps, result.resources, calls);
    const callsOfStep = new Map(byStep.map((s) => [s.urn, s.calls]));
    const floor = criticalPath(result.steps, result.resources, (urn) => sequentialCalls(callsOfStep.get(urn) ?? [], BENCH_LATENCY_MS) * BENCH_LATENCY_MS);
    const inputs = new Map(result.resources.map((r) => [r.urn, r.inputs]));
    const perTarget = new Map<string, { count: number; shapes: Record<string, number> }[]>();
    const add = (kind: string, list: readonly LoggedCall[]) => {
        const shapes: Record<string, number> = {};
        for (const c of list) shapes[callShape(c)] = (shapes[callShape(c)] ?? 0) + 1;
        perTarget.set(kind, [...(perTarget.get(kind) ?? []), { count: list.length, shapes }]);
    };
    // Heroku per app, whoever made the call (the ConfigVars step writes, the health step waits for the release).
    const byApp = new Map<string, LoggedCall[]>();
    for (const c of calls.filter((x) => x.emulator === "heroku")) {
        const app = herokuAppOf(c.path) ?? "?";
        byApp.set(app, [...(byApp.get(app) ?? []), c]);
    }
    for (const app of Object.keys(releases)) add("Heroku app", byApp.get(app) ?? []);
    const rotationSteps = new Set(result.steps.filter((x) => isRotationStep(x.type)).map((x) => x.urn));
    for (const s of byStep.filter((x) => x.kind !== "heroku" && rotationSteps.has(x.urn))) add(s.kind === "github" ? "GitHub secret" : label(result.steps.find((x) => x.urn === s.urn)!.type, undefined), s.calls.filter((c) => c.emulator !== "heroku"));
    const shapesOf = (entries: { shapes: Record<string, number> }[]) => {
        const merged: Record<string, number> = {};
        for (const e of entries) for (const [k, v] of Object.entries(e.shapes)) merged[k] = Math.max(merged[k] ?? 0, v);
        return merged;
    };
    const releasesPerApp: Record<string, number> = {};
    for (const n of Object.values(releases)) releasesPerApp[String(n)] = (releasesPerApp[String(n)] ?? 0) + 1;
    const starts = result.steps.map((s) => s.startedAt);
    const leads = result.steps
        .filter((s) => s.type.endsWith("heroku:ConfigVars"))
        .map((s) => {
            const first = (byApp.get(String(inputs.get(s.urn)?.app)) ?? []).find((c) => c.at >= s.startedAt);
            return first ? Math.max(0, first.at - BENCH_LATENCY_MS - s.startedAt) : undefined;
        })
        .filter((x): x is number => x !== undefined)
        .sort((a, b) => a - b);
    return {
        phase: result.phase,
        ok: result.ok,
        ...(result.error ? { error: result.error } : {}),
        totalMs: result.durationMs,
        startupMs: starts.length ? Math.min(...starts) - result.startedAt : result.durationMs,
        path: {
            ...path,
            steps: path.chain.map((s) => ({ label: label(s.type, inputs.get(s.urn)), durationMs: s.durationMs, calls: byStep.find((b) => b.urn === s.urn)?.calls.length ?? 0 })),
        },
        apiCalls: calls.length,
        latencyFloorMs: floor.lengthMs,
        callsPerTarget: [...perTarget.entries()].map(([kind, entries]) => ({
            kind,
            targets: entries.length,
            min: Math.min(...entries.map((e) => e.count)),
            max: Math.max(...entries.map((e) => e.count)),
            shapes: shapesOf(entries),
        })),
        releasesPerApp,
        publicKeyFetches: fetches,
        githubExecuted: result.runner === "pulumi-cli",
        ...(leads.length ? { herokuLeadMs: { median: leads[Math.floor(leads.length / 2)]!, max: leads[leads.length - 1]! } } : {}),
    };
}

export async function benchSize(n: number, progress: (line: string) => void = () => undefined, cli?: LocatedCli): Promise<BenchSize> {
    const engine: BenchEngine = cli ? "pulumi-cli" : "harness";
    const apps = benchApps(n);
    const sb = await Sandbox.start({ latencyMs: BENCH_LATENCY_MS, herokuApps: apps });
    const problems: string[] = [];
    const runs: BenchRun[] = [];
    try {
        const dir = mkdtempSync(join(tmpdir(), `akr-bench-${n}-`));
        const targets = benchTargets(sb, apps);
        const config = { auditLog: join(dir, "audit", "rotations.jsonl"), targets };
        const runner = cli ? await cliRunner(sb, dir, config, cli) : harnessRunner(sb, dir, config);
        for (const [phase, key] of [["adopt", sb.createKey().value], ["rotate", sb.createKey().value]] as const) {
            progress(`▸ N=${n} (${engine}): ${phase === "adopt" ? "pulumi up with key A (create path)" : "pulumi up with key B (rotation)"} …`);
            const from = sb.servers.map((s) => s.requests.length);
            const releases = Object.fromEntries(apps.map((a) => [a, sb.heroku.releaseCount(a)]));
            const fetches = [...sb.github.publicKeyFetches.values()].reduce((a, b) => a + b, 0);
            const result = await runner.run(phase, key, { preview: false, policies: false });
            const calls: LoggedCall[] = sb.servers.flatMap((s, i) => s.requests.slice(from[i]).map((r) => ({ emulator: r.emulator, method: r.method, path: r.path, at: r.at })));
            const delta = Object.fromEntries(apps.map((a) => [a, sb.heroku.releaseCount(a) - releases[a]!]));
            const run = summarize(result, calls, delta, [...sb.github.publicKeyFetches.values()].reduce((a, b) => a + b, 0) - fetches);
            runs.push(run);
            progress(`  ${run.ok ? "done" : "FAILED"} in ${(run.totalMs / 1000).toFixed(1)} s`);
            if (!run.ok) problems.push(`N=${n} ${phase}: the run failed: ${run.error ?? "unknown error"}`);
            const extra = Object.entries(delta).filter(([, r]) => r > 1);
            if (extra.length) problems.push(`N=${n} ${phase}: ${extra.length} Heroku app(s) got more than one release (${extra.slice(0, 3).map(([a, r]) => `${a}: ${r}`).join(", ")})`);
            const none = Object.entries(delta).filter(([, r]) => r === 0);
            if (run.ok && none.length) problems.push(`N=${n} ${phase}: ${none.length} Heroku app(s) got no release although the key changed`);
            if (!run.ok) break;
        }
    } finally {
        await sb.stop();
    }
    return { n, engine, herokuApps: n, githubSecrets: n, repositories: Math.min(n, REPOSITORIES_MAX), runs, problems };
}
