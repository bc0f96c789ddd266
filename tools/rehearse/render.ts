import { formatMs, heading, MARK, Style, table, timelineBar } from "../shared/terminal";
import type { PolicyVerdict, RehearsalReport, ReportStep } from "./reportTypes";
import { PHASE_NAMES } from "./types";

/** The text report of `npm run rehearse`, rendered from the JSON report alone (so tests can render it too). */

const short = (fp: string | undefined) => fp ?? "–";
const TIMELINE_WIDTH = 20;

function changeSummary(changes: Readonly<Record<string, number>>, preview: boolean): string {
    const verbs: Record<string, [string, string]> = {
        create: ["to create", "created"],
        update: ["to update", "updated"],
        replace: ["to replace", "replaced"],
        delete: ["to delete", "deleted"],
        same: ["unchanged", "unchanged"],
    };
    const parts = Object.entries(changes).map(([op, n]) => `${n} ${(verbs[op] ?? [op, op])[preview ? 0 : 1]}`);
    return parts.join(", ") || "nothing";
}

function stepMark(s: Style, step: ReportStep): string {
    if (step.status === "failed") return s.fail(MARK.fail);
    if (step.status === "not started") return s.dim(MARK.skip);
    if (step.status === "recorded") return s.dim(MARK.info);
    return s.ok(MARK.ok);
}

function verdictCell(s: Style, v: PolicyVerdict): [string, string] {
    if (v.verdict === "passed") return [s.ok(MARK.ok), "passed"];
    if (v.verdict === "advisory") return [s.warn(MARK.warn), s.warn(`advisory (${v.violations})`)];
    return [s.fail(MARK.fail), s.fail(`mandatory violation (${v.violations})`)];
}

