/**
 * anthropic-key-revocation-proof: a prod revocation warns when nothing proves the consumers run on the new key
 * (no `$fingerprint` health check, cut-over off). Advisory: it never blocks.
 */
import { afterEach, describe, expect, it } from "vitest";
import { validateRevocationProof } from "../rules";
import { collector, leaksSecret, resourceArgs, revocation } from "./support/fixtures";

const saved = { stack: process.env.PULUMI_STACK, config: process.env.PULUMI_CONFIG, nodeStack: process.env.PULUMI_NODEJS_STACK };

function setStack(stack: string): void {
    delete process.env.PULUMI_NODEJS_STACK;
    delete process.env.PULUMI_CONFIG;
    process.env.PULUMI_STACK = stack;
}

afterEach(() => {
    for (const [k, v] of [["PULUMI_STACK", saved.stack], ["PULUMI_CONFIG", saved.config], ["PULUMI_NODEJS_STACK", saved.nodeStack]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
});

const plainCheck = [{ url: "https://api.raxx.app/api/agents/health", expect: "anthropic.ok == true" }];
const fingerprintCheck = [{ url: "https://api.raxx.app/api/agents/health", expect: "anthropic.keyFingerprint == $fingerprint" }];

function messages(props: Record<string, unknown>, stack = "prod"): string[] {
    setStack(stack);
    const col = collector();
    validateRevocationProof(resourceArgs(revocation(props)), col.report);
    return col.messages;
}

describe("anthropic-key-revocation-proof", () => {
    it("warns in prod when no health check proves the fingerprint and the cut-over is off, saying both fixes", () => {
        const [m, ...rest] = messages({ healthChecks: plainCheck, cutover: { enabled: false } });
        expect(rest).toEqual([]);
        expect(m).toContain("the prod stack revokes the previous key (revocation deactivate) with nothing that proves the consumers run on the new key");
        expect(m).toContain("expect: anthropic.keyFingerprint == $fingerprint");
        expect(m).toContain("remove cutover: false");
        expect(leaksSecret(m!)).toBe(false);
    });

    it("is quiet with a $fingerprint check, with the cut-over on, outside prod, and with revocation none", () => {
        expect(messages({ healthChecks: fingerprintCheck, cutover: { enabled: false } })).toEqual([]);
        expect(messages({ healthChecks: plainCheck, cutover: { enabled: true, idleMinutes: 15 } })).toEqual([]);
        expect(messages({ healthChecks: plainCheck, cutover: { enabled: false } }, "staging")).toEqual([]);
        expect(messages({ mode: "none", healthChecks: [], cutover: { enabled: false } })).toEqual([]);
    });
});
