/**
 * anthropic-key-max-age (mandatory): the key is no older than the limit for its environment. Defaults follow
 * the SOP (Anthropic's 90-day advice) — prod 90, staging 90, dev 365 (security policy §9.2) — and are
 * configurable per environment, since the security policy itself says 180 (§5.1).
 */
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { TYPE_KEY_VALIDATION } from "../../components/domain";
import { AGE_CONFIG_PROPERTIES, AgeConfig, keyAgeOf, rememberEnforcedAgeConfig } from "./age";
import { ConfigSpec, describeResource, keysInResource, resolveConfig, safeReporter } from "./common";

export const MAX_AGE_POLICY = "anthropic-key-max-age";

export type MaxAgeConfig = AgeConfig;

export const maxAgeConfig: ConfigSpec<MaxAgeConfig> = {
    policy: MAX_AGE_POLICY,
    properties: AGE_CONFIG_PROPERTIES,
};

const ROTATE =
    "create a new key in the Anthropic Console, `pulumi config set --secret apiKey -s <stack>` (paste at the prompt) and " +
    "`pulumi config set keyName <new name> -s <stack>`, then `pulumi up`";

export const maxAgePolicy: ResourceValidationPolicy = {
    name: MAX_AGE_POLICY,
    description: "The Anthropic key is no older than the maximum age for its environment (defaults: prod 90, staging 90, dev 365 days).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: `Rotate the key: ${ROTATE}.`,
    configSchema: { properties: maxAgeConfig.properties },
    validateResource: (args, reportViolation) => validateMaxAge(args, reportViolation),
};

/** The check itself; `now` is the reference date (tests fix it). */
export function validateMaxAge(args: ResourceValidationArgs, reportViolation: ReportViolation, now: Date = new Date()): void {
    if (args.type !== TYPE_KEY_VALIDATION) return;
    const config = resolveConfig(maxAgeConfig, args.getConfig());
    rememberEnforcedAgeConfig(config);
    const report = safeReporter(reportViolation, keysInResource(args.props, args.name));
    const who = describeResource(args);
    const age = keyAgeOf(args.props, config, now);
    if (age.kind === "unknown") return;
    if (age.kind === "undetermined") {
        report(
            `${who}: ${age.reason}, so the key cannot be shown to be within its maximum age. ` +
                "Fix: set `environment` and a conforming keyName ending in the key's creation date (YYYY-MM-DD) in the stack config.",
        );
        return;
    }
    const s = age.status;
    if (s.daysLeft < 0) {
        report(
            `${who}: the ${age.environment} key${age.keyName ? ` "${age.keyName}"` : ""} is ${s.ageDays} days old (created ${age.from}); ` +
                `the maximum for ${age.environment} is ${s.maxAgeDays} days, so it was due on ${s.dueDate}, ${-s.daysLeft} day(s) ago. ` +
                `Fix: rotate it now — ${ROTATE}.`,
        );
    }
}
