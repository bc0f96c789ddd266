import { rotationChecks } from "./checks";
import type { PolicyVerdict, RehearsalFacts, RehearsalReport, ReportPhase, ReportStep, ReportTarget } from "./reportTypes";
import { failedStep, isRotationStep, resourceByUrn, sortSteps, STEP_LABELS, stepDepths, stepKind, stepTarget } from "./steps";
import { Phase, PHASE_TITLES, PhaseResult } from "./types";

/**
 * The rehearsal report: one JSON document (`npm run rehearse -- --json`), built from the three runs and
 * what the emulators hold. Fingerprints only: it never carries a key. The text report renders it.
 */

export const REHEARSAL_BUDGET_MS = 30_000;

interface TargetSummary {
    kind: string;
    target: string;
    fingerprint: string;
}

function summaries(phase: PhaseResult | undefined): TargetSummary[] {
    const t = phase?.stackOutputs.targets;
    return Array.isArray(t) ? (t as TargetSummary[]) : [];
}

export function reportSteps(phase: PhaseResult): ReportStep[] {
    const resources = resourceByUrn(phase);
    const depths = stepDepths(phase.resources);
    const t0 = phase.startedAt;
    const steps: ReportStep[] = phase.steps
        .filter((s) => isRotationStep(s.type))
        .map((s) => {
            const kind = stepKind(s.type);
            const r = resources.get(s.urn);
            const native = !s.type.startsWith("pulumi-nodejs:dynamic");
            const depth = depths.get(s.urn);
            return {
                kind,
                ...(depth !== undefined ? { depth } : {}),
                label: STEP_LABELS[kind],
                target: stepTarget(kind, r?.inputs ?? {}, r?.name),
                op: s.op,
                startMs: Math.max(0, s.startedAt - t0),
                durationMs: s.finishedAt - s.startedAt,
                ...(s.oldFingerprint ? { oldFingerprint: s.oldFingerprint } : {}),
                ...(s.newFingerprint ? { newFingerprint: s.newFingerprint } : {}),
                status: s.error ? "failed" : native && phase.runner !== "pulumi-cli" ? "recorded" : "ok",
                ...(s.error ? { error: s.error } : {}),
            } satisfies ReportStep;
        });
    if (!phase.ok) {
        const seen = new Set(phase.steps.map((s) => s.urn));
        for (const r of phase.resources.filter((x) => x.custom !== false && isRotationStep(x.type) && !seen.has(x.urn))) {
            const kind = stepKind(r.type);
            const depth = depths.get(r.urn);
            steps.push({ kind, ...(depth !== undefined ? { depth } : {}), label: STEP_LABELS[kind], target: stepTarget(kind, r.inputs, r.name), op: "-", startMs: phase.durationMs, durationMs: 0, status: "not started" });
        }
    }
    return sortSteps(steps);
}

/** Process start until the first rotation step began. */
function startupOf(p: PhaseResult): number {
    const starts = p.steps.filter((s) => isRotationStep(s.type)).map((s) => s.startedAt);
    return starts.length ? Math.max(0, Math.min(...starts) - p.startedAt) : p.durationMs;
}

function changes(phase: PhaseResult): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of phase.steps.filter((x) => isRotationStep(x.type))) out[s.op] = (out[s.op] ?? 0) + 1;
    return out;
}

function verdicts(facts: RehearsalFacts): PolicyVerdict[] {
    const diagnostics = facts.phases.flatMap((p) => p.policyDiagnostics);
    return facts.policyCatalog.policies.map((p) => {
        const found = diagnostics.filter((d) => d.policyName === p.name);
        const mandatory = found.some((d) => d.enforcementLevel === "mandatory");
        const advisory = found.some((d) => d.enforcementLevel === "advisory");
        return {
            policy: p.name,
            level: p.level,
            verdict: mandatory ? "mandatory" : advisory ? "advisory" : "passed",
            violations: found.length,
            messages: [...new Set(found.map((d) => d.message))],
        };
    });
}

