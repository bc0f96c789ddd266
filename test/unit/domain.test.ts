import { describe, expect, it } from "vitest";
import {
    API_KEY_LENGTH, ageInDays, checkApiKey, fingerprint, githubSecretNameProblem, herokuVarNameProblem, hintMatches,
    echoableKeyName, isFingerprint, MAX_QUOTED_FOREIGN_PART, maxAgeDaysFor, nextDueDate, parseIsoDate, parseKeyName, redact,
    rotationStatus,
} from "../../components/domain";
import { makeAdminKey, makeApiKey } from "../../offline/emulators/keys";

const NOW = new Date("2026-11-23T12:00:00Z");

describe("key format", () => {
    it("accepts a well-formed API key", () => {
        const key = makeApiKey();
        expect(key).toHaveLength(API_KEY_LENGTH);
        expect(checkApiKey(key)).toEqual({ value: key, trimmed: false });
    });
    it("trims a pasted newline and says so", () => {
        const key = makeApiKey();
        expect(checkApiKey(`${key}\n`)).toEqual({ value: key, trimmed: true });
        expect(checkApiKey(`  ${key}  `).trimmed).toBe(true);
    });
    it.each([
        ["empty", "", "empty"],
        ["admin key", makeAdminKey(), "admin-key"],
        ["other vendor", "sk-proj-abcdef", "wrong-prefix"],
        ["truncated", makeApiKey().slice(0, 60), "wrong-length"],
        ["bad characters", makeApiKey().slice(0, 50) + "!" + makeApiKey().slice(51), "bad-characters"],
        ["bad suffix", makeApiKey().slice(0, -2) + "ZZ", "bad-suffix"],
    ])("rejects %s", (_label, value, problem) => {
        expect(checkApiKey(value).problem).toBe(problem);
    });
});

describe("fingerprint", () => {
    it("is sha256: plus 12 hex digits of the SHA-256", () => {
        expect(fingerprint("abc")).toBe("sha256:ba7816bf8f01");
        expect(isFingerprint(fingerprint(makeApiKey()))).toBe(true);
    });
    it("differs between keys and never contains the key", () => {
        const a = makeApiKey();
        const b = makeApiKey();
        expect(fingerprint(a)).not.toBe(fingerprint(b));
        expect(fingerprint(a)).not.toContain(a.slice(13, 25));
    });
    it("matches Admin API partial hints", () => {
        const key = makeApiKey();
        expect(hintMatches(`${key.slice(0, 16)}...${key.slice(-4)}`, key)).toBe(true);
        expect(hintMatches(`${key.slice(0, 16)}...XXAA`, key)).toBe(key.endsWith("XXAA"));
        expect(hintMatches("garbage", key)).toBe(false);
    });
});

describe("redaction", () => {
    it("removes key-shaped runs and listed secrets", () => {
        const key = makeApiKey();
        const out = redact(`bad key ${key} with token hunter2-token`, ["hunter2-token"]);
        expect(out).toBe("bad key [REDACTED] with token [REDACTED]");
        expect(out).not.toContain("sk-ant-");
    });
});

describe("dates", () => {
    it("rejects impossible dates", () => {
        expect(parseIsoDate("2026-02-30")).toBeUndefined();
        expect(parseIsoDate("2026-13-01")).toBeUndefined();
        expect(parseIsoDate("2028-02-29")?.toISOString()).toBe("2028-02-29T00:00:00.000Z");
    });
});

