/**
 * anthropic-key-name must never echo a piece of a key pasted into the name without its `sk-ant-` prefix.
 *
 * The random sweep in policies.test.ts ("a key smuggled into any checked field is never echoed") once failed
 * with `the part "0A3Jm2bLdY3AfiSGr6" has characters other than a-z and 0-9`: the first hyphen-separated piece
 * of the random key that was not lower case was 18 characters long, too short for the 20-character "random
 * run" redaction and not a fragment of any key the resource carried with its prefix. FIXED_KEY below is that
 * key's shape, so the case runs every time, not once in a while.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MAX_QUOTED_FOREIGN_PART, parseKeyName } from "../../components/domain";
import { policies } from "../rules";
import { collector, githubRepoSecret, herokuVars, keyValidation, resourceArgs } from "./support/fixtures";
import { makeApiKey } from "../../offline/emulators/keys";

/** A fake API key whose tail starts with the 18-character piece the failing run echoed. */
const FIXED_KEY =
    "sk-ant-api03-0A3Jm2bLdY3AfiSGr6-VZD4aYCurGdOxOHs_B6a1CxsRqf0SqjaZ6k3RXN952s8D2OmskI3qq8e3EtO8YK0jo7Qm3mYw1AA";

const keyNamePolicy = policies.find((p) => p.name === "anthropic-key-name")!;

/** The longest run of the key's characters (after its prefix) that appears in the text. */
function longestEchoedRun(text: string, key: string): string {
    const tail = key.replace(/^sk-ant-[a-z]+\d+-/, "");
    let best = "";
    for (let i = 0; i < tail.length; i++) {
        for (let j = i + best.length + 1; j <= tail.length && text.includes(tail.slice(i, j)); j++) best = tail.slice(i, j);
    }
    return best;
}

/** Every message the policy reports for a key name that carries the key's tail (as the sweep builds it). */
function messagesFor(key: string): string[] {
    const col = collector();
    const keyName = `raxx-prod-${key.replace(/^sk-ant-/, "")}-2026-01-01`;
    void (keyNamePolicy as { validateResource: (...a: unknown[]) => void }).validateResource(resourceArgs(keyValidation({ keyName })), col.report);
    return col.messages;
}

const saved = process.env.PULUMI_STACK;
beforeEach(() => {
    process.env.PULUMI_STACK = "prod";
});
afterEach(() => {
    if (saved === undefined) delete process.env.PULUMI_STACK;
    else process.env.PULUMI_STACK = saved;
});

describe("anthropic-key-name never echoes key material", () => {
    it("the failing case: a key tail whose first upper-case piece is 18 characters long", () => {
        const messages = messagesFor(FIXED_KEY);
        expect(messages.length).toBeGreaterThan(0);
        for (const m of messages) {
            expect(m).not.toContain("0A3Jm2bLdY3AfiSGr6");
            expect(longestEchoedRun(m, FIXED_KEY).length, m).toBeLessThanOrEqual(MAX_QUOTED_FOREIGN_PART);
            // The message still says what is wrong and where.
            expect(m).toMatch(/the 4th part \(18 characters\) has upper-case letters/);
        }
    });

    it("the failing case through every policy, as the sweep in policies.test.ts runs it", () => {
        const k = FIXED_KEY;
        const col = collector();
        const bad = [
            keyValidation({ keyName: k, environment: k, model: k, createdAt: k }),
            keyValidation({ keyName: `raxx-prod-${k.replace(/^sk-ant-/, "")}-2026-01-01` }),
            keyValidation({ keyName: `raxx-prod-${k.replace(/^sk-ant-/, "")}-2026-01-01`, createdAt: "2020-01-01" }),
            herokuVars({ app: k, vars: [k, `ANTHROPIC_${k}`] }),
            githubRepoSecret({ secretName: k, repository: k }),
            { ...herokuVars(), name: `heroku-${k}` },
        ];
        for (const r of bad) {
            for (const p of policies) {
                if ("validateResource" in p && typeof p.validateResource === "function") void p.validateResource(resourceArgs(r), col.report);
            }
        }
        expect(col.messages.length).toBeGreaterThan(5);
        for (const m of col.messages) expect(longestEchoedRun(m, k).length, m).toBeLessThanOrEqual(MAX_QUOTED_FOREIGN_PART);
    });

    it("never more than a few characters of any random key, over many keys", () => {
        for (let n = 0; n < 300; n++) {
            const key = makeApiKey();
            for (const m of messagesFor(key)) expect(longestEchoedRun(m, key).length, m).toBeLessThanOrEqual(MAX_QUOTED_FOREIGN_PART);
        }
    });

    it("a short wrong part is still quoted, so the usual mistakes stay easy to fix", () => {
        const r = parseKeyName("raxx-Prod-agents-2026-01-01", { expectedEnvironment: "prod" });
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.problems[0]!.message).toMatch(/the part "Prod" has upper-case letters/);
        const col = collector();
        void (keyNamePolicy as { validateResource: (...a: unknown[]) => void }).validateResource(
            resourceArgs(keyValidation({ keyName: "raxx-prod-api_v2-2026-01-01" })),
            col.report,
        );
        expect(col.messages.join("\n")).toMatch(/the part "api_v2" has the character "_"/);
    });
});
