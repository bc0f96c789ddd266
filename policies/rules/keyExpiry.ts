/**
 * The key's own expiry as a backstop for a forgotten rotation (issue 14 §1), from the KeyValidation resource:
 * its input `requireExpiry` (validation.requireExpiry) and, where the engine hands the policy the resource's
 * outputs, `expiresAt` (the Admin API's `expires_at`: RFC 3339, or null when the key never expires). The due date
 * is the age policy's (anthropic-key-max-age's limits), the windows those of components/domain/keyExpiry.ts.
 *
 * - anthropic-key-expiry (mandatory): in the configured environments (default prod) `requireExpiry` is mandatory;
 *   a key that expires before its due date plus the margin; and, under mandatory, one that never expires or
 *   expires long after its due date.
 * - anthropic-key-expiry-advisory (advisory): the same never / too-late key under `requireExpiry: advisory`.
 *
 * Without `expiresAt` (admin checks skipped, or inputs only, as in a preview) only the first rule can judge.
 */
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { defaultRequireExpiry, EXPIRY_BACKSTOP_DAYS, EXPIRY_MARGIN_DAYS, judgeExpiry, suggestedExpiry, TYPE_KEY_VALIDATION } from "../../components/domain";
import { enforcedAgeConfigOrDefault, keyAgeOf } from "./age";
import { ConfigSpec, describeResource, keysInResource, read, readString, resolveConfig, safeReporter, UNKNOWN } from "./common";
import { canonicalEnvironment } from "./environments";

export const KEY_EXPIRY_POLICY = "anthropic-key-expiry";
export const KEY_EXPIRY_ADVISORY_POLICY = "anthropic-key-expiry-advisory";

export interface KeyExpiryConfig {
    /** Canonical environments whose KeyValidation must run with `requireExpiry: mandatory`. */
    readonly environments: readonly string[];
}

export const keyExpiryConfig: ConfigSpec<KeyExpiryConfig> = {
    policy: KEY_EXPIRY_POLICY,
    properties: {
        environments: {
            type: "array",
            description: "Environments (canonical names) whose key validation must treat a missing or late key expiry as an error (validation.requireExpiry: mandatory).",
            items: { type: "string", minLength: 1 },
            default: ["prod"],
        },
    },
};

type ExpiryFinding = { level: "mandatory" | "advisory"; message: string };

