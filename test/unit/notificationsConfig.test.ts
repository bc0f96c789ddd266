import { mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { describe, expect, it } from "vitest";
import { ConfigError, ConfigSource, loadRotationConfig, readStackFile } from "../../components/config";
import { makeApiKey } from "../../offline/emulators/keys";

/** `notifications`: the webhooks' structure, their URLs as secrets, and one error that names every problem. */

const NOW = new Date("2026-11-23T12:00:00Z");
const TOKEN = "Zx9kQ2mP7vL4tR8wY1nB6cD3fG5hJ0aS";
const DISCORD = `https://discord.com/api/webhooks/123456789/${TOKEN}`;
const SLACK = `https://hooks.slack.com/services/T000/B000/${TOKEN}`;

function source(notifications: unknown, secret = true): ConfigSource {
    const text: Record<string, string> = { apiKey: makeApiKey(), keyName: "raxx-prod-agents-2026-11-23", notifications: JSON.stringify(notifications) };
    const secrets = ["apiKey", ...(secret ? ["notifications"] : [])];
    return { stack: "prod", now: NOW, get: (k) => text[k], keys: () => Object.keys(text), isSecret: (k) => (k in text ? secrets.includes(k) : undefined) };
}

function problems(notifications: unknown, secret = true): ConfigError {
    try {
        loadRotationConfig(source(notifications, secret));
    } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as Error).message).not.toContain(TOKEN);
        return err as ConfigError;
    }
    throw new Error("expected a ConfigError");
}

describe("notifications config", () => {
    it("reads one or more webhooks, in both formats", () => {
        const config = loadRotationConfig(source([{ format: "discord", url: DISCORD }, { format: "slack", url: SLACK }]));
        expect(config.notifications).toEqual([{ format: "discord", url: DISCORD }, { format: "slack", url: SLACK }]);
    });

    it("is an empty list when not set", () => {
        const text: Record<string, string> = { apiKey: makeApiKey(), keyName: "raxx-prod-agents-2026-11-23" };
        const config = loadRotationConfig({ stack: "prod", now: NOW, get: (k) => text[k], keys: () => Object.keys(text), isSecret: (k) => k === "apiKey" });
        expect(config.notifications).toEqual([]);
    });

    it("refuses webhooks stored in plaintext, and says how to set them as secrets", () => {
        const err = problems([{ format: "discord", url: DISCORD }], false);
        expect(err.problems).toHaveLength(1);
        expect(err.problems[0]).toMatchObject({ key: "anthropic-key-rotation:notifications", message: expect.stringMatching(/plaintext/) });
        expect(err.problems[0]!.fix).toContain("pulumi config set --secret --path 'notifications[0].url'");
    });

    it("names every problem at once, each with its path and fix, and never quotes a URL's path", () => {
        const err = problems([
            { format: "teams", url: DISCORD },
            { format: "slack", url: `http://hooks.slack.com/services/T000/B000/${TOKEN}` },
            { format: "discord" },
            { format: "discord", url: `https://user:pw@discord.com/api/webhooks/1/${TOKEN}`, channel: "#ops" },
        ]);
        const byKey = Object.fromEntries(err.problems.map((p) => [p.key, p]));
        expect(byKey["anthropic-key-rotation:notifications[0].format"]!.message).toBe("must be discord or slack");
        expect(byKey["anthropic-key-rotation:notifications[1].url"]!.message).toMatch(/uses http:\/\/ to hooks\.slack\.com/);
        expect(byKey["anthropic-key-rotation:notifications[2].url"]).toMatchObject({ message: "is required", fix: expect.stringContaining("--secret --path 'notifications[0].url'") });
        expect(byKey["anthropic-key-rotation:notifications[3].url"]!.message).toMatch(/embeds credentials/);
        expect(byKey["anthropic-key-rotation:notifications[3]"]!.message).toMatch(/unknown field channel/);
        expect(err.message).toMatch(/has 5 problems/);
    });

    it("allows plain http to a loopback address only (the emulator)", () => {
        expect(loadRotationConfig(source([{ format: "slack", url: `http://127.0.0.1:8080/services/T/B/${TOKEN}` }])).notifications).toHaveLength(1);
    });

    it("refuses an empty list", () => {
        const err = problems([]);
        expect(err.problems[0]).toMatchObject({ key: "anthropic-key-rotation:notifications", message: "lists no webhook" });
    });

    it("a stack file with an encrypted webhook URL keeps the whole setting secret", () => {
        const dir = mkdtempSync(join(tmpdir(), "akr-notify-"));
        const file = join(dir, "Pulumi.prod.yaml");
        writeFileSync(file, ["config:", "  anthropic-key-rotation:notifications:", "    - format: discord", "      url:", "        secure: v1:abc:def", ""].join("\n"));
        const read = readStackFile(file, "prod");
        expect(read.secureKeys).toContain("notifications");
        expect(read.values).not.toHaveProperty("notifications");
    });
});