describe("key names", () => {
    it("parses a simple name", () => {
        expect(parseKeyName("raxx-prod-agents-2026-11-23", { now: NOW })).toEqual({
            ok: true,
            name: { project: "raxx", environment: "prod", purpose: "agents", date: "2026-11-23" },
        });
    });
    it("parses hyphenated projects and purposes by the environment token", () => {
        const r = parseKeyName("agentic-base-prod-translation-jobs-2025-12-08", { expectedEnvironment: "prod", now: NOW });
        expect(r).toEqual({ ok: true, name: { project: "agentic-base", environment: "prod", purpose: "translation-jobs", date: "2025-12-08" } });
    });
    it("rejects a name for another environment", () => {
        const r = parseKeyName("raxx-staging-agents-2026-11-23", { expectedEnvironment: "prod", now: NOW });
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.problems[0]).toMatchObject({ kind: "environment-mismatch", found: "staging", expected: "prod" });
    });
    it.each([
        ["my-key", "format"],
        ["raxx-prod-agents-23-11-2026", "format"],
        ["Raxx-prod-agents-2026-11-23", "format"],
        ["raxx--agents-2026-11-23", "format"],
        ["raxx-prod-agents-2026-02-30", "impossible-date"],
        ["raxx-prod-agents-2027-01-01", "future-date"],
    ])("rejects %s (%s)", (name, kind) => {
        const r = parseKeyName(name, { expectedEnvironment: "prod", now: NOW });
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.problems[0]!.kind).toBe(kind);
    });
    it("quotes a wrong part only when it is a few characters long: a longer one could be a pasted key's tail", () => {
        const short = parseKeyName("raxx-Prod_1-agents-2026-11-23", { expectedEnvironment: "prod", now: NOW });
        expect(!short.ok && short.problems[0]!.message).toMatch(/the part "Prod_1" has upper-case letters and the character "_"/);
        const tail = "0A3Jm2bLdY3AfiSGr6"; // the piece a random key once put into a policy message
        expect(tail.length).toBeGreaterThan(MAX_QUOTED_FOREIGN_PART);
        const long = parseKeyName(`raxx-prod-api03-${tail}-VZD4aYCurGdOxOHs_B6a1-2026-11-23`, { expectedEnvironment: "prod", now: NOW });
        expect(long.ok).toBe(false);
        if (!long.ok) {
            expect(long.problems[0]!.message).toMatch(/the 4th part \(18 characters\) has upper-case letters \(only a-z and 0-9/);
            expect(long.problems[0]!.message).not.toContain(tail.slice(0, MAX_QUOTED_FOREIGN_PART + 1));
        }
    });
    it("shows a whole name only when it has nothing but a-z, 0-9 and '-'", () => {
        expect(echoableKeyName("raxx-prod-agents-2026-11-23")).toBe("raxx-prod-agents-2026-11-23");
        expect(echoableKeyName("raxx-prod-api03-0A3Jm2bLdY3AfiSGr6-2026-11-23")).toBeUndefined();
        expect(echoableKeyName("raxx-prod-agents_v2-2026-11-23")).toBeUndefined();
    });
    it("tolerates one day ahead for time zones east of UTC", () => {
        expect(parseKeyName("raxx-prod-agents-2026-11-24", { now: NOW }).ok).toBe(true);
        expect(parseKeyName("raxx-prod-agents-2026-11-25", { now: NOW }).ok).toBe(false);
    });
});

describe("rotation age", () => {
    it("uses the SOP defaults per environment", () => {
        expect(maxAgeDaysFor("prod")).toBe(90);
        expect(maxAgeDaysFor("staging")).toBe(90);
        expect(maxAgeDaysFor("dev")).toBe(365);
        expect(maxAgeDaysFor("prod", { prod: 180 })).toBe(180);
    });
    it("computes age, due date and verdicts", () => {
        expect(ageInDays("2026-11-01", NOW)).toBe(22);
        expect(nextDueDate("2026-11-01", 90)).toBe("2027-01-30");
        expect(rotationStatus("2026-11-01", 90, NOW)).toMatchObject({ ageDays: 22, daysLeft: 68, verdict: "ok" });
        expect(rotationStatus("2026-09-07", 90, NOW)).toMatchObject({ daysLeft: 13, verdict: "due-soon" });
        expect(rotationStatus("2026-09-01", 90, NOW)).toMatchObject({ daysLeft: 7, verdict: "due-urgent" });
        expect(rotationStatus("2026-08-25", 90, NOW)).toMatchObject({ daysLeft: 0, verdict: "due-urgent" });
        expect(rotationStatus("2026-08-24", 90, NOW)).toMatchObject({ daysLeft: -1, verdict: "overdue" });
    });
});

describe("platform names", () => {
    it("checks Heroku config var names", () => {
        expect(herokuVarNameProblem("ANTHROPIC_API_KEY")).toBeUndefined();
        expect(herokuVarNameProblem("ANTHROPIC-KEY")).toMatch(/letters, digits/);
        expect(herokuVarNameProblem("HEROKU_ANTHROPIC")).toMatch(/reserved/);
    });
    it("checks GitHub secret names", () => {
        expect(githubSecretNameProblem("ANTHROPIC_API_KEY")).toBeUndefined();
        expect(githubSecretNameProblem("GITHUB_TOKEN_X")).toMatch(/GITHUB_/);
        expect(githubSecretNameProblem("1KEY")).toMatch(/digit/);
        expect(githubSecretNameProblem("MY-KEY")).toMatch(/letters/);
    });
});
