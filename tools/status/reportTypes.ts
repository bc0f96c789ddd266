import type { AuditResult } from "./audit";
import type { UsageWindow } from "./keyUsage";

/** Types shared by the status tool's parts: its I/O and the --live audit as reported. */

export interface StatusIo {
    readonly cwd: string;
    readonly env: Readonly<Record<string, string | undefined>>;
    readonly stdout: (text: string) => void;
    readonly stderr: (text: string) => void;
    /** The clock when --now is not given (tests fix it). */
    readonly clock?: () => Date;
}

/** The --live audit as reported: every key with its verdicts, the findings, and what it cost in Admin API calls. */
export type OrganizationAudit = AuditResult & {
    /** Pages of the key listing. */
    readonly pages: number;
    /** The usage report of the last 30 days: where it came from and its queries, or why it could not be read. */
    readonly usage: UsageReportSummary;
    /** Every Admin API call made: the key listing's pages plus the usage queries' pages (retries not counted). */
    readonly adminApiCalls: { readonly keyList: number; readonly usage: number; readonly total: number };
};

export type UsageReportSummary =
    | { readonly window: UsageWindow; readonly source: string; readonly queries: number; readonly calls: number }
    | { readonly window: UsageWindow; readonly queries: number; readonly calls: number; readonly error: string };
