import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANALYTICS_USAGE_PATH, LEGACY_USAGE_PATH } from "../../components/anthropic/usageReport";
import type { RecordedRequest } from "../../offline/emulators/loopbackServer";
import type { RehearsalRun } from "../../offline/harness/rehearsal";
import { HEALTH_PATH } from "../../offline/harness/sandbox";
import { describeFinding, scanForLeaks } from "../support/leakScan";
import { PROCESSES_SETUP_MS } from "../support/timeouts";
import {
    CALLS,
    callSpan,
    Cell,
    convergedSnapshot,
    FAULT_KINDS,
    formatTable,
    invariantProblems,
    judgeTransientLeg,
    lastSeq,
    legMatcher,
    legRequests,
    MATRIX_CUTOVER,
    MatrixContext,
    OWN_TRANSIENT_RUN,
    previousKeyProblems,
    serverOf,
    TRANSIENT_RUNS,
    transientFault,
    waitAfter429,
} from "./faultMatrix";
import { Scenario } from "./scenario";

/**
 * The fault matrix (issue 6, item 4): every call of a rotation × every fault, through the real program and the
 * real provider host against the emulators, in sandboxes carried from cell to cell (each cell rotates to a
 * fresh key from the previous converged state; see LANES).
 *
 * - Transient faults (429 with retry-after, 500, 503/529, a hang past the per-attempt timeout, a dropped
 *   connection) share two runs: one injects a 429, then a 500, then a dropped connection once each on every
 *   leg of every call; the other a 503 (529 for Anthropic), then a hang. A cell passes when the emulator log
 *   shows that leg got the fault and a later request on it succeeded, and the run ended converged.
 * - An authentication failure gets a run of its own: it must fail with an error naming the step and the
 *   target, record a `secret.rotate.failed` line for that step, leave the previous key active, and a second
 *   run without faults must converge to exactly the state a clean run reaches.
 * - A call a clean rotation never makes (the reactivation after a failed health watch) gets runs of its own in
 *   its situation: one with every transient kind, which must end the way its situation says (rolled back, the
 *   previous key active again), then a run that must converge; its authentication failure ends as the call
 *   says (the previous key DEAD, audited as rolled back).
 * - Every run checks the cut-over in the usage report first (MATRIX_CUTOVER: one look that proves it).
 * - After every run: no consumer holds (or was ever sent) anything but the old or the new key, and the
 *   Heroku apps' other vars are intact.
 */

/** Health checks poll every 0.2 s for up to 2.5 s: room for a fault, a hang (0.5 s attempt timeout) and a good answer. */
const HEALTH = (url: string, timeoutSeconds = 2.5) => ({ healthChecks: [{ url, expect: "anthropic.ok == true", timeoutSeconds, intervalSeconds: 0.2 }] });

/**
 * The matrix runs in two lanes at once, each with its own sandbox and state carried from cell to cell. vitest
 * gives this machine's two cores one worker, so test files run one after another, and a rehearsal keeps about
 * one core busy (and sleeps through retry waits): two lanes finish in little more than half the time, for the
 * price of one more clean rotation. Lane A's Anthropic emulator has no analytics endpoint (an organisation
 * without it), so its usage report is the legacy one after a 404; lane B's has it. The transient runs (and the
 * reactivation's own runs) go to lane A, whose authentication cells are fewer.
 */
const LANES: readonly { readonly name: string; readonly transient: boolean; readonly analytics: boolean; readonly authCalls: readonly string[] }[] = [
    { name: "A", transient: true, analytics: false, authCalls: ["validation", "admin", "reactivation"] },
    { name: "B", transient: false, analytics: true, authCalls: ["infisical-login", "infisical-write", "heroku", "health", "usage-report", "revocation"] },
];

interface LaneResult {
    readonly sc: Scenario;
    readonly cells: Cell[];
    readonly runs: { name: string; run: RehearsalRun }[];
    readonly keysUsed: string[];
    readonly reference: string[];
    readonly adoptProblems: string[];
}

const waitedText = (requests: RecordedRequest[][]) => {
    const waits = requests.map(waitAfter429).filter((w): w is number => w !== undefined);
    return waits.length ? ` (waited ${waits.map((w) => w.toFixed(1)).join("/")} s)` : "";
};
const seconds = (run: RehearsalRun) => (run.durationMs / 1000).toFixed(1);
const diff = (reference: readonly string[], now: readonly string[]) => [
    ...reference.filter((l) => !now.includes(l)).map((l) => `missing vs a clean run: ${l}`),
    ...now.filter((l) => !reference.includes(l)).map((l) => `unlike a clean run: ${l}`),
];

