/**
 * The anthropic-key-rotation CrossGuard policy pack. CI runs it with every preview:
 *
 *   pulumi preview --policy-pack policies [--policy-pack-config policy-config.json]
 *
 * The rules themselves live in components/domain (shared with the program); rules/ holds one module per policy.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies, POLICY_PACK_NAME } from "./rules";

new PolicyPack(POLICY_PACK_NAME, {
    description:
        "Governance for Anthropic API key rotation: key naming, rotation age and reminders, no plaintext keys, validation before fan-out, environment isolation, validation cost and secret names.",
    enforcementLevel: "mandatory",
    policies,
});