function failure(facts: RehearsalFacts): RehearsalReport["failure"] {
    if (facts.setupError) return { phase: "setup", step: "sandbox", message: facts.setupError };
    const phase = facts.phases.find((p) => !p.ok);
    if (!phase) return undefined;
    const step = failedStep(phase.steps);
    if (step) {
        const r = resourceByUrn(phase).get(step.urn);
        const kind = stepKind(step.type);
        return { phase: phase.phase, step: STEP_LABELS[kind], target: stepTarget(kind, r?.inputs ?? {}, r?.name), message: step.error ?? phase.error ?? "failed" };
    }
    return { phase: phase.phase, step: "program", message: phase.error ?? "the run failed before any step" };
}

export function buildReport(facts: RehearsalFacts): RehearsalReport {
    const byPhase = (p: Phase) => facts.phases.find((x) => x.phase === p);
    const adopt = byPhase("adopt");
    const rotate = byPhase("rotate");
    const shown = facts.phases.find((p) => !p.ok) ?? rotate ?? facts.phases[facts.phases.length - 1];
    const before = summaries(adopt);
    const counters: Record<string, number> = {};
    const targets: ReportTarget[] = summaries(rotate).map((t) => {
        const index = (counters[t.kind] = (counters[t.kind] ?? -1) + 1);
        const held = facts.holdings.find((h) => h.kind === t.kind && h.index === index);
        const via = held?.via ?? "recorded";
        return {
            kind: t.kind,
            target: t.target.replace(new RegExp(`^${t.kind}( app)? `), ""),
            oldFingerprint: before.find((b) => b.kind === t.kind && b.target === t.target)?.fingerprint,
            newFingerprint: t.fingerprint,
            holds: held?.holds,
            via,
            ok: via === "recorded" || held?.holds === t.fingerprint,
        };
    });
    const audit = rotate?.stackOutputs.audit as Record<string, unknown> | undefined;
    const revocation = rotate?.stackOutputs.revocation as { mode?: string; result?: string } | undefined;
    const health = (audit?.health ?? []) as RehearsalReport["health"]["checks"];
    const policies = verdicts(facts);
    const fail = failure(facts);
    const phases: ReportPhase[] = facts.phases.map((p) => ({
        phase: p.phase,
        command: PHASE_TITLES[p.phase].command,
        title: PHASE_TITLES[p.phase].what,
        ok: p.ok,
        durationMs: p.durationMs,
        startupMs: startupOf(p),
        withPolicies: p.withPolicies,
        changes: changes(p),
        consumerWrites: facts.writesByPhase[p.phase] ?? 0,
        ...(p.error ? { error: p.error } : {}),
    }));
    const checks = rotate?.ok ? rotationChecks(facts, targets, policies, phases) : [];
    const ok = !fail && facts.phases.length === 3 && checks.every((c) => c.ok);
    return {
        report: "anthropic-key-rotation rehearsal",
        ok,
        mode: facts.mode,
        engine: facts.engine,
        stack: facts.stack,
        keyName: facts.keyName,
        startedAt: new Date(facts.startedAt).toISOString(),
        totalMs: Math.round(facts.totalMs),
        budgetMs: REHEARSAL_BUDGET_MS,
        keys: facts.keys,
        ...(fail ? { failure: fail } : !ok ? { failure: { phase: "rotate" as const, step: "checks", message: checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`).join("; ") } } : {}),
        phases,
        stepsOf: shown?.phase ?? "adopt",
        steps: shown ? reportSteps(shown) : [],
        targets,
        policies: { pack: facts.policyCatalog.pack, version: facts.policyCatalog.version, evaluatedIn: facts.phases.filter((p) => p.withPolicies).map((p) => p.phase), verdicts: policies },
        health: {
            checks: health,
            herokuReleases: Object.entries(facts.releasesDuringRotation).map(([app, releases]) => ({ app, releases })),
            hits: facts.healthHits,
        },
        ...(revocation?.mode
            ? {
                  revocation: {
                      mode: revocation.mode,
                      result: revocation.result ?? "",
                      previousFingerprint: facts.keys.old,
                      ...facts.revocation,
                      proof401: facts.revocation?.proof401 ?? 0,
                  },
              }
            : {}),
        audit: { file: facts.auditFile, actions: facts.auditLines.map((l) => String(l.action)), ...(audit ? { entry: audit } : {}) },
        checks,
        notes: [...facts.notes],
    };
}
