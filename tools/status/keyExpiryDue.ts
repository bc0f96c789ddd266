import { DueBy, effectiveDue } from "../../components/domain/keyExpiry";
import { rotationStatus } from "../../components/domain/rotationAge";
import type { OrgKey } from "./adminKeys";
import type { StackKeyRow } from "./stackInventory";

/**
 * With `--live`, each stack's key record is known, and with it the key's own expiry (`expires_at`): the due
 * date becomes the earlier of the age-based one and the expiry, and the row says which applies (`dueBy`).
 * Rows whose key is not in the organisation, and rows with a problem, stay as they are. Pure.
 */

/** The record a stack manages: by keyId when set, else by name; an active one first. */
export function recordOf(row: StackKeyRow, orgKeys: readonly OrgKey[]): OrgKey | undefined {
    const matches = orgKeys.filter((k) => (row.keyId !== undefined ? k.id === row.keyId : row.keyName !== undefined && k.name === row.keyName));
    return matches.find((k) => k.status === "active") ?? matches[0];
}

export function applyKeyExpiry(rows: readonly StackKeyRow[], orgKeys: readonly OrgKey[], now: Date): StackKeyRow[] {
    return rows.map((row) => {
        if (row.verdict === "problem" || row.createdAt === undefined) return row;
        const record = recordOf(row, orgKeys);
        if (!record) return row;
        const status = rotationStatus(row.createdAt, row.maxAgeDays, now);
        const due = effectiveDue(status, record.expiresAt, now);
        const dueBy: DueBy = due.dueBy;
        const notes =
            dueBy === "expiry"
                ? [
                      ...row.notes,
                      `the key expires on ${due.dueDate} (Admin API expires_at), before its max-age due date ${status.dueDate}: the expiry is the due date; rotate before it or every consumer gets 401`,
                  ]
                : row.notes;
        return { ...row, expiresAt: record.expiresAt, ageDueDate: status.dueDate, dueBy, dueDate: due.dueDate, daysLeft: due.daysLeft, verdict: due.verdict, notes };
    });
}
