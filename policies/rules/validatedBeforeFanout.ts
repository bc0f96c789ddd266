/**
 * anthropic-key-validated-before-fanout (mandatory, stack policy): every resource that carries the key depends,
 * directly or transitively, on a KeyValidation with the same fingerprint. Without that edge the engine may
 * write an unvalidated (wrong, revoked, mistyped) key to Infisical, Heroku or GitHub in parallel with — or
 * before — the validation, which is exactly what SOP step 3 forbids.
 *
 * A resource carries the key when any property holds key material (policies see secrets in plaintext), and
 * the fingerprint is computed from that value with components/domain fingerprint(). The program's own
 * target types also count when their secret input is not known yet (preview), by their plain `fingerprint`
 * input when they have one, otherwise by requiring a dependency on some KeyValidation.
 */
import type { PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import {
    fingerprint,
    isFingerprint,
    TYPE_COMMAND,
    TYPE_GITHUB_ENV_SECRET,
    TYPE_GITHUB_ORG_SECRET,
    TYPE_GITHUB_REPO_SECRET,
    TYPE_HEROKU_CONFIG_VARS,
    TYPE_INFISICAL_SECRET,
    TYPE_KEY_VALIDATION,
    TYPE_PREVIOUS_KEY_REVOCATION,
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

/** Properties that carry keys being revoked, never fanned out: they need no validation. */
const RETIRED_KEY_INPUTS: Readonly<Record<string, readonly string[]>> = {
    [TYPE_PREVIOUS_KEY_REVOCATION]: ["retiredKeys"],
};

/** The resource's properties without those that carry keys being revoked. */
function fannedOutProps(r: PolicyResource): Record<string, unknown> {
    const skip = RETIRED_KEY_INPUTS[r.type];
    if (!skip) return r.props as Record<string, unknown>;
    return Object.fromEntries(Object.entries(r.props as Record<string, unknown>).filter(([k]) => !skip.includes(k)));
}

/** Whether any secret-carrying input of a target is still unknown (preview of a computed value). */
function secretInputUnknown(r: PolicyResource): boolean {
    for (const input of SECRET_INPUTS[r.type] ?? []) {
        const v = read(r.props, input);
        if (v === UNKNOWN) return true;
        if (r.type === TYPE_COMMAND && v && typeof v === "object") {
            if (keysOf(v).some((k) => read(v, k) === UNKNOWN)) return true;
        }
    }
    return false;
}

/** Every resource this one depends on, directly or transitively (dependencies and property dependencies). */
export function transitiveDependencies(r: PolicyResource): PolicyResource[] {
    const seen = new Set<PolicyResource>();
    const queue: PolicyResource[] = [r];
    while (queue.length) {
        const current = queue.shift()!;
        const next = [...(current.dependencies ?? []), ...Object.values(current.propertyDependencies ?? {}).flat()];
        for (const d of next) {
            if (d && !seen.has(d) && d !== r) {
                seen.add(d);
                queue.push(d);
            }
        }
    }
    return [...seen];
}

function short(r: PolicyResource): string {
    return `"${r.name}"`;
}

export const validatedBeforeFanoutPolicy: StackValidationPolicy = {
    name: VALIDATED_BEFORE_FANOUT_POLICY,
    description:
        "Every resource that carries the Anthropic key depends (directly or transitively) on a KeyValidation of the same key (same fingerprint), so nothing is written before the key is proven to work.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Make each target depend on the KeyValidation of the key it carries: take the value from the validation's output or pass `dependsOn: [validation]`.",
    validateStack: (args, reportViolation) => validateFanout(args, reportViolation),
};

export function validateFanout(args: StackValidationArgs, reportViolation: ReportViolation): void {
    const resources = args.resources;
    const allKeys = [...new Set(resources.flatMap((r) => keysInResource(r.props, r.name)))];
    const report = safeReporter(reportViolation, allKeys);

    // What each KeyValidation validates.
    const validations = resources.filter((r) => r.type === TYPE_KEY_VALIDATION);
    const validated = new Map<PolicyResource, string | undefined>();
    for (const kv of validations) {
        const declared = readString(kv.props, "fingerprint");
        const apiKey = readString(kv.props, "apiKey");
        const keys = typeof apiKey === "string" ? keysIn(apiKey) : [];
        const computed = keys.length === 1 ? fingerprint(keys[0]!) : undefined;
        if (computed && typeof declared === "string" && declared !== computed) {
            report(
                `${describeResource(kv)}: its \`fingerprint\` input (${declared}) is not the fingerprint of the key it validates (${computed}). ` +
                    "Fix: the program must compute the fingerprint from the same key value (components/domain fingerprint()).",
                kv.urn,
            );
        }
        validated.set(kv, computed ?? (isFingerprint(declared) ? declared : undefined));
    }

    for (const r of resources) {
        if (r.type === TYPE_KEY_VALIDATION) continue;
        const carried = [...new Set(keysInResource(fannedOutProps(r)).map((k) => fingerprint(k)))];
        const declared = readString(r.props, "fingerprint");
        const isTarget = SECRET_INPUTS[r.type] !== undefined;
        let unknownKey = false;
        if (isTarget && carried.length === 0) {
            if (isFingerprint(declared) && (r.type === TYPE_HEROKU_CONFIG_VARS || r.type === TYPE_INFISICAL_SECRET)) carried.push(declared);
            else unknownKey = secretInputUnknown(r);
        } else if (isTarget && typeof declared === "string" && isFingerprint(declared) && !carried.includes(declared)) {
            report(
                `${describeResource(r)}: its \`fingerprint\` input (${declared}) is not the fingerprint of the key it carries (${carried.join(", ")}). ` +
                    "Fix: compute the fingerprint from the same key value the target receives.",
                r.urn,
            );
        }
        if (carried.length === 0 && !unknownKey) continue;

        const upstream = transitiveDependencies(r).filter((d) => d.type === TYPE_KEY_VALIDATION);
        if (unknownKey) {
            if (upstream.length === 0) {
                report(
                    `${describeResource(r)} will receive a key (not known until the update) but depends on no KeyValidation, so it could be written before the key is validated. ` +
                        "Fix: take the value from the KeyValidation's output or add `dependsOn: [validation]`.",
                    r.urn,
                );
            }
            continue;
        }
        for (const fp of carried) {
            if (upstream.some((kv) => validated.get(kv) === fp)) continue;
            const elsewhere = validations.filter((kv) => validated.get(kv) === fp);
            let why: string;
            if (upstream.length === 0) {
                why = "depends on no KeyValidation";
            } else {
                const list = upstream.map((kv) => `${short(kv)} (${validated.get(kv) ?? "fingerprint unknown"})`).join(", ");
                why = `depends only on KeyValidation ${list}, which validate${upstream.length === 1 ? "s" : ""} a different key`;
            }
            const hint = elsewhere.length
                ? ` The stack validates that key in ${elsewhere.map(short).join(", ")}: make this resource depend on it.`
                : " No KeyValidation in this stack validates that key.";
            report(
                `${describeResource(r)} carries key ${fp} but ${why}, so it could be written before that key is proven to work.${hint} ` +
                    "Fix: take the value from the KeyValidation's output or add `dependsOn: [validation]`; never fan out a key no KeyValidation checked.",
                r.urn,
            );
        }
    }
}
