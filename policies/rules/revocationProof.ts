/**
 * anthropic-key-revocation-proof (advisory): in a prod stack, a revocation (verify or deactivate) should rest on
 * proof that the consumers use the NEW key, not just on answers that any valid key would give: both keys are
 * valid until the revocation, so `anthropic.ok == true` passes on a dyno still running the old key. Proof is a
 * health check whose condition compares the fingerprint the consumer reports with `$fingerprint`, or the usage
 * cut-over (`cutover`, on by default, needs ANTHROPIC_ADMIN_API_KEY at run time). Without either, this warns.
 */
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { TYPE_PREVIOUS_KEY_REVOCATION } from "../../components/domain";
import { ConfigSpec, describeResource, keysInResource, read, readString, resolveConfig, safeReporter, UNKNOWN } from "./common";
import { DEFAULT_ENVIRONMENT_ALIASES } from "./environments";
import { stackEnvironment } from "./environmentIsolation";

export const REVOCATION_PROOF_POLICY = "anthropic-key-revocation-proof";
/** What a fingerprint-proving condition compares with (components/health/condition.ts). */
const FINGERPRINT_PLACEHOLDER = "$fingerprint";

export interface RevocationProofConfig {
    /** Canonical environments whose revocations must rest on proof of the new key. */
    readonly environments: readonly string[];
}

export const revocationProofConfig: ConfigSpec<RevocationProofConfig> = {
    policy: REVOCATION_PROOF_POLICY,
    properties: {
        environments: {
            type: "array",
            description: "Environments (canonical names) whose revocation should rest on a fingerprint-proving health check or the usage cut-over.",
            items: { type: "string", minLength: 1 },
            default: ["prod"],
        },
    },
};

/** true / false, or undefined while a preview does not know. */
function provesNewKey(props: unknown): boolean | undefined {
    const checks = read(props, "healthChecks");
    const cutover = read(props, "cutover");
    if (checks === UNKNOWN || cutover === UNKNOWN) return undefined;
    let fingerprintCheck = false;
    try {
        fingerprintCheck = Array.isArray(checks) && checks.some((c) => typeof readString(c, "expect") === "string" && String(readString(c, "expect")).includes(FINGERPRINT_PLACEHOLDER));
    } catch {
        return undefined;
    }
    let cutoverOn = false;
    try {
        cutoverOn = !!cutover && typeof cutover === "object" && read(cutover, "enabled") !== false;
    } catch {
        return undefined;
    }
    return fingerprintCheck || cutoverOn;
}

export function validateRevocationProof(args: ResourceValidationArgs, reportViolation: ReportViolation): void {
    if (args.type !== TYPE_PREVIOUS_KEY_REVOCATION) return;
    const mode = readString(args.props, "mode") ?? "verify";
    if (mode === "none" || mode === UNKNOWN) return;
    const config = resolveConfig(revocationProofConfig, args.getConfig());
    const stack = stackEnvironment(DEFAULT_ENVIRONMENT_ALIASES);
    if (!stack || !config.environments.includes(stack.env)) return;
    if (provesNewKey(args.props) !== false) return;
    const report = safeReporter(reportViolation, keysInResource(args.props, args.name));
    report(
        `${describeResource(args)}: the ${stack.env} stack revokes the previous key (revocation ${mode}) with nothing that proves the consumers run on the new key: ` +
            `no health check compares the fingerprint the consumer reports (expect: … == ${FINGERPRINT_PLACEHOLDER}) and the usage cut-over is off. ` +
            `Both keys are valid until the revocation, so a health check that passes on any valid key says nothing about a dyno still on the old one. ` +
            `Fix: add a health check on an endpoint that reports the fingerprint of the key it uses, e.g. expect: anthropic.keyFingerprint == ${FINGERPRINT_PLACEHOLDER}, ` +
            `or turn the cut-over proof on (remove cutover: false; it needs ANTHROPIC_ADMIN_API_KEY).`,
    );
}

export const revocationProofPolicy: ResourceValidationPolicy = {
    name: REVOCATION_PROOF_POLICY,
    description: "A prod revocation rests on proof that the consumers use the new key: a health check that asserts $fingerprint, or the usage cut-over.",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps: `Add a health check with expect: <path> == ${FINGERPRINT_PLACEHOLDER}, or keep cutover on (it is on by default; it needs ANTHROPIC_ADMIN_API_KEY).`,
    configSchema: { properties: revocationProofConfig.properties },
    validateResource: (args, reportViolation) => validateRevocationProof(args, reportViolation),
};
