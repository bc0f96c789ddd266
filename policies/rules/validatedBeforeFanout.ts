/**
 * anthropic-key-validated-before-fanout (mandatory, resource policy): nothing that carries the Anthropic key is
 * written before that key has passed its KeyValidation — SOP step 3. Without this, the engine could write an
 * unvalidated (wrong, revoked, mistyped) key to Infisical, Heroku or GitHub in parallel with, or before, the
 * validation.
 *
 * It is a resource policy so that a violation stops `pulumi up` before the resource is written: the engine runs
 * resource policies on each resource's checked inputs before its step, but stack policies only after every step
 * succeeded (too late: the key is out, the previous key revoked). A resource policy sees one resource's inputs and
 * its parent, never its dependencies, so it judges the evidence a resource carries itself:
 *
 * - Heroku config vars and Infisical secrets take the validation receipt (`validatedFingerprint`, the
 *   KeyValidation's output, set only once the key passed; components/domain/receipt.ts). Missing, or for another
 *   key than the one they carry, is a violation. Unknown (a preview that re-validates) passes: the engine checks
 *   again, with the value known, right before the write.
 * - Everything else that carries the key (GitHub secrets, whose schema has no room for a receipt, commands, the
 *   revocation step…) must belong to an AnthropicKey component, whose program hands out the key only released
 *   together with its receipt (components/anthropic/validationReceipt.ts: the first line of this rule).
 * - A KeyValidation's `fingerprint` input, and a target's, must be the fingerprint of the key it carries.
 *
 * A resource carries the key when any property holds key material (policies see secrets in plaintext), or when
 * it is one of the program's target types and its key input is not known yet (preview).
 */
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import {
    fingerprint,
    isFingerprint,
    receiptProblem,
    TYPE_ANTHROPIC_KEY,
    TYPE_COMMAND,
    TYPE_GITHUB_ENV_SECRET,
    TYPE_GITHUB_ORG_SECRET,
    TYPE_GITHUB_REPO_SECRET,
    TYPE_HEROKU_CONFIG_VARS,
    TYPE_INFISICAL_SECRET,
    TYPE_KEY_VALIDATION,
    TYPE_PREVIOUS_KEY_REVOCATION,
    TYPE_DYNAMIC_PROVIDER,
    VALIDATION_RECEIPT_INPUT,
} from "../../components/domain";
import { describeResource, keysIn, keysInResource, keysOf, read, readString, safeReporter, UNKNOWN } from "./common";

export const VALIDATED_BEFORE_FANOUT_POLICY = "anthropic-key-validated-before-fanout";

/** The secret-carrying inputs of the program's target types. */
const SECRET_INPUTS: Readonly<Record<string, readonly string[]>> = {
    [TYPE_HEROKU_CONFIG_VARS]: ["apiKey"],
    [TYPE_INFISICAL_SECRET]: ["apiKey"],
    [TYPE_GITHUB_REPO_SECRET]: ["plaintextValue", "value"],
    [TYPE_GITHUB_ENV_SECRET]: ["plaintextValue", "value"],
    [TYPE_GITHUB_ORG_SECRET]: ["plaintextValue", "value"],
    [TYPE_COMMAND]: ["environment"],
};

/** Target types that carry the validation receipt as an input. */
export const RECEIPT_TYPES: readonly string[] = [TYPE_HEROKU_CONFIG_VARS, TYPE_INFISICAL_SECRET];

/** Properties that carry keys being revoked, never fanned out: they need no validation. */
const RETIRED_KEY_INPUTS: Readonly<Record<string, readonly string[]>> = {
    [TYPE_PREVIOUS_KEY_REVOCATION]: ["retiredKeys"],
};

/** The resource's properties without those that carry keys being revoked. */
function fannedOutProps(type: string, props: Record<string, unknown>): Record<string, unknown> {
    const skip = RETIRED_KEY_INPUTS[type];
    if (!skip) return props;
    return Object.fromEntries(keysOf(props).filter((k) => !skip.includes(k)).map((k) => [k, read(props, k)]));
}

/** Whether any secret-carrying input of a target is still unknown (preview of a computed value). */
function secretInputUnknown(type: string, props: unknown): boolean {
    for (const input of SECRET_INPUTS[type] ?? []) {
        const v = read(props, input);
        if (v === UNKNOWN) return true;
        if (type === TYPE_COMMAND && v && typeof v === "object") {
            if (keysOf(v).some((k) => read(v, k) === UNKNOWN)) return true;
        }
    }
    return false;
}

