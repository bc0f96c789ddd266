import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackKeyRow } from "../../tools/status/stackInventory";
import { dueEvents, notifyStatus, unusedKeysEvent, unusedKeysOf, WEBHOOKS_ENV } from "../../tools/status/notifyStatus";
import { deadWebhookUrl, WebhookEmulator } from "../../offline/emulators/webhookEmulator";

/** The scheduled reminders as chat messages: 14 and 7 days ahead and overdue; the audit's unused keys. */

function row(stack: string, daysLeft: number, verdict: StackKeyRow["verdict"]): StackKeyRow {
    return { stack, file: `Pulumi.${stack}.yaml`, environment: stack, keyName: `raxx-${stack}-agents-2026-11-23`, apiKey: "encrypted", createdAt: "2026-11-23", ageDays: 1, maxAgeDays: 90, maxAgeSource: "default", dueDate: "2027-02-21", daysLeft, verdict, problems: [], notes: [] };
}

describe("status reminders", () => {
    let hooks: WebhookEmulator;
    beforeAll(async () => {
        hooks = await WebhookEmulator.start();
    });
    afterAll(() => hooks?.stop());

    it("one reminder on the 14th and the 7th day before the due date, and every day once overdue", () => {
        const events = dueEvents([row("prod", 14, "due-soon"), row("staging", 7, "due-soon"), row("dev", 10, "due-soon"), row("sandbox", -2, "overdue"), row("qa", 40, "ok")]);
        expect(events.map((e) => [e.stack, e.stage])).toEqual([["prod", "14-days"], ["staging", "7-days"], ["sandbox", "overdue"]]);
    });

    it("sends each reminder to the webhooks of ANTHROPIC_KEY_ROTATION_WEBHOOKS, and reports a dead one on stderr without its URL", async () => {
        const discord = hooks.discordUrl("status");
        const dead = await deadWebhookUrl("slack");
        const lines: string[] = [];
        const env = { [WEBHOOKS_ENV]: JSON.stringify([{ format: "discord", url: discord }, { format: "slack", url: dead }]), ANTHROPIC_KEY_ROTATION_RETRY_BASE_MS: "5", ANTHROPIC_KEY_ROTATION_RETRY_MAX_TOTAL_MS: "1000" };
        const outcomes = await notifyStatus(dueEvents([row("prod", 7, "due-soon")]), env, (l) => lines.push(l));
        expect(outcomes[0]!.map((o) => o.outcome)).toEqual(["delivered", "failed"]);
        expect(JSON.stringify(hooks.deliveredTo(discord)[0]!.body)).toMatch(/Rotation due in 7 days: Anthropic key for prod/);
        expect(lines.join("\n")).toMatch(/did not reach 1 of 2 webhooks.*put its new URL in ANTHROPIC_KEY_ROTATION_WEBHOOKS/);
        expect(lines.join("\n")).not.toContain(new URL(dead).pathname);
    });

    it("says when the variable is not usable, without quoting it, and sends nothing", async () => {
        const lines: string[] = [];
        const secretish = "not-json-https://discord.com/api/webhooks/1/secret-token-abcdefgh";
        expect(await notifyStatus(dueEvents([row("prod", 7, "due-soon")]), { [WEBHOOKS_ENV]: secretish }, (l) => lines.push(l))).toEqual([]);
        expect(lines).toEqual([expect.stringMatching(/ANTHROPIC_KEY_ROTATION_WEBHOOKS is not JSON/)]);
        expect(lines.join("")).not.toContain("secret-token");
    });

    it("nothing is sent without the variable", async () => {
        const before = hooks.server.requests.length;
        expect(await notifyStatus(dueEvents([row("prod", -1, "overdue")]), {}, () => undefined)).toEqual([]);
        expect(hooks.server.requests.length).toBe(before);
    });

    it("the monthly audit's unused keys become one event (none when there are none)", () => {
        expect(unusedKeysEvent("2026-12-01", [])).toBeUndefined();
        expect(
            unusedKeysOf([
                { kind: "unused-30d", severity: "warning", keyId: "apikey_01Old", keyName: "raxx-old-2026-01-01", message: "no request" },
                { kind: "no-expiry", severity: "warning", keyId: "apikey_01Other", keyName: "raxx-other-2026-01-01", message: "never expires" },
            ]),
        ).toEqual([{ name: "raxx-old-2026-01-01", id: "apikey_01Old" }]);
        expect(unusedKeysEvent("2026-12-01", [{ name: "raxx-old-2026-01-01", id: "apikey_01Old", lastUsed: null }])).toMatchObject({ kind: "audit.unused_keys", days: 30, keys: [{ id: "apikey_01Old" }] });
    });
});
