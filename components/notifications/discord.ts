import type { NotificationMessage } from "./message";

/**
 * Discord's "Execute Webhook" body (POST to the webhook URL; 204 without `?wait=true`): `content` (≤ 2000
 * characters) as the plain-text line, one embed with `title` (≤ 256), `description` (≤ 4096), `color`,
 * `timestamp` and `fields` (≤ 25, name ≤ 256, value ≤ 1024), at most 6000 characters across the embed, and
 * `allowed_mentions: { parse: [] }` so that no text in a message can ping @everyone or a role.
 */
export const DISCORD_LIMITS = { content: 2000, title: 256, description: 4096, fields: 25, fieldName: 256, fieldValue: 1024, embedTotal: 6000 } as const;

const COLORS = { info: 0x2e7d32, warning: 0xf9a825, error: 0xc62828 } as const;

export interface DiscordBody {
    readonly username: string;
    readonly content: string;
    readonly embeds: readonly {
        readonly title: string;
        readonly description: string;
        readonly color: number;
        readonly timestamp?: string;
        readonly fields: readonly { readonly name: string; readonly value: string; readonly inline: boolean }[];
    }[];
    readonly allowed_mentions: { readonly parse: readonly string[] };
}

export function discordBody(message: NotificationMessage): DiscordBody {
    const title = cut(message.title, DISCORD_LIMITS.title);
    const description = cut(message.summary, DISCORD_LIMITS.description);
    let budget = DISCORD_LIMITS.embedTotal - title.length - description.length;
    const fields: { name: string; value: string; inline: boolean }[] = [];
    for (const f of message.fields.slice(0, DISCORD_LIMITS.fields)) {
        const name = cut(f.name, DISCORD_LIMITS.fieldName);
        const value = cut(f.value, Math.min(DISCORD_LIMITS.fieldValue, budget - name.length));
        if (value.length === 0) break;
        budget -= name.length + value.length;
        // Short values side by side; lists and reasons on their own line.
        fields.push({ name, value, inline: value.length <= 60 && !value.includes("\n") });
    }
    return {
        username: "Anthropic key rotation",
        content: cut(message.title, DISCORD_LIMITS.content),
        embeds: [{ title, description, color: COLORS[message.severity], ...(message.timestamp ? { timestamp: message.timestamp } : {}), fields }],
        allowed_mentions: { parse: [] },
    };
}

export function cut(text: string, max: number): string {
    if (max <= 0) return "";
    return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
