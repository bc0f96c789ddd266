import { describe, expect, it } from "vitest";
import { evaluateCondition, parseCondition } from "../../components/health/condition";
import { makeApiKey } from "../../offline/emulators/keys";

const body = JSON.stringify({
    anthropic: { ok: true, status: "up", latencyMs: 120, fp: "sha256:0123456789ab", nested: { list: [1, 2] } },
    checks: [{ name: "anthropic", ok: true }, { name: "db", ok: false }],
    nothing: null,
});
const holds = (cond: string, text = body, fp?: string) => evaluateCondition(parseCondition(cond), text, fp);

describe("health condition", () => {
    it("compares a dotted path with JSON literals", () => {
        expect(holds("anthropic.ok == true").ok).toBe(true);
        expect(holds("anthropic.ok != false").ok).toBe(true);
        expect(holds('anthropic.status == "up"').ok).toBe(true);
        expect(holds("anthropic.status == up").ok).toBe(true); // a bare word is a string
        expect(holds("anthropic.latencyMs == 120").ok).toBe(true);
        expect(holds('anthropic.latencyMs == "120"').ok).toBe(false); // exact JSON equality
        expect(holds("nothing == null").ok).toBe(true);
        expect(holds("anthropic.nested == {\"list\":[1,2]}").ok).toBe(true);
        expect(holds("anthropic.nested.list == [1,2]").ok).toBe(true);
    });

    it("supports list indexes", () => {
        expect(holds('checks[0].name == "anthropic"').ok).toBe(true);
        expect(holds("checks[1].ok == true")).toEqual({ ok: false, detail: "checks[1].ok is false, expected true" });
        expect(holds("checks[5].ok == true")).toEqual({ ok: false, detail: "checks[5].ok is missing from the body" });
    });

    it("fails a missing path for both operators, and a non-JSON body", () => {
        expect(holds("anthropic.error != null")).toEqual({ ok: false, detail: "anthropic.error is missing from the body" });
        expect(holds("db.ok == true").ok).toBe(false);
        expect(holds("anthropic.ok == true", "<html>OK</html>")).toEqual({ ok: false, detail: "the body is not JSON, so anthropic.ok == true cannot hold" });
    });

    it("compares with the new key's fingerprint through $fingerprint", () => {
        expect(holds("anthropic.fp == $fingerprint", body, "sha256:0123456789ab").ok).toBe(true);
        const stale = holds("anthropic.fp == $fingerprint", body, "sha256:ffffffffffff");
        expect(stale).toEqual({ ok: false, detail: 'anthropic.fp is "sha256:0123456789ab", expected "sha256:ffffffffffff"' });
    });

    it("rejects what it does not understand, with a hint and without echoing a key", () => {
        expect(() => parseCondition("anthropic.ok")).toThrow(/write path == value or path != value/);
        expect(() => parseCondition("anthropic.ok > 1")).toThrow(/not a condition/);
        expect(() => parseCondition("a..b == 1")).toThrow(/not a condition/);
        expect(() => parseCondition("process.exit() == 1")).toThrow(/not a condition/);
        expect(() => parseCondition("a == {broken")).toThrow(/is not JSON; use true, false, null/);
        const key = makeApiKey();
        try {
            parseCondition(`x == ${key} ${key}`);
            expect.unreachable();
        } catch (err) {
            expect((err as Error).message).not.toContain(key);
        }
    });

    it("never reveals key material found in a body", () => {
        const key = makeApiKey();
        const outcome = holds("leak == 1", JSON.stringify({ leak: key }));
        expect(outcome.ok).toBe(false);
        expect(outcome.detail).not.toContain(key);
        expect(outcome.detail).toContain("[REDACTED]");
    });
});