/** The type of the resource a URN names: the last element of its qualified type (`parent$child`). */
export function typeOfUrn(urn: string | undefined): string | undefined {
    const qualified = urn?.split("::")[2];
    return qualified?.split("$").pop();
}

export const validatedBeforeFanoutPolicy: ResourceValidationPolicy = {
    name: VALIDATED_BEFORE_FANOUT_POLICY,
    description:
        "Nothing that carries the Anthropic key is written before that key passed its KeyValidation: Heroku and Infisical targets carry the validation's receipt (validatedFingerprint) for the key they receive; every other carrier belongs to an AnthropicKey component, which releases the key only with its receipt.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Create consumers through the AnthropicKey component; a Heroku or Infisical target takes validatedFingerprint from the KeyValidation of the key it carries.",
    validateResource: (args, reportViolation) => validateFanout(args, reportViolation),
};

export function validateFanout(args: ResourceValidationArgs, reportViolation: ReportViolation): void {
    const props = args.props as Record<string, unknown>;
    const report = safeReporter(reportViolation, keysInResource(props, args.name));
    const what = describeResource(args);

    if (args.type === TYPE_KEY_VALIDATION) {
        const declared = readString(props, "fingerprint");
        const apiKey = readString(props, "apiKey");
        const keys = typeof apiKey === "string" ? keysIn(apiKey) : [];
        const computed = keys.length === 1 ? fingerprint(keys[0]!) : undefined;
        if (computed && typeof declared === "string" && declared !== computed) {
            report(
                `${what}: its \`fingerprint\` input (${declared}) is not the fingerprint of the key it validates (${computed}). ` +
                    "Fix: the program must compute the fingerprint from the same key value (components/domain fingerprint()).",
            );
        }
        return;
    }

    // The engine's own hand-over of the stack config to the dynamic providers' default provider: no consumer.
    if (args.type === TYPE_DYNAMIC_PROVIDER) return;

    const carried = [...new Set(keysInResource(fannedOutProps(args.type, props)).map((k) => fingerprint(k)))];
    const declared = readString(props, "fingerprint");
    const isTarget = SECRET_INPUTS[args.type] !== undefined;
    const hasReceiptSlot = RECEIPT_TYPES.includes(args.type);
    let unknownKey = false;
    if (isTarget && carried.length === 0) {
        if (isFingerprint(declared) && hasReceiptSlot) carried.push(declared);
        else unknownKey = secretInputUnknown(args.type, props);
    } else if (isTarget && isFingerprint(declared) && !carried.includes(declared)) {
        report(
            `${what}: its \`fingerprint\` input (${declared}) is not the fingerprint of the key it carries (${carried.join(", ")}). ` +
                "Fix: compute the fingerprint from the same key value the target receives.",
        );
    }
    if (carried.length === 0 && !unknownKey) return;
    const keyText = carried.length ? `key ${carried.join(", ")}` : "a key (not known until the update)";

    if (hasReceiptSlot) {
        const receipt = read(props, VALIDATION_RECEIPT_INPUT);
        for (const fp of carried.length ? carried : [UNKNOWN]) {
            const problem = receiptProblem(receipt, fp, (v) => v === UNKNOWN);
            if (!problem) continue;
            report(
                `${what} carries ${keyText} without a validation receipt for it (${problem}), so it could be written before that key is proven to work. ` +
                    `Fix: pass \`${VALIDATION_RECEIPT_INPUT}\` from the KeyValidation of the same key (the AnthropicKey component does); never fan out a key no KeyValidation checked.`,
            );
        }
        return;
    }

    const parentType = typeOfUrn(args.opts?.parent);
    if (parentType !== TYPE_ANTHROPIC_KEY) {
        report(
            `${what} carries ${keyText} but does not belong to an AnthropicKey component${parentType ? ` (its parent is a ${parentType})` : ""}, ` +
                "the only place that hands the key to consumers after its KeyValidation passed, so it could be written before that key is proven to work. " +
                "Fix: add the consumer to the stack's `targets` config (the AnthropicKey component creates it), or give it the key released with its receipt (releaseAfterValidation).",
        );
    }
}
