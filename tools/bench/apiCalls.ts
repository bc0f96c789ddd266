import type { StepRecord } from "../../offline/harness/harnessTypes";
import { StepKind, stepKind } from "../rehearse/steps";
import type { PhaseResource } from "../rehearse/types";

/**
 * Attributes each emulator request to the step that made it: same service, inside the step's time window
 * (for Heroku, the app in the path), so a benchmark can count API calls per target.
 */

export interface LoggedCall {
    readonly emulator: string;
    readonly method: string;
    readonly path: string;
    /** When the emulator answered (epoch ms). */
    readonly at: number;
}

export interface StepCalls {
    readonly urn: string;
    readonly kind: StepKind;
    /** Heroku app, for Heroku steps. */
    readonly app?: string;
    readonly calls: readonly LoggedCall[];
}

const SERVICES: Readonly<Record<string, readonly StepKind[]>> = {
    anthropic: ["validation", "preflight", "revocation"],
    infisical: ["preflight", "infisical"],
    heroku: ["preflight", "heroku", "health"],
    health: ["health"],
    github: ["preflight", "github"],
};

/** `/apps/bench-app-007/config-vars` → `bench-app-007`. */
export function herokuAppOf(path: string): string | undefined {
    return /^\/apps\/([^/]+)/.exec(path)?.[1];
}

/**
 * `GET /apps/x/config-vars` → `GET config-vars`, `GET /apps/x` → `GET /apps/{app}`,
 * `PUT /api/v3/repos/o/r/actions/secrets/NAME` → `PUT /repos/{repo}/actions/secrets/{name}`: ids and names are
 * dropped so calls group by kind.
 */
export function callShape(c: LoggedCall): string {
    const path = c.path
        .replace(/^\/apps\/[^/]+$/, "/apps/{app}")
        .replace(/^\/apps\/[^/]+\//, "")
        .replace(/\/apikey_[A-Za-z0-9]+/, "/{id}")
        .replace(/\/secrets\/raw\/[^/]+/, "/secrets/raw/{name}")
        .replace(/^\/api\/v3(?=\/(repos|repositories|orgs)\/)/, "")
        .replace(/^\/repos\/[^/]+\/[^/]+\//, "/repos/{repo}/")
        .replace(/^\/repositories\/\d+\//, "/repositories/{id}/")
        .replace(/\/environments\/[^/]+\//, "/environments/{env}/")
        .replace(/\/secrets\/(?!public-key$)[^/]+$/, "/secrets/{name}");
    return `${c.method} ${path}`;
}

/**
 * How many calls of `calls` had to run one after another: the most calls that do not overlap in time, each
 * taken to start `latencyMs` before the emulator answered it (the greedy earliest-answer count). Calls that ran
 * in parallel count once; a chain of dependent calls counts each. Times `latencyMs`, this is the least time
 * the calls could take.
 */
export function sequentialCalls(calls: readonly LoggedCall[], latencyMs: number): number {
    let rounds = 0;
    let freeAt = -Infinity;
    for (const c of [...calls].sort((a, b) => a.at - b.at)) {
        if (c.at - latencyMs >= freeAt - 1) {
            rounds++;
            freeAt = c.at;
        }
    }
    return rounds;
}

export function attributeCalls(steps: readonly StepRecord[], resources: readonly PhaseResource[], calls: readonly LoggedCall[], slackMs = 5): { byStep: StepCalls[]; unattributed: LoggedCall[] } {
    const inputs = new Map(resources.map((r) => [r.urn, r.inputs]));
    const byStep: (StepCalls & { calls: LoggedCall[]; from: number; to: number })[] = steps.map((s) => {
        const kind = stepKind(s.type);
        const app = kind === "heroku" ? String(inputs.get(s.urn)?.app ?? "") : undefined;
        return { urn: s.urn, kind, ...(app ? { app } : {}), calls: [], from: s.startedAt - slackMs, to: s.finishedAt + slackMs };
    });
    const unattributed: LoggedCall[] = [];
    for (const c of calls) {
        const kinds = SERVICES[c.emulator] ?? [];
        const app = c.emulator === "heroku" ? herokuAppOf(c.path) : undefined;
        const candidates = byStep.filter((s) => kinds.includes(s.kind) && c.at >= s.from && c.at <= s.to);
        const owner = candidates.find((s) => s.kind === "heroku" && s.app === app) ?? candidates.find((s) => s.kind !== "heroku");
        if (owner) owner.calls.push(c);
        else unattributed.push(c);
    }
    return { byStep: byStep.map(({ from: _f, to: _t, ...rest }) => rest), unattributed };
}
