import type { PolicyVerdict, RehearsalFacts, ReportCheck, ReportPhase, ReportTarget } from "./reportTypes";

/**
 * What a finished rotation must show, checked against the emulators' ground truth: every consumer holds
 * the new key, the preview wrote nothing, one Heroku release per app, other config vars untouched, no
 * mandatory policy violation, the previous key proven dead (when revocation asks for it), an audit line.
 */
export function rotationChecks(facts: RehearsalFacts, targets: readonly ReportTarget[], policies: readonly PolicyVerdict[], phases: readonly ReportPhase[]): ReportCheck[] {
    const verified = targets.filter((t) => t.via === "emulator");
    const recorded = targets.filter((t) => t.via === "recorded");
    const wrong = verified.filter((t) => !t.ok);
    const releases = Object.entries(facts.releasesDuringRotation);
    const extra = releases.filter(([, n]) => n !== 1);
    const preview = phases.find((p) => p.phase === "preview");
    const mandatory = policies.filter((p) => p.verdict === "mandatory");
    const rev = facts.revocation;
    const lastAction = facts.auditLines[facts.auditLines.length - 1]?.action;
    const checks: ReportCheck[] = [
        {
            name: "consumers hold the new key",
            ok: wrong.length === 0 && verified.length > 0,
            detail:
                wrong.length > 0
                    ? `${wrong.map((t) => `${t.kind} ${t.target} holds ${t.holds ?? "nothing"}`).join("; ")}`
                    : `${verified.length} read back from the emulators${recorded.length ? `, ${recorded.length} recorded (run by the Pulumi CLI only)` : ""}`,
        },
        { name: "preview wrote nothing", ok: (preview?.consumerWrites ?? 0) === 0, detail: `${preview?.consumerWrites ?? 0} consumer writes during the preview` },
        {
            name: "one Heroku release per app",
            ok: extra.length === 0,
            detail: extra.length ? extra.map(([app, n]) => `${app}: ${n} releases`).join(", ") : `${releases.length} app${releases.length === 1 ? "" : "s"}, 1 release each`,
        },
        {
            name: "other Heroku config vars intact",
            ok: facts.disturbedApps.length === 0,
            detail: facts.disturbedApps.length ? `changed on ${facts.disturbedApps.join(", ")}` : "unrelated vars unchanged byte for byte",
        },
        { name: "no mandatory policy violation", ok: mandatory.length === 0, detail: mandatory.length ? mandatory.map((p) => p.policy).join(", ") : `${policies.length} policies evaluated` },
    ];
    const mode = (facts.phases.find((p) => p.phase === "rotate")?.stackOutputs.revocation as { mode?: string } | undefined)?.mode;
    if (mode === "deactivate" || mode === "verify") {
        checks.push({
            name: "previous key answers 401",
            ok: (rev?.proof401 ?? 0) > 0 && (mode !== "deactivate" || rev?.previousKeyStatus === "inactive") && rev?.newKeyStatus === "active",
            detail: `previous key ${rev?.previousKeyStatus ?? "?"}, ${rev?.proof401 ?? 0} call(s) answered 401; new key ${rev?.newKeyStatus ?? "?"}`,
        });
    }
    checks.push({ name: "audit entry written", ok: lastAction === "secret.rotate.completed", detail: `last line: ${String(lastAction ?? "none")}` });
    return checks;
}
