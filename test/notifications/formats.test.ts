import { describe, expect, it } from "vitest";
import { DISCORD_LIMITS, discordBody } from "../../components/notifications/discord";
import { rotationEvent } from "../../components/notifications/events";
import { messageFor, nextStep } from "../../components/notifications/message";
import { SLACK_LIMITS, slackBody } from "../../components/notifications/slack";
import { makeApiKey } from "../../offline/emulators/keys";
import { COMPLETED, DUE_14, EVERY_EVENT, EXPOSURE, FAILED, OVERDUE, ROLLED_BACK, UNUSED } from "./events";

/**
 * The webhook bodies, checked against the vendors' formats: Discord's Execute Webhook (content ≤ 2000, embeds with
 * title ≤ 256, description ≤ 4096, ≤ 25 fields of name ≤ 256 / value ≤ 1024, 6000 characters per embed,
 * allowed_mentions) and Slack's incoming webhook (text as the fallback, blocks: header plain_text ≤ 150, section
 * mrkdwn ≤ 3000, ≤ 10 fields of ≤ 2000 per section).
 */

function embedChars(body: ReturnType<typeof discordBody>): number {
    const e = body.embeds[0]!;
    return e.title.length + e.description.length + e.fields.reduce((n, f) => n + f.name.length + f.value.length, 0);
}

