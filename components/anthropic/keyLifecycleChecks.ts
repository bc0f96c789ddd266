import { addDays, daysBetween, formatIsoDate, parseIsoDate } from "../domain/dates";
import {
    EXPIRY_BACKSTOP_DAYS, EXPIRY_MARGIN_DAYS, isProductionEnvironment, judgeExpiry, RequireExpiry, suggestedExpiry,
} from "../domain/keyExpiry";
import { ApiKeyRecord, describeOwner, keyOwner } from "./keyRecord";

/**
 * What the key's Admin API record says about its life, checked before fan-out (issue 14 §1):
 *
 * - expiry (`expires_at`): too early for the rotation policy's due date is always a problem; never, or long after
 *   it, is a problem when `validation.requireExpiry` is mandatory and an advisory when it is advisory;
 * - scope: an organisation-scoped key where a workspace is configured is a problem (it bills the wrong cost centre);
 * - owner (`principal`, else `created_by`): reported; a prod key owned by a person rather than a service account
 *   is an advisory.
 *
 * Problems and advisories name the config field and the fix; none holds any part of the key. Pure.
 */

export interface LifecycleRequest {
    readonly environment: string;
    /** `YYYY-MM-DD`, the date in keyName. */
    readonly createdAt: string;
    readonly maxAgeDays: number;
    readonly requireExpiry: RequireExpiry;
    readonly workspace?: string;
}

export interface LifecycleFindings {
    /** Fail the validation. */
    readonly problems: string[];
    /** Warnings: reported, never a failure. */
    readonly advisories: string[];
    /** `expires 2027-03-03` / `never expires`, for the summary. */
    readonly expiryText: string;
    /** `user user_…` / `service account svac_…` / `not recorded …`. */
    readonly owner: string;
}

const SET_WARN = "pulumi config set --path validation.requireExpiry advisory -s <stack>";
const SET_MANDATORY = "pulumi config set --path validation.requireExpiry mandatory -s <stack>";

export function checkLifecycle(record: ApiKeyRecord, request: LifecycleRequest): LifecycleFindings {
    const problems: string[] = [];
    const advisories: string[] = [];
    const expiry = expiryFindings(record, request);
    problems.push(...expiry.problems);
    advisories.push(...expiry.advisories);

    if (request.workspace !== undefined && record.scope === "organization") {
        problems.push(
            `scope: config workspace "${request.workspace}" | the key is organization-scoped (Admin API scope.type "organization", no workspace) — ` +
                `its usage is billed to the organisation, not to workspace "${request.workspace}"'s cost centre, and that workspace's limits do not apply to it. ` +
                `Fix: create the key inside workspace "${request.workspace}" (Console → Settings → Workspaces → API keys), ` +
                "or remove workspace from the stack config (pulumi config rm workspace -s <stack>) if organisation-wide billing is intended.",
        );
    }

    const owner = describeOwner(record);
    const { actor } = keyOwner(record);
    if (actor?.kind === "user" && isProductionEnvironment(request.environment)) {
        advisories.push(
            `owner: the ${request.environment} key belongs to a person's account (${owner}), not a service account — ` +
                "offboarding that person is one of the SOP's rotation triggers, and a key tied to their account depends on it. " +
                "Fix: create the next prod key under a service account (Console → Settings → Service accounts), then set apiKey and keyName for it.",
        );
    }
    return { problems, advisories, expiryText: expiry.text, owner };
}

function expiryFindings(record: ApiKeyRecord, request: LifecycleRequest): { problems: string[]; advisories: string[]; text: string } {
    const verdict = judgeExpiry(request.createdAt, request.maxAgeDays, record.expiresAt);
    const policy = `keyName's date ${request.createdAt} + maxAgeDays ${request.maxAgeDays}`;
    const window = (due: string) => {
        const d = parseIsoDate(due)!;
        return `between ${formatIsoDate(addDays(d, EXPIRY_MARGIN_DAYS))} and ${formatIsoDate(addDays(d, EXPIRY_BACKSTOP_DAYS))} (e.g. ${suggestedExpiry(request.createdAt, request.maxAgeDays)})`;
    };
    switch (verdict.kind) {
        case "ok":
            return { problems: [], advisories: [], text: `expires ${verdict.expiresOn}` };
        case "unreadable":
            return {
                problems: [`expiry: the Admin API expires_at "${verdict.expiresAt}" is not a date, so the key cannot be shown to outlive its due date ${verdict.dueDate}. Fix: check the key in the Console and run pulumi up again.`],
                advisories: [],
                text: "expiry unreadable",
            };
        case "too-early": {
            const created = parseIsoDate(request.createdAt)!;
            const fitting = daysBetween(created, parseIsoDate(verdict.expiresOn)!) - EXPIRY_MARGIN_DAYS;
            const lower = fitting >= 1 ? `, or lower maxAgeDays to ${fitting} or less so the rotation falls due in time` : "";
            return {
                problems: [
                    `expiry: the key expires on ${verdict.expiresOn} (Admin API expires_at) | the rotation policy's next due date is ${verdict.dueDate} (${policy}), ` +
                        `and the key must work at least ${EXPIRY_MARGIN_DAYS} days past it (until ${verdict.earliestOk}) — every consumer would get 401 before the rotation is due ` +
                        `and before its reminders fire. Fix: create a new key with a custom expiry ${window(verdict.dueDate)} in the Console${lower}.`,
                ],
                advisories: [],
                text: `expires ${verdict.expiresOn}`,
            };
        }
        case "never":
        case "too-late": {
            const what =
                verdict.kind === "never"
                    ? "the key never expires (Admin API expires_at null)"
                    : `the key expires on ${verdict.expiresOn}, more than ${EXPIRY_BACKSTOP_DAYS} days after its due date ${verdict.dueDate} (${policy})`;
            const why = "so its expiry is no backstop for a forgotten rotation";
            const create = `create the key with a custom expiry ${window(verdict.dueDate)} in the Console`;
            const text = verdict.kind === "never" ? "never expires" : `expires ${verdict.expiresOn}`;
            if (request.requireExpiry === "mandatory") {
                return {
                    problems: [`expiry: ${what} | validation.requireExpiry is mandatory for ${request.environment}, ${why}. Fix: ${create}, or accept it with a warning: ${SET_WARN}.`],
                    advisories: [],
                    text,
                };
            }
            return {
                problems: [],
                advisories: [`expiry: ${what}, ${why} (validation.requireExpiry is advisory for ${request.environment}). Fix: ${create}; to make this an error: ${SET_MANDATORY}.`],
                text,
            };
        }
    }
}
