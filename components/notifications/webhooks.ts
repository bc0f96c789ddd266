import { transportProblem } from "../http/transport";

/**
 * A configured webhook as the providers receive it: the secret `notifications` input, read inside a provider
 * method and never kept anywhere else. Only `host` (no path, no query: the path holds the webhook's token) may be
 * shown, logged or written to the audit line.
 */
export const WEBHOOK_FORMATS = ["discord", "slack"] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export interface Webhook {
    readonly format: WebhookFormat;
    readonly url: string;
}

/**
 * The usable webhooks in an untrusted input (the provider's `notifications`): entries that are not
 * `{format, url}` with a URL the transport rule accepts are skipped (the stack config already refused them).
 */
export function webhooksOf(value: unknown): Webhook[] {
    if (!Array.isArray(value)) return [];
    const out: Webhook[] = [];
    for (const entry of value) {
        if (!entry || typeof entry !== "object") continue;
        const { format, url } = entry as Record<string, unknown>;
        if (typeof url !== "string" || !(WEBHOOK_FORMATS as readonly unknown[]).includes(format)) continue;
        if (transportProblem(url)) continue;
        out.push({ format: format as WebhookFormat, url: url.trim() });
    }
    return out;
}

/** The host (and port) of a webhook URL: the only part of it that is ever shown. */
export function webhookHost(url: string): string {
    try {
        return new URL(url).host;
    } catch {
        return "invalid-url";
    }
}

/** Every form of a webhook's secret parts, for redaction: the URL, its path and its query. */
export function webhookSecrets(webhooks: readonly Webhook[]): string[] {
    const out: string[] = [];
    for (const w of webhooks) {
        out.push(w.url);
        try {
            const u = new URL(w.url);
            if (u.pathname.length > 1) out.push(u.pathname);
            if (u.search) out.push(u.search);
            // The token segment alone (Discord: /api/webhooks/<id>/<token>, Slack: /services/T…/B…/<token>).
            const last = u.pathname.split("/").filter(Boolean).pop();
            if (last && last.length >= 8) out.push(last);
        } catch {
            // not a URL: the whole text is already listed
        }
    }
    return out;
}
