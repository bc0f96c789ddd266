import type * as dynamic from "@pulumi/pulumi/dynamic";
import { redact } from "../domain/keyFormat";
import {
    AuditHealthResult,
    AuditRecord,
    AuditRevocation,
    AuditTarget,
    AUDIT_ACTION_FAILED,
    AUDIT_ACTION_ROLLED_BACK,
    auditContextOf,
    lastRecordFor,
    auditContextProblems,
    DEFAULT_AUDIT_SECRET_NAME,
} from "./auditLog";
import { recordCompletedNotified } from "./notifyingAudit";
import { UNKNOWN } from "../dynamic/unknown";
import { exposureSummaryOf } from "../exposure/exposureTypes";

/**
 * The dynamic provider behind `pulumi-nodejs:dynamic/audit:RotationAudit`: appends ONE
 * `secret.rotate.completed` line when it is created and whenever the key's fingerprint changes, and keeps
 * the record as its output (a stack output: no secret in it). It is the last resource of a rotation, so
 * its line is written only when every earlier step (validation, writes, health, revocation) succeeded.
 *
 * With `notifications` (a secret input: the webhooks), the completed line's event is sent to each webhook before
 * the line is appended, and the line records each webhook's outcome; a webhook that fails is a warning only.
 *
 * Serialization: no credentials (the webhooks arrive as an input and are read inside create/update, never kept
 * at module scope), no npm module at module scope (only a type import); fs/path/child_process are loaded inside
 * auditLog's functions at run time.
 */


type Props = Record<string, unknown>;

export interface RotationAuditOutputs {
    /** fingerprint of the key the last line was written for. */
    readonly fingerprint: string;
    /** The last `secret.rotate.completed` record (what the JSONL line holds). */
    readonly record: AuditRecord;
}

export const rotationAuditProvider: dynamic.ResourceProvider = {
    async check(_olds: Props, news: Props): Promise<dynamic.CheckResult> {
        const failures: dynamic.CheckFailure[] = [];
        const isUnknown = (v: unknown) => v === UNKNOWN;
        for (const problem of auditContextProblems(news.audit, isUnknown)) failures.push({ property: "audit", reason: problem });
        if (news.audit === undefined || news.audit === null) {
            failures.push({ property: "audit", reason: "audit is required: {path, environment, keyName, newFingerprint, workspace, emergency}" });
        }
        if (news.targets !== undefined && !isUnknown(news.targets) && !Array.isArray(news.targets)) {
            failures.push({ property: "targets", reason: "targets must be a list of {kind, target, fingerprint}" });
        }
        if (news.health !== undefined && news.health !== null && !isUnknown(news.health) && !Array.isArray(news.health)) {
            failures.push({ property: "health", reason: "health must be the HealthChecks resource's results (a list)" });
        }
        // Nothing here may ever hold a key: refuse at check time, before any line could be attempted.
        for (const [name, value] of Object.entries(news)) {
            if (name === "__provider") continue;
            const text = JSON.stringify(value) ?? "";
            if (redact(text) !== text) failures.push({ property: name, reason: `${name} holds key material; an audit input must never carry a key` });
        }
        return { inputs: news, failures };
    },

    async diff(_id: string, olds: Props, news: Props): Promise<dynamic.DiffResult> {
        const fp = fingerprintOf(news.audit);
        // Only a new key is a rotation event; changed targets or health URLs alone are not. A rollback is one
        // too: the same key as the last completed line, after a failed attempt with another key (read from the
        // local audit file: no network).
        const changes = fp === UNKNOWN || fp === undefined || fp !== olds.fingerprint || abandonedAttempt(news.audit, fp) !== undefined;
        return { changes, replaces: [], deleteBeforeReplace: false };
    },

    async create(inputs: Props): Promise<dynamic.CreateResult> {
        const outs = await write(inputs, undefined);
        return { id: idOf(inputs), outs };
    },

    async update(_id: string, olds: Props, news: Props): Promise<dynamic.UpdateResult> {
        const fp = fingerprintOf(news.audit);
        if (fp !== undefined && fp === olds.fingerprint && olds.record) {
            const abandoned = abandonedAttempt(news.audit, fp);
            // Rolled back to this key after a failed attempt with another one: record it.
            if (abandoned !== undefined) return { outs: await write(news, abandoned, true) };
            // Same key: not a rotation event. Keep the last record (no second line).
            return { outs: { ...withoutWebhooks(news), fingerprint: fp, record: olds.record } };
        }
        const previous = typeof olds.fingerprint === "string" ? olds.fingerprint : undefined;
        return { outs: await write(news, previous) };
    },

    async read(id: string, props?: Props): Promise<dynamic.ReadResult> {
        // The audit file is history, not state to reconcile: refresh keeps what is recorded.
        return { id, props: props ?? {} };
    },

    async delete(): Promise<void> {
        // Audit lines are never removed: `pulumi destroy` leaves the file as it is.
    },
};

