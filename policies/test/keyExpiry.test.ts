/**
 * anthropic-key-expiry (mandatory) and anthropic-key-expiry-advisory: the key's own expiry as a backstop for a
 * forgotten rotation, from the KeyValidation's `requireExpiry` input and (where the engine hands outputs) its
 * `expiresAt` output. Key created 2026-11-23, prod 90 days: due 2027-02-21, accepted expiry 2027-02-28 … 2027-03-23.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { rememberEnforcedAgeConfig, validateKeyExpiry, validateKeyExpiryAdvisory } from "../rules";
import { collector, keyValidation, KEYS, leaksSecret, resourceArgs } from "./support/fixtures";

const NOW = new Date("2026-11-30T12:00:00Z");
const CREATED = "2026-11-23";

beforeEach(() => rememberEnforcedAgeConfig(undefined));

function run(props: Record<string, unknown>, config: object = {}): { mandatory: string[]; advisory: string[] } {
    const mandatory = collector();
    const advisory = collector();
    const r = keyValidation({ createdAt: CREATED, keyName: `raxx-prod-agents-${CREATED}`, ...props });
    validateKeyExpiry(resourceArgs(r, config), mandatory.report, NOW);
    validateKeyExpiryAdvisory(resourceArgs(r), advisory.report, NOW);
    for (const m of [...mandatory.messages, ...advisory.messages]) expect(leaksSecret(m)).toBe(false);
    return { mandatory: mandatory.messages, advisory: advisory.messages };
}

describe("anthropic-key-expiry: requireExpiry in prod (inputs)", () => {
    it("passes a prod validation with requireExpiry mandatory, or unset (prod's default)", () => {
        expect(run({ requireExpiry: "mandatory" })).toEqual({ mandatory: [], advisory: [] });
        expect(run({})).toEqual({ mandatory: [], advisory: [] });
    });

    it("fails a prod validation weakened to advisory, naming validation.requireExpiry and the fix", () => {
        const { mandatory, advisory } = run({ requireExpiry: "advisory" });
        expect(advisory).toEqual([]);
        expect(mandatory).toHaveLength(1);
        expect(mandatory[0]).toContain('the prod key is validated with validation.requireExpiry "advisory"');
        expect(mandatory[0]).toContain("pulumi config set --path validation.requireExpiry mandatory -s <stack>");
    });

    it("staging may be advisory; the environments setting extends the rule", () => {
        const staging = { environment: "staging", keyName: `raxx-staging-agents-${CREATED}`, requireExpiry: "advisory" };
        expect(run(staging).mandatory).toEqual([]);
        expect(run(staging, { environments: ["prod", "staging"] }).mandatory[0]).toContain("the staging key is validated with validation.requireExpiry");
    });
});

describe("anthropic-key-expiry: expiresAt (outputs)", () => {
    it("passes an expiry a week to a month after the due date, and says nothing without expiresAt", () => {
        expect(run({ requireExpiry: "mandatory", expiresAt: "2027-03-07T09:15:00Z" })).toEqual({ mandatory: [], advisory: [] });
        expect(run({ requireExpiry: "mandatory", expiresAt: undefined })).toEqual({ mandatory: [], advisory: [] });
    });

    it("fails a key that expires before its due date plus the margin, with both dates, whatever requireExpiry says", () => {
        for (const requireExpiry of ["mandatory", "advisory"]) {
            const { mandatory } = run({ environment: "staging", keyName: `raxx-staging-agents-${CREATED}`, requireExpiry, expiresAt: "2026-12-23T09:15:00Z" });
            expect(mandatory).toHaveLength(1);
            expect(mandatory[0]).toContain("expires on 2026-12-23, before its rotation is due on 2027-02-21 (2026-11-23 + 90 days) plus 7 days");
            expect(mandatory[0]).toContain("or lower maxAgeDays");
        }
    });

    it("mandatory: a key that never expires, or long after its due date, fails", () => {
        expect(run({ requireExpiry: "mandatory", expiresAt: null }).mandatory[0]).toContain("never expires (expiresAt null), so its expiry is no backstop");
        const late = run({ requireExpiry: "mandatory", expiresAt: "2027-11-23T00:00:00Z" });
        expect(late.mandatory[0]).toContain("expires on 2027-11-23, more than 30 days after its due date 2027-02-21");
        expect(late.mandatory[0]).toContain("e.g. 2027-03-12");
        expect(late.advisory).toEqual([]);
    });

    it("advisory: the same keys only warn (anthropic-key-expiry-advisory)", () => {
        const staging = { environment: "staging", keyName: `raxx-staging-agents-${CREATED}`, requireExpiry: "advisory" };
        const never = run({ ...staging, expiresAt: null });
        expect(never.mandatory).toEqual([]);
        expect(never.advisory).toHaveLength(1);
        expect(never.advisory[0]).toContain("never expires (expiresAt null), so its expiry is no backstop for a forgotten rotation (validation.requireExpiry is advisory)");
        expect(run({ ...staging, expiresAt: "2027-03-07T00:00:00Z" }).advisory).toEqual([]);
    });

    it("follows the age policy's limits", () => {
        rememberEnforcedAgeConfig({ maxAgeDays: { prod: 30 }, otherEnvironmentsMaxAgeDays: 90 });
        // Due 2026-12-23: an expiry on 2027-01-05 is within the window, and 2027-03-07 is too late.
        expect(run({ expiresAt: "2027-01-05T00:00:00Z" }).mandatory).toEqual([]);
        expect(run({ expiresAt: "2027-03-07T00:00:00Z" }).mandatory[0]).toContain("more than 30 days after its due date 2026-12-23");
    });

    it("never echoes the key, even when the key sits in the inputs", () => {
        const { mandatory } = run({ apiKey: KEYS.prod, requireExpiry: "advisory", expiresAt: null });
        expect(mandatory.join("\n")).not.toContain(KEYS.prod);
    });
});