export function renderRehearsal(r: RehearsalReport, s: Style): string {
    const out: string[] = [];
    out.push(`${s.bold("Anthropic key rotation · rehearsal")} ${s.dim(`of stack ${r.stack}`)}`);
    const engine = r.mode === "harness" ? "harness (no Pulumi CLI)" : "Pulumi CLI";
    out.push(
        table(s, [{ header: "" }, { header: "" }], [
            ["key name", r.keyName],
            ["keys", `A ${r.keys.old}  →  B ${r.keys.new}   ${s.dim("(fingerprints: sha256 prefix, never the key)")}`],
            ["engine", `${s.accent(engine)}  ${s.dim(r.engine)}`],
        ]).split("\n").slice(1).join("\n"),
    );

    out.push(heading(s, "Runs"));
    out.push(
        table(
            s,
            [{ header: " " }, { header: "COMMAND" }, { header: "WHAT" }, { header: "RESOURCES" }, { header: "WRITES", align: "right" }, { header: "STARTUP", align: "right" }, { header: "TOTAL", align: "right" }],
            r.phases.map((p) => [
                p.ok ? s.ok(MARK.ok) : s.fail(MARK.fail),
                p.command,
                p.title,
                changeSummary(p.changes, p.phase === "preview"),
                String(p.consumerWrites),
                formatMs(p.startupMs),
                formatMs(p.durationMs),
            ]),
        ),
    );
    out.push(s.dim("  startup = program start under ts-node, dynamic provider host and (with policies) the policy pack, before the first step"));

    out.push(heading(s, `Steps of ${PHASE_NAMES[r.stepsOf]}`));
    if (r.steps.length === 0) out.push(s.dim("  (no step ran)"));
    else {
        const t0 = Math.min(...r.steps.filter((x) => x.status !== "not started").map((x) => x.startMs), Infinity);
        const end = Math.max(...r.steps.map((x) => x.startMs + x.durationMs));
        const span = Math.max(1, end - (Number.isFinite(t0) ? t0 : 0));
        const base = Number.isFinite(t0) ? t0 : 0;
        out.push(
            table(
                s,
                [{ header: " " }, { header: "STEP" }, { header: "OP" }, { header: "START", align: "right" }, { header: "TIME", align: "right" }, { header: "TIMELINE" }, { header: "TARGET" }],
                r.steps.map((x) => [
                    stepMark(s, x),
                    x.label,
                    x.op,
                    x.status === "not started" ? "–" : `+${formatMs(x.startMs - base)}`,
                    x.status === "not started" ? "–" : formatMs(x.durationMs),
                    x.status === "not started" ? s.dim("not started".padEnd(TIMELINE_WIDTH)) : s.accent(timelineBar(x.startMs - base, x.startMs - base + x.durationMs, span, TIMELINE_WIDTH)),
                    x.target,
                ]),
            ),
        );
        out.push(s.dim(`  START counts from the first step; the deployment took ${formatMs(span)}.`));
        if (r.steps.some((x) => x.status === "recorded")) {
            out.push(s.dim(`  ${MARK.info} recorded: GitHub and command resources belong to native providers; the harness records the inputs the`));
            out.push(s.dim("    engine would send them but does not run them (the Pulumi CLI path does)."));
        }
        for (const x of r.steps.filter((y) => y.error)) out.push(`  ${s.fail(MARK.fail)} ${x.label} ${x.target}: ${x.error}`);
    }

    out.push(heading(s, "Targets"));
    if (r.targets.length === 0) out.push(s.dim("  (the rotation did not finish: no target summary)"));
    else {
        out.push(
            table(
                s,
                [{ header: " " }, { header: "KIND" }, { header: "BEFORE → AFTER" }, { header: "TARGET" }],
                r.targets.map((t) => [
                    t.via === "recorded" ? s.dim(MARK.info) : t.ok ? s.ok(MARK.ok) : s.fail(MARK.fail),
                    t.kind,
                    `${short(t.oldFingerprint)} → ${short(t.newFingerprint)}`,
                    t.via === "emulator" && !t.ok ? `${t.target}  ${s.fail(`holds ${t.holds === t.oldFingerprint ? "the OLD key" : (t.holds ?? "nothing")}`)}` : t.target,
                ]),
            ),
        );
        out.push(s.dim(`  ${MARK.ok} read back from the emulated service: it holds the new key   ${MARK.info} recorded only (sent by the Pulumi CLI path)`));
    }

    out.push(heading(s, `Policies  ${s.dim(`${r.policies.pack} ${r.policies.version}, evaluated in: ${r.policies.evaluatedIn.join(", ") || "none"}`)}`));
    out.push(
        table(
            s,
            [{ header: " " }, { header: "POLICY" }, { header: "LEVEL" }, { header: "VERDICT" }],
            r.policies.verdicts.map((v) => {
                const [mark, verdict] = verdictCell(s, v);
                return [mark, v.policy, v.level, verdict];
            }),
        ),
    );
    for (const v of r.policies.verdicts.filter((x) => x.messages.length > 0)) {
        for (const m of v.messages) out.push(`  ${v.verdict === "mandatory" ? s.fail(MARK.fail) : s.warn(MARK.warn)} ${s.bold(v.policy)}: ${m}`);
    }

    out.push(heading(s, "Health"));
    if (r.health.checks.length === 0) out.push(s.dim("  (no health result: the rotation did not reach the health step)"));
    for (const c of r.health.checks) {
        const detail = [c.status !== undefined ? `HTTP ${c.status}` : undefined, c.attempts !== undefined ? `${c.attempts} attempt${c.attempts === 1 ? "" : "s"}` : undefined, c.seconds !== undefined ? `${c.seconds} s` : undefined];
        out.push(`  ${c.ok ? s.ok(MARK.ok) : s.fail(MARK.fail)} GET ${c.url}  ${s.dim(detail.filter(Boolean).join(" · "))}`);
    }
    if (r.health.herokuReleases.length > 0) {
        const one = r.health.herokuReleases.every((x) => x.releases === 1);
        const list = r.health.herokuReleases.map((x) => `${x.app} ${x.releases}`).join(", ");
        out.push(`  ${one ? s.ok(MARK.ok) : s.fail(MARK.fail)} Heroku releases during the rotation: ${list}`);
    }

    out.push(heading(s, "Revocation of the previous key"));
    if (!r.revocation) out.push(s.dim("  (not reached)"));
    else {
        const rv = r.revocation;
        const proven = rv.proof401 > 0;
        out.push(`  ${proven || rv.mode === "none" ? s.ok(MARK.ok) : s.fail(MARK.fail)} mode ${s.bold(rv.mode)}: ${rv.result}`);
        const status = rv.previousKeyStatus ? `status now ${rv.previousKeyStatus}` : "status unknown";
        out.push(`    previous key ${rv.previousFingerprint}: ${status}; ${rv.proofCall ? `${rv.proofCall} with it → 401` : "no 401 seen"} (${rv.proof401} call${rv.proof401 === 1 ? "" : "s"})`);
        out.push(`    new key ${r.keys.new}: ${rv.newKeyStatus ?? "unknown"}`);
    }

    out.push(heading(s, "Audit entry"));
    const e = r.audit.entry as Record<string, unknown> | undefined;
    if (!e) out.push(s.dim(`  (no completed entry; lines in the log: ${r.audit.actions.join(", ") || "none"})`));
    else {
        const targets = Array.isArray(e.targets) ? e.targets.length : 0;
        const health = Array.isArray(e.health) ? e.health.length : 0;
        const rev = e.revocation as { mode?: string } | null | undefined;
        out.push(`  ${s.ok(MARK.ok)} ${s.bold(String(e.action))}  ${String(e.timestamp)}  actor ${String(e.actor)} ${s.dim(`(${String(e.actorSource)})`)}`);
        out.push(`    environment ${String(e.environment)} · key ${String(e.keyName)} · ${String(e.secretName)} · workspace ${String(e.workspace)} · ${String(e.method)}`);
        out.push(`    ${String(e.oldFingerprint)} → ${String(e.newFingerprint)} · ${targets} targets · ${health} health check${health === 1 ? "" : "s"} · revocation ${rev?.mode ?? "none"} · emergency ${String(e.emergency)}`);
    }
    out.push(s.dim(`    ${r.audit.file}: ${r.audit.actions.length} line${r.audit.actions.length === 1 ? "" : "s"} (${r.audit.actions.join(", ")})`));

    if (r.checks.length > 0) {
        out.push(heading(s, "Checks"));
        out.push(table(s, [{ header: " " }, { header: "CHECK" }, { header: "DETAIL" }], r.checks.map((c) => [c.ok ? s.ok(MARK.ok) : s.fail(MARK.fail), c.name, c.detail])));
    }
    for (const n of r.notes) out.push(s.dim(`  note: ${n}`));

    out.push("");
    const time = formatMs(r.totalMs);
    const budget = r.totalMs <= r.budgetMs ? s.dim(`(budget ${formatMs(r.budgetMs)})`) : s.warn(`${MARK.warn} over the ${formatMs(r.budgetMs)} budget (busy machine?)`);
    if (r.ok) out.push(`${s.ok(MARK.ok)} ${s.bold("Rehearsal passed")} in ${time} ${budget}`);
    else {
        const f = r.failure;
        const where = f ? `at step ${s.bold(f.step)}${f.target ? ` (${f.target})` : ""}, during ${f.phase === "setup" ? "setup" : PHASE_NAMES[f.phase]}` : "";
        out.push(`${s.fail(MARK.fail)} ${s.bold("Rehearsal failed")} ${where} after ${time}`);
        if (f) out.push(`  ${f.message}`);
    }
    return out.join("\n") + "\n";
}
