import { redact } from "../domain/keyFormat";
import { HttpClient, Sleep } from "../http/httpClient";
import { RetryPolicy, withEnvironmentOverrides } from "../http/retryPolicy";
import { discordBody } from "./discord";
import type { NotificationEvent } from "./events";
import { messageFor } from "./message";
import { slackBody } from "./slack";
import { Webhook, webhookHost, webhookSecrets } from "./webhooks";

/**
 * Sends one event to every webhook, in parallel, through the project's HTTP client: 429 (honouring
 * retry-after), 408 and 5xx are retried, a dropped connection or a timeout too, all within WEBHOOK_RETRY_POLICY's
 * bounds. Never throws: each webhook's outcome is returned ({format, host, outcome}), and a failure is the
 * caller's to report. Outcomes and their details name the host only, never the URL's path or token.
 */

/** At most 4 attempts within 30 s per webhook; each attempt 10 s. The operator's retry overrides apply on top. */
export const WEBHOOK_RETRY_POLICY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 10_000, maxTotalMs: 30_000, attemptTimeoutMs: 10_000 };

export const STEP_NOTIFICATION = "notification";

export interface NotificationOutcome {
    readonly format: string;
    /** The webhook's host[:port] only. */
    readonly host: string;
    readonly outcome: "delivered" | "failed";
    readonly attempts: number;
    /** Why it failed (the last status, or the transport failure), redacted; absent when delivered. */
    readonly detail?: string;
}

export interface SendOptions {
    /** Values that must never appear in a message or an outcome, besides the webhook URLs (keys, tokens). */
    readonly secrets?: readonly string[];
    readonly policy?: Partial<RetryPolicy>;
    readonly sleep?: Sleep;
}

export function webhookBody(webhook: Webhook, event: NotificationEvent, secrets: readonly string[]): unknown {
    const message = messageFor(event, secrets);
    return webhook.format === "discord" ? discordBody(message) : slackBody(message);
}

export async function sendNotification(webhooks: readonly Webhook[], event: NotificationEvent, options: SendOptions = {}): Promise<NotificationOutcome[]> {
    const secrets = [...webhookSecrets(webhooks), ...(options.secrets ?? [])];
    const client = new HttpClient({ retry: { ...withEnvironmentOverrides(WEBHOOK_RETRY_POLICY), ...options.policy }, ...(options.sleep ? { sleep: options.sleep } : {}) });
    return Promise.all(webhooks.map((w) => sendOne(client, w, event, secrets)));
}

async function sendOne(client: HttpClient, webhook: Webhook, event: NotificationEvent, secrets: readonly string[]): Promise<NotificationOutcome> {
    const host = webhookHost(webhook.url);
    const base = { format: webhook.format, host };
    try {
        const response = await client.send(
            { method: "POST", url: webhook.url, body: webhookBody(webhook, event, secrets) },
            { step: STEP_NOTIFICATION, target: `${webhook.format} webhook at ${host}`, secrets },
        );
        if (response.status >= 200 && response.status < 300) return { ...base, outcome: "delivered", attempts: response.attempts };
        return { ...base, outcome: "failed", attempts: response.attempts, detail: `HTTP ${response.status} after ${response.attempts} attempt${response.attempts === 1 ? "" : "s"}` };
    } catch (err) {
        const message = err && typeof err === "object" && typeof (err as { message?: unknown }).message === "string" ? (err as { message: string }).message : String(err);
        const attempts = err && typeof err === "object" && typeof (err as { attempts?: unknown }).attempts === "number" ? (err as { attempts: number }).attempts : 0;
        return { ...base, outcome: "failed", attempts, detail: redact(message, secrets) };
    }
}

/** One line per failed webhook, for the operator (pulumi output, stderr); undefined when all were delivered. */
export function failedNotificationsText(outcomes: readonly NotificationOutcome[], what: string): string | undefined {
    const failed = outcomes.filter((o) => o.outcome === "failed");
    if (failed.length === 0) return undefined;
    const lines = failed.map((o) => `${o.format} webhook at ${o.host}: ${o.detail ?? "failed"}`);
    return (
        `notifications: the ${what} notification did not reach ${failed.length} of ${outcomes.length} webhook${outcomes.length === 1 ? "" : "s"} ` +
        `(${lines.join("; ")}). Nothing else is affected; check the webhook in the chat's settings and, if it was deleted or rotated, ` +
        `set its new URL with pulumi config set --secret --path 'notifications[<n>].url'`
    );
}
