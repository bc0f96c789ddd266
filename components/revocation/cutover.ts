import type { KeyMinuteUsage, UsageReport } from "../anthropic/usageReport";
import type { Clock } from "../time/clock";

/**
 * Proof of cut-over from Anthropic's own usage data, before a key is revoked (security policy: "monitor for
 * 15 minutes", "continued API usage confirms the new key is in use"):
 *
 * - every old key has served zero requests for `idleMinutes` consecutive minutes, counted only over minutes
 *   older than the data lag (`dataLagMinutes`: usage appears within about 5 minutes; a younger minute that
 *   shows nothing proves nothing);
 * - the new key has served at least `minNewKeyRequests` requests in the minutes after the fan-out (the
 *   fan-out's own minute is left out: it holds the validation ping);
 * - polled every `pollSeconds` (default 60: the buckets are one minute wide) for at most `maxWaitMinutes`.
 *
 * The report is asked for the whole span at each poll; minutes it does not list had no usage. With the legacy
 * endpoint (tokens only) a minute with tokens counts as one request. Time comes from the clock: tests run the
 * windows in milliseconds.
 */

const MINUTE = 60_000;

export interface CutoverSettings {
    readonly enabled: boolean;
    readonly idleMinutes: number;
    readonly minNewKeyRequests: number;
    readonly maxWaitMinutes: number;
    readonly dataLagMinutes: number;
    readonly pollSeconds: number;
}

export const DEFAULT_CUTOVER: CutoverSettings = { enabled: true, idleMinutes: 15, minNewKeyRequests: 1, maxWaitMinutes: 30, dataLagMinutes: 5, pollSeconds: 60 };

export interface CutoverKey {
    readonly fingerprint: string;
    readonly keyId: string;
}

export interface CutoverPlan {
    readonly settings: CutoverSettings;
    readonly oldKeys: readonly CutoverKey[];
    readonly newKey: CutoverKey;
    /** When the new key reached the consumers (KeyLedger.since); null when unknown. */
    readonly fanOutAt: string | null;
}

export type FetchUsage = (keyIds: readonly string[], from: Date, to: Date) => Promise<UsageReport>;

export interface KeyEvidence {
    readonly fingerprint: string;
    readonly keyId: string;
    readonly role: "old" | "new";
    /** Requests counted in the key's window (old: the idle window; new: since the minute after the fan-out). */
    readonly requests: number;
    /** Minutes with traffic in the whole span asked for (at most 60, newest last). */
    readonly minutes: readonly { readonly minute: string; readonly requests: number }[];
    /** The last minute the key was used in that span; null when it was not. */
    readonly lastUsed: string | null;
}

export interface CutoverEvidence {
    readonly decision: "proven" | "not proven" | "skipped";
    /** Why, in one sentence (never a key). */
    readonly reason: string;
    readonly source?: UsageReport["source"];
    readonly polls?: number;
    readonly waitedSeconds?: number;
    /** The idle window of the old keys and the counting window of the new key (RFC 3339). */
    readonly window?: { readonly oldKeysFrom: string; readonly oldKeysTo: string; readonly newKeyFrom: string; readonly newKeyTo: string };
    readonly keys: readonly KeyEvidence[];
    /** The Admin API refused the admin key (401, or 403: not allowed to read usage), so the report was never read. */
    readonly adminKeyRefused?: 401 | 403;
}

export function skipped(reason: string): CutoverEvidence {
    return { decision: "skipped", reason, keys: [] };
}

export async function proveCutover(plan: CutoverPlan, deps: { readonly clock: Clock; readonly fetch: FetchUsage }): Promise<CutoverEvidence> {
    const s = plan.settings;
    const started = deps.clock.now();
    const fanOut = plan.fanOutAt ? Date.parse(plan.fanOutAt) : NaN;
    let polls = 0;
    for (;;) {
        polls += 1;
        const now = deps.clock.now();
        const horizon = floorMinute(now - s.dataLagMinutes * MINUTE);
        const oldFrom = horizon - s.idleMinutes * MINUTE;
        const newFrom = Number.isFinite(fanOut) ? floorMinute(fanOut) + MINUTE : oldFrom;
        const from = Math.min(oldFrom, newFrom);
        const report = await deps.fetch([...plan.oldKeys.map((k) => k.keyId), plan.newKey.keyId], new Date(from), new Date(now));
        const keys = [
            ...plan.oldKeys.map((k) => evidence(k, "old", report.rows, oldFrom, horizon)),
            evidence(plan.newKey, "new", report.rows, newFrom, now),
        ];
        const busy = keys.filter((k) => k.role === "old" && k.requests > 0);
        const fresh = keys.find((k) => k.role === "new")!;
        const window = { oldKeysFrom: iso(oldFrom), oldKeysTo: iso(horizon), newKeyFrom: iso(newFrom), newKeyTo: iso(now) };
        const waitedSeconds = Math.round((now - started) / 1000);
        if (busy.length === 0 && fresh.requests >= s.minNewKeyRequests) {
            return {
                decision: "proven",
                reason: `no request with the old key${plan.oldKeys.length === 1 ? "" : "s"} for the ${s.idleMinutes} minutes before ${iso(horizon)} (data lag ${s.dataLagMinutes} min), and ${fresh.requests} request(s) with the new key since the fan-out`,
                source: report.source,
                polls,
                waitedSeconds,
                window,
                keys,
            };
        }
        if (now - started + s.pollSeconds * 1000 > s.maxWaitMinutes * MINUTE) {
            const why = busy.length
                ? busy.map((k) => `${k.fingerprint} (${k.keyId}) served ${k.requests} request(s) in the idle window, last in the minute of ${k.lastUsed}`).join("; ")
                : `the new key ${fresh.fingerprint} (${fresh.keyId}) served ${fresh.requests} request(s) since the fan-out, fewer than ${s.minNewKeyRequests}`;
            return { decision: "not proven", reason: why, source: report.source, polls, waitedSeconds, window, keys };
        }
        await deps.clock.sleep(s.pollSeconds * 1000);
    }
}

function evidence(key: CutoverKey, role: "old" | "new", rows: readonly KeyMinuteUsage[], from: number, to: number): KeyEvidence {
    const mine = rows.filter((r) => r.keyId === key.keyId).sort((a, b) => a.minute.localeCompare(b.minute));
    const count = (r: KeyMinuteUsage) => (r.requests !== null ? r.requests : r.tokens > 0 ? 1 : 0);
    const used = mine.filter((r) => count(r) > 0);
    const inWindow = used.filter((r) => Date.parse(r.minute) >= from && Date.parse(r.minute) < to);
    return {
        fingerprint: key.fingerprint,
        keyId: key.keyId,
        role,
        requests: inWindow.reduce((n, r) => n + count(r), 0),
        minutes: used.slice(-60).map((r) => ({ minute: r.minute, requests: count(r) })),
        lastUsed: used.length ? used[used.length - 1]!.minute : null,
    };
}

function floorMinute(ms: number): number {
    return Math.floor(ms / MINUTE) * MINUTE;
}

function iso(ms: number): string {
    return new Date(ms).toISOString();
}
