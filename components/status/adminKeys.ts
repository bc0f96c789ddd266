import { redact } from "../domain/keyFormat";
import { HttpClient, parseJson, summarizeBody } from "../http/httpClient";

/**
 * Lists every API key of the organisation through the Anthropic Admin API,
 * `GET /v1/organizations/api_keys?limit=&after_id=`, following `has_more`/`last_id` to the last page.
 *
 * Why not `client.organization.apiKeys.list()` from @anthropic-ai/sdk: the installed SDK (1.12) sends its
 * key as `Authorization: Bearer`, while the Admin API documents `x-api-key`; going through our HttpClient
 * sends exactly the documented headers, shares the bounded retries (and their env overrides) with the
 * rest of the project, and redacts every error. The key's `partial_key_hint` is dropped on arrival: the
 * report never needs any part of a key.
 */

export const DEFAULT_ANTHROPIC_URL = "https://api.anthropic.com";
export const ANTHROPIC_VERSION = "2023-06-01";
export const DEFAULT_PAGE_SIZE = 100;
/** A guard against a server that keeps saying has_more: 1000 pages of 1000 keys. */
export const MAX_PAGES = 1000;

export type OrgKeyStatus = "active" | "inactive" | "archived" | "expired";

/** One organisation key as the report uses it. Holds no part of the key value. */
export interface OrgKey {
    readonly id: string;
    readonly name: string;
    /** As the API says it; unknown future statuses are kept verbatim. */
    readonly status: OrgKeyStatus | string;
    /** RFC 3339, as the API says it. */
    readonly createdAt: string;
    readonly workspaceId?: string;
    readonly expiresAt?: string;
}

export interface ListKeysOptions {
    readonly baseUrl: string;
    readonly adminKey: string;
    readonly pageSize?: number;
    readonly client?: HttpClient;
}

/** The Admin API call failed; the message names the step, the URL's origin and what to do. Never holds a key. */
export class AdminApiError extends Error {
    constructor(message: string, readonly status?: number) {
        super(message);
        this.name = "AdminApiError";
    }
}

export interface ListKeysResult {
    readonly keys: OrgKey[];
    readonly pages: number;
}

export async function listOrganizationKeys(options: ListKeysOptions): Promise<ListKeysResult> {
    const { adminKey } = options;
    const secrets = [adminKey];
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    const client = options.client ?? new HttpClient();
    const base = options.baseUrl.replace(/\/+$/, "");
    const origin = safeOrigin(base);
    const step = "list organisation API keys";
    const keys: OrgKey[] = [];
    const seenCursors = new Set<string>();
    let afterId: string | undefined;
    let pages = 0;

    for (;;) {
        if (pages >= MAX_PAGES) {
            throw new AdminApiError(`${step}: stopped after ${MAX_PAGES} pages from ${origin}; the Admin API kept answering has_more=true — report this to Anthropic support`);
        }
        const query = new URLSearchParams({ limit: String(pageSize) });
        if (afterId !== undefined) query.set("after_id", afterId);
        const response = await client
            .send(
                {
                    method: "GET",
                    url: `${base}/v1/organizations/api_keys?${query.toString()}`,
                    headers: { "x-api-key": adminKey, "anthropic-version": ANTHROPIC_VERSION, accept: "application/json" },
                },
                { step, target: `Anthropic Admin API at ${origin}`, secrets },
            )
            .catch((err: unknown) => {
                throw new AdminApiError(redact(err instanceof Error ? err.message : String(err), secrets));
            });
        pages += 1;
        if (response.status !== 200) throw new AdminApiError(describeFailure(response.status, response.text, response.headers, origin, secrets), response.status);

        const body = parseJson(response.text) as { data?: unknown; has_more?: unknown; last_id?: unknown } | undefined;
        if (!body || !Array.isArray(body.data)) {
            throw new AdminApiError(
                `${step}: ${origin} answered 200 but not with a page of keys (${summarizeBody(response.text, secrets, 120)}); check that --anthropic-url / ANTHROPIC_BASE_URL points at the Anthropic API`,
            );
        }
        for (const raw of body.data) {
            const key = toOrgKey(raw);
            if (key) keys.push(key);
        }
        if (body.has_more !== true) break;
        const lastId = typeof body.last_id === "string" && body.last_id.length > 0 ? body.last_id : undefined;
        if (lastId === undefined || seenCursors.has(lastId)) {
            throw new AdminApiError(`${step}: ${origin} said has_more=true but gave ${lastId === undefined ? "no last_id" : "the same last_id twice"}; the list would be incomplete, so the audit stops here — try again later`);
        }
        seenCursors.add(lastId);
        afterId = lastId;
    }
    return { keys, pages };
}

function toOrgKey(raw: unknown): OrgKey | undefined {
    if (typeof raw !== "object" || raw === null) return undefined;
    const r = raw as Record<string, unknown>;
    if (typeof r.id !== "string" || typeof r.name !== "string" || typeof r.status !== "string" || typeof r.created_at !== "string") return undefined;
    const scope = r.scope as { workspace_id?: unknown } | null | undefined;
    const workspaceId =
        typeof r.workspace_id === "string" ? r.workspace_id : scope && typeof scope.workspace_id === "string" ? scope.workspace_id : undefined;
    const out: OrgKey = {
        id: r.id,
        name: redact(r.name),
        status: r.status,
        createdAt: r.created_at,
        ...(workspaceId !== undefined ? { workspaceId } : {}),
        ...(typeof r.expires_at === "string" ? { expiresAt: r.expires_at } : {}),
    };
    return out;
}

function describeFailure(status: number, text: string, headers: Readonly<Record<string, string>>, origin: string, secrets: readonly string[]): string {
    const body = parseJson(text) as { error?: { type?: unknown; message?: unknown } } | undefined;
    const type = typeof body?.error?.type === "string" ? ` ${body.error.type}` : "";
    const message = typeof body?.error?.message === "string" ? `: ${body.error.message}` : "";
    const requestId = headers["request-id"] ? ` (request-id ${headers["request-id"]})` : "";
    const what = `list organisation API keys: the Admin API at ${origin} answered ${status}${type}${message}${requestId}`;
    let fix: string;
    switch (status) {
        case 401:
            fix = "ANTHROPIC_ADMIN_API_KEY was rejected; set it to an active Admin API key (admin01 prefix) of this organisation, created in the Console under Settings → Admin keys";
            break;
        case 403:
            fix = "the Admin API key may not list API keys; use an Admin API key of an organisation admin";
            break;
        case 404:
            fix = "this URL does not serve the Admin API; check --anthropic-url / ANTHROPIC_BASE_URL";
            break;
        case 429:
            fix = "rate limited even after retries; wait a minute and run again";
            break;
        default:
            fix = status >= 500 ? "the Admin API kept failing after retries; try again later (status.anthropic.com)" : "check the request and the Admin API key, then run again";
    }
    return redact(`${what}. ${fix}`, secrets);
}

function safeOrigin(url: string): string {
    try {
        return new URL(url).origin;
    } catch {
        return "(invalid URL)";
    }
}
