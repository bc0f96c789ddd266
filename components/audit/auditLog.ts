import { redact } from "../domain/keyFormat";

/**
 * The rotation audit trail (SOP step 8): ONE JSON line per rotation event, appended to a file
 * (default `audit/rotations.jsonl`, relative to the Pulumi project directory, which is the working
 * directory of both the program and the dynamic provider host).
 *
 * - Append-only: the file is opened with O_APPEND, each record is written with ONE write() and fsync'd
 *   before the call returns, so a crash never leaves half a line and a finished `pulumi up` has its line
 *   on disk. Missing directories are created.
 * - No secrets, ever: a line that holds anything key-shaped (or any value passed in `secrets`) is
 *   REFUSED with an AuditLeakError; free text (`reason`) is redacted before that check.
 * - The actor is resolved when the line is written, inside the provider process: PULUMI_ACTOR, then
 *   GITHUB_ACTOR (CI), then `git config user.email`, then USER / LOGNAME / USERNAME.
 *
 * This module is captured into serialized dynamic providers: it holds no credentials, loads Node's
 * built-ins inside functions and contains no key-shaped text.
 */

import type { ExposureSummary } from "../exposure/exposureTypes";

export const AUDIT_ACTION_COMPLETED = "secret.rotate.completed";
export const AUDIT_ACTION_FAILED = "secret.rotate.failed";
/** A deactivation was undone (the keys reactivated) because a consumer failed its health check afterwards. */
export const AUDIT_ACTION_ROLLED_BACK = "secret.rotate.rolled_back";
export const AUDIT_METHOD = "operator-assisted-console";
export const DEFAULT_AUDIT_LOG_PATH = "audit/rotations.jsonl";
export const DEFAULT_AUDIT_SECRET_NAME = "ANTHROPIC_API_KEY";
/** Free text (failure reasons) is cut to this length, so a line stays readable and bounded. */
export const MAX_REASON_LENGTH = 2000;

export type AuditAction = typeof AUDIT_ACTION_COMPLETED | typeof AUDIT_ACTION_FAILED | typeof AUDIT_ACTION_ROLLED_BACK;

/**
 * What every resource that can fail passes along so that its failure leaves a `secret.rotate.failed` line.
 * Plain values only, never the key: the context is a plain (non-secret) input of each resource.
 */
export interface AuditContext {
    /** The JSONL file; relative paths are resolved against the working directory (the project directory). */
    readonly path: string;
    readonly environment: string;
    /** The key's Console name, e.g. raxx-prod-agents-2026-11-23. */
    readonly keyName: string;
    /** fingerprint(new key), `sha256:<12 hex>`. */
    readonly newFingerprint: string;
    /** Anthropic workspace id, or "default". */
    readonly workspace: string;
    readonly emergency: boolean;
    /** In an emergency, the leaked key it is for (fingerprint or Admin API id). */
    readonly compromisedKey?: string;
    /** The Pulumi stack, when the program passes it (pulumi.getStack()). */
    readonly stack?: string;
    /** The variable name the key is known by (default ANTHROPIC_API_KEY). */
    readonly secretName?: string;
}

/** One consumer as the audit shows it: never the key, only its fingerprint. */
export interface AuditTarget {
    readonly kind?: string;
    readonly target: string;
    readonly fingerprint: string;
}

/** One health check's outcome (the HealthChecks resource's `results`). */
export interface AuditHealthResult {
    readonly url: string;
    readonly ok: boolean;
    readonly status: number | null;
    readonly attempts: number;
    readonly seconds: number;
}

export interface AuditRevocation {
    readonly mode: string;
    readonly result: string;
    /** Every key the revocation handled (all keys replaced since the last proven revocation), by fingerprint and id. */
    readonly keys?: readonly AuditRevokedKey[];
    /** The usage-report evidence of the cut-over (decision, window, per-minute counts by key id), or why it was skipped. */
    readonly cutover?: unknown;
}