/** The calls every rotation makes: their transient cells share the lane's transient runs. */
const SHARED = CALLS.filter((c) => !c.situation);

async function runLane(lane: (typeof LANES)[number], scenarios: Scenario[]): Promise<LaneResult> {
    const sc = await Scenario.start({ anthropic: { analyticsEndpoint: lane.analytics } });
    scenarios.push(sc);
    const sb = sc.sandbox;
    const cells: Cell[] = [];
    const runs: { name: string; run: RehearsalRun }[] = [];
    const keysUsed: string[] = [];
    const config = { ...HEALTH(sb.health.at(HEALTH_PATH)), cutover: MATRIX_CUTOVER };
    const apps = sb.targets().herokuApps;
    const usagePath = lane.analytics ? ANALYTICS_USAGE_PATH : LEGACY_USAGE_PATH;
    const contextFor = (previous: { id: string; value: string }, next: { value: string }): MatrixContext => ({
        previousKeyId: previous.id,
        previousKey: previous.value,
        newKey: next.value,
        apps,
        usagePath,
    });
    const up = async (name: string, key: string, env: Record<string, string> = {}, overrides: Record<string, unknown> = config) => {
        const run = await sc.up(key, { config: overrides, env });
        runs.push({ name: `${lane.name}: ${name}`, run });
        return run;
    };
    const clearFaults = () => sb.servers.forEach((s) => s.clearFaults());

    // A clean rotation: the state every cell must converge to (up to which key is current).
    let current = sc.createKey();
    keysUsed.push(current.value);
    const adopt = await up("adopt (clean)", current.value);
    const adoptProblems = adopt.error ? [`the clean run failed: ${adopt.error}`] : [];
    const reference = convergedSnapshot(sc, current.value);
    const baselineVars = Object.fromEntries(apps.map((app) => [app, Object.keys(sb.heroku.configVars(app))]));

    // Transient faults: every leg of every call meets each kind once, in order, then succeeds.
    for (const group of lane.transient ? TRANSIENT_RUNS : []) {
        const next = sc.createKey();
        keysUsed.push(next.value);
        const ctx = contextFor(current, next);
        for (const call of SHARED) {
            for (const leg of call.legs(ctx)) {
                // A leg judged by its key is faulted only for that key: other callers of the same path in the run
                // (the key ledger's probes of retired keys, the ping of the previous key) would otherwise take the
                // fault first or not, depending on how the parallel calls happen to be scheduled.
                for (const kind of group.kinds) serverOf(sb, leg.service).injectFault({ method: leg.method, path: leg.path, ...legMatcher(leg), fault: transientFault(kind, leg.service), times: 1 });
            }
        }
        const since = lastSeq(sb);
        const run = await up(group.name, next.value, group.env);
        clearFaults();
        const keys = { newKey: next.value, oldKey: current.value };
        const runProblems = [
            ...(run.error ? [`the run failed: ${run.error.split("\n")[0]}`] : []),
            ...invariantProblems(sc, keys, since, baselineVars),
            ...diff(reference, convergedSnapshot(sc, next.value)),
            ...previousKeyProblems(sc, keys),
        ];
        for (const call of SHARED) {
            const legs = call.legs(ctx);
            const requests = legs.map((leg) => legRequests(sb, leg, since));
            for (const kind of group.kinds) {
                const problems = [...legs.map((leg, i) => judgeTransientLeg(requests[i]!, leg, kind)).filter((p): p is string => !!p), ...runProblems];
                cells.push({
                    call: call.id,
                    fault: kind,
                    passed: problems.length === 0,
                    outcome: (problems.length === 0 ? "ok after retries" : "not recovered") + (kind === "429" ? waitedText(requests) : ""),
                    attempts: requests.map((r) => String(r.length)).join("+"),
                    callSeconds: callSpan(requests.flat()),
                    runSeconds: `${seconds(run)} (shared)`,
                    problems,
                });
            }
        }
        current = next;
    }

    // Calls with a situation of their own: every transient kind in one run, which must end as the situation says.
    for (const call of lane.transient ? CALLS.filter((c) => c.situation) : []) {
        const situation = call.situation!;
        const next = sc.createKey();
        keysUsed.push(next.value);
        const ctx = contextFor(current, next);
        const keys = { newKey: next.value, oldKey: current.value };
        const group = OWN_TRANSIENT_RUN;
        for (const leg of call.legs(ctx)) {
            for (const kind of group.kinds) serverOf(sb, leg.service).injectFault({ method: leg.method, path: leg.path, ...legMatcher(leg), fault: transientFault(kind, leg.service), times: 1 });
        }
        const end = situation.arrange(sb, current.id);
        const since = lastSeq(sb);
        const run = await up(`${call.id}: ${group.name}`, next.value, group.env);
        clearFaults();
        end();
        const legs = call.legs(ctx);
        const requests = legs.map((leg) => legRequests(sb, leg, since));
        const lastAudit = sc.auditRecords().at(-1);
        const runProblems: string[] = [];
        if (run.exitCode === 0 || !run.error) runProblems.push(`the run did not end as its situation does (${situation.recovered.auditAction})`);
        else if (!situation.recovered.failure.test(run.error)) runProblems.push(`the run did not end as its situation does: ${run.error.slice(0, 400)}`);
        if (lastAudit?.action !== situation.recovered.auditAction || lastAudit.step !== "revocation") {
            runProblems.push(`the last audit line is ${lastAudit?.action} at ${lastAudit?.step}, expected ${situation.recovered.auditAction} at revocation`);
        }
        const status = sb.anthropic.key(current.value)?.status;
        if (status !== situation.recovered.previousKey) runProblems.push(`the previous key is ${status}, expected ${situation.recovered.previousKey}`);
        runProblems.push(...invariantProblems(sc, keys, since, baselineVars));

        const sinceConverge = lastSeq(sb);
        const converge = await up(`${call.id}: convergence`, next.value);
        if (converge.error) runProblems.push(`the run without faults failed: ${converge.error.split("\n")[0]}`);
        runProblems.push(...invariantProblems(sc, keys, sinceConverge, baselineVars).map((p) => `after convergence: ${p}`));
        runProblems.push(...diff(reference, convergedSnapshot(sc, next.value)));
        runProblems.push(...previousKeyProblems(sc, keys));
        for (const kind of group.kinds) {
            const problems = [...legs.map((leg, i) => judgeTransientLeg(requests[i]!, leg, kind)).filter((p): p is string => !!p), ...runProblems];
            cells.push({
                call: call.id,
                fault: kind,
                passed: problems.length === 0,
                outcome: (problems.length === 0 ? "ok after retries, rolled back, converged" : "not recovered") + (kind === "429" ? waitedText(requests) : ""),
                attempts: requests.map((r) => String(r.length)).join("+"),
                callSeconds: callSpan(requests.flat()),
                runSeconds: `${seconds(run)}+${seconds(converge)} (own, shared)`,
                problems,
            });
        }
        current = next;
    }

    // Authentication failures: a failing run each, then a run without faults that must converge.
    for (const call of CALLS.filter((c) => lane.authCalls.includes(c.id))) {
        const next = sc.createKey();
        keysUsed.push(next.value);
        const ctx = contextFor(current, next);
        const keys = { newKey: next.value, oldKey: current.value };
        for (const leg of call.authLegs(ctx)) serverOf(sb, leg.service).injectFault({ method: leg.method, path: leg.path, ...legMatcher(leg), fault: call.authFault, times: 1000 });
        const end = call.situation?.arrange(sb, current.id) ?? (() => undefined);
        const since = lastSeq(sb);
        // A health endpoint that answers 401 fails for real once its timeout is over: keep that one short.
        const failed = await up(`${call.id} × auth`, next.value, {}, call.id === "health" ? { ...config, ...HEALTH(sb.health.at(HEALTH_PATH), 1) } : config);
        clearFaults();
        end();
        const status = call.authFault.kind === "status" ? call.authFault.status : 0;
        const requests = call.authLegs(ctx).map((leg) => legRequests(sb, leg, since));
        const lastAudit = sc.auditRecords().at(-1);
        const problems: string[] = [];
        if (failed.exitCode === 0 || !failed.error) problems.push("the run did not fail");
        else if (!call.failure.test(failed.error)) problems.push(`the error does not name the step and target as expected: ${failed.error.slice(0, 400)}`);
        if (!requests.flat().some((r) => r.outcome === status)) problems.push(`no request got the injected ${status}`);
        const auditAction = call.auditAction ?? "secret.rotate.failed";
        if (lastAudit?.action !== auditAction || lastAudit.step !== call.auditStep) {
            problems.push(`the last audit line is ${lastAudit?.action} at ${lastAudit?.step}, expected ${auditAction} at ${call.auditStep}`);
        }
        const previousStatus = sb.anthropic.key(current.value)?.status;
        const expectedStatus = call.previousKeyAfterAuth ?? "active";
        if (previousStatus !== expectedStatus) problems.push(`the previous key is ${previousStatus} after the failure, expected ${expectedStatus}`);
        for (const leg of call.untouchedByAuth?.(ctx) ?? []) {
            const touched = legRequests(sb, leg, since);
            if (touched.length) problems.push(`${leg.method} ${leg.path} was called ${touched.length} time(s) although the run failed before it`);
        }
        if (failed.steps.some((s) => s.type.endsWith("RotationAudit"))) problems.push("the audit step ran after a failure");
        problems.push(...invariantProblems(sc, keys, since, baselineVars).map((p) => `after the failure: ${p}`));

        const sinceConverge = lastSeq(sb);
        const converge = await up(`${call.id} × auth: convergence`, next.value);
        if (converge.error) problems.push(`the run without faults failed: ${converge.error.split("\n")[0]}`);
        problems.push(...invariantProblems(sc, keys, sinceConverge, baselineVars).map((p) => `after convergence: ${p}`));
        problems.push(...diff(reference, convergedSnapshot(sc, next.value)));
        problems.push(...previousKeyProblems(sc, keys));
        cells.push({
            call: call.id,
            fault: "auth",
            passed: problems.length === 0,
            outcome: problems.length === 0 ? `failed at ${call.auditStep}, converged` : "unclear or not converged",
            attempts: requests.map((r) => String(r.length)).join("+"),
            callSeconds: callSpan(requests.flat()),
            runSeconds: `${seconds(failed)}+${seconds(converge)}`,
            problems,
        });
        current = next;
    }
    return { sc, cells, runs, keysUsed, reference, adoptProblems };
}