describe("Discord body", () => {
    it.each(EVERY_EVENT)("%s: one embed with title, description, colour and fields within Discord's limits", (_name, event) => {
        const body = discordBody(messageFor(event));
        expect(Object.keys(body).sort()).toEqual(["allowed_mentions", "content", "embeds", "username"]);
        expect(body.allowed_mentions).toEqual({ parse: [] });
        expect(body.embeds).toHaveLength(1);
        const embed = body.embeds[0]!;
        expect(embed.title.length).toBeGreaterThan(0);
        expect(embed.title.length).toBeLessThanOrEqual(DISCORD_LIMITS.title);
        expect(embed.description.length).toBeLessThanOrEqual(DISCORD_LIMITS.description);
        expect(Number.isInteger(embed.color)).toBe(true);
        expect(embed.fields.length).toBeGreaterThan(0);
        expect(embed.fields.length).toBeLessThanOrEqual(DISCORD_LIMITS.fields);
        for (const f of embed.fields) {
            expect(f.name.length).toBeGreaterThan(0);
            expect(f.value.length).toBeGreaterThan(0);
            expect(f.value.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldValue);
            expect(typeof f.inline).toBe("boolean");
        }
        expect(embedChars(body)).toBeLessThanOrEqual(DISCORD_LIMITS.embedTotal);
        expect(body.content.length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
    });

    it("puts the rotation's time in the embed's timestamp, and colours a failure red and a completion green", () => {
        const done = discordBody(messageFor(rotationEvent(COMPLETED))).embeds[0]!;
        const failed = discordBody(messageFor(rotationEvent(FAILED))).embeds[0]!;
        expect(done.timestamp).toBe(COMPLETED.timestamp);
        expect(done.color).not.toBe(failed.color);
        expect(failed.color).toBe(0xc62828);
    });

    it("cuts a very long reason to the field limit and the whole embed to 6000 characters", () => {
        const long = rotationEvent({ ...FAILED, reason: "x".repeat(10_000) });
        const body = discordBody(messageFor({ ...long, targets: Array.from({ length: 40 }, (_, i) => `heroku app raxx-${i}`) }));
        for (const f of body.embeds[0]!.fields) expect(f.value.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldValue);
        expect(embedChars(body)).toBeLessThanOrEqual(DISCORD_LIMITS.embedTotal);
    });
});

describe("Slack body", () => {
    it.each(EVERY_EVENT)("%s: text fallback, a header, a summary section and field sections within Slack's limits", (_name, event) => {
        const body = slackBody(messageFor(event));
        expect(Object.keys(body).sort()).toEqual(["blocks", "text"]);
        expect(body.text.length).toBeGreaterThan(0);
        const [header, summary, ...rest] = body.blocks;
        expect(header).toMatchObject({ type: "header", text: { type: "plain_text" } });
        expect(header!.type === "header" && header.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.header);
        expect(summary).toMatchObject({ type: "section", text: { type: "mrkdwn" } });
        expect(rest.length).toBeGreaterThan(0);
        for (const block of rest) {
            expect(block.type).toBe("section");
            const fields = block.type === "section" ? block.fields ?? [] : [];
            expect(fields.length).toBeGreaterThan(0);
            expect(fields.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldsPerSection);
            for (const f of fields) {
                expect(f.type).toBe("mrkdwn");
                expect(f.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
            }
        }
    });

    it("escapes &, < and > so no text becomes a link or a mention", () => {
        const body = slackBody(messageFor(rotationEvent({ ...FAILED, reason: "<!channel> see <https://evil.example|here> & retry" })));
        const text = JSON.stringify(body.blocks);
        expect(text).not.toContain("<!channel>");
        expect(text).toContain("&lt;!channel&gt;");
        expect(text).toContain("&amp; retry");
    });
});

describe("what each message says", () => {
    const text = (e: Parameters<typeof messageFor>[0]) => JSON.stringify(messageFor(e));

    it("completed: names the key, both fingerprints, the consumers and the previous key's fate", () => {
        const t = text(rotationEvent(COMPLETED));
        for (const s of ["raxx-prod-agents-2026-11-23", "sha256:ba9876543210", "sha256:0123456789ab", "heroku app raxx-api-prod", "deactivated and proven dead", "ops@example.com"]) expect(t).toContain(s);
    });

    it("failed: the step, the target and what to do", () => {
        const m = messageFor(rotationEvent(FAILED, "heroku app raxx-api-prod"));
        expect(m.title).toContain("heroku");
        expect(m.fields).toContainEqual({ name: "Step", value: "heroku" });
        expect(m.fields).toContainEqual({ name: "Target", value: "heroku app raxx-api-prod" });
        expect(m.fields.find((f) => f.name === "What happened and what to do")!.value).toContain("fix HEROKU_API_KEY");
        expect(m.summary).toBe(nextStep("heroku"));
        expect(nextStep("validation")).toMatch(/nothing was written/);
    });

    it("rolled back: says the keys were reactivated and what to do next", () => {
        const m = messageFor(rotationEvent(ROLLED_BACK));
        expect(m.title).toMatch(/Revocation rolled back/);
        expect(m.summary).toMatch(/reactivated/);
        expect(JSON.stringify(m)).toContain("rolled back: keys reactivated");
    });

    it("due: 14 and 7 days ahead, and overdue with the expiry as the reason", () => {
        expect(messageFor(DUE_14).title).toMatch(/due in 14 days/);
        expect(messageFor({ ...DUE_14, stage: "7-days", daysLeft: 7 }).severity).toBe("warning");
        const overdue = messageFor(OVERDUE);
        expect(overdue.title).toMatch(/Overdue/);
        expect(overdue.summary).toMatch(/3 days past its due date \(the key's own expiry\)/);
    });

    it("unused keys: each by name, id and last use, and a count beyond twenty", () => {
        const t = text(UNUSED);
        expect(t).toContain("raxx-staging-old-2026-01-02 (apikey_01Old, workspace wrkspc_01, created 2026-01-02, last used never in the window)");
        const many = messageFor({ ...UNUSED, keys: Array.from({ length: 25 }, (_, i) => ({ name: `k-${i}`, id: `apikey_${i}` })) });
        expect(many.fields[0]!.value).toContain("… and 5 more");
    });

    it("exposure report: the key, the window, the request count, the signals and where the report is", () => {
        const t = text(EXPOSURE);
        for (const s of ["apikey_01Leaked", "412 requests", "2 anomaly signals", "claude-opus-4", "audit/exposure-apikey_01Leaked-2026-11-23.json"]) expect(t).toContain(s);
    });

    it("never carries a key, even when one reached a field by mistake", () => {
        const key = makeApiKey();
        for (const [, event] of EVERY_EVENT) {
            const leaky = { ...event, keyName: key, reason: `bad ${key}`, flags: [key] } as unknown as typeof event;
            for (const body of [discordBody(messageFor(leaky)), slackBody(messageFor(leaky))]) {
                const json = JSON.stringify(body);
                expect(json).not.toContain(key);
                expect(json).not.toContain(["sk", "ant", ""].join("-"));
            }
        }
    });
});
