import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rotationEvent } from "../../components/notifications/events";
import { failedNotificationsText, sendNotification } from "../../components/notifications/send";
import { webhooksOf } from "../../components/notifications/webhooks";
import { deadWebhookUrl, WebhookEmulator } from "../../offline/emulators/webhookEmulator";
import { describeFinding, scanForLeaks } from "../support/leakScan";
import { COMPLETED, FAILED } from "./events";

/**
 * Sending through the project's HTTP client to the loopback webhook emulator: delivery in both formats, a 429
 * honoured and retried, 5xx retried then reported, a refused connection and a hang bounded in time, and nothing of
 * a webhook's URL path or token in any outcome.
 */

const FAST = { baseDelayMs: 5, maxDelayMs: 2_000, maxTotalMs: 5_000, attemptTimeoutMs: 2_000, maxAttempts: 4 };

describe("sending notifications", () => {
    let hooks: WebhookEmulator;
    beforeAll(async () => {
        hooks = await WebhookEmulator.start();
    });
    afterAll(() => hooks?.stop());

    const noSecrets = (texts: string[]) => {
        const artifacts = texts.map((text, i) => ({ name: `artifact ${i}`, text }));
        const findings = scanForLeaks(artifacts, hooks.secrets());
        expect(findings.map((f) => describeFinding(f, artifacts))).toEqual([]);
    };

    it("delivers the same event to a Discord and a Slack webhook, each in its own format", async () => {
        const discord = hooks.discordUrl("d-ok");
        const slack = hooks.slackUrl("s-ok");
        const outcomes = await sendNotification(webhooksOf([{ format: "discord", url: discord }, { format: "slack", url: slack }]), rotationEvent(COMPLETED), { policy: FAST });
        expect(outcomes.map((o) => [o.format, o.outcome, o.attempts])).toEqual([["discord", "delivered", 1], ["slack", "delivered", 1]]);
        expect(outcomes[0]!.host).toBe(new URL(discord).host);
        const [d] = hooks.deliveredTo(discord);
        const [s] = hooks.deliveredTo(slack);
        expect(d!.body).toMatchObject({ embeds: [{ title: expect.stringContaining("Rotated") }], allowed_mentions: { parse: [] } });
        expect(s!.body).toMatchObject({ text: expect.stringContaining("Rotated"), blocks: expect.arrayContaining([expect.objectContaining({ type: "header" })]) });
        expect(hooks.requestsTo(discord)[0]!.headers["content-type"]).toBe("application/json");
    });

    it("waits as a 429's retry-after asks, then delivers", async () => {
        const url = hooks.discordUrl("d-429");
        hooks.rateLimit(url, 1);
        const waits: number[] = [];
        const outcomes = await sendNotification(webhooksOf([{ format: "discord", url }]), rotationEvent(FAILED), {
            policy: FAST,
            sleep: async (ms) => {
                waits.push(ms);
            },
        });
        expect(outcomes[0]).toMatchObject({ outcome: "delivered", attempts: 2 });
        expect(waits).toEqual([1000]);
        expect(hooks.requestsTo(url).map((r) => r.outcome)).toEqual([429, 204]);
        expect(hooks.deliveredTo(url)).toHaveLength(1);
    });

    it("retries 5xx, and reports the webhook when it never recovers", async () => {
        const url = hooks.slackUrl("s-500");
        hooks.failWith(url, 500, 10);
        const outcomes = await sendNotification(webhooksOf([{ format: "slack", url }]), rotationEvent(COMPLETED), { policy: FAST });
        expect(outcomes[0]).toMatchObject({ format: "slack", outcome: "failed", attempts: 4, detail: "HTTP 500 after 4 attempts" });
        expect(hooks.requestsTo(url)).toHaveLength(4);
        noSecrets([JSON.stringify(outcomes), failedNotificationsText(outcomes, "secret.rotate.completed")!]);
    });

    it("does not retry a webhook that no longer exists (404) and says how to replace it", async () => {
        const url = `${hooks.server.url}/api/webhooks/1/deleted-webhook-token-0123456789`;
        const outcomes = await sendNotification(webhooksOf([{ format: "discord", url }]), rotationEvent(COMPLETED), { policy: FAST });
        expect(outcomes[0]).toMatchObject({ outcome: "failed", attempts: 1, detail: "HTTP 404 after 1 attempt" });
        expect(failedNotificationsText(outcomes, "secret.rotate.completed")).toMatch(/pulumi config set --secret --path 'notifications\[<n>\]\.url'/);
    });

    it("gives up on a dead endpoint (connection refused) within the bound, and reports it without its URL", async () => {
        const dead = await deadWebhookUrl("discord");
        const started = Date.now();
        const outcomes = await sendNotification(webhooksOf([{ format: "discord", url: dead }]), rotationEvent(COMPLETED), { policy: FAST });
        expect(Date.now() - started).toBeLessThan(FAST.maxTotalMs + 1000);
        expect(outcomes[0]).toMatchObject({ outcome: "failed", host: new URL(dead).host });
        expect(outcomes[0]!.detail).toMatch(/ECONNREFUSED|connection failed/);
        const text = JSON.stringify(outcomes);
        expect(text).not.toContain(new URL(dead).pathname);
        expect(text).not.toContain(new URL(dead).pathname.split("/").pop()!);
    });

    it("gives up on an endpoint that hangs after the attempt timeout, within the total bound", async () => {
        const url = hooks.discordUrl("d-hang");
        hooks.hang(url, 10);
        const started = Date.now();
        const outcomes = await sendNotification(webhooksOf([{ format: "discord", url }]), rotationEvent(COMPLETED), { policy: { ...FAST, attemptTimeoutMs: 300, maxTotalMs: 1_000 } });
        const took = Date.now() - started;
        expect(took).toBeLessThan(2_500);
        expect(outcomes[0]).toMatchObject({ outcome: "failed" });
        expect(outcomes[0]!.detail).toMatch(/timed out/);
        noSecrets([JSON.stringify(outcomes)]);
    });

    it("one failing webhook does not keep the others from their message", async () => {
        const dead = await deadWebhookUrl("slack");
        const ok = hooks.discordUrl("d-beside-dead");
        const outcomes = await sendNotification(webhooksOf([{ format: "slack", url: dead }, { format: "discord", url: ok }]), rotationEvent(COMPLETED), { policy: FAST });
        expect(outcomes.map((o) => o.outcome)).toEqual(["failed", "delivered"]);
        expect(failedNotificationsText(outcomes, "secret.rotate.completed")).toMatch(/did not reach 1 of 2 webhooks/);
    });

    it("never sends to a URL the transport rule refuses (plain http off loopback)", () => {
        expect(webhooksOf([{ format: "discord", url: "http://hooks.example.com/api/webhooks/1/abc" }, { format: "teams", url: "https://x.example" }, "junk"])).toEqual([]);
    });
});