/** One key a revocation handled: never the key, only its fingerprint and Admin API id. */
export interface AuditRevokedKey {
    readonly fingerprint: string;
    readonly keyId: string | null;
    readonly outcome: string;
}

export interface AuditRecord {
    readonly action: AuditAction;
    readonly timestamp: string;
    /** On failure: the procedure step that failed (validation, infisical, heroku, health, revocation, …). */
    readonly step?: string;
    /** On failure: what went wrong and what to do, redacted. */
    readonly reason?: string;
    readonly actor: string;
    /** Where the actor came from: PULUMI_ACTOR, GITHUB_ACTOR, git, USER, … or "unknown". */
    readonly actorSource: string;
    readonly stack?: string;
    readonly environment: string;
    readonly keyName: string;
    readonly secretName: string;
    readonly oldFingerprint: string | null;
    readonly newFingerprint: string;
    readonly workspace: string;
    readonly method: typeof AUDIT_METHOD;
    readonly emergency: boolean;
    /** In an emergency, the leaked key (fingerprint or Admin API id). */
    readonly compromisedKey?: string;
    readonly targets: readonly AuditTarget[];
    readonly health: readonly AuditHealthResult[];
    readonly revocation: AuditRevocation | null;
    /** Emergency only: what the compromised key did in the last hours (counts only; components/exposure), or why not known. */
    readonly exposure?: ExposureSummary;
    /**
     * Present (true) on the completed line of a rollback: the key put back is the one the previous completed
     * line names, after a failed attempt with another key (whose fingerprint is then `oldFingerprint`).
     */
    readonly rollback?: true;
    /**
     * Present when the stack configures `notifications`: each webhook's outcome for this line's event. Names the
     * webhook's host only, never its URL path or token (components/notifications).
     */
    readonly notifications?: readonly AuditNotification[];
}

/** One webhook's outcome for the event of an audit line. */
export interface AuditNotification {
    readonly format: string;
    /** host[:port] only. */
    readonly host: string;
    readonly outcome: "delivered" | "failed";
    readonly attempts: number;
    readonly detail?: string;
}

/** Optional facts a record can carry besides the context. */
export interface AuditDetails {
    readonly oldFingerprint?: string | null;
    readonly targets?: readonly AuditTarget[];
    readonly health?: readonly AuditHealthResult[];
    readonly revocation?: AuditRevocation | null;
    readonly secretName?: string;
    readonly rollback?: boolean;
    readonly exposure?: ExposureSummary;
}

/** A line was refused because it held key material. The message names the fields, never the value. */
export class AuditLeakError extends Error {
    // `declare`: no class-field emit (the closure serializer does not handle class fields).
    declare readonly fields: readonly string[];
    constructor(fields: readonly string[]) {
        const message =
            `audit log: refused to write a line because ${fields.length ? `field(s) ${fields.join(", ")}` : "it"} contain(s) key material; ` +
            `nothing was written. This is a bug in the caller (a key reached an audit field): report it, and treat the key as exposed in this process's memory only`;
        super(message);
        // Set again: Pulumi's closure serializer turns super(message) into Error.call(this, message), which drops it.
        this.message = message;
        this.name = "AuditLeakError";
        this.fields = fields;
    }
}

export interface Actor {
    readonly actor: string;
    readonly source: string;
}

/**
 * Who is running the rotation, resolved at run time: PULUMI_ACTOR (set it explicitly, e.g. to the
 * operator's SSO id), GITHUB_ACTOR (GitHub Actions), the git identity (`git config user.email`), then the
 * OS user. A git email identifies a person better than a login name such as `runner` or `root`, so it
 * comes before USER.
 */
