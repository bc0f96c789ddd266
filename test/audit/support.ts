import { existsSync, mkdtempSync, readFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { expect } from "vitest";
import type { AuditContext, AuditRecord } from "../../components/audit/auditLog";
import { describeFinding, scanForLeaks } from "../support/leakScan";
export { caught } from "../support/errors";

/** Shared by the audit, health and revocation tests. */

/** Retries and timeouts in milliseconds: every failure test stays well under a second or two. */
export function useFastRetries(): void {
    process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_ATTEMPTS = "3";
    process.env.ANTHROPIC_KEY_ROTATION_RETRY_BASE_MS = "5";
    process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_DELAY_MS = "20";
    process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_TOTAL_MS = "2000";
    process.env.ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS = "300";
}

/** A context writing to a fresh temp file (absolute path). */
export function tempAuditContext(newFingerprint: string, overrides: Partial<AuditContext> = {}): AuditContext {
    const dir = mkdtempSync(join(tmpdir(), "akr-audit-"));
    return {
        path: join(dir, "nested", "audit", "rotations.jsonl"),
        environment: "prod",
        keyName: "raxx-prod-agents-2026-11-23",
        newFingerprint,
        workspace: "default",
        emergency: false,
        stack: "prod",
        ...overrides,
    };
}

export function auditText(path: string): string {
    return existsSync(path) ? readFileSync(path, "utf8") : "";
}

/** Every line parsed as JSON; fails the test on a line that is not one JSON object. */
export function auditLines(path: string): AuditRecord[] {
    const text = auditText(path);
    if (!text) return [];
    expect(text.endsWith("\n"), "the file ends with a newline").toBe(true);
    return text
        .slice(0, -1)
        .split("\n")
        .map((line, i) => {
            let parsed: unknown;
            expect(() => (parsed = JSON.parse(line)), `line ${i + 1} is JSON`).not.toThrow();
            expect(typeof parsed === "object" && parsed !== null && !Array.isArray(parsed), `line ${i + 1} is an object`).toBe(true);
            return parsed as AuditRecord;
        });
}

/** No secret, no fragment of one and no key prefix in any of the texts. */
export function expectNoLeaks(artifacts: Record<string, string>, secrets: readonly string[]): void {
    const list = Object.entries(artifacts).map(([name, text]) => ({ name, text }));
    const findings = scanForLeaks(list, secrets);
    expect(findings.map((f) => describeFinding(f, list))).toEqual([]);
}

/** No secret and no key-shaped text in the error, its stack or its fields. */
export function expectErrorClean(err: unknown, secrets: readonly string[]): void {
    const e = err as Error;
    const texts = { message: e.message, stack: e.stack ?? "", fields: JSON.stringify(e, Object.getOwnPropertyNames(e)) };
    expectNoLeaks(texts, secrets);
}
