/**
 * heroku-config-var-name (mandatory): Heroku config vars that carry the key obey Heroku's naming rules
 * (components/domain/names.ts) and the house convention ANTHROPIC_API_KEY or ANTHROPIC_API_KEY_<ENV>
 * (configurable).
 */
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { followsNameConvention, herokuVarNameProblem, TYPE_HEROKU_CONFIG_VARS } from "../../components/domain";
import { ConfigSpec, describeResource, hasKeyMaterial, keysInResource, read, resolveConfig, safeReporter, UNKNOWN } from "./common";
import { CONVENTION, conventionFix } from "./naming";

export const HEROKU_CONFIG_VAR_NAME_POLICY = "heroku-config-var-name";

export interface HerokuConfigVarNameConfig {
    readonly convention: string;
}

export const herokuConfigVarNameConfig: ConfigSpec<HerokuConfigVarNameConfig> = {
    policy: HEROKU_CONFIG_VAR_NAME_POLICY,
    properties: { convention: CONVENTION },
};

export const herokuConfigVarNamePolicy: ResourceValidationPolicy = {
    name: HEROKU_CONFIG_VAR_NAME_POLICY,
    description: "Heroku config vars that carry the key obey Heroku's naming rules and are named ANTHROPIC_API_KEY or ANTHROPIC_API_KEY_<ENV>.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: "Rename the var in the stack's targets.heroku entry (vars), e.g. ANTHROPIC_API_KEY or ANTHROPIC_API_KEY_AGENTS.",
    configSchema: { properties: herokuConfigVarNameConfig.properties },
    validateResource: (args, reportViolation) => validateHerokuConfigVarName(args, reportViolation),
};

export function validateHerokuConfigVarName(args: ResourceValidationArgs, reportViolation: ReportViolation): void {
    if (args.type !== TYPE_HEROKU_CONFIG_VARS) return;
    const config = resolveConfig(herokuConfigVarNameConfig, args.getConfig());
    const report = safeReporter(reportViolation, keysInResource(args.props, args.name));
    const who = describeResource(args);
    const vars = read(args.props, "vars");
    if (vars === UNKNOWN) return;
    if (!Array.isArray(vars) || vars.length === 0) {
        report(`${who}: the \`vars\` input names no config var. Fix: list the var names in the stack's targets.heroku entry, e.g. vars: [ANTHROPIC_API_KEY].`);
        return;
    }
    for (let i = 0; i < vars.length; i++) {
        const name = read(vars, i);
        if (name === UNKNOWN) continue;
        if (typeof name !== "string") {
            report(`${who}: \`vars[${i}]\` is not a name. Fix: list config var names as strings, e.g. vars: [ANTHROPIC_API_KEY].`);
            continue;
        }
        if (hasKeyMaterial(name)) {
            report(`${who}: \`vars[${i}]\` holds an Anthropic key instead of a config var name. Fix: list the var's name (ANTHROPIC_API_KEY); treat the key as exposed.`);
            continue;
        }
        const problem = herokuVarNameProblem(name);
        if (problem) report(`${who}: config var \`vars[${i}]\` "${name}" is not a valid Heroku config var name: ${problem}. Fix: ${conventionFix(config.convention)}.`);
        else if (!followsNameConvention(name, config.convention)) {
            report(`${who}: config var \`vars[${i}]\` "${name}" does not follow the naming convention ${config.convention}. Fix: ${conventionFix(config.convention)}.`);
        }
    }
}
