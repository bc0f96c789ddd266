import { auditLogFile } from "../audit/auditLog";
import { redact } from "../domain/keyFormat";
import type { ExposureReport } from "./exposureTypes";

/**
 * The full report as a file next to the audit log: `<audit dir>/exposure-<keyId>-<YYYY-MM-DD>.json` (a later
 * report of the same key on the same day replaces it). Refuses (writes nothing) when the text would hold key
 * material. fs/path are loaded at run time (the function is captured into a serialized dynamic provider).
 */
export function exposureFilePath(auditLog: string | undefined, report: Pick<ExposureReport, "keyId" | "generatedAt">): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- built-in, loaded at run time
    const { dirname, join } = require("path") as typeof import("path");
    const safeId = report.keyId.replace(/[^A-Za-z0-9_-]/g, "_");
    return join(dirname(auditLogFile(auditLog)), `exposure-${safeId}-${report.generatedAt.slice(0, 10)}.json`);
}

export function writeExposureFile(auditLog: string | undefined, report: ExposureReport, secrets: readonly string[] = []): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- built-ins, loaded at run time
    const fs = require("fs") as typeof import("fs");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { dirname } = require("path") as typeof import("path");
    const text = `${JSON.stringify(report, null, 2)}\n`;
    if (redact(text, secrets) !== text) throw new Error("exposure report: the report would hold key material; nothing was written (bug)");
    const file = exposureFilePath(auditLog, report);
    fs.mkdirSync(dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { mode: 0o644 });
    return file;
}
