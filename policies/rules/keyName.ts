/**
 * anthropic-key-name (mandatory): the key's Console name follows `{project}-{environment}-{purpose}-{YYYY-MM-DD}`
 * (security policy §4.2), its environment token is the stack's environment, and the date is a real day that is
 * not in the future. The parsing rules are components/domain/keyName.ts.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { echoableKeyName, KeyNameProblem, parseKeyName, TYPE_KEY_VALIDATION } from "../../components/domain";
import {
    ConfigSpec,
    describeResource,
    hasKeyMaterial,
    keysInResource,
    readString,
    resolveConfig,
    safeReporter,
    stackContext,
    UNKNOWN,
} from "./common";
import { canonicalEnvironment, knownEnvironment } from "./environments";

export const KEY_NAME_POLICY = "anthropic-key-name";

export interface KeyNameConfig {
    readonly projectPattern: string;
    readonly purposePattern: string;
    readonly checkStackName: boolean;
}

const WORDS = "^[a-z0-9]+(-[a-z0-9]+)*$";

export const keyNameConfig: ConfigSpec<KeyNameConfig> = {
    policy: KEY_NAME_POLICY,
    properties: {
        projectPattern: {
            type: "string",
            format: "regex",
            minLength: 1,
            description: "Regular expression the {project} part must match, e.g. \"^raxx$\". Default: lower-case words joined by '-'.",
            default: WORDS,
        },
        purposePattern: {
            type: "string",
            format: "regex",
            minLength: 1,
            description: "Regular expression the {purpose} part must match, e.g. \"^(agents|api|rotation)$\". Default: lower-case words joined by '-'.",
            default: WORDS,
        },
        checkStackName: {
            type: "boolean",
            description:
                "Also compare the KeyValidation's environment with the stack: its `environment` config when set, otherwise the stack " +
                "name when that is an environment name (prod, production, staging, dev…).",
            default: true,
        },
    },
};

const EXAMPLE = "raxx-prod-agents-2026-11-23";

function fixFor(problem: KeyNameProblem, environment: string): string {
    switch (problem.kind) {
        case "format":
            return `name the key {project}-{environment}-{purpose}-{YYYY-MM-DD} in the Anthropic Console (e.g. ${EXAMPLE}) and set that name: pulumi config set keyName <name> -s <stack>`;
        case "environment-mismatch":
            return `every environment has its own key (security policy §9.1): create a key named for "${environment}" and use it in this stack, or run this key through the stack of its own environment`;
        case "impossible-date":
        case "future-date":
            return "the date is the day the key was created in the Console; correct keyName (pulumi config set keyName <name> -s <stack>)";
    }
}

export const keyNamePolicy: ResourceValidationPolicy = {
    name: KEY_NAME_POLICY,
    description:
        "The Anthropic key's Console name is {project}-{environment}-{purpose}-{YYYY-MM-DD}; its environment is the stack's, and its date is real and not in the future.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps:
        "Create the key in the Anthropic Console under a conforming name (e.g. raxx-prod-agents-2026-11-23), then `pulumi config set keyName <name> -s <stack>`.",
    configSchema: { properties: keyNameConfig.properties },
    validateResource: (args, reportViolation) => {
        if (args.type !== TYPE_KEY_VALIDATION) return;
        const config = resolveConfig(keyNameConfig, args.getConfig());
        const report = safeReporter(reportViolation, keysInResource(args.props, args.name));
        const who = describeResource(args);
        const keyName = readString(args.props, "keyName");
        const environment = readString(args.props, "environment");
        if (keyName === UNKNOWN || environment === UNKNOWN) return; // judged once the values are known

        if (!keyName) {
            report(`${who}: the \`keyName\` input is missing. Fix: set the key's Console name with \`pulumi config set keyName <name> -s <stack>\`, e.g. ${EXAMPLE}.`);
            return;
        }
        if (hasKeyMaterial(keyName)) {
            report(
                `${who}: the \`keyName\` input holds an Anthropic key value instead of the key's Console name. ` +
                    "Fix: treat that key as exposed and rotate it; set keyName to the key's Console name (pulumi config set keyName <name> -s <stack>).",
            );
            return;
        }
        if (!environment) {
            report(`${who}: the \`environment\` input is missing, so the key name cannot be checked against the stack's environment. Fix: set \`environment\` in the stack config (it defaults to the stack name).`);
            return;
        }

        // The name is quoted only when it has nothing but the convention's characters: a name with anything else
        // may carry a pasted key tail, and the problem messages say which part is wrong without quoting it whole.
        const shown = echoableKeyName(keyName);
        const subject = shown !== undefined ? `\`keyName\` "${shown}"` : "`keyName`";
        const parsed = parseKeyName(keyName, { expectedEnvironment: environment });
        if (!parsed.ok) {
            for (const problem of parsed.problems) {
                report(`${who}: ${subject}: ${problem.message}. Fix: ${fixFor(problem, environment)}.`);
            }
        } else {
            const { project, purpose } = parsed.name;
            if (!new RegExp(config.projectPattern).test(project)) {
                report(
                    `${who}: ${subject}: the project part "${project}" does not match the allowed pattern ${config.projectPattern}. ` +
                        `Fix: create the key under this organisation's project name, or change projectPattern in the policy config.`,
                );
            }
            if (!new RegExp(config.purposePattern).test(purpose)) {
                report(
                    `${who}: ${subject}: the purpose part "${purpose}" does not match the allowed pattern ${config.purposePattern}. ` +
                        `Fix: name the key for one of the allowed purposes, or change purposePattern in the policy config.`,
                );
            }
        }

        if (config.checkStackName) {
            const ctx = stackContext();
            const stack = ctx.stack?.split("/").pop();
            if (ctx.configEnvironment !== undefined) {
                if (canonicalEnvironment(ctx.configEnvironment) !== canonicalEnvironment(environment)) {
                    report(
                        `${who}: the \`environment\` input is "${environment}" but the stack's environment config is "${ctx.configEnvironment}". ` +
                            "Fix: the KeyValidation must take its environment from the stack config; check the program wiring.",
                    );
                }
            } else if (stack !== undefined && knownEnvironment(stack) !== undefined && knownEnvironment(stack) !== canonicalEnvironment(environment)) {
                report(
                    `${who}: the \`environment\` input is "${environment}" but this is the "${stack}" stack. ` +
                        `Fix: run this key through the stack of its own environment, or set \`environment\` for this stack deliberately.`,
                );
            }
        }
    },
};