/**
 * The fingerprint of a failed attempt with another key, when the log's last line for this environment is
 * one: the key `fp` was then put back (a rollback). undefined otherwise.
 */
function abandonedAttempt(audit: unknown, fp: string | undefined): string | undefined {
    const context = auditContextOf(audit);
    if (!context || fp === undefined || fp === UNKNOWN) return undefined;
    const last = lastRecordFor(context.path, context.environment, context.stack);
    return last && (last.action === AUDIT_ACTION_FAILED || last.action === AUDIT_ACTION_ROLLED_BACK) && typeof last.newFingerprint === "string" && last.newFingerprint !== fp ? last.newFingerprint : undefined;
}

async function write(inputs: Props, ownPrevious: string | undefined, rollback = false): Promise<Props> {
    const context = auditContextOf(inputs.audit);
    if (!context) {
        throw new Error("audit: the audit context is missing or incomplete (environment, keyName, newFingerprint); this is a wiring bug in the program");
    }
    const given = typeof inputs.previousFingerprint === "string" && inputs.previousFingerprint && !rollback ? inputs.previousFingerprint : undefined;
    const details = {
        oldFingerprint: given ?? ownPrevious ?? null,
        rollback,
        targets: targetsOf(inputs.targets),
        health: healthOf(inputs.health),
        revocation: revocationOf(inputs.revocation),
        ...(exposureSummaryOf(inputs.exposure) ? { exposure: exposureSummaryOf(inputs.exposure) } : {}),
        secretName: typeof inputs.secretName === "string" && inputs.secretName ? inputs.secretName : context.secretName ?? DEFAULT_AUDIT_SECRET_NAME,
    };
    const record = await recordCompletedNotified(context, details, [], inputs.notifications);
    return { ...withoutWebhooks(inputs), fingerprint: context.newFingerprint, record };
}

/** The outputs never carry the webhooks: they are an input only (secret in state), read when a line is written. */
function withoutWebhooks(props: Props): Props {
    const { notifications: _webhooks, ...rest } = props;
    return rest;
}

/** The resource id: environment + key name, both public. Never derived from the key. */
function idOf(inputs: Props): string {
    const context = auditContextOf(inputs.audit);
    return context ? `${context.environment}/${context.keyName}` : "rotation-audit";
}

function fingerprintOf(audit: unknown): string | undefined {
    if (audit === UNKNOWN) return UNKNOWN;
    if (!audit || typeof audit !== "object") return undefined;
    const fp = (audit as Record<string, unknown>).newFingerprint;
    return typeof fp === "string" ? fp : undefined;
}

function targetsOf(value: unknown): AuditTarget[] {
    if (!Array.isArray(value)) return [];
    return value
        .filter((t): t is Record<string, unknown> => !!t && typeof t === "object")
        .map((t) => ({
            ...(typeof t.kind === "string" ? { kind: t.kind } : {}),
            target: String(t.target ?? ""),
            fingerprint: String(t.fingerprint ?? ""),
        }));
}

function healthOf(value: unknown): AuditHealthResult[] {
    if (!Array.isArray(value)) return [];
    return value
        .filter((h): h is Record<string, unknown> => !!h && typeof h === "object")
        .map((h) => ({
            url: String(h.url ?? ""),
            ok: h.ok === true,
            status: typeof h.status === "number" ? h.status : null,
            attempts: typeof h.attempts === "number" ? h.attempts : 0,
            seconds: typeof h.seconds === "number" ? h.seconds : 0,
        }));
}

function revocationOf(value: unknown): AuditRevocation | null {
    if (!value || typeof value !== "object") return null;
    const v = value as Record<string, unknown>;
    if (typeof v.mode !== "string") return null;
    const keys = Array.isArray(v.keys)
        ? v.keys
              .filter((k): k is Record<string, unknown> => !!k && typeof k === "object" && typeof (k as Record<string, unknown>).fingerprint === "string")
              .map((k) => ({ fingerprint: String(k.fingerprint), keyId: typeof k.keyId === "string" ? k.keyId : null, outcome: String(k.outcome ?? "") }))
        : [];
    const cutover = v.cutover && typeof v.cutover === "object" ? v.cutover : undefined;
    return { mode: v.mode, result: typeof v.result === "string" ? v.result : "", ...(keys.length ? { keys } : {}), ...(cutover ? { cutover } : {}) };
}
