/**
 * Keeps the engine-free harness honest: the same rehearsal (adopt key A, preview A → B with the policy pack,
 * rotate to B with the policy pack) through the harness and through the real CLI must end the same way,
 * judged by outcome: each run's exit status and consumer writes, what every emulated service holds at the end,
 * the steps (kind, target, operation, dependency depth), the policy verdicts, the revocation and the audit
 * trail. The one documented difference: the harness records GitHub secrets (native provider) instead of
 * writing them, so the engine's runs write exactly one more time per GitHub target.
 */
import { describe, expect, it } from "vitest";
import { runRehearsal } from "../../tools/rehearse/run";
import type { RehearsalReport } from "../../tools/rehearse/reportTypes";
import { realEngineAvailability } from "./realEngine";

const { cli, required } = realEngineAvailability();

function outcome(report: RehearsalReport) {
    return {
        ok: report.ok,
        failure: report.failure?.step,
        phases: report.phases.map((p) => ({ phase: p.phase, ok: p.ok, changes: p.changes })),
        steps: report.steps.map((s) => `${s.kind} ${s.target} ${s.op}${s.depth === undefined ? "" : ` depth ${s.depth}`}`).sort(),
        targets: report.targets.map((t) => `${t.kind} ${t.target} ${t.oldFingerprint === undefined ? "" : "old "}→ new${t.via === "emulator" ? ` holds ${t.holds === t.newFingerprint ? "new" : t.holds}` : ""}`),
        policies: report.policies.verdicts.map((v) => `${v.policy} ${v.verdict} ${v.violations}`),
        health: report.health.checks.map((c) => c.ok),
        releases: report.health.herokuReleases,
        revocation: report.revocation && { mode: report.revocation.mode, result: report.revocation.result.replace(/apikey_\w+/g, "apikey_…").replace(/\d+(\.\d+)? s\b/g, "n s"), previous: report.revocation.previousKeyStatus, next: report.revocation.newKeyStatus, proven: report.revocation.proof401 > 0 },
        audit: report.audit.actions,
        checks: report.checks.map((c) => `${c.name} ${c.ok}`),
    };
}

describe.runIf(cli !== undefined || required)("harness and real engine agree on a rehearsal's outcome", () => {
    it("same exit status, consumer holdings, steps, policy verdicts, revocation and audit", async () => {
        // Generous health time limits: on a loaded machine the check's limit must not decide the outcome.
        const harness = await runRehearsal({ forceHarness: true, healthTimeoutSeconds: 300 });
        const engine = await runRehearsal({ healthTimeoutSeconds: 300 });
        expect(harness.mode).toBe("harness");
        expect(engine.mode).toBe("pulumi-cli");
        const h = outcome(harness);
        const e = outcome(engine);
        // The engine executes GitHub secrets; the harness records them. Normalise that one documented difference.
        const executed = (t: string) => t.replace(/ holds new$/, "");
        expect({ ...e, targets: e.targets.map(executed) }).toEqual({ ...h, targets: h.targets.map(executed) });
        const githubTargets = engine.targets.filter((t) => t.kind === "github").length;
        for (const phase of engine.phases) {
            const twin = harness.phases.find((p) => p.phase === phase.phase)!;
            expect(phase.consumerWrites, `${phase.phase}: writes`).toBe(twin.consumerWrites + (phase.phase === "preview" ? 0 : githubTargets));
        }
        expect(engine.targets.filter((t) => t.kind === "github").every((t) => t.via === "emulator" && t.holds === t.newFingerprint)).toBe(true);
    }, 900_000);
});
