import { chmodSync, existsSync, mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
    appendAuditRecord,
    AUDIT_ACTION_COMPLETED,
    AUDIT_ACTION_FAILED,
    AUDIT_METHOD,
    auditContextProblems,
    auditedError,
    AuditLeakError,
    auditLogFile,
    buildRecord,
    DEFAULT_AUDIT_LOG_PATH,
    recordCompleted,
    recordFailure,
    resolveActor,
} from "../../components/audit/auditLog";
import { DEFAULT_AUDIT_PATH } from "../../components/config/schema";
import { fingerprint } from "../../components/domain/fingerprint";
import { makeAdminKey, makeApiKey } from "../../offline/emulators/keys";
import { auditLines, auditText, expectErrorClean, expectNoLeaks, tempAuditContext } from "./support";

const oldKey = makeApiKey();
const newKey = makeApiKey();
const adminKey = makeAdminKey();
const secrets = [oldKey, newKey, adminKey];

const savedEnv = { ...process.env };
beforeEach(() => {
    process.env.PULUMI_ACTOR = "ops@raxx.app";
});
afterEach(() => {
    process.env = { ...savedEnv };
});

describe("resolveActor", () => {
    const git = (email?: string) => () => email;
    it("prefers PULUMI_ACTOR, then GITHUB_ACTOR, then the git email, then the OS user", () => {
        expect(resolveActor({ PULUMI_ACTOR: "sso|jane", GITHUB_ACTOR: "octo", USER: "jane" }, git("jane@x.io"))).toEqual({ actor: "sso|jane", source: "PULUMI_ACTOR" });
        expect(resolveActor({ GITHUB_ACTOR: "octo", USER: "runner" }, git("jane@x.io"))).toEqual({ actor: "octo", source: "GITHUB_ACTOR" });
        expect(resolveActor({ USER: "jane" }, git("jane@x.io"))).toEqual({ actor: "jane@x.io", source: "git" });
        expect(resolveActor({ USER: "jane" }, git(undefined))).toEqual({ actor: "jane", source: "USER" });
        expect(resolveActor({ LOGNAME: "jlog" }, git(""))).toEqual({ actor: "jlog", source: "LOGNAME" });
        expect(resolveActor({}, git(undefined))).toEqual({ actor: "unknown", source: "unknown" });
    });

    it("ignores blank values and never passes key-shaped text", () => {
        expect(resolveActor({ PULUMI_ACTOR: "  ", USER: "jane" }, git(undefined)).actor).toBe("jane");
        const actor = resolveActor({ PULUMI_ACTOR: `oops ${newKey}` }, git(undefined));
        expect(actor.actor).not.toContain(newKey);
        expect(actor.actor).toContain("[REDACTED]");
    });

    it("reads the real git identity when nothing else is set", () => {
        const actor = resolveActor({});
        expect(typeof actor.actor).toBe("string");
        expect(["git", "unknown"]).toContain(actor.source);
    });
});

