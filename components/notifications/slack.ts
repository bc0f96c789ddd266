import { cut } from "./discord";
import type { NotificationMessage } from "./message";

/**
 * A Slack incoming webhook's body (POST to the webhook URL; 200 `ok`): `text` is the notification and fallback
 * line, `blocks` the message: a `header` (plain_text ≤ 150 characters), a `section` with the summary (mrkdwn ≤
 * 3000) and `section` blocks of `fields` (≤ 10 per section, each ≤ 2000). Text is escaped as Slack asks (&, <, >)
 * so nothing in a message becomes a link or a mention.
 */
export const SLACK_LIMITS = { header: 150, sectionText: 3000, fieldsPerSection: 10, fieldText: 2000 } as const;

const ICONS = { info: ":white_check_mark:", warning: ":warning:", error: ":rotating_light:" } as const;

export type SlackText = { readonly type: "plain_text" | "mrkdwn"; readonly text: string };
export type SlackBlock =
    | { readonly type: "header"; readonly text: SlackText }
    | { readonly type: "section"; readonly text?: SlackText; readonly fields?: readonly SlackText[] };

export interface SlackBody {
    readonly text: string;
    readonly blocks: readonly SlackBlock[];
}

export function slackBody(message: NotificationMessage): SlackBody {
    const blocks: SlackBlock[] = [
        { type: "header", text: { type: "plain_text", text: cut(message.title, SLACK_LIMITS.header) } },
        { type: "section", text: { type: "mrkdwn", text: cut(`${ICONS[message.severity]} ${escapeMrkdwn(message.summary)}`, SLACK_LIMITS.sectionText) } },
    ];
    const fields = message.fields.map((f) => ({ type: "mrkdwn" as const, text: cut(`*${escapeMrkdwn(f.name)}*\n${escapeMrkdwn(f.value)}`, SLACK_LIMITS.fieldText) }));
    for (let i = 0; i < fields.length; i += SLACK_LIMITS.fieldsPerSection) {
        blocks.push({ type: "section", fields: fields.slice(i, i + SLACK_LIMITS.fieldsPerSection) });
    }
    return { text: cut(`${message.title}: ${message.summary}`, SLACK_LIMITS.sectionText), blocks };
}

/**
 * Slack's three control characters in message text. Not named `escape`: inside a serialized dynamic provider that
 * name resolves to the global escape(), which percent-encodes.
 */
export function escapeMrkdwn(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
