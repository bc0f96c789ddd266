import { daysBetween, formatIsoDate, parseIsoDate } from "../domain/dates";
import { hintMatches } from "../domain/fingerprint";
import { AdminCallOptions, ApiKeyRecord, findApiKeyRecords, retrieveApiKey } from "./adminApi";
import { adminTarget, describeStatus, FailureContext, KeyValidationError, seconds, unansweredNote, validationFailure } from "./failures";
import { RequireExpiry } from "../domain/keyExpiry";
import { checkLifecycle } from "./keyLifecycleChecks";
import { ApiCallError } from "./retry";
import { errorMessage } from "../audit/auditLog";

/**
 * Admin API checks of the new key, run when ANTHROPIC_ADMIN_API_KEY is set: find the key's record (by
 * `keyId` when configured, else by its partial hint across every page of the organisation's keys) and
 * require status `active`, Console name == keyName, workspace == configured workspace, created_at within
 * one day of the date in the name; then what the record says about the key's life (keyLifecycleChecks.ts:
 * expiry against the due date, organisation scope, owner). Each mismatch is reported with both values side by side.
 */

export const ADMIN_KEY_ENV = "ANTHROPIC_ADMIN_API_KEY";

/** The `adminChecks` output when no admin key is available (the lead logs it once). */
export const ADMIN_CHECKS_SKIPPED =
    "skipped: ANTHROPIC_ADMIN_API_KEY not set — name, workspace and status were not verified " +
    "(these checks catch a pasted key that is not the one named keyName, a key that bills another workspace's cost centre, and a deactivated key)";

/** A created_at up to this many days from the name's date passes (time zones). */
export const CREATED_AT_TOLERANCE_DAYS = 1;

export interface AdminCheckRequest {
    readonly apiKey: string;
    readonly adminKey: string;
    readonly baseUrl: string;
    readonly keyName: string;
    /** `YYYY-MM-DD` from the name. */
    readonly createdAt: string;
    readonly workspace?: string;
    readonly keyId?: string;
    readonly maxRetrySeconds: number;
    readonly environment: string;
    readonly maxAgeDays: number;
    readonly requireExpiry: RequireExpiry;
}

export interface AdminCheckResult {
    /** `apikey_…`: revocation needs it. */
    readonly keyId: string;
    readonly keyStatus: string;
    readonly workspaceId: string | null;
    /** RFC 3339, or null when the key never expires. */
    readonly expiresAt: string | null;
    /** Who the key belongs to (principal, else creator). */
    readonly owner: string;
    /** Warnings that do not fail the validation (advisory expiry, a prod key owned by a person). */
    readonly advisories: readonly string[];
    /** `passed: …` — one line for the log. */
    readonly summary: string;
}

const SET_KEY_ID = "pulumi config set keyId apikey_… -s <stack>";

function show(value: string | null): string {
    return value === null ? "none (default workspace or organisation scope)" : `"${value}"`;
}