export function resolveActor(env: NodeJS.ProcessEnv = process.env, gitEmail: () => string | undefined = readGitEmail): Actor {
    const fromEnv = (name: string): Actor | undefined => {
        const value = env[name]?.trim();
        return value ? { actor: value, source: name } : undefined;
    };
    const found =
        fromEnv("PULUMI_ACTOR") ??
        fromEnv("GITHUB_ACTOR") ??
        (() => {
            const email = gitEmail()?.trim();
            return email ? { actor: email, source: "git" } : undefined;
        })() ??
        fromEnv("USER") ??
        fromEnv("LOGNAME") ??
        fromEnv("USERNAME");
    const actor = found ?? { actor: "unknown", source: "unknown" };
    // An actor is an identity, never a secret; still, nothing key-shaped may pass.
    return { actor: redact(actor.actor).slice(0, 200), source: actor.source };
}

function readGitEmail(): string | undefined {
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- built-in, loaded at run time
        const { execFileSync } = require("child_process") as typeof import("child_process");
        const out = execFileSync("git", ["config", "user.email"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5000 });
        return out.trim() || undefined;
    } catch {
        return undefined;
    }
}

/** Builds a record from the context; `timestamp` and `actor` are taken now unless given. */
export function buildRecord(
    context: AuditContext,
    action: AuditAction,
    details: AuditDetails & { step?: string; reason?: string } = {},
    now: Date = new Date(),
    actor: Actor = resolveActor(),
): AuditRecord {
    const reason = details.reason === undefined ? undefined : truncate(redact(details.reason).replace(/\s+/g, " ").trim(), MAX_REASON_LENGTH);
    return {
        action,
        timestamp: now.toISOString(),
        ...(details.step !== undefined ? { step: details.step } : {}),
        ...(reason !== undefined ? { reason } : {}),
        actor: actor.actor,
        actorSource: actor.source,
        ...(context.stack ? { stack: context.stack } : {}),
        environment: context.environment,
        keyName: context.keyName,
        secretName: details.secretName ?? context.secretName ?? DEFAULT_AUDIT_SECRET_NAME,
        oldFingerprint: details.oldFingerprint ?? null,
        newFingerprint: context.newFingerprint,
        workspace: context.workspace || "default",
        method: AUDIT_METHOD,
        emergency: context.emergency === true,
        ...(context.emergency === true && context.compromisedKey ? { compromisedKey: context.compromisedKey } : {}),
        targets: (details.targets ?? []).map((t) => ({ ...(t.kind !== undefined ? { kind: t.kind } : {}), target: t.target, fingerprint: t.fingerprint })),
        health: (details.health ?? []).map((h) => ({ url: h.url, ok: h.ok, status: h.status, attempts: h.attempts, seconds: h.seconds })),
        revocation: details.revocation ? revocationRecord(details.revocation) : null,
        ...(details.exposure ? { exposure: details.exposure } : {}),
        ...(details.rollback === true ? { rollback: true as const } : {}),
    };
}

function revocationRecord(r: AuditRevocation): AuditRevocation {
    const keys = (r.keys ?? []).map((k) => ({ fingerprint: k.fingerprint, keyId: k.keyId, outcome: k.outcome }));
    return { mode: r.mode, result: r.result, ...(keys.length ? { keys } : {}), ...(r.cutover !== undefined && r.cutover !== null ? { cutover: r.cutover } : {}) };
}

/**
 * The last record of this environment (and stack, when both say) in the log, or undefined when there is
 * none or the file does not exist. Lines that are not JSON are skipped. Local file only: no network.
 */
export function lastRecordFor(path: string | undefined, environment: string, stack?: string): AuditRecord | undefined {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- built-in, loaded at run time
    const fs = require("fs") as typeof import("fs");
    let text: string;
    try {
        text = fs.readFileSync(auditLogFile(path), "utf8");
    } catch {
        return undefined;
    }
    const lines = text.split("\n");
    for (let i = lines.length - 1; i >= 0; i--) {
        const line = lines[i]!.trim();
        if (!line) continue;
        let record: AuditRecord;
        try {
            record = JSON.parse(line) as AuditRecord;
        } catch {
            continue;
        }
        if (!record || typeof record !== "object" || record.environment !== environment) continue;
        if (stack && record.stack && record.stack !== stack) continue;
        return record;
    }
    return undefined;
}