describe("buildRecord", () => {
    it("carries every field of the SOP's audit entry and nothing secret", () => {
        const ctx = tempAuditContext(fingerprint(newKey), { workspace: "wrkspc_01Prod", emergency: true });
        const record = buildRecord(
            ctx,
            AUDIT_ACTION_COMPLETED,
            {
                oldFingerprint: fingerprint(oldKey),
                targets: [{ kind: "heroku", target: "heroku app raxx-api-prod (ANTHROPIC_API_KEY)", fingerprint: fingerprint(newKey) }],
                health: [{ url: "https://api.raxx.app/api/agents/health", ok: true, status: 200, attempts: 2, seconds: 10.4 }],
                revocation: { mode: "deactivate", result: "deactivated apikey_01X; 401 proven after 2.1 s" },
            },
            new Date("2026-11-23T10:00:00Z"),
            { actor: "ops@raxx.app", source: "PULUMI_ACTOR" },
        );
        expect(record).toEqual({
            action: "secret.rotate.completed",
            timestamp: "2026-11-23T10:00:00.000Z",
            actor: "ops@raxx.app",
            actorSource: "PULUMI_ACTOR",
            stack: "prod",
            environment: "prod",
            keyName: "raxx-prod-agents-2026-11-23",
            secretName: "ANTHROPIC_API_KEY",
            oldFingerprint: fingerprint(oldKey),
            newFingerprint: fingerprint(newKey),
            workspace: "wrkspc_01Prod",
            method: AUDIT_METHOD,
            emergency: true,
            targets: [{ kind: "heroku", target: "heroku app raxx-api-prod (ANTHROPIC_API_KEY)", fingerprint: fingerprint(newKey) }],
            health: [{ url: "https://api.raxx.app/api/agents/health", ok: true, status: 200, attempts: 2, seconds: 10.4 }],
            revocation: { mode: "deactivate", result: "deactivated apikey_01X; 401 proven after 2.1 s" },
        });
        expect(record.method).toBe("operator-assisted-console");
    });

    it("defaults: workspace 'default', oldFingerprint null, empty lists, revocation null", () => {
        const record = buildRecord({ ...tempAuditContext(fingerprint(newKey)), workspace: "" }, AUDIT_ACTION_FAILED, { step: "health", reason: "x" });
        expect(record.workspace).toBe("default");
        expect(record.oldFingerprint).toBeNull();
        expect(record.targets).toEqual([]);
        expect(record.health).toEqual([]);
        expect(record.revocation).toBeNull();
        expect(record.step).toBe("health");
        expect(record.actor).toBe("ops@raxx.app");
    });

    it("redacts and flattens the failure reason", () => {
        const record = buildRecord(tempAuditContext(fingerprint(newKey)), AUDIT_ACTION_FAILED, { step: "validation", reason: `bad\n  key ${newKey} here` });
        expect(record.reason).toBe("bad key [REDACTED] here");
    });
});

describe("appendAuditRecord / recordCompleted", () => {
    it("creates the directories and appends one JSON line per event, fsync'd, never rewriting earlier lines", () => {
        const ctx = tempAuditContext(fingerprint(newKey));
        expect(existsSync(ctx.path)).toBe(false);
        recordCompleted(ctx, { oldFingerprint: fingerprint(oldKey) });
        const first = auditText(ctx.path);
        recordFailure(ctx, "health", "https://x/health did not pass");
        recordCompleted(ctx, { oldFingerprint: fingerprint(oldKey) });
        const text = auditText(ctx.path);
        expect(text.startsWith(first)).toBe(true);
        const lines = auditLines(ctx.path);
        expect(lines.map((l) => l.action)).toEqual([AUDIT_ACTION_COMPLETED, AUDIT_ACTION_FAILED, AUDIT_ACTION_COMPLETED]);
        expect(lines[1]!.step).toBe("health");
        expectNoLeaks({ audit: text }, secrets);
    });

    it("resolves a relative path against the working directory (the project directory under pulumi)", () => {
        expect(auditLogFile("audit/rotations.jsonl")).toBe(join(process.cwd(), "audit", "rotations.jsonl"));
        expect(auditLogFile(undefined)).toBe(join(process.cwd(), DEFAULT_AUDIT_LOG_PATH));
        expect(DEFAULT_AUDIT_LOG_PATH).toBe(DEFAULT_AUDIT_PATH);
    });

    it("refuses (throws, writes nothing) a line that holds a key, naming the field but not the value", () => {
        const ctx = tempAuditContext(fingerprint(newKey));
        const record = buildRecord({ ...ctx, keyName: `raxx-prod-${newKey}` }, AUDIT_ACTION_COMPLETED);
        let err: unknown;
        try {
            appendAuditRecord(ctx.path, record);
        } catch (e) {
            err = e;
        }
        expect(err).toBeInstanceOf(AuditLeakError);
        expect((err as AuditLeakError).fields).toEqual(["keyName"]);
        expect((err as Error).message).toMatch(/refused to write a line because field\(s\) keyName contain\(s\) key material/);
        expectErrorClean(err, secrets);
        expect(existsSync(ctx.path)).toBe(false);
    });

    it("refuses a line holding an admin key in a target label, and an exact listed secret without a key prefix", () => {
        const ctx = tempAuditContext(fingerprint(newKey));
        const withAdmin = buildRecord(ctx, AUDIT_ACTION_COMPLETED, { targets: [{ target: `cmd ${adminKey}`, fingerprint: "sha256:000000000000" }] });
        expect(() => appendAuditRecord(ctx.path, withAdmin)).toThrow(AuditLeakError);
        const token = "HRKU-0123456789abcdef0123456789";
        const withToken = buildRecord({ ...ctx, environment: token }, AUDIT_ACTION_COMPLETED);
        expect(() => appendAuditRecord(ctx.path, withToken, [token])).toThrow(/field\(s\) environment/);
        expect(existsSync(ctx.path)).toBe(false);
    });

    it("says clearly when the file cannot be written", () => {
        const dir = mkdtempSync(join(tmpdir(), "akr-audit-ro-"));
        const blocker = join(dir, "not-a-dir");
        writeFileSync(blocker, "x");
        const ctx = { ...tempAuditContext(fingerprint(newKey)), path: join(blocker, "rotations.jsonl") };
        expect(() => recordCompleted(ctx)).toThrow(/audit log: could not append to .*rotations\.jsonl \((ENOTDIR|EEXIST)\).*auditLog/);
    });
});

