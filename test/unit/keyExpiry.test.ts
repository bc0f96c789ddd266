import { describe, expect, it } from "vitest";
import { ConfigError, ConfigSource, loadRotationConfig } from "../../components/config";
import { defaultRequireExpiry, effectiveDue, judgeExpiry, rotationStatus, suggestedExpiry } from "../../components/domain";
import { makeApiKey } from "../../offline/emulators/keys";

/** The key's expiry against the rotation policy (components/domain/keyExpiry.ts) and `validation.requireExpiry`. */

const NOW = new Date("2026-11-23T12:00:00Z");
// Created 2026-11-23, 90 days: due 2027-02-21; accepted expiry 2027-02-28 … 2027-03-23.

describe("judgeExpiry", () => {
    it("ok between due + 7 and due + 30 days, both ends included", () => {
        expect(judgeExpiry("2026-11-23", 90, "2027-02-28T00:00:00Z")).toEqual({ kind: "ok", dueDate: "2027-02-21", expiresOn: "2027-02-28" });
        expect(judgeExpiry("2026-11-23", 90, "2027-03-23T23:00:00Z").kind).toBe("ok");
        expect(suggestedExpiry("2026-11-23", 90)).toBe("2027-03-12");
        expect(judgeExpiry("2026-11-23", 90, "2027-03-12T00:00:00Z").kind).toBe("ok");
    });

    it("too early: before due + 7 days (the Console's 30-day preset for a 90-day policy)", () => {
        expect(judgeExpiry("2026-11-23", 90, "2027-02-27T23:59:59Z")).toEqual({ kind: "too-early", dueDate: "2027-02-21", expiresOn: "2027-02-27", earliestOk: "2027-02-28" });
        expect(judgeExpiry("2026-11-23", 90, "2026-12-23T09:00:00Z").kind).toBe("too-early");
    });

    it("never (null) and too late (after due + 30 days); an unreadable date is said", () => {
        expect(judgeExpiry("2026-11-23", 90, null)).toEqual({ kind: "never", dueDate: "2027-02-21" });
        expect(judgeExpiry("2026-11-23", 90, "2027-03-24T00:00:00Z")).toEqual({ kind: "too-late", dueDate: "2027-02-21", expiresOn: "2027-03-24", latestOk: "2027-03-23" });
        expect(judgeExpiry("2026-11-23", 90, "soon").kind).toBe("unreadable");
    });
});

describe("effectiveDue", () => {
    const status = rotationStatus("2026-11-23", 90, NOW);

    it("the age-based due date when the key expires later, never, or is not known", () => {
        expect(effectiveDue(status, "2027-03-07T00:00:00Z", NOW)).toMatchObject({ dueDate: "2027-02-21", daysLeft: 90, dueBy: "max-age", expiresOn: "2027-03-07" });
        expect(effectiveDue(status, null, NOW)).toEqual({ dueDate: "2027-02-21", daysLeft: 90, verdict: "ok", dueBy: "max-age" });
        expect(effectiveDue(status, undefined, NOW).dueBy).toBe("max-age");
    });

    it("the expiry when it comes first, with its own days left and verdict", () => {
        expect(effectiveDue(status, "2026-12-03T09:00:00Z", NOW)).toEqual({ dueDate: "2026-12-03", daysLeft: 10, verdict: "due-soon", dueBy: "expiry", expiresOn: "2026-12-03" });
        expect(effectiveDue(status, "2026-11-20T00:00:00Z", NOW)).toMatchObject({ daysLeft: -3, verdict: "overdue", dueBy: "expiry" });
    });
});

function source(stack: string, values: Record<string, unknown>): ConfigSource {
    const text: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) text[k] = typeof v === "string" ? v : JSON.stringify(v);
    return { stack, now: NOW, get: (k) => text[k], keys: () => Object.keys(text), isSecret: (k) => (k in text ? k === "apiKey" : undefined) };
}

describe("validation.requireExpiry", () => {
    const base = (env: string) => ({ apiKey: makeApiKey(), keyName: `raxx-${env}-agents-2026-11-23` });

    it("defaults to mandatory for prod and advisory elsewhere", () => {
        expect(loadRotationConfig(source("prod", base("prod"))).validation.requireExpiry).toBe("mandatory");
        expect(loadRotationConfig(source("staging", base("staging"))).validation.requireExpiry).toBe("advisory");
        expect(loadRotationConfig(source("sandbox", base("sandbox"))).validation.requireExpiry).toBe("advisory");
        expect(defaultRequireExpiry("production")).toBe("mandatory");
    });

    it("an explicit value wins", () => {
        expect(loadRotationConfig(source("prod", { ...base("prod"), validation: { requireExpiry: "advisory" } })).validation.requireExpiry).toBe("advisory");
        expect(loadRotationConfig(source("staging", { ...base("staging"), validation: { requireExpiry: "mandatory" } })).validation.requireExpiry).toBe("mandatory");
    });

    it("a wrong value names the field and the fix", () => {
        let caught: unknown;
        try {
            loadRotationConfig(source("prod", { ...base("prod"), validation: { requireExpiry: "always" } }));
        } catch (err) {
            caught = err;
        }
        expect(caught).toBeInstanceOf(ConfigError);
        expect([...(caught as ConfigError).problems]).toEqual([
            {
                key: "anthropic-key-rotation:validation.requireExpiry",
                message: "must be mandatory or advisory",
                fix: expect.stringContaining("use mandatory (a key that never expires, or expires long after its maximum age, stops the rotation) or advisory"),
            },
        ]);
    });
});
