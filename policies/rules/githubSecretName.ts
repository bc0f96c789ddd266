/**
 * github-secret-name (mandatory): GitHub Actions secrets that carry the key obey GitHub's naming rules
 * (components/domain/names.ts) and the house convention ANTHROPIC_API_KEY or ANTHROPIC_API_KEY_<ENV>
 * (configurable).
 */
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { followsNameConvention, GITHUB_SECRET_TYPES, githubSecretNameProblem } from "../../components/domain";
import { ConfigSpec, describeResource, hasKeyMaterial, keysInResource, read, readString, resolveConfig, safeReporter, UNKNOWN } from "./common";
import { CONVENTION, conventionFix } from "./naming";

export const GITHUB_SECRET_NAME_POLICY = "github-secret-name";

export interface GithubSecretNameConfig {
    readonly convention: string;
    readonly conventionAppliesTo: "key-carriers" | "all";
}

export const githubSecretNameConfig: ConfigSpec<GithubSecretNameConfig> = {
    policy: GITHUB_SECRET_NAME_POLICY,
    properties: {
        convention: CONVENTION,
        conventionAppliesTo: {
            type: "string",
            enum: ["key-carriers", "all"],
            description:
                "key-carriers: the convention applies to secrets whose value is an Anthropic key (or not known yet); all: to every GitHub Actions secret in the stack. GitHub's own rules always apply.",
            default: "key-carriers",
        },
    },
};

export const githubSecretNamePolicy: ResourceValidationPolicy = {
    name: GITHUB_SECRET_NAME_POLICY,
    description: "GitHub Actions secrets that carry the key obey GitHub's naming rules and are named ANTHROPIC_API_KEY or ANTHROPIC_API_KEY_<ENV>.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: "Rename the secret in the stack's targets.github entry (secretName), e.g. ANTHROPIC_API_KEY or ANTHROPIC_API_KEY_PROD.",
    configSchema: { properties: githubSecretNameConfig.properties },
    validateResource: (args, reportViolation) => validateGithubSecretName(args, reportViolation),
};

export function validateGithubSecretName(args: ResourceValidationArgs, reportViolation: ReportViolation): void {
    if (!GITHUB_SECRET_TYPES.includes(args.type)) return;
    const config = resolveConfig(githubSecretNameConfig, args.getConfig());
    const report = safeReporter(reportViolation, keysInResource(args.props, args.name));
    const who = describeResource(args);
    const name = readString(args.props, "secretName");
    if (name === UNKNOWN) return;
    if (!name) {
        report(`${who}: the \`secretName\` input is missing. Fix: set secretName in the stack's targets.github entry (${conventionFix(config.convention)}).`);
        return;
    }
    if (hasKeyMaterial(name)) {
        report(`${who}: \`secretName\` holds an Anthropic key instead of a name. Fix: set secretName to ANTHROPIC_API_KEY; treat the key as exposed.`);
        return;
    }
    const problem = githubSecretNameProblem(name);
    if (problem) report(`${who}: \`secretName\` "${name}" is not a valid GitHub secret name: ${problem}. Fix: ${conventionFix(config.convention)}.`);
    if (config.conventionAppliesTo === "key-carriers") {
        const values = ["plaintextValue", "value"].map((k) => read(args.props, k));
        const carries = values.some((v) => v === UNKNOWN || (typeof v === "string" && hasKeyMaterial(v)));
        if (!carries) return;
    }
    if (!followsNameConvention(name, config.convention)) {
        report(`${who}: \`secretName\` "${name}" does not follow the naming convention ${config.convention}. Fix: ${conventionFix(config.convention)}.`);
    }
}
