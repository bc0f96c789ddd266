/**
 * anthropic-key-validation-cost (advisory): validation calls cost money (SOP, "Known gotchas"), so a
 * Messages-mode validation uses one of the cheapest models (default claude-haiku-4-5 and its dated variants)
 * and max_tokens of 10 or less. Models-mode validation (GET /v1/models) costs nothing and is not checked.
 */
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { TYPE_KEY_VALIDATION } from "../../components/domain";
import { ConfigSpec, describeResource, keysInResource, readNumber, readString, resolveConfig, safeReporter, UNKNOWN } from "./common";

export const VALIDATION_COST_POLICY = "anthropic-key-validation-cost";

export const DEFAULT_ALLOWED_MODELS: readonly string[] = ["claude-haiku-4-5"];
export const DEFAULT_MAX_VALIDATION_TOKENS = 10;

export interface ValidationCostConfig {
    readonly allowedModels: readonly string[];
    readonly allowDatedVariants: boolean;
    readonly maxTokens: number;
}

export const validationCostConfig: ConfigSpec<ValidationCostConfig> = {
    policy: VALIDATION_COST_POLICY,
    properties: {
        allowedModels: {
            type: "array",
            description: "The cheapest models a validation call may use (model ids or aliases).",
            items: { type: "string", minLength: 1 },
            minItems: 1,
            default: [...DEFAULT_ALLOWED_MODELS],
        },
        allowDatedVariants: {
            type: "boolean",
            description: "Also allow the dated snapshots of the allowed models, e.g. claude-haiku-4-5-20251001.",
            default: true,
        },
        maxTokens: {
            type: "integer",
            minimum: 1,
            maximum: 4096,
            description: "The largest max_tokens a validation call may ask for.",
            default: DEFAULT_MAX_VALIDATION_TOKENS,
        },
    },
};

function escape(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function modelAllowed(model: string, config: ValidationCostConfig): boolean {
    if (config.allowedModels.includes(model)) return true;
    return config.allowDatedVariants && config.allowedModels.some((m) => new RegExp(`^${escape(m)}-\\d{8}$`).test(model));
}

export const validationCostPolicy: ResourceValidationPolicy = {
    name: VALIDATION_COST_POLICY,
    description: "Key validation uses one of the cheapest models (default claude-haiku-4-5) and max_tokens of 10 or less.",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps: "Set `validation: { model: claude-haiku-4-5, maxTokens: 10 }` in the stack config, or `mode: models`, which costs nothing.",
    configSchema: { properties: validationCostConfig.properties },
    validateResource: (args, reportViolation) => validateValidationCost(args, reportViolation),
};

export function validateValidationCost(args: ResourceValidationArgs, reportViolation: ReportViolation): void {
    if (args.type !== TYPE_KEY_VALIDATION) return;
    const config = resolveConfig(validationCostConfig, args.getConfig());
    const report = safeReporter(reportViolation, keysInResource(args.props, args.name));
    const who = describeResource(args);
    const mode = readString(args.props, "mode");
    if (mode === UNKNOWN || mode === "models") return;
    const model = readString(args.props, "model");
    const maxTokens = readNumber(args.props, "maxTokens");
    const allowed = config.allowedModels.join(", ");
    if (model !== UNKNOWN) {
        if (!model) {
            report(`${who}: the validation call names no \`model\`. Fix: set validation.model to one of ${allowed} in the stack config.`);
        } else if (!modelAllowed(model, config)) {
            report(
                `${who}: the validation call uses \`model\` "${model}", which is not among the cheapest models (${allowed}${config.allowDatedVariants ? " and their dated variants" : ""}). ` +
                    `Fix: set validation.model to ${config.allowedModels[0]} in the stack config (or validation.mode to models, which costs nothing).`,
            );
        }
    }
    if (typeof maxTokens === "number" && maxTokens > config.maxTokens) {
        report(
            `${who}: the validation call asks for \`maxTokens\` ${maxTokens}; a validation ping needs at most ${config.maxTokens}. ` +
                `Fix: set validation.maxTokens to ${config.maxTokens} or less in the stack config.`,
        );
    }
}
