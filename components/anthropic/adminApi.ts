import { hintMatches } from "../domain/fingerprint";
import { createAnthropicClient } from "./client";
import { ApiKeyRecord, toApiKeyRecord } from "./keyRecord";
import { callWithRetries } from "./retry";

/**
 * The Admin API's key records through `client.organization.apiKeys` (SDK 1.12): list (every page), retrieve
 * and update. Reusable by validation, revocation and the status report. Each call retries within
 * `maxRetrySeconds` and throws ApiCallError when it does not succeed.
 *
 * Key records are normalised in keyRecord.ts (scope first, the deprecated flat `workspace_id` as fallback).
 */

export type { ApiKeyRecord, ApiKeyStatus, KeyActor, KeyScopeKind } from "./keyRecord";
export { toApiKeyRecord } from "./keyRecord";

export interface AdminCallOptions {
    readonly adminKey: string;
    readonly baseUrl: string;
    readonly maxRetrySeconds: number;
}

/** Largest page the API serves; 2,500 keys take three calls. */
export const ADMIN_PAGE_SIZE = 1000;
const MAX_PAGES = 10_000;

/**
 * Every API key of the admin key's organisation, following `has_more` / `last_id` to the last page. `onPage` sees
 * each page as it arrives (the key audit starts that page's usage query while the listing goes on).
 */
export async function listOrganizationApiKeys(
    options: AdminCallOptions,
    onPage?: (records: readonly ApiKeyRecord[], page: number) => void,
): Promise<{ keys: ApiKeyRecord[]; pages: number }> {
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
        const records = page.data.map(toApiKeyRecord);
        keys.push(...records);
        onPage?.(records, pages);
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
