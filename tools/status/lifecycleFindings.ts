import { addDays, daysBetween, formatIsoDate, parseIsoDate } from "../../components/domain/dates";
import { parseKeyName } from "../../components/domain/keyName";
import type { AuditedKey, Finding } from "./findings";
import type { UsageWindow } from "./keyUsage";
import type { StackKeyRow } from "./stackInventory";

/**
 * The key-lifecycle verdicts of the monthly audit (security policy §12.3), from the key records and the usage
 * report. Pure. All are warnings (exit 2 only with --strict): each asks an operator to act, none means a consumer
 * is failing now.
 *
 * - `no-expiry`: an active key that never expires (the Console's "Never"): nothing stops it if a rotation is forgotten.
 * - `unused-30d`: an active key at least 30 days old with no request in the last 30 days: revoke candidate (§12.3).
 * - `inactive-used`: an inactive, archived or expired key with usage today or yesterday: a consumer was still
 *   sending it when it stopped working (or it was deactivated since): find that consumer.
 * - `duplicate-active`: two or more active keys for one stack (same project, environment and purpose) when the
 *   newest is more than ROTATION_OVERLAP_DAYS old: a rotation left its old key active, or never finished.
 */

/** How long two active keys for one stack are a rotation in progress rather than a leftover. */
export const ROTATION_OVERLAP_DAYS = 7;
/** Usage this recent on a key that no longer works means a consumer still sends it. */
const RECENT_USE_DAYS = 1;

const SEVERITY = "warning" as const;

export function lifecycleFindings(rows: readonly StackKeyRow[], keys: readonly AuditedKey[], now: Date, window: UsageWindow | undefined): Finding[] {
    const out: Finding[] = [];
    for (const key of keys) {
        const base = { keyId: key.id, keyName: key.name, status: key.status, severity: SEVERITY, ...(key.managedBy.length ? { stack: key.managedBy.join(",") } : {}) };
        const active = key.status === "active";
        if (active && key.expiresAt === null) {
            out.push({
                ...base,
                kind: "no-expiry",
                message: `never expires; at its next rotation create the new key with an expiry (max age ${key.maxAgeDays} days or less) so a forgotten rotation cannot outlive the policy (validation.requireExpiry)`,
            });
        }
        if (!window) continue;
        if (active && key.lastUsed === undefined && key.createdDate !== undefined && key.createdDate < window.from) {
            out.push({
                ...base,
                kind: "unused-30d",
                message: `no request from ${window.from} to ${window.to} (created ${key.createdDate}): revoke candidate (policy §12.3); check that nothing still holds it, then deactivate it in the Console${
                    key.managedBy.length ? ` and check stack ${key.managedBy[0]}'s targets: none of its consumers uses this key` : ""
                }`,
            });
        }
        if (!active && key.lastUsed !== undefined && daysBetween(parseIsoDate(key.lastUsed)!, now) <= RECENT_USE_DAYS) {
            out.push({
                ...base,
                kind: "inactive-used",
                message: `${key.status}, yet used on ${key.lastUsed} (${describeUse(key)} in the last ${window.days} days): a consumer still sends this key and gets 401 from now on; find it (Console → Usage, filter by this key id) and give it the current key — unless the key was deactivated after that traffic on purpose`,
            });
        }
    }
    out.push(...duplicateActive(rows, keys, now));
    return out;
}

function describeUse(key: AuditedKey): string {
    const requests = key.requests === null || key.requests === undefined ? "" : `${key.requests} requests, `;
    return `${requests}${key.tokens ?? 0} tokens`;
}

/** `project-environment-purpose` of a conventional name, else undefined. */
function stemOf(name: string, now: Date, environments: readonly string[]): string | undefined {
    const parsed = parseKeyName(name, { now, environments });
    return parsed.ok ? `${parsed.name.project}-${parsed.name.environment}-${parsed.name.purpose}` : undefined;
}

function duplicateActive(rows: readonly StackKeyRow[], keys: readonly AuditedKey[], now: Date): Finding[] {
    const environments = [...new Set(rows.map((r) => r.environment))];
    const byStem = new Map<string, AuditedKey[]>();
    for (const k of keys) {
        if (k.status !== "active") continue;
        const stem = stemOf(k.name, now, environments);
        if (stem !== undefined) byStem.set(stem, [...(byStem.get(stem) ?? []), k]);
    }
    const out: Finding[] = [];
    const seen = new Set<string>();
    for (const row of rows) {
        const current = keys.find((k) => k.status === "active" && k.managedBy.includes(row.stack));
        const name = current?.name ?? row.keyName;
        const stem = name !== undefined ? stemOf(name, now, environments) : undefined;
        const group = stem !== undefined ? byStem.get(stem) ?? [] : [];
        if (group.length < 2) continue;
        const newest = group.map((k) => k.createdDate ?? "").sort().at(-1) ?? "";
        const newestDay = parseIsoDate(newest);
        if (!newestDay || daysBetween(newestDay, now) <= ROTATION_OVERLAP_DAYS) continue;
        const since = formatIsoDate(addDays(newestDay, ROTATION_OVERLAP_DAYS));
        for (const k of group) {
            if (k.id === current?.id || seen.has(k.id)) continue;
            seen.add(k.id);
            const newer = (k.createdDate ?? "") > (current?.createdDate ?? "");
            out.push({
                kind: "duplicate-active",
                severity: SEVERITY,
                keyId: k.id,
                keyName: k.name,
                status: k.status,
                stack: row.stack,
                message: newer
                    ? `a newer active key for stack ${row.stack} than the one it manages (${current?.name ?? row.keyName}), since before ${since}: finish the rotation (pulumi config set --secret apiKey, keyName, pulumi up -s ${row.stack}) or deactivate this key`
                    : `still active next to stack ${row.stack}'s current key ${current?.name ?? row.keyName} more than ${ROTATION_OVERLAP_DAYS} days after the newest was created: the rotation left it behind; check its usage, then deactivate it in the Console`,
            });
        }
    }
    return out;
}