/** Every finding for one KeyValidation, by the level of the policy that reports it. Pure but for `now`. */
export function keyExpiryFindings(args: ResourceValidationArgs, config: KeyExpiryConfig, now: Date = new Date()): ExpiryFinding[] {
    if (args.type !== TYPE_KEY_VALIDATION) return [];
    const who = describeResource(args);
    const environment = readString(args.props, "environment");
    const given = readString(args.props, "requireExpiry");
    if (environment === UNKNOWN || given === UNKNOWN || !environment) return [];
    const requireExpiry = given ?? defaultRequireExpiry(environment);
    const findings: ExpiryFinding[] = [];
    const canonical = canonicalEnvironment(environment);
    if (config.environments.includes(canonical) && requireExpiry !== "mandatory") {
        findings.push({
            level: "mandatory",
            message:
                `${who}: the ${environment} key is validated with validation.requireExpiry "${requireExpiry}", so a key that never expires would pass with a warning; ` +
                `in ${canonical} the key's expiry must be a backstop for a forgotten rotation. Fix: remove validation.requireExpiry from the stack config ` +
                "(the default for prod is mandatory) or set it: pulumi config set --path validation.requireExpiry mandatory -s <stack>.",
        });
    }
    const expiresAt = read(args.props, "expiresAt");
    if (expiresAt === UNKNOWN || expiresAt === undefined || (expiresAt !== null && typeof expiresAt !== "string")) return findings;
    const age = keyAgeOf(args.props, enforcedAgeConfigOrDefault(), now);
    if (age.kind !== "known") return findings;
    const { createdAt } = age;
    const { maxAgeDays } = age.status;
    const verdict = judgeExpiry(createdAt, maxAgeDays, expiresAt);
    const subject = `${who}: the ${environment} key${age.keyName ? ` "${age.keyName}"` : ""}`;
    const window = `a custom expiry ${EXPIRY_MARGIN_DAYS} to ${EXPIRY_BACKSTOP_DAYS} days after its due date (e.g. ${suggestedExpiry(createdAt, maxAgeDays)})`;
    const rotate = `create the next key in the Anthropic Console with ${window}, set apiKey and keyName, then \`pulumi up\``;
    if (verdict.kind === "too-early") {
        findings.push({
            level: "mandatory",
            message:
                `${subject} expires on ${verdict.expiresOn}, before its rotation is due on ${verdict.dueDate} (${createdAt} + ${maxAgeDays} days) plus ${EXPIRY_MARGIN_DAYS} days: ` +
                `every consumer gets 401 before the rotation. Fix: rotate it before ${verdict.expiresOn} — ${rotate} — or lower maxAgeDays so the rotation falls due in time.`,
        });
    } else if (verdict.kind === "never" || verdict.kind === "too-late") {
        const what =
            verdict.kind === "never"
                ? "never expires (expiresAt null)"
                : `expires on ${verdict.expiresOn}, more than ${EXPIRY_BACKSTOP_DAYS} days after its due date ${verdict.dueDate}`;
        findings.push({
            level: requireExpiry === "mandatory" ? "mandatory" : "advisory",
            message:
                `${subject} ${what}, so its expiry is no backstop for a forgotten rotation (validation.requireExpiry is ${requireExpiry}). ` +
                `Fix: ${rotate}.${requireExpiry === "mandatory" ? " Or accept it with a warning: pulumi config set --path validation.requireExpiry advisory -s <stack> (not in prod)." : ""}`,
        });
    }
    return findings;
}

function report(level: "mandatory" | "advisory", args: ResourceValidationArgs, reportViolation: ReportViolation, config: KeyExpiryConfig, now: Date): void {
    const safe = safeReporter(reportViolation, keysInResource(args.props, args.name));
    for (const f of keyExpiryFindings(args, config, now)) if (f.level === level) safe(f.message);
}

export function validateKeyExpiry(args: ResourceValidationArgs, reportViolation: ReportViolation, now: Date = new Date()): void {
    if (args.type !== TYPE_KEY_VALIDATION) return;
    report("mandatory", args, reportViolation, resolveConfig(keyExpiryConfig, args.getConfig()), now);
}

export function validateKeyExpiryAdvisory(args: ResourceValidationArgs, reportViolation: ReportViolation, now: Date = new Date()): void {
    if (args.type !== TYPE_KEY_VALIDATION) return;
    report("advisory", args, reportViolation, { environments: [] }, now);
}

export const keyExpiryPolicy: ResourceValidationPolicy = {
    name: KEY_EXPIRY_POLICY,
    description: "The key's own expiry backs up the rotation: prod validates with requireExpiry mandatory, and the key neither expires before its due date nor never.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Create the key in the Anthropic Console with a custom expiry a week to a month after its rotation due date, and keep validation.requireExpiry mandatory in prod.",
    configSchema: { properties: keyExpiryConfig.properties },
    validateResource: (args, reportViolation) => validateKeyExpiry(args, reportViolation),
};

export const keyExpiryAdvisoryPolicy: ResourceValidationPolicy = {
    name: KEY_EXPIRY_ADVISORY_POLICY,
    description: "Warns when a key validated with requireExpiry advisory never expires or expires long after its rotation due date.",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps: "Create the next key with a custom expiry a week to a month after its rotation due date, or set validation.requireExpiry mandatory.",
    validateResource: (args, reportViolation) => validateKeyExpiryAdvisory(args, reportViolation),
};
