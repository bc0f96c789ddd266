/**
 * anthropic-key-rotation-due (advisory): the reminders of security policy §5.1 — a warning when 14 days or
 * fewer remain before the key reaches its maximum age, and an escalated one at 7 or fewer. Scheduled CI
 * previews turn these into the rotation reminders. Once the limit has passed, anthropic-key-max-age
 * (mandatory) takes over and this policy stays quiet. The limits are anthropic-key-max-age's unless this
 * policy is given its own maxAgeDays / otherEnvironmentsMaxAgeDays.
 */
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { DUE_SOON_DAYS, DUE_URGENT_DAYS, TYPE_KEY_VALIDATION } from "../../components/domain";
import { AgeConfig, enforcedAgeConfigOrDefault, INHERITED_AGE_CONFIG_PROPERTIES, keyAgeOf } from "./age";
import { ConfigSpec, describeResource, keysInResource, resolveConfig, safeReporter } from "./common";

export const ROTATION_DUE_POLICY = "anthropic-key-rotation-due";

export interface RotationDueConfig extends Partial<AgeConfig> {
    readonly warnDays: number;
    readonly urgentDays: number;
}

export const rotationDueConfig: ConfigSpec<RotationDueConfig> = {
    policy: ROTATION_DUE_POLICY,
    properties: {
        warnDays: {
            type: "integer",
            minimum: 1,
            maximum: 365,
            description: "Warn when this many days or fewer remain before the key reaches its maximum age.",
            default: DUE_SOON_DAYS,
        },
        urgentDays: {
            type: "integer",
            minimum: 0,
            maximum: 365,
            description: "Escalate the warning when this many days or fewer remain. Must not exceed warnDays.",
            default: DUE_URGENT_DAYS,
        },
        ...INHERITED_AGE_CONFIG_PROPERTIES,
    },
    check: (c) => (c.urgentDays > c.warnDays ? [`urgentDays (${c.urgentDays}) must not exceed warnDays (${c.warnDays})`] : []),
};

export const rotationDuePolicy: ResourceValidationPolicy = {
    name: ROTATION_DUE_POLICY,
    description: "Reminds that the Anthropic key must be rotated soon: 14 days or fewer before its maximum age, escalated at 7 or fewer.",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps:
        "Plan the rotation: create the new key in the Anthropic Console, set apiKey (secret) and keyName in the stack config, preview, then `pulumi up`.",
    configSchema: { properties: rotationDueConfig.properties },
    validateResource: (args, reportViolation) => validateRotationDue(args, reportViolation),
};

/** The check itself; `now` is the reference date (tests fix it). */
export function validateRotationDue(args: ResourceValidationArgs, reportViolation: ReportViolation, now: Date = new Date()): void {
    if (args.type !== TYPE_KEY_VALIDATION) return;
    const config = resolveConfig(rotationDueConfig, args.getConfig());
    const enforced = enforcedAgeConfigOrDefault();
    const limits: AgeConfig = {
        maxAgeDays: config.maxAgeDays ?? enforced.maxAgeDays,
        otherEnvironmentsMaxAgeDays: config.otherEnvironmentsMaxAgeDays ?? enforced.otherEnvironmentsMaxAgeDays,
    };
    const report = safeReporter(reportViolation, keysInResource(args.props, args.name));
    const age = keyAgeOf(args.props, limits, now);
    if (age.kind !== "known") return; // anthropic-key-max-age reports keys whose age cannot be determined
    const s = age.status;
    if (s.daysLeft < 0 || s.daysLeft > config.warnDays) return;
    const subject = `${describeResource(args)}: the ${age.environment} key${age.keyName ? ` "${age.keyName}"` : ""}`;
    const left = s.daysLeft === 0 ? "today is its last day" : `${s.daysLeft} day(s) left`;
    if (s.daysLeft <= config.urgentDays) {
        report(
            `URGENT: ${subject} reaches its ${s.maxAgeDays}-day limit on ${s.dueDate} — ${left}. After that date every preview fails ` +
                "(anthropic-key-max-age is mandatory). Fix: rotate it this week — create the new key in the Anthropic Console, set apiKey and keyName, `pulumi up`.",
        );
    } else {
        report(
            `${subject} reaches its ${s.maxAgeDays}-day limit on ${s.dueDate} — ${left}. ` +
                "Fix: schedule the rotation (create the new key in the Anthropic Console, set apiKey and keyName, `pulumi up`) before then.",
        );
    }
}
