import type { StepRecord } from "../../offline/harness/harnessTypes";
import { isRotationStep } from "../rehearse/steps";
import type { PhaseResource } from "../rehearse/types";

/**
 * The critical path of a deployment: the chain of dependent steps whose durations add up to the most.
 * No schedule can finish sooner than this chain, however wide the fan-out; a deployment whose wall time
 * stays near it is running everything else in parallel.
 */

export interface PathStep {
    readonly urn: string;
    readonly type: string;
    readonly startedAt: number;
    readonly finishedAt: number;
    readonly durationMs: number;
}

export interface CriticalPath {
    /** The chain, first step first. */
    readonly chain: readonly PathStep[];
    /** Sum of the chain's durations. */
    readonly lengthMs: number;
    /** First step start to last step end: what the deployment took. */
    readonly spanMs: number;
    /** Sum of every step's duration: what a one-at-a-time rollout would take. */
    readonly serialMs: number;
}

/** Every URN a resource waits for: `dependsOn` plus the resources its inputs came from. */
export function dependenciesOf(r: PhaseResource): string[] {
    return [...new Set([...r.dependencies, ...Object.values(r.propertyDependencies ?? {}).flat()])];
}

/**
 * `weightOf` gives a step's weight in ms (default: its measured duration); with the least time its API calls
 * need, the chain's length is the API-latency floor of the deployment.
 */
export function criticalPath(steps: readonly StepRecord[], resources: readonly PhaseResource[], weightOf?: (urn: string) => number): CriticalPath {
    const ran = new Map<string, PathStep>();
    for (const s of steps) {
        if (!isRotationStep(s.type) || s.op === "delete") continue;
        ran.set(s.urn, { urn: s.urn, type: s.type, startedAt: s.startedAt, finishedAt: s.finishedAt, durationMs: weightOf ? weightOf(s.urn) : Math.max(0, s.finishedAt - s.startedAt) });
    }
    const deps = new Map(resources.map((r) => [r.urn, dependenciesOf(r).filter((d) => d !== r.urn)]));
    // Longest chain ending at each step (memoised depth-first; the graph is a DAG, cycles are cut defensively).
    const best = new Map<string, { length: number; prev?: string }>();
    const visit = (urn: string, onStack: Set<string>): number => {
        const known = best.get(urn);
        if (known) return known.length;
        onStack.add(urn);
        let prev: string | undefined;
        let longest = 0;
        for (const d of deps.get(urn) ?? []) {
            if (!ran.has(d) || onStack.has(d)) continue;
            const l = visit(d, onStack);
            if (l > longest) [longest, prev] = [l, d];
        }
        onStack.delete(urn);
        const length = longest + ran.get(urn)!.durationMs;
        best.set(urn, { length, prev });
        return length;
    };
    let end: string | undefined;
    let lengthMs = 0;
    for (const urn of ran.keys()) {
        const l = visit(urn, new Set());
        if (end === undefined || l > lengthMs) [end, lengthMs] = [urn, l];
    }
    const chain: PathStep[] = [];
    for (let at = end; at !== undefined; at = best.get(at)?.prev) chain.unshift(ran.get(at)!);
    const all = [...ran.values()];
    return {
        chain,
        lengthMs,
        spanMs: all.length ? Math.max(...all.map((s) => s.finishedAt)) - Math.min(...all.map((s) => s.startedAt)) : 0,
        serialMs: all.reduce((sum, s) => sum + s.durationMs, 0),
    };
}
