import { ApiKeyRecord, KeyScopeKind, listOrganizationApiKeys } from "../../components/anthropic/adminApi";
import { DEFAULT_ANTHROPIC_BASE_URL } from "../../components/anthropic/client";
import { ApiCallError, ApiFailure } from "../../components/anthropic/retry";
import { redact } from "../../components/domain/keyFormat";

/**
 * Every API key of the organisation for the key audit, through the project's one Admin API listing
 * (components/anthropic/adminApi.ts: the SDK's `organization.apiKeys.list`, `x-api-key`, every page,
 * bounded retries). This module only keeps what the report needs — never the key's `partial_key_hint` —
 * and turns a failure into a message that says what failed and what to do.
 */

export const DEFAULT_ANTHROPIC_URL = DEFAULT_ANTHROPIC_BASE_URL;
/** Upper bound on each Admin API call, retries included (ANTHROPIC_KEY_ROTATION_RETRY_* can shorten it). */
export const ADMIN_LIST_MAX_RETRY_SECONDS = 60;

/** One organisation key as the report uses it. Holds no part of the key value. */
export interface OrgKey {
    readonly id: string;
    readonly name: string;
    /** `active`, `inactive`, `archived` or `expired`; an unknown future status is kept verbatim. */
    readonly status: string;
    /** RFC 3339, as the API says it. */
    readonly createdAt: string;
    readonly workspaceId: string | null;
    readonly expiresAt: string | null;
    /** `workspace`, `organization` (a principal-bound key billed to no workspace) or `unknown`; absent = not read. */
    readonly scope?: KeyScopeKind;
    /** Who created the key: a `user_…` or `svac_…` id; null when the record does not say; absent = not read. */
    readonly createdBy?: string | null;
}

export interface ListKeysOptions {
    readonly baseUrl: string;
    readonly adminKey: string;
    /** Each page of keys as it arrives, already reduced to what the report keeps. */
    readonly onPage?: (keys: readonly OrgKey[], page: number) => void;
}

/** The Admin API could not be read; the message names the step, the URL's origin and what to do. Never holds a key. */
export class AdminApiError extends Error {
    constructor(message: string, readonly status?: number) {
        super(message);
        this.name = "AdminApiError";
    }
}

const STEP = "list organisation API keys";

export async function listOrganizationKeys(options: ListKeysOptions): Promise<{ keys: OrgKey[]; pages: number }> {
    const secrets = [options.adminKey];
    const origin = safeOrigin(options.baseUrl);
    let listed: Awaited<ReturnType<typeof listOrganizationApiKeys>>;
    try {
        const onPage = options.onPage;
        listed = await listOrganizationApiKeys(
            { adminKey: options.adminKey, baseUrl: options.baseUrl, maxRetrySeconds: ADMIN_LIST_MAX_RETRY_SECONDS },
            onPage ? (records, page) => onPage(records.map(toOrgKey), page) : undefined,
        );
    } catch (err) {
        if (err instanceof ApiCallError) throw new AdminApiError(redact(describeFailure(err.failure, origin), secrets), err.failure.kind === "status" ? err.failure.status : undefined);
        throw new AdminApiError(redact(`${STEP}: ${err instanceof Error ? err.message : String(err)} (Admin API at ${origin}); try again later`, secrets));
    }
    return { keys: listed.keys.map(toOrgKey), pages: listed.pages };
}

/** What the report keeps of a record: never the partial key hint, and the name redacted (a pasted key in a name). */
function toOrgKey(record: ApiKeyRecord): OrgKey {
    const { id, name, status, createdAt, workspaceId, expiresAt, scope, createdBy } = record;
    return { id, name: redact(name), status, createdAt, workspaceId, expiresAt, scope, createdBy: createdBy?.id ?? null };
}

function describeFailure(failure: ApiFailure, origin: string): string {
    if (failure.kind === "transport") {
        return `${STEP}: the Admin API at ${origin} did not answer (${failure.detail}) after retries; check --anthropic-url / endpoints.anthropic and the network, then run again`;
    }
    if (failure.kind === "internal") return `${STEP}: unexpected failure talking to ${origin} (${failure.detail})`;
    const type = failure.type ? ` ${failure.type}` : "";
    const message = failure.apiMessage ? `: ${failure.apiMessage}` : "";
    const requestId = failure.requestId ? ` (request-id ${failure.requestId})` : "";
    return `${STEP}: the Admin API at ${origin} answered ${failure.status}${type}${message}${requestId}. ${fixFor(failure.status)}`;
}

function fixFor(status: number): string {
    switch (status) {
        case 401:
            return "ANTHROPIC_ADMIN_API_KEY was rejected; set it to an active Admin API key (admin01 prefix) of this organisation, created in the Console under Settings → Admin keys";
        case 403:
            return "the Admin API key may not list API keys; use an Admin API key of an organisation admin";
        case 404:
            return "this URL does not serve the Admin API; check --anthropic-url / endpoints.anthropic";
        case 429:
            return "rate limited even after retries; wait a minute and run again";
        default:
            return status >= 500 ? "the Admin API kept failing after retries; try again later (status.anthropic.com)" : "check the Admin API key and the URL, then run again";
    }
}

function safeOrigin(url: string): string {
    try {
        return new URL(url).origin;
    } catch {
        return "(invalid URL)";
    }
}
