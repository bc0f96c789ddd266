import type { Finding } from "./audit";
import { renderKeyTable } from "./keyTable";
import { Column, renderTable } from "./table";
import type { OrganizationAudit } from "./reportTypes";
import { describeConsumers } from "./githubActionsConsumers";
import type { StackKeyRow } from "./stackInventory";

/** Text rendering of the status report: aligned tables, labels, summaries and GitHub annotations. Pure. */

export { renderTable } from "./table";
export type { Column } from "./table";

export const VERDICT_LABEL: Readonly<Record<StackKeyRow["verdict"], string>> = {
    ok: "ok",
    "due-soon": "due soon",
    "due-urgent": "due soon (urgent)",
    overdue: "overdue",
    problem: "problem",
};

const STACK_COLUMNS: readonly Column[] = [
    { header: "STACK" },
    { header: "ENV" },
    { header: "KEY NAME" },
    { header: "CREATED" },
    { header: "AGE", align: "right" },
    { header: "MAX AGE", align: "right" },
    { header: "DUE" },
    { header: "DAYS LEFT", align: "right" },
    { header: "VERDICT" },
];

const days = (n: number | undefined) => (n === undefined ? "-" : `${n}d`);

export function renderStackTable(rows: readonly StackKeyRow[]): string {
    return renderTable(
        STACK_COLUMNS,
        rows.map((r) => [
            r.stack,
            r.environment,
            r.keyName ?? "(not set)",
            r.createdAt ?? "-",
            days(r.ageDays),
            days(r.maxAgeDays),
            r.dueDate === undefined ? "-" : r.dueBy === "expiry" ? `${r.dueDate} (key expires)` : r.dueDate,
            r.daysLeft === undefined ? "-" : String(r.daysLeft),
            VERDICT_LABEL[r.verdict],
        ]),
    );
}

const FINDING_COLUMNS: readonly Column[] = [
    { header: "SEVERITY" },
    { header: "FINDING" },
    { header: "KEY ID" },
    { header: "KEY NAME" },
    { header: "STATUS" },
    { header: "STACK" },
    { header: "DETAIL" },
];

export function renderFindingsTable(findings: readonly Finding[]): string {
    return renderTable(
        FINDING_COLUMNS,
        findings.map((f) => [f.severity, f.kind, f.keyId ?? "-", f.keyName, f.status ?? "-", f.stack ?? "-", f.message]),
    );
}

export interface StackSummary {
    readonly stacks: number;
    readonly ok: number;
    readonly dueSoon: number;
    readonly dueUrgent: number;
    readonly overdue: number;
    readonly problems: number;
}

export function summarize(rows: readonly StackKeyRow[]): StackSummary {
    const count = (v: StackKeyRow["verdict"]) => rows.filter((r) => r.verdict === v).length;
    return { stacks: rows.length, ok: count("ok"), dueSoon: count("due-soon"), dueUrgent: count("due-urgent"), overdue: count("overdue"), problems: count("problem") };
}

export function renderStackReport(rows: readonly StackKeyRow[], asOf: string): string {
    const s = summarize(rows);
    const out = [`Anthropic API keys by stack, as of ${asOf} (UTC)`, "", renderStackTable(rows)];
    const problems = rows.filter((r) => r.problems.length > 0);
    if (problems.length) {
        out.push("", "Problems:");
        for (const r of problems) for (const p of r.problems) out.push(`  ${r.stack} (${r.file}): ${p}`);
    }
    const notes = rows.filter((r) => r.notes.length > 0);
    if (notes.length) {
        out.push("", "Notes:");
        for (const r of notes) for (const n of r.notes) out.push(`  ${r.stack}: ${n}`);
    }
    const actions = rows.filter((r) => r.githubActions?.length);
    if (actions.length) {
        out.push("", "GitHub Actions consumers (each could drop the static key with Anthropic's workload identity federation; README, GitHub scopes):");
        for (const r of actions) out.push(`  ${r.stack}: ${describeConsumers(r.githubActions!)}`);
    }
    out.push(
        "",
        `${s.stacks} stack${s.stacks === 1 ? "" : "s"}: ${s.ok} ok, ${s.dueSoon + s.dueUrgent} due soon, ${s.overdue} overdue, ${s.problems} with problems.`,
    );
    return out.join("\n");
}

export function renderAuditReport(audit: OrganizationAudit): string {
    const byStatus = new Map<string, number>();
    for (const k of audit.keys) byStatus.set(k.status, (byStatus.get(k.status) ?? 0) + 1);
    const counts = [...byStatus.entries()].map(([status, n]) => `${n} ${status}`).join(", ");
    const pages = audit.pages;
    const u = audit.usage;
    const withUsage = !("error" in u);
    const out = [
        `Organisation keys (Admin API): ${audit.keys.length} key${audit.keys.length === 1 ? "" : "s"} on ${pages} page${pages === 1 ? "" : "s"}${counts ? ` (${counts})` : ""}`,
        withUsage
            ? `Usage ${u.window.from} to ${u.window.to} (${u.window.days} days, ${u.source === "usage_report" ? "legacy usage report: tokens only, no request counts" : "analytics usage report"}): one query for every key, ${u.calls} page${u.calls === 1 ? "" : "s"}`
            : `Usage ${u.window.from} to ${u.window.to}: not read — ${u.error}`,
        `Admin API calls: ${audit.adminApiCalls.total} (${audit.adminApiCalls.keyList} key list, ${audit.adminApiCalls.usage} usage report)`,
        "",
    ];
    if (audit.keys.length) out.push(renderKeyTable(audit.keys, withUsage), "");
    if (audit.findings.length === 0) {
        out.push("No findings: every active key is managed by a stack, follows the naming convention, is within its max age, expires, and was used in the last 30 days.");
    } else {
        out.push(renderFindingsTable(audit.findings));
        const errors = audit.findings.filter((f) => f.severity === "error").length;
        out.push("", `${audit.findings.length} finding${audit.findings.length === 1 ? "" : "s"}: ${errors} error${errors === 1 ? "" : "s"}, ${audit.findings.length - errors} warning${audit.findings.length - errors === 1 ? "" : "s"}.`);
    }
    return out.join("\n");
}

/** GitHub Actions workflow commands (annotations) for rows and findings that need attention. */
export function githubAnnotations(rows: readonly StackKeyRow[], findings: readonly Finding[] = []): string[] {
    const out: string[] = [];
    for (const r of rows) {
        const what = `${r.stack}: key ${r.keyName ?? "(not set)"}`;
        if (r.verdict === "overdue") out.push(command("error", "Anthropic key overdue", `${what} was due on ${r.dueDate} (${-r.daysLeft!} days ago); rotate it now`));
        else if (r.verdict === "due-urgent" || r.verdict === "due-soon")
            out.push(command("warning", "Anthropic key rotation due soon", `${what} is due on ${r.dueDate} (${r.daysLeft} days left); schedule the rotation`));
        else if (r.verdict === "problem") for (const p of r.problems) out.push(command("error", "Stack file problem", `${r.stack}: ${p}`));
    }
    for (const f of findings) out.push(command(f.severity, `Key audit ${f.kind}`, `${f.keyName}${f.keyId ? ` (${f.keyId})` : ""}: ${f.message}`));
    return out;
}

function command(level: "error" | "warning", title: string, message: string): string {
    const escape = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
    const escapeProp = (s: string) => escape(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
    return `::${level} title=${escapeProp(title)}::${escape(message)}`;
}
