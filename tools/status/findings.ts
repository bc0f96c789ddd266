import type { OrgKey } from "./adminKeys";

/** What the --live audit says about a key: the kinds of finding, their severity, and a key with its verdicts. */

export type FindingKind =
    | "past-max-age"
    | "inactive-referenced"
    | "missing"
    | "unmanaged"
    | "bad-name"
    | "no-expiry"
    | "unused-30d"
    | "inactive-used"
    | "duplicate-active";
export type Severity = "error" | "warning";

export const FINDING_SEVERITY: Readonly<Record<FindingKind, Severity>> = {
    "past-max-age": "error",
    "inactive-referenced": "error",
    missing: "error",
    unmanaged: "warning",
    "bad-name": "warning",
    "no-expiry": "warning",
    "unused-30d": "warning",
    "inactive-used": "warning",
    "duplicate-active": "warning",
};

export interface Finding {
    readonly kind: FindingKind;
    readonly severity: Severity;
    /** The Admin API id, absent for `missing`. */
    readonly keyId?: string;
    readonly keyName: string;
    readonly status?: string;
    /** The stack that references the key, when one does. */
    readonly stack?: string;
    /** What is wrong and what to do. Never holds a key value. */
    readonly message: string;
}

export interface AuditedKey extends OrgKey {
    /** The stacks that manage this key (by keyId, else by name). */
    readonly managedBy: readonly string[];
    /** `YYYY-MM-DD` of created_at, when it parses. */
    readonly createdDate?: string;
    readonly ageDays?: number;
    readonly maxAgeDays: number;
    /** From the naming convention (or the managing stack); absent when the name does not say. */
    readonly environment?: string;
    /** With usage: the last day used in the window (absent: unused), requests and tokens in it. */
    readonly lastUsed?: string;
    readonly requests?: number | null;
    readonly inputTokens?: number;
    readonly outputTokens?: number;
    readonly tokens?: number;
    /** The kinds of finding about this key, in priority order. */
    readonly verdicts: FindingKind[];
}
