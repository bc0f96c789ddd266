import { join } from "path";
import { describe, expect, it } from "vitest";
import { ConfigError, ConfigSource, loadRotationConfig, readStackFile, stackFileSource } from "../../components/config";
import { fingerprint } from "../../components/domain";
import { makeAdminKey, makeApiKey } from "../../offline/emulators/keys";

const NOW = new Date("2026-11-23T12:00:00Z");
const ROOT = join(__dirname, "..", "..");

function source(values: Record<string, unknown>, stack = "prod", secretKeys: string[] = ["apiKey"]): ConfigSource {
    const text: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) text[k] = typeof v === "string" ? v : JSON.stringify(v);
    return { stack, now: NOW, get: (k) => text[k], keys: () => Object.keys(text), isSecret: (k) => (k in text ? secretKeys.includes(k) : undefined) };
}

function problemsOf(values: Record<string, unknown>, stack = "prod", secretKeys?: string[]): ConfigError {
    try {
        loadRotationConfig(source(values, stack, secretKeys));
    } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return err as ConfigError;
    }
    throw new Error("expected a ConfigError");
}

const base = () => ({ apiKey: makeApiKey(), keyName: "raxx-prod-agents-2026-11-23" });

describe("stack config", () => {
    it("parses a minimal config with defaults", () => {
        const values = base();
        const cfg = loadRotationConfig(source(values));
        expect(cfg).toMatchObject({
            environment: "prod",
            keyName: "raxx-prod-agents-2026-11-23",
            fingerprint: fingerprint(values.apiKey),
            revocation: "verify",
            emergency: false,
            maxAgeDays: 90,
            auditLog: "audit/rotations.jsonl",
            validation: { mode: "messages", model: "claude-haiku-4-5", maxTokens: 10, maxRetrySeconds: 60 },
            targets: { infisical: [], heroku: [], github: [], commands: [] },
        });
        expect(cfg.notices).toEqual([]);
    });

    it.each(["prod", "staging"])("parses the committed %s stack file", (stack) => {
        const file = readStackFile(join(ROOT, `Pulumi.${stack}.yaml`), stack);
        expect(file.values.apiKey).toBeUndefined();
        const cfg = loadRotationConfig(stackFileSource(file, { apiKey: makeApiKey() }, NOW));
        expect(cfg.environment).toBe(stack);
        expect(cfg.targets.heroku.length).toBeGreaterThan(0);
        expect(cfg.targets.github.length).toBeGreaterThan(0);
        expect(cfg.targets.infisical.length).toBeGreaterThan(0);
    });

    it("explains how to set a missing key without shell history", () => {
        const err = problemsOf({ keyName: "raxx-prod-agents-2026-11-23" });
        expect(err.problems).toHaveLength(1);
        expect(err.problems[0]!.key).toBe("anthropic-key-rotation:apiKey");
        expect(err.message).toMatch(/pulumi config set --secret/);
        expect(err.message).toMatch(/stdin|prompt/);
    });

    it("rejects a value that is not an API key, without echoing it", () => {
        const bad = makeApiKey().slice(0, 70);
        const err = problemsOf({ ...base(), apiKey: bad });
        expect(err.problems[0]!.message).toMatch(/108 characters/);
        expect(err.message).not.toContain(bad);
        expect(err.message).not.toContain(bad.slice(13, 30));
    });

    it("rejects an admin key pasted by mistake", () => {
        const admin = makeAdminKey();
        const err = problemsOf({ ...base(), apiKey: admin });
        expect(err.problems[0]!.message).toMatch(/Admin API key/);
        expect(err.message).not.toContain(admin);
        expect(err.message).not.toContain("sk-ant-");
    });

    it("accepts a trailing newline once trimmed, and says so", () => {
        const values = base();
        const cfg = loadRotationConfig(source({ ...values, apiKey: `${values.apiKey}\n` }));
        expect(cfg.apiKey).toBe(values.apiKey);
        expect(cfg.fingerprint).toBe(fingerprint(values.apiKey));
        expect(cfg.notices.join(" ")).toMatch(/whitespace/);
        expect(cfg.notices.join(" ")).not.toContain(values.apiKey);
    });

    it("rejects a key stored in plaintext in the stack file", () => {
        const err = problemsOf(base(), "prod", []);
        expect(err.message).toMatch(/plaintext/);
    });

    it.each([
        ["a malformed name", "my-key", /\{project\}-\{environment\}-\{purpose\}-\{YYYY-MM-DD\}/],
        ["another environment's name", "raxx-staging-agents-2026-11-23", /environment is "staging".*"prod"/],
        ["an impossible date", "raxx-prod-agents-2026-02-30", /not a real calendar date/],
        ["a future date", "raxx-prod-agents-2027-03-01", /in the future/],
    ])("rejects %s", (_label, keyName, pattern) => {
        const err = problemsOf({ ...base(), keyName });
        expect(err.problems.map((p) => p.key)).toEqual(["anthropic-key-rotation:keyName"]);
        expect(err.message).toMatch(pattern);
    });

    it("honours an explicit environment", () => {
        const cfg = loadRotationConfig(source({ ...base(), keyName: "raxx-staging-agents-2026-11-23", environment: "staging" }, "stage-eu"));
        expect(cfg.environment).toBe("staging");
    });

    it("rejects duplicate targets", () => {
        const err = problemsOf({
            ...base(),
            targets: {
                heroku: [{ app: "raxx-api-prod" }, { app: "raxx-api-prod", vars: ["ANTHROPIC_API_KEY_AGENTS"] }],
                github: [{ repository: "raxx-app/agents" }, { repository: "raxx-app/agents", secretName: "ANTHROPIC_API_KEY" }],
                commands: [{ name: "fly", create: "true" }, { name: "fly", create: "false" }],
            },
        });
        expect(err.problems.map((p) => p.key)).toEqual([
            "anthropic-key-rotation:targets.heroku[1]",
            "anthropic-key-rotation:targets.github[1]",
            "anthropic-key-rotation:targets.commands[1]",
        ]);
        expect(err.message).toMatch(/duplicates targets.heroku\[0\]/);
    });

    it("a command target may pass its own tools' variables, never one of the project's credentials", () => {
        const err = problemsOf({ ...base(), targets: { commands: [{ name: "fly", create: "fly secrets import", passEnv: ["FLY_API_TOKEN", "HEROKU_API_KEY", "bad name"] }] } });
        expect(err.problems.map((p) => p.key)).toEqual(["anthropic-key-rotation:targets.commands[0].passEnv[1]", "anthropic-key-rotation:targets.commands[0].passEnv[2]"]);
        expect(err.message).toMatch(/HEROKU_API_KEY is one of this project's credentials and never reaches a command/);
        expect(err.message).toMatch(/an environment variable name/);
        const ok = loadRotationConfig(source({ ...base(), targets: { commands: [{ name: "fly", create: "fly secrets import", passEnv: ["FLY_API_TOKEN"] }] } }));
        expect(ok.targets.commands[0]!.passEnv).toEqual(["FLY_API_TOKEN"]);
    });

    it("rejects unknown target kinds", () => {
        const err = problemsOf({ ...base(), targets: { vercel: [{ project: "x" }] } });
        expect(err.problems[0]).toMatchObject({ key: "anthropic-key-rotation:targets" });
        expect(err.problems[0]!.message).toMatch(/unknown target kind "vercel"/);
        expect(err.problems[0]!.fix).toMatch(/commands/);
    });

    it("rejects bad Heroku var names", () => {
        const err = problemsOf({ ...base(), targets: { heroku: [{ app: "raxx-api-prod", vars: ["ANTHROPIC-KEY", "HEROKU_ANTHROPIC_KEY"] }] } });
        expect(err.problems.map((p) => p.key)).toEqual([
            "anthropic-key-rotation:targets.heroku[0].vars[0]",
            "anthropic-key-rotation:targets.heroku[0].vars[1]",
        ]);
        expect(err.message).toMatch(/reserved/);
    });

    it("rejects GitHub secret names that break GitHub's rules", () => {
        const err = problemsOf({ ...base(), targets: { github: [{ repository: "raxx-app/agents", secretName: "GITHUB_ANTHROPIC" }] } });
        expect(err.problems[0]!.key).toBe("anthropic-key-rotation:targets.github[0].secretName");
        expect(err.problems[0]!.message).toMatch(/must not start with GITHUB_/);
    });

    it("refuses an emergency rotation that would not revoke the compromised key", () => {
        const emergency = { compromisedKey: "sha256:0123456789ab" };
        const err = problemsOf({ ...base(), emergency, revocation: "none" });
        expect(err.problems.map((p) => p.key)).toEqual(["anthropic-key-rotation:emergency"]);
        expect(err.message).toMatch(/revocation deactivate/);
        expect(loadRotationConfig(source({ ...base(), emergency, revocation: "deactivate" })).emergency).toBe(true);
    });

    it("lists every problem at once", () => {
        const err = problemsOf({ keyName: "nope", revocation: "sometimes", typo: "x" });
        const keys = err.problems.map((p) => p.key);
        expect(keys).toContain("anthropic-key-rotation:apiKey");
        expect(keys).toContain("anthropic-key-rotation:keyName");
        expect(keys).toContain("anthropic-key-rotation:revocation");
        expect(keys).toContain("anthropic-key-rotation:typo");
        expect(err.message).toMatch(/has 4 problems/);
    });
});