/** The fields of `record` whose JSON holds key material (key-shaped text or one of `secrets`). */
export function fieldsWithKeyMaterial(record: object, secrets: readonly string[] = []): string[] {
    const out: string[] = [];
    for (const [name, value] of Object.entries(record)) {
        const text = JSON.stringify(value) ?? "";
        if (redact(text, secrets) !== text) out.push(name);
    }
    return out;
}

/** Throws AuditLeakError when the text holds key material. */
export function assertNoKeyMaterial(line: string, record: object, secrets: readonly string[] = []): void {
    if (redact(line, secrets) !== line) throw new AuditLeakError(fieldsWithKeyMaterial(record, secrets));
}

/** The absolute file a context's path names (relative to the working directory). */
export function auditLogFile(path: string | undefined): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- built-in, loaded at run time
    const { resolve } = require("path") as typeof import("path");
    return resolve(process.cwd(), path && path.trim() ? path.trim() : DEFAULT_AUDIT_LOG_PATH);
}

/**
 * Appends the record as one line and fsyncs it. Throws AuditLeakError (and writes nothing) when the line
 * would hold key material; `secrets` adds exact values to look for besides key-shaped text.
 */
export function appendAuditRecord(path: string | undefined, record: AuditRecord, secrets: readonly string[] = []): string {
    const line = JSON.stringify(record);
    assertNoKeyMaterial(line, record, secrets);
    if (line.includes("\n")) throw new Error("audit log: a record serialized to more than one line; nothing was written (bug)");
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- built-ins, loaded at run time
    const fs = require("fs") as typeof import("fs");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { dirname } = require("path") as typeof import("path");
    const file = auditLogFile(path);
    try {
        fs.mkdirSync(dirname(file), { recursive: true });
        const fd = fs.openSync(file, "a", 0o644);
        try {
            fs.writeSync(fd, `${line}\n`);
            fs.fsyncSync(fd);
        } finally {
            fs.closeSync(fd);
        }
    } catch (err) {
        const code = (err as { code?: string }).code;
        throw new Error(
            `audit log: could not append to ${file}${code ? ` (${code})` : ""}; check that the directory is writable or set ` +
                `anthropic-key-rotation:auditLog to a writable path, then run pulumi up again`,
        );
    }
    return file;
}

/** Builds and appends a `secret.rotate.completed` line; returns the record. */
export function recordCompleted(context: AuditContext, details: AuditDetails = {}, secrets: readonly string[] = []): AuditRecord {
    const record = buildRecord(context, AUDIT_ACTION_COMPLETED, details);
    appendAuditRecord(context.path, record, secrets);
    return record;
}

export interface FailureRecordResult {
    readonly written: boolean;
    readonly record?: AuditRecord;
    readonly file?: string;
    /** Why the line could not be written (never holds a secret). */
    readonly error?: string;
}

/**
 * Appends a `secret.rotate.failed` line for the step that failed. `reason` is redacted (with `secrets` too)
 * before it is written. Never throws: the caller's own error stays the one the operator sees; when the line
 * could not be written, `error` says why (append it to the caller's message).
 * Without a context (a resource created without one) nothing is written.
 */
export function recordFailure(
    context: AuditContext | undefined,
    step: string,
    reason: string,
    details: AuditDetails = {},
    secrets: readonly string[] = [],
    action: AuditAction = AUDIT_ACTION_FAILED,
): FailureRecordResult {
    if (!context || typeof context !== "object" || !context.newFingerprint) return { written: false, error: "no audit context was given" };
    try {
        const record = buildRecord(context, action, { ...details, step, reason: redact(reason, secrets) });
        const file = appendAuditRecord(context.path, record, secrets);
        return { written: true, record, file };
    } catch (err) {
        return { written: false, error: redact(errorMessage(err), secrets) };
    }
}

