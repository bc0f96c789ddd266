import { formatIsoDate } from "../../components/domain/dates";
import { parseKeyName } from "../../components/domain/keyName";
import { maxAgeDaysFor, rotationStatus } from "../../components/domain/rotationAge";
import type { OrgKey } from "./adminKeys";
import type { KeyUsageSummary, UsageWindow } from "./keyUsage";
import { FINDING_SEVERITY, type AuditedKey, type Finding, type FindingKind } from "./findings";
import { lifecycleFindings } from "./lifecycleFindings";
import type { StackKeyRow } from "./stackInventory";

/**
 * The monthly key audit of the security policy (§12.3: review all keys, verify they are named and
 * tracked, verify the rotation schedule), as a pure function of the stack rows and the organisation's
 * key list.
 *
 * Findings:
 * - `past-max-age` (error): an active key older (by its `created_at`) than the max age of its environment.
 * - `inactive-referenced` (error): a stack's key (by keyId, else by name) exists only as inactive,
 *   archived or expired: its consumers are running on a key that no longer works.
 * - `missing` (error): a stack's key is not in the organisation at all (other organisation? renamed in
 *   the Console?).
 * - `unmanaged` (warning): an active key no stack manages: revoke it if unused, or bring it under a stack.
 * - `bad-name` (warning): an active or inactive key whose name breaks the naming convention.
 * - `no-expiry`, `unused-30d`, `inactive-used`, `duplicate-active` (warnings): lifecycleFindings.ts.
 * Archived and expired keys that no stack references are history, not findings.
 */

export { FINDING_SEVERITY } from "./findings";
export type { AuditedKey, Finding, FindingKind, Severity } from "./findings";

export interface AuditResult {
    readonly keys: AuditedKey[];
    readonly findings: Finding[];
}

/** The usage report, when it could be read: per key id (a key without an entry was not used in the window). */
export interface AuditUsage {
    readonly window: UsageWindow;
    readonly byKey: ReadonlyMap<string, KeyUsageSummary>;
}

export function auditKeys(rows: readonly StackKeyRow[], orgKeys: readonly OrgKey[], now: Date, usage?: AuditUsage): AuditResult {
    // Environment → max age, from the stacks (their config wins over the documented defaults).
    const envMaxAge: Record<string, number> = {};
    for (const row of rows) envMaxAge[row.environment] ??= row.maxAgeDays;
    const knownEnvironments = [...new Set(rows.map((r) => r.environment))];

    const managers = (key: OrgKey): StackKeyRow[] =>
        rows.filter((r) => (r.keyId !== undefined ? r.keyId === key.id : r.keyName !== undefined && r.keyName === key.name));

    const findings: Finding[] = [];
    const keys: AuditedKey[] = [];
    for (const key of orgKeys) {
        const managedRows = managers(key);
        const managedBy = managedRows.map((r) => r.stack);
        const parsed = parseKeyName(
            key.name,
            managedRows[0] ? { now, expectedEnvironment: managedRows[0].environment } : { now, environments: knownEnvironments },
        );
        const environment = managedRows[0]?.environment ?? (parsed.ok ? parsed.name.environment : undefined);
        const maxAgeDays = managedRows[0]?.maxAgeDays ?? (environment !== undefined ? envMaxAge[environment] ?? maxAgeDaysFor(environment) : maxAgeDaysFor(""));
        const created = new Date(key.createdAt);
        const createdDate = Number.isNaN(created.getTime()) ? undefined : formatIsoDate(created);
        const status = createdDate !== undefined ? rotationStatus(createdDate, maxAgeDays, now) : undefined;
        const used = usage ? usage.byKey.get(key.id) ?? { requests: 0, inputTokens: 0, outputTokens: 0, tokens: 0 } : undefined;
        keys.push({
            ...key,
            managedBy,
            maxAgeDays,
            ...(createdDate !== undefined ? { createdDate, ageDays: status!.ageDays } : {}),
            ...(environment !== undefined ? { environment } : {}),
            ...(used ?? {}),
            verdicts: [],
        });

        const base = { keyId: key.id, keyName: key.name, status: key.status };
        const active = key.status === "active";
        if (active && status && status.verdict === "overdue") {
            findings.push({
                ...base,
                kind: "past-max-age",
                severity: FINDING_SEVERITY["past-max-age"],
                ...(managedBy.length ? { stack: managedBy.join(",") } : {}),
                message: `active for ${status.ageDays} days (max ${maxAgeDays}, due ${status.dueDate}); ${
                    managedBy.length ? `rotate it now: new key in the Console, then pulumi up -s ${managedBy[0]}` : "rotate it, or deactivate it in the Console if nothing uses it"
                }`,
            });
        }
        if (active && managedBy.length === 0) {
            findings.push({
                ...base,
                kind: "unmanaged",
                severity: FINDING_SEVERITY.unmanaged,
                message: "active, but no stack's keyName or keyId names it; bring it under a stack, or deactivate it in the Console if it is unused (policy §12.3)",
            });
        }
        if ((active || key.status === "inactive") && !parsed.ok) {
            findings.push({
                ...base,
                kind: "bad-name",
                severity: FINDING_SEVERITY["bad-name"],
                message: `breaks the naming convention: ${parsed.problems.map((p) => p.message).join("; ")}`,
            });
        }
    }

    for (const row of rows) {
        if (row.keyName === undefined && row.keyId === undefined) continue;
        const matches = orgKeys.filter((k) => (row.keyId !== undefined ? k.id === row.keyId : k.name === row.keyName));
        const label = row.keyId !== undefined ? `${row.keyName ?? row.keyId} (keyId ${row.keyId})` : row.keyName!;
        if (matches.length === 0) {
            findings.push({
                kind: "missing",
                severity: FINDING_SEVERITY.missing,
                keyName: row.keyName ?? row.keyId!,
                stack: row.stack,
                message: `stack ${row.stack} references ${label}, which is not in this organisation; check the name in the Console (or that ANTHROPIC_ADMIN_API_KEY belongs to the right organisation) and fix keyName`,
            });
        } else if (!matches.some((k) => k.status === "active")) {
            const k = matches[0]!;
            findings.push({
                kind: "inactive-referenced",
                severity: FINDING_SEVERITY["inactive-referenced"],
                keyId: k.id,
                keyName: k.name,
                status: matches.map((m) => m.status).join(","),
                stack: row.stack,
                message: `stack ${row.stack} still references this key but it is ${k.status}: its consumers get 401 — rotate now (emergency runbook): new key in the Console, pulumi config set --secret apiKey, keyName, pulumi up -s ${row.stack}`,
            });
        }
    }
    findings.push(...lifecycleFindings(rows, keys, now, usage?.window));
    findings.sort(byPriority);
    const byId = new Map(keys.map((k) => [k.id, k]));
    for (const f of findings) {
        const k = f.keyId !== undefined ? byId.get(f.keyId) : undefined;
        if (k && !k.verdicts.includes(f.kind)) k.verdicts.push(f.kind);
    }
    return { keys, findings };
}

const KIND_ORDER: readonly FindingKind[] = [
    "inactive-referenced",
    "missing",
    "past-max-age",
    "duplicate-active",
    "inactive-used",
    "unused-30d",
    "unmanaged",
    "no-expiry",
    "bad-name",
];

function byPriority(a: Finding, b: Finding): number {
    return KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.keyName.localeCompare(b.keyName);
}