export async function runAdminChecks(request: AdminCheckRequest, ctx: FailureContext): Promise<AdminCheckResult> {
    const target = adminTarget(request.baseUrl);
    const options: AdminCallOptions = { adminKey: request.adminKey, baseUrl: request.baseUrl, maxRetrySeconds: request.maxRetrySeconds };
    let record: ApiKeyRecord;
    const notes: string[] = [];

    if (request.keyId) {
        try {
            record = await retrieveApiKey(options, request.keyId);
        } catch (err) {
            throw adminCallFailure(err, ctx, target, `retrieving ${request.keyId}`, request.keyId);
        }
        if (record.partialKeyHint === null) {
            notes.push("the API showed no hint, so keyId could not be matched to the pasted key");
        } else if (!hintMatches(record.partialKeyHint, request.apiKey)) {
            throw validationFailure("admin-key-id-mismatch", ctx, {
                target,
                headline: `keyId ${record.id} (Console name "${record.name}") is a different key: its hint does not match the pasted key`,
                details: [`keyId: config "${request.keyId}" names the key "${record.name}", whose prefix and last four characters differ from the pasted key's`],
                todo: `either paste the key named "${record.name}", or correct keyId (${SET_KEY_ID}), or remove keyId to find the key by its hint.`,
            });
        }
    } else {
        let found: Awaited<ReturnType<typeof findApiKeyRecords>>;
        try {
            found = await findApiKeyRecords(options, request.apiKey);
        } catch (err) {
            throw adminCallFailure(err, ctx, target, "listing the organisation's API keys");
        }
        if (found.matches.length === 0) {
            throw validationFailure("admin-key-not-found", ctx, {
                target,
                headline: `none of the ${found.searched} API keys of the admin key's organisation (${found.pages} page${found.pages === 1 ? "" : "s"}) has the new key's hint`,
                todo: "the pasted key belongs to another organisation than ANTHROPIC_ADMIN_API_KEY: use the admin key of the key's own organisation (or unset it to skip these checks), or check that the right key was pasted.",
            });
        }
        if (found.matches.length > 1) {
            throw validationFailure("admin-ambiguous-hint", ctx, {
                target,
                headline: `${found.matches.length} API keys share the new key's hint (its prefix and last four characters), so the Admin API cannot tell which one was pasted`,
                details: found.matches.map((m) => `candidate: ${m.id} named "${m.name}", status ${m.status}, workspace ${show(m.workspaceId)}, created ${m.createdAt}`),
                todo: `name the key explicitly: ${SET_KEY_ID} (the id of the candidate named "${request.keyName}"), then run pulumi up again.`,
            });
        }
        record = found.matches[0]!;
    }

    const problems: string[] = [];
    let inactive = false;
    if (record.status !== "active") {
        inactive = true;
        problems.push(
            `status: expected "active" | Admin API: "${record.status}" — an ${record.status} key cannot serve consumers (it answers 401 once the change has propagated). If this is a rollback to a previous key, that key was already deactivated: create a new key instead.`,
        );
    }
    if (record.name !== request.keyName) {
        problems.push(
            `name: config keyName "${request.keyName}" | Console name "${record.name}" — the pasted key is probably not the key named in keyName: paste the key named "${request.keyName}", or correct keyName.`,
        );
    }
    if (request.workspace !== undefined && record.scope !== "organization" && record.workspaceId !== request.workspace) {
        problems.push(
            `workspace: config workspace "${request.workspace}" | the key's workspace ${show(record.workspaceId)} — it would authenticate but bill the wrong cost centre: create the key in workspace "${request.workspace}" (Console → Settings → Workspaces), or correct workspace.`,
        );
    }
    const created = Date.parse(record.createdAt);
    const nameDate = parseIsoDate(request.createdAt);
    if (!Number.isFinite(created)) {
        problems.push(`created: the name says ${request.createdAt} | the Admin API created_at "${record.createdAt}" is not a date`);
    } else if (nameDate && Math.abs(daysBetween(nameDate, new Date(created))) > CREATED_AT_TOLERANCE_DAYS) {
        problems.push(
            `created: the name's date ${request.createdAt} | Admin API created_at ${formatIsoDate(new Date(created))} (more than ${CREATED_AT_TOLERANCE_DAYS} day apart) — the date in the name is the day the key was created: this is an older or different key, or keyName carries the wrong date.`,
        );
    }
    const mismatches = problems.length;
    const life = checkLifecycle(record, request);
    problems.push(...life.problems);
    if (problems.length > 0) {
        const expiryOnly = !inactive && mismatches === 0 && life.problems.every((p) => p.startsWith("expiry:"));
        throw validationFailure(inactive ? "admin-inactive" : expiryOnly ? "admin-expiry" : "admin-mismatch", ctx, {
            target,
            headline: inactive
                ? `the Admin API reports the key ${record.id} as ${record.status}`
                : expiryOnly
                  ? `the key's expiry (${life.expiryText}, Admin API record ${record.id}) does not fit the rotation policy`
                  : `the Admin API record of the key (${record.id}) does not match the stack configuration`,
            details: problems,
            todo: inactive
                ? "create a new key in the Console, name it by the convention, set it with pulumi config set --secret apiKey -s <stack>, and run pulumi up again."
                : expiryOnly
                  ? "create a key whose expiry fits (as above), set it with pulumi config set --secret apiKey -s <stack> and keyName, or change the setting named above, then run pulumi up again."
                  : "fix the configuration or paste the right key, then run pulumi up again.",
        });
    }
    const where = record.scope === "organization" ? "organization scope" : `workspace ${show(record.workspaceId)}`;
    const workspaceText = request.workspace !== undefined ? `workspace "${request.workspace}"` : `${where} (not configured, so not compared)`;
    const advisoryNote = life.advisories.length ? `; ${life.advisories.length} advisor${life.advisories.length === 1 ? "y" : "ies"} (see adminAdvisories)` : "";
    return {
        keyId: record.id,
        keyStatus: record.status,
        workspaceId: record.workspaceId,
        expiresAt: record.expiresAt,
        owner: life.owner,
        advisories: life.advisories,
        summary:
            `passed: ${record.id} is active, named "${record.name}", in ${workspaceText}, created ${record.createdAt.slice(0, 10)}, ${life.expiryText}, owned by ${life.owner}` +
            `${notes.length ? `; note: ${notes.join("; ")}` : ""}${advisoryNote}`,
    };
}

