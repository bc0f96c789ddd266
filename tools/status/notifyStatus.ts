import { EVENT_KEY_DUE, EVENT_UNUSED_KEYS, KeyDueEvent, KeyDueStage, NotificationEvent, UnusedKey, UnusedKeysEvent } from "../../components/notifications/events";
import { failedNotificationsText, NotificationOutcome, sendNotification } from "../../components/notifications/send";
import { Webhook, webhookSecrets, webhooksOf } from "../../components/notifications/webhooks";
import type { Finding } from "./audit";
import type { StackKeyRow } from "./stackInventory";

/**
 * The reminders of `npm run status` as chat messages (security policy §5.1): a key 14 days and 7 days before its
 * due date, and every day once it is overdue; and, for the monthly audit, the keys unused for 30 days. The
 * webhooks come from ANTHROPIC_KEY_ROTATION_WEBHOOKS (a JSON list of {format, url}, kept as a CI secret: the
 * stack files hold the program's webhooks encrypted, and this tool never decrypts anything). A webhook that fails
 * is a line on stderr; it never changes the exit code.
 */

export const WEBHOOKS_ENV = "ANTHROPIC_KEY_ROTATION_WEBHOOKS";
/** The days before the due date on which a reminder goes out (one message each, on the day itself). */
export const REMINDER_DAYS: readonly number[] = [14, 7];
export const UNUSED_DAYS = 30;

/** The reminder stage of a row today, or undefined when no message is due. */
export function dueStage(row: StackKeyRow): KeyDueStage | undefined {
    if (row.verdict === "overdue") return "overdue";
    if (row.daysLeft === 14) return "14-days";
    if (row.daysLeft === 7) return "7-days";
    return undefined;
}

/** One key.due event per stack whose key is 14 or 7 days from its due date today, or overdue. */
export function dueEvents(rows: readonly StackKeyRow[]): KeyDueEvent[] {
    const out: KeyDueEvent[] = [];
    for (const row of rows) {
        const stage = dueStage(row);
        if (!stage || !row.keyName || !row.dueDate || row.daysLeft === undefined) continue;
        out.push({
            kind: EVENT_KEY_DUE,
            stage,
            stack: row.stack,
            environment: row.environment,
            keyName: row.keyName,
            ...(row.createdAt ? { createdAt: row.createdAt } : {}),
            dueDate: row.dueDate,
            daysLeft: row.daysLeft,
            ...(row.dueBy ? { dueBy: row.dueBy } : {}),
        });
    }
    return out;
}

/**
 * The monthly audit's message about keys unused for `days` days (revoke candidates, §12.3); undefined when there
 * are none. For `npm run status -- --live`, once its audit finds unused keys.
 */
export function unusedKeysEvent(asOf: string, keys: readonly UnusedKey[], days: number = UNUSED_DAYS): UnusedKeysEvent | undefined {
    return keys.length === 0 ? undefined : { kind: EVENT_UNUSED_KEYS, asOf, days, keys };
}

/** The keys the monthly audit found unused for 30 days (its `unused-30d` findings), by name and id. */
export function unusedKeysOf(findings: readonly Finding[]): UnusedKey[] {
    return findings.filter((f) => f.kind === "unused-30d" && f.keyId).map((f) => ({ name: f.keyName, id: f.keyId! }));
}

/** The webhooks in the environment variable; a problem (never quoting the value) when it is set but unusable. */
export function webhooksFromEnv(env: Readonly<Record<string, string | undefined>>): { webhooks: Webhook[]; problem?: string } {
    const text = env[WEBHOOKS_ENV]?.trim();
    if (!text) return { webhooks: [] };
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch {
        return { webhooks: [], problem: `${WEBHOOKS_ENV} is not JSON; set it to a list like [{"format":"discord","url":"https://discord.com/api/webhooks/…"}]` };
    }
    const webhooks = webhooksOf(parsed);
    const given = Array.isArray(parsed) ? parsed.length : 0;
    if (webhooks.length !== given || given === 0) {
        return { webhooks, problem: `${WEBHOOKS_ENV}: ${given - webhooks.length} of ${given} entries are not {format: discord | slack, url: https://…}; those are skipped` };
    }
    return { webhooks };
}

/**
 * Sends each event to the environment's webhooks and reports failures on `warn`. Returns the outcomes (empty
 * when no webhook is configured). Never throws.
 */
export async function notifyStatus(
    events: readonly NotificationEvent[],
    env: Readonly<Record<string, string | undefined>>,
    warn: (line: string) => void,
    send: typeof sendNotification = sendNotification,
): Promise<NotificationOutcome[][]> {
    const { webhooks, problem } = webhooksFromEnv(env);
    if (problem) warn(`status: ${problem}`);
    if (webhooks.length === 0 || events.length === 0) return [];
    const all: NotificationOutcome[][] = [];
    for (const event of events) {
        const outcomes = await send(webhooks, event, { secrets: webhookSecrets(webhooks) });
        const failed = failedNotificationsText(outcomes, event.kind);
        if (failed) warn(`status: ${failed.replace(/set its new URL with .*$/, `put its new URL in ${WEBHOOKS_ENV}`)}`);
        all.push(outcomes);
    }
    return all;
}
