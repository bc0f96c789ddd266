import { hintMatches } from "../domain/fingerprint";
import { createAnthropicClient } from "./client";
import { callWithRetries } from "./retry";

/**
 * The Admin API's key records through `client.organization.apiKeys` (SDK 1.12): list (every page), retrieve
 * and update. Reusable by validation, revocation and the status report. Each call retries within
 * `maxRetrySeconds` and throws ApiCallError when it does not succeed.
 *
 * Key records are normalised: the contract documents `workspace_id`, SDK 1.12 types only `scope`
 * (`{type:"workspace", workspace_id}` or `{type:"organization"}`); both are read.
 */

export type ApiKeyStatus = "active" | "inactive" | "archived" | "expired";

export interface ApiKeyRecord {
    /** `apikey_…` */
    readonly id: string;
    /** The Console name. */
    readonly name: string;
    readonly status: ApiKeyStatus | string;
    /** RFC 3339. */
    readonly createdAt: string;
    readonly expiresAt: string | null;
    /** null for the default workspace (older answers) or an organisation-scoped key. */
    readonly workspaceId: string | null;
    /** e.g. prefix + "..." + last four characters; never log it. */
    readonly partialKeyHint: string | null;
}

export interface AdminCallOptions {
    readonly adminKey: string;
    readonly baseUrl: string;
    readonly maxRetrySeconds: number;
}

/** Largest page the API serves; 2,500 keys take three calls. */
export const ADMIN_PAGE_SIZE = 1000;
const MAX_PAGES = 10_000;

export function toApiKeyRecord(raw: unknown): ApiKeyRecord {
    const r = (raw ?? {}) as Record<string, unknown>;
    const scope = (r.scope ?? {}) as { type?: unknown; workspace_id?: unknown };
    const workspaceId =
        typeof r.workspace_id === "string" && r.workspace_id
            ? r.workspace_id
            : scope.type === "workspace" && typeof scope.workspace_id === "string"
              ? scope.workspace_id
              : null;
    return {
        id: String(r.id ?? ""),
        name: String(r.name ?? ""),
        status: String(r.status ?? "unknown"),
        createdAt: String(r.created_at ?? ""),
        expiresAt: typeof r.expires_at === "string" ? r.expires_at : null,
        workspaceId,
        partialKeyHint: typeof r.partial_key_hint === "string" ? r.partial_key_hint : null,
    };
}

/** Every API key of the admin key's organisation, following `has_more` / `last_id` to the last page. */
export async function listOrganizationApiKeys(options: AdminCallOptions): Promise<{ keys: ApiKeyRecord[]; pages: number }> {
    const client = createAnthropicClient({ apiKey: options.adminKey, baseUrl: options.baseUrl });
    const keys: ApiKeyRecord[] = [];
    let afterId: string | undefined;
    for (let pages = 1; pages <= MAX_PAGES; pages++) {
        const query = afterId ? { limit: ADMIN_PAGE_SIZE, after_id: afterId } : { limit: ADMIN_PAGE_SIZE };
        const { value: page } = await callWithRetries(
            async (timeout) => {
                const p = await client.organization.apiKeys.list(query, { timeout });
                return { data: p.data, hasMore: p.has_more, lastId: p.last_id };
            },
            { maxRetrySeconds: options.maxRetrySeconds },
        );
        keys.push(...page.data.map(toApiKeyRecord));
        if (!page.hasMore) return { keys, pages };
        if (!page.lastId || page.lastId === afterId) {
            throw new Error("the Admin API said there were more keys but gave no new cursor (last_id); the listing cannot be completed");
        }
        afterId = page.lastId;
    }
    throw new Error(`the Admin API listing did not end after ${MAX_PAGES} pages`);
}

export async function retrieveApiKey(options: AdminCallOptions, keyId: string): Promise<ApiKeyRecord> {
    const client = createAnthropicClient({ apiKey: options.adminKey, baseUrl: options.baseUrl });
    const { value } = await callWithRetries((timeout) => client.organization.apiKeys.retrieve(keyId, { timeout }), {
        maxRetrySeconds: options.maxRetrySeconds,
    });
    return toApiKeyRecord(value);
}

/** Sets a key's status (`inactive` deactivates it; it then answers 401 once the change has propagated). */
export async function updateApiKeyStatus(options: AdminCallOptions, keyId: string, status: "active" | "inactive" | "archived"): Promise<ApiKeyRecord> {
    const client = createAnthropicClient({ apiKey: options.adminKey, baseUrl: options.baseUrl });
    const { value } = await callWithRetries((timeout) => client.organization.apiKeys.update(keyId, { status }, { timeout }), {
        maxRetrySeconds: options.maxRetrySeconds,
    });
    return toApiKeyRecord(value);
}

/** The records whose partial hint could belong to `key` (normally one). */
export async function findApiKeyRecords(options: AdminCallOptions, key: string): Promise<{ matches: ApiKeyRecord[]; searched: number; pages: number }> {
    const { keys, pages } = await listOrganizationApiKeys(options);
    return { matches: keys.filter((k) => k.partialKeyHint !== null && hintMatches(k.partialKeyHint, key)), searched: keys.length, pages };
}