describe("fault matrix: every call × every fault ends in success after retries or a clear failure, then converges", () => {
    const scenarios: Scenario[] = [];
    let lanes: LaneResult[] = [];
    let cells: Cell[] = [];

    beforeAll(async () => {
        const started = Date.now();
        lanes = await Promise.all(LANES.map((lane) => runLane(lane, scenarios)));
        const elapsedSeconds = (Date.now() - started) / 1000;
        cells = lanes
            .flatMap((l) => l.cells)
            .sort((a, b) => CALLS.findIndex((c) => c.id === a.call) - CALLS.findIndex((c) => c.id === b.call) || FAULT_KINDS.indexOf(a.fault) - FAULT_KINDS.indexOf(b.fault));
        const runs = lanes.flatMap((l) => l.runs);
        const runLines = runs.map(({ name, run }) => `  ${name.padEnd(37)} ${seconds(run).padStart(5)} s${run.error ? `  (failed: ${run.error.split("\n")[0]!.slice(0, 80)})` : ""}`);
        console.log(
            `${formatTable(cells)}\n\n${runs.length} runs in ${LANES.length} lanes at once, ${elapsedSeconds.toFixed(1)} s in all:\n${runLines.join("\n")}`,
        );
    }, PROCESSES_SETUP_MS);
    afterAll(() => Promise.all(scenarios.map((sc) => sc.stop())));

    it("starts every lane from the same clean rotation", () => {
        expect(lanes.flatMap((l) => l.adoptProblems)).toEqual([]);
        for (const lane of lanes.slice(1)) expect(lane.reference).toEqual(lanes[0]!.reference);
    });

    for (const call of CALLS) {
        for (const fault of FAULT_KINDS) {
            it(`${call.label} × ${fault}`, () => {
                const cell = cells.find((c) => c.call === call.id && c.fault === fault);
                expect(cell, "cell was run").toBeDefined();
                expect(cell!.problems).toEqual([]);
            });
        }
    }

    it("passes every cell of the matrix", () => {
        expect(cells).toHaveLength(CALLS.length * FAULT_KINDS.length);
        expect(`${cells.filter((c) => c.passed).length} passed`).toBe(`${cells.length} passed`);
    });

    it("leaks no key, credential or key prefix in anything the matrix produced", () => {
        for (const { sc, keysUsed } of lanes) {
            const artifacts = sc.artifacts();
            const { sandbox } = sc;
            const secrets = [...keysUsed, sandbox.adminKey, sandbox.heroku.token, sandbox.infisical.clientSecret, ...sandbox.infisical.issuedTokens, sandbox.github.token];
            const findings = scanForLeaks(artifacts, secrets);
            expect(findings.map((f) => describeFinding(f, artifacts))).toEqual([]);
        }
    });
});