describe("recordFailure / auditedError", () => {
    it("writes a secret.rotate.failed line with the step and the redacted reason", () => {
        const ctx = tempAuditContext(fingerprint(newKey));
        const result = recordFailure(ctx, "revocation", `the previous key ${oldKey} still works`, { oldFingerprint: fingerprint(oldKey) }, [oldKey]);
        expect(result.written).toBe(true);
        const [line] = auditLines(ctx.path);
        expect(line).toMatchObject({
            action: "secret.rotate.failed",
            step: "revocation",
            reason: "the previous key [REDACTED] still works",
            oldFingerprint: fingerprint(oldKey),
            newFingerprint: fingerprint(newKey),
            environment: "prod",
            method: "operator-assisted-console",
        });
        expectNoLeaks({ audit: auditText(ctx.path) }, secrets);
    });

    it("never throws: an unwritable file or a missing context is reported, not raised", () => {
        const dir = mkdtempSync(join(tmpdir(), "akr-audit-ro-"));
        const blocker = join(dir, "file");
        writeFileSync(blocker, "x");
        const bad = recordFailure({ ...tempAuditContext(fingerprint(newKey)), path: join(blocker, "x.jsonl") }, "health", "boom");
        expect(bad.written).toBe(false);
        expect(bad.error).toMatch(/could not append/);
        expect(recordFailure(undefined, "health", "boom")).toEqual({ written: false, error: "no audit context was given" });
        // A key that slipped into a context field: refused, reported, still no throw.
        const leaky = recordFailure({ ...tempAuditContext(fingerprint(newKey)), keyName: newKey }, "health", "boom");
        expect(leaky.written).toBe(false);
        expect(leaky.error).toMatch(/refused/);
        expect(leaky.error).not.toContain(newKey);
    });

    it("auditedError returns a redacted Error and leaves the line; a failed write is appended to the message", () => {
        const ctx = tempAuditContext(fingerprint(newKey));
        const err = auditedError(ctx, "health", `health: https://x failed with ${newKey}`, {}, [newKey]);
        expect(err.message).toBe("health: https://x failed with [REDACTED]");
        expect(auditLines(ctx.path)).toHaveLength(1);
        const dir = mkdtempSync(join(tmpdir(), "akr-audit-ro-"));
        chmodSync(dir, 0o500);
        const unwritable = { ...ctx, path: join(dir, "sub", "a.jsonl") };
        const err2 = auditedError(unwritable, "health", "health failed");
        if (process.getuid?.() !== 0) expect(err2.message).toMatch(/^health failed \(the audit line could not be written: audit log: could not append/);
        expect(auditedError(undefined, "health", "plain").message).toBe("plain");
    });
});

describe("auditContextProblems", () => {
    it("accepts a good context and unknown values, rejects missing fields and key material", () => {
        const ctx = tempAuditContext(fingerprint(newKey));
        expect(auditContextProblems(ctx)).toEqual([]);
        expect(auditContextProblems(undefined)).toEqual([]);
        expect(auditContextProblems({ ...ctx, keyName: "" })).toEqual(["audit.keyName must be a non-empty string"]);
        expect(auditContextProblems({ ...ctx, newFingerprint: "abc" })).toEqual(["audit.newFingerprint must look like sha256:<12 hex digits>"]);
        const problems = auditContextProblems({ ...ctx, workspace: newKey });
        expect(problems).toEqual(["audit.workspace holds key material; the audit context must never carry a key"]);
        expect(auditContextProblems("x")).toHaveLength(1);
    });
});