/**
 * For failure paths: records the failure and returns an Error to throw, whose message is the (redacted)
 * reason plus a note when the audit line could not be written.
 *     throw auditedError(ctx, "health", message, {}, [apiKey]);
 */
export function auditedError(
    context: AuditContext | undefined,
    step: string,
    message: string,
    details: AuditDetails = {},
    secrets: readonly string[] = [],
    action: AuditAction = AUDIT_ACTION_FAILED,
): Error {
    const safe = redact(message, secrets);
    const result = recordFailure(context, step, safe, details, secrets, action);
    const note = context && !result.written && result.error ? ` (the audit line could not be written: ${result.error})` : "";
    return new Error(`${safe}${note}`);
}

/** Reads an audit context from untrusted provider inputs; undefined when absent or incomplete. */
export function auditContextOf(value: unknown): AuditContext | undefined {
    if (!value || typeof value !== "object") return undefined;
    const v = value as Record<string, unknown>;
    if (typeof v.newFingerprint !== "string" || typeof v.environment !== "string" || typeof v.keyName !== "string") return undefined;
    return {
        path: typeof v.path === "string" && v.path.trim() ? v.path : DEFAULT_AUDIT_LOG_PATH,
        environment: v.environment,
        keyName: v.keyName,
        newFingerprint: v.newFingerprint,
        workspace: typeof v.workspace === "string" && v.workspace ? v.workspace : "default",
        emergency: v.emergency === true,
        ...(typeof v.compromisedKey === "string" && /^(sha256:[0-9a-f]{12}|apikey_[A-Za-z0-9]+)$/.test(v.compromisedKey) ? { compromisedKey: v.compromisedKey } : {}),
        ...(typeof v.stack === "string" && v.stack ? { stack: v.stack } : {}),
        ...(typeof v.secretName === "string" && v.secretName ? { secretName: v.secretName } : {}),
    };
}

/** Problems with an audit context given as an input (for check()); values are never echoed. */
export function auditContextProblems(value: unknown, isUnknown: (v: unknown) => boolean = () => false): string[] {
    if (value === undefined || value === null || isUnknown(value)) return [];
    if (typeof value !== "object" || Array.isArray(value)) return ["audit must be an object {path, environment, keyName, newFingerprint, workspace, emergency}"];
    const v = value as Record<string, unknown>;
    const problems: string[] = [];
    for (const field of ["environment", "keyName", "newFingerprint"]) {
        if (!isUnknown(v[field]) && (typeof v[field] !== "string" || (v[field] as string).length === 0)) problems.push(`audit.${field} must be a non-empty string`);
    }
    if (!isUnknown(v.newFingerprint) && typeof v.newFingerprint === "string" && !/^sha256:[0-9a-f]{12}$/.test(v.newFingerprint)) {
        problems.push("audit.newFingerprint must look like sha256:<12 hex digits>");
    }
    if (v.path !== undefined && !isUnknown(v.path) && (typeof v.path !== "string" || v.path.trim().length === 0)) problems.push("audit.path must be a file path");
    for (const [name, field] of Object.entries(v)) {
        if (typeof field === "string" && redact(field) !== field) problems.push(`audit.${name} holds key material; the audit context must never carry a key`);
    }
    return problems;
}

/**
 * The message of anything thrown. Duck-typed on purpose: inside a serialized dynamic provider, Pulumi's
 * closure serializer rebuilds `class X extends Error` so that its instances are NOT `instanceof Error`
 * (the prototype chain is lost), and `String(err)` then gives "[object Object]".
 */
export function errorMessage(err: unknown): string {
    if (err && typeof err === "object" && typeof (err as { message?: unknown }).message === "string") return (err as { message: string }).message;
    return String(err);
}

function truncate(text: string, max: number): string {
    return text.length > max ? `${text.slice(0, max)}…` : text;
}
