/**
 * The revocation step carries the keys it must prove dead (`retiredKeys`, from the KeyLedger) and the ledger
 * carries the current key: neither is a fan-out, so neither needs a KeyValidation of those keys, and both
 * properties are built to carry a key.
 */
import { describe, expect, it } from "vitest";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { fingerprint, TYPE_KEY_LEDGER } from "../../components/domain";
import { policies } from "../rules";
import { collector, KEYS, prodStack, resourceArgs, revocation, stackArgs, leaksSecret } from "./support/fixtures";

const noPlaintext = (policies.find((p) => p.name === "anthropic-key-no-plaintext") as ResourceValidationPolicy).validateResource as (a: unknown, r: unknown) => void;
/** The fan-out policy over a whole stack, whether it is a stack policy or (checking each resource) a resource policy. */
function fanout(resources: Parameters<typeof stackArgs>[0], report: (m: string) => void): void {
    const policy = policies.find((p) => p.name === "anthropic-key-validated-before-fanout")!;
    const asStack = (policy as StackValidationPolicy).validateStack as ((a: unknown, r: unknown) => void) | undefined;
    if (asStack) return asStack(stackArgs(resources), report);
    const asResource = (policy as ResourceValidationPolicy).validateResource as (a: unknown, r: unknown) => void;
    for (const r of resources) asResource(resourceArgs(r), report);
}

const retiredKeys = [{ fingerprint: fingerprint(KEYS.prodNext), keyId: "apikey_01Old", since: "2026-08-25T00:00:00.000Z", value: KEYS.prodNext }];

describe("retired keys on the revocation step", () => {
    it("anthropic-key-no-plaintext allows them in retiredKeys, and the current key in the KeyLedger's apiKey", () => {
        const col = collector();
        noPlaintext(resourceArgs(revocation({ retiredKeys })), col.report);
        const ledger = { type: TYPE_KEY_LEDGER, name: "prod-key-ledger", parent: "prod", props: { apiKey: KEYS.prod, fingerprint: fingerprint(KEYS.prod) } };
        noPlaintext(resourceArgs(ledger), col.report);
        expect(col.messages).toEqual([]);
    });

    it("anthropic-key-no-plaintext still refuses a retired key anywhere else on the revocation step", () => {
        const col = collector();
        noPlaintext(resourceArgs(revocation({ note: KEYS.prodNext })), col.report);
        expect(col.messages).toHaveLength(1);
        expect(col.messages[0]).toContain("`note`");
        expect(leaksSecret(col.messages.join("\n"))).toBe(false);
    });

    it("anthropic-key-validated-before-fanout does not ask for a validation of the keys being revoked", () => {
        const col = collector();
        const stack = prodStack().map((r) => (r.type === revocation().type ? { ...r, props: { ...r.props, retiredKeys } } : r));
        expect(stack.some((r) => r.props.retiredKeys)).toBe(true);
        fanout(stack, col.report);
        expect(col.messages).toEqual([]);
    });
});
