import { AdminApiError, listOrganizationKeys, OrgKey } from "./adminKeys";
import { auditKeys } from "./audit";
import { readKeyUsage } from "./keyUsage";
import type { OrganizationAudit } from "./reportTypes";
import type { StackKeyRow } from "./stackInventory";

/**
 * `--live`: every page of the organisation's keys and, at the same time (two calls in flight at most), the usage
 * report of the last 30 days for every key (keyUsage.ts), then the audit. Progress goes to `progress` (stderr),
 * one line per page of keys and per page of usage. A key listing that fails is the organisation's error; a usage
 * report that fails leaves the audit without its usage verdicts and says so.
 */

export interface LiveAuditOptions {
    readonly baseUrl: string;
    readonly adminKey: string;
    readonly now: Date;
    readonly progress: (text: string) => void;
}

export async function auditOrganization(
    rows: readonly StackKeyRow[],
    options: LiveAuditOptions,
): Promise<{ organization: OrganizationAudit | { error: string }; keys?: readonly OrgKey[] }> {
    const { baseUrl, adminKey, now, progress } = options;
    const usageRead = readKeyUsage({
        baseUrl,
        adminKey,
        now,
        onPage: (page, rowsSoFar) => progress(`usage report: page ${page} read (${rowsSoFar} key-days with usage so far)`),
    });
    let listedSoFar = 0;
    let listed: Awaited<ReturnType<typeof listOrganizationKeys>>;
    try {
        listed = await listOrganizationKeys({
            baseUrl,
            adminKey,
            onPage: (keys, page) => {
                listedSoFar += keys.length;
                progress(`keys: page ${page} listed (${listedSoFar} keys so far)`);
            },
        });
    } catch (e) {
        // Let the usage query end before reporting; its result no longer matters.
        await usageRead;
        if (!(e instanceof AdminApiError)) throw e;
        return { organization: { error: e.message } };
    }
    const outcome = await usageRead;
    const usage =
        "error" in outcome
            ? { window: outcome.window, queries: outcome.queries, calls: outcome.calls, error: outcome.error }
            : { window: outcome.window, source: outcome.source, queries: outcome.queries, calls: outcome.calls };
    const audit = auditKeys(rows, listed.keys, now, "error" in outcome ? undefined : { window: outcome.window, byKey: outcome.byKey });
    const adminApiCalls = { keyList: listed.pages, usage: outcome.calls, total: listed.pages + outcome.calls };
    progress(
        `read ${listed.keys.length} keys on ${listed.pages} page${listed.pages === 1 ? "" : "s"} and their usage: ${adminApiCalls.total} Admin API calls (${listed.pages} key list, ${outcome.calls} usage report)`,
    );
    return { organization: { ...audit, pages: listed.pages, usage, adminApiCalls }, keys: listed.keys };
}
