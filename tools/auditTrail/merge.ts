import { AUDIT_ACTION_COMPLETED, AUDIT_ACTION_FAILED, AUDIT_ACTION_ROLLED_BACK } from "../../components/audit/auditLog";
import { redact } from "../../components/domain/keyFormat";

/**
 * The retention path of the audit trail: the lines a rotation appended on a CI runner are appended to the
 * committed `audit/rotations.jsonl` (through a pull request, by rotate-prod.yml), where they outlive the runner
 * and its 90-day artifact, are reviewed, and are what the next run's rollback detection reads.
 *
 * Append-only and re-checked: the committed lines are kept byte for byte; a runner line is added when the
 * committed file does not hold it yet (so a re-run adds nothing twice, and a runner that started from an older
 * main adds only its own lines); every added line must be one audit record (JSON with a known action, an
 * environment, a timestamp and a fingerprint) and hold nothing key-shaped. Problems never quote a line, only
 * its number and what is wrong with it. Pure: the caller reads and writes the files.
 */

const ACTIONS: readonly string[] = [AUDIT_ACTION_COMPLETED, AUDIT_ACTION_FAILED, AUDIT_ACTION_ROLLED_BACK];

/** What the pull request says about each added line (public fields only). */
export interface AddedLine {
    readonly action: string;
    readonly timestamp: string;
    readonly environment: string;
    readonly keyName: string;
    readonly newFingerprint: string;
    readonly step?: string;
}

export interface MergeResult {
    /** The committed text with the new lines appended (ends with a newline when not empty). */
    readonly text: string;
    readonly added: readonly AddedLine[];
}

/** Every reason the runner's lines cannot be appended; nothing was changed. */
export class AuditTrailError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`audit trail: ${problems.length} line${problems.length === 1 ? "" : "s"} of the runner's audit log cannot be appended, so nothing was:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "AuditTrailError";
    }
}

const lines = (text: string) => text.split("\n").map((l) => l.replace(/\r$/, "")).filter((l) => l.trim() !== "");

export function mergeAuditTrail(committedText: string, runnerText: string): MergeResult {
    const committed = lines(committedText);
    const known = new Set(committed.map((l) => l.trim()));
    const problems: string[] = [];
    const added: AddedLine[] = [];
    const fresh: string[] = [];
    lines(runnerText).forEach((raw, index) => {
        const line = raw.trim();
        if (known.has(line)) return;
        const where = `line ${index + 1} of the runner's log`;
        if (redact(line) !== line) {
            problems.push(`${where} holds key material; it was not copied anywhere. Treat that key as exposed on the runner and find how it reached the audit writer`);
            return;
        }
        const record = parseRecord(line);
        if (typeof record === "string") {
            problems.push(`${where} ${record}`);
            return;
        }
        known.add(line);
        fresh.push(line);
        added.push(record);
    });
    if (problems.length) throw new AuditTrailError(problems);
    const all = [...committed, ...fresh];
    return { text: all.length ? `${all.join("\n")}\n` : "", added };
}

/** The record's public summary, or what is wrong with the line. */
function parseRecord(line: string): AddedLine | string {
    let value: unknown;
    try {
        value = JSON.parse(line);
    } catch {
        return "is not JSON (the audit writer writes one JSON object per line)";
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) return "is not a JSON object";
    const r = value as Record<string, unknown>;
    if (typeof r.action !== "string" || !ACTIONS.includes(r.action)) return `has no known action (${ACTIONS.join(", ")})`;
    for (const field of ["timestamp", "environment", "keyName", "newFingerprint"]) {
        if (typeof r[field] !== "string" || (r[field] as string).length === 0) return `has no ${field}`;
    }
    if (!/^sha256:[0-9a-f]{12}$/.test(r.newFingerprint as string)) return "has a newFingerprint that is not sha256:<12 hex digits>";
    return {
        action: r.action,
        timestamp: r.timestamp as string,
        environment: r.environment as string,
        keyName: r.keyName as string,
        newFingerprint: r.newFingerprint as string,
        ...(typeof r.step === "string" ? { step: r.step } : {}),
    };
}

/** The pull request's body: one row per added line. */
export function pullRequestBody(added: readonly AddedLine[], runUrl?: string): string {
    const rows = added.map((a) => `| ${a.timestamp} | ${a.action} | ${a.environment} | ${a.keyName} | ${a.newFingerprint} | ${a.step ?? ""} |`);
    return [
        `Audit lines of ${runUrl ? `[this rotation run](${runUrl})` : "a rotation run"}, appended to \`audit/rotations.jsonl\` (security policy: keep 365 days).`,
        "Merge it before the next rotation: rollback detection reads the committed trail, and rotate-prod.yml refuses to start while an audit pull request is open.",
        "",
        "| timestamp | action | environment | key name | fingerprint | failed step |",
        "|---|---|---|---|---|---|",
        ...rows,
        "",
    ].join("\n");
}
