import { z } from "zod";
import { WEBHOOK_FORMATS } from "../notifications/webhooks";
import { transportUrl } from "./urlSchema";

/**
 * `notifications`: the chat webhooks told about rotations (completed, failed, rolled back). Each URL carries the
 * webhook's token, so it is a secret (`pulumi config set --secret --path 'notifications[0].url'`; loadConfig
 * refuses it in plaintext), sent only over https (or http to loopback: the emulator), and never echoed by a
 * message here: urlSchema's rule quotes the scheme and host only.
 */
export const webhookSchema = z.strictObject({
    format: z.enum(WEBHOOK_FORMATS, { error: "must be discord or slack" }),
    url: transportUrl,
});

export const notificationsSchema = z.array(webhookSchema).min(1, "lists no webhook");

export const NOTIFICATIONS_FIX =
    "list each webhook as { format: discord | slack, url }: pulumi config set --path 'notifications[0].format' discord -s <stack>, then " +
    "pulumi config set --secret --path 'notifications[0].url' <webhook URL> -s <stack> (paste the URL at the prompt to keep it out of shell history); " +
    "or remove the setting (pulumi config rm notifications -s <stack>)";

export type WebhookConfig = z.infer<typeof webhookSchema>;