function adminCallFailure(err: unknown, ctx: FailureContext, target: string, doing: string, keyId?: string): KeyValidationError {
    if (!(err instanceof ApiCallError)) {
        const detail = errorMessage(err);
        return validationFailure("admin-unavailable", ctx, {
            target,
            headline: `the Admin API checks failed while ${doing}: ${detail}`,
            todo: "run pulumi up again; if it persists, unset ANTHROPIC_ADMIN_API_KEY to skip these checks (name, workspace and status would then not be verified).",
        });
    }
    const f = err.failure;
    const unsetHint = "or unset ANTHROPIC_ADMIN_API_KEY to skip these checks (name, workspace and status would then not be verified)";
    if (f.kind !== "status") {
        return validationFailure("admin-unavailable", ctx, {
            target,
            headline: `the Admin API did not answer while ${doing} (${f.kind === "transport" ? f.detail : f.detail}) after ${err.attempts} attempt(s) in ${seconds(err.elapsedMs)}`,
            todo: `check endpoints.anthropic and the network, then run pulumi up again, ${unsetHint}.`,
        });
    }
    const status = describeStatus(f, ctx.secrets);
    if (f.status === 401) {
        return validationFailure("admin-key-rejected", ctx, {
            target,
            headline: `the Admin API rejected ANTHROPIC_ADMIN_API_KEY while ${doing} (${status})`,
            todo: `set ANTHROPIC_ADMIN_API_KEY to a valid Admin API key of the key's organisation (admin01 prefix; Console → Settings → Admin keys), ${unsetHint}. The new key itself passed its ping.`,
            requestId: f.requestId,
        });
    }
    if (f.status === 403) {
        return validationFailure("admin-permission-denied", ctx, {
            target,
            headline: `ANTHROPIC_ADMIN_API_KEY may not read API keys (${status})`,
            todo: `use an Admin API key of an organisation admin, ${unsetHint}.`,
            requestId: f.requestId,
        });
    }
    if (f.status === 404 && keyId) {
        return validationFailure("admin-key-not-found", ctx, {
            target,
            headline: `keyId ${keyId} is not a key of the admin key's organisation (${status})`,
            todo: `correct keyId (${SET_KEY_ID}), or remove it to find the key by its hint.`,
            requestId: f.requestId,
        });
    }
    return validationFailure("admin-unavailable", ctx, {
        target,
        headline: `the Admin API failed while ${doing}: ${status}${err.stop !== "not-retryable" ? ` after ${err.attempts} attempt(s) in ${seconds(err.elapsedMs)}${unansweredNote(err)}` : ""}`,
        todo: `run pulumi up again later, ${unsetHint}.`,
        requestId: f.requestId,
    });
}
