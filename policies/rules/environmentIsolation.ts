/**
 * anthropic-key-environment-isolation (mandatory, resource policy): security policy §9.1 and §4.1 — each
 * environment has its own key, never shared. A prod stack's targets do not point at other environments'
 * consumers and the reverse, and a stack validates (and so carries) only its own environment's key.
 *
 * It is a resource policy so that a violation stops `pulumi up` before the resource is written: the engine runs
 * resource policies on each resource's inputs before its step, but stack policies only after every step (see the
 * README's policy reference). Each resource is judged on its own, against the stack's environment as the program
 * derives it: the stack's `environment` config, else the stack name (both given to the pack by the engine). A
 * KeyValidation for another environment fails before the key is even validated; a target points at another
 * environment when one of the configured fields contains an environment word: `raxx-api-staging`, GitHub
 * environment `production`, Infisical slug `dev`, `ANTHROPIC_API_KEY_STAGING`…
 */
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import {
    TYPE_COMMAND,
    TYPE_GITHUB_ENV_SECRET,
    TYPE_GITHUB_ORG_SECRET,
    TYPE_GITHUB_REPO_SECRET,
    TYPE_HEROKU_CONFIG_VARS,
    TYPE_INFISICAL_SECRET,
    TYPE_KEY_VALIDATION,
} from "../../components/domain";
import { ConfigSpec, describeResource, keysInResource, keysOf, read, readString, resolveConfig, safeReporter, stackContext } from "./common";
import { canonicalEnvironment, DEFAULT_ENVIRONMENT_ALIASES, EnvironmentAliases, environmentsIn } from "./environments";

export const ENVIRONMENT_ISOLATION_POLICY = "anthropic-key-environment-isolation";

const GITHUB_TYPES = [TYPE_GITHUB_REPO_SECRET, TYPE_GITHUB_ENV_SECRET, TYPE_GITHUB_ORG_SECRET];

interface Field {
    readonly types: readonly string[];
    readonly label: string;
    readonly values: (props: unknown) => string[];
}

function strings(props: unknown, key: string): string[] {
    const v = read(props, key);
    if (typeof v === "string") return [v];
    if (Array.isArray(v)) {
        const out: string[] = [];
        for (let i = 0; i < v.length; i++) {
            const e = read(v, i);
            if (typeof e === "string") out.push(e);
        }
        return out;
    }
    return [];
}

/** The fields that can point at an environment, by detection id. */
export const DETECTION_FIELDS: Readonly<Record<string, Field>> = {
    "heroku.app": { types: [TYPE_HEROKU_CONFIG_VARS], label: "Heroku app (`app`)", values: (p) => strings(p, "app") },
    "heroku.vars": { types: [TYPE_HEROKU_CONFIG_VARS], label: "Heroku config var name (`vars`)", values: (p) => strings(p, "vars") },
    "infisical.environment": { types: [TYPE_INFISICAL_SECRET], label: "Infisical environment slug (`environment`)", values: (p) => strings(p, "environment") },
    "infisical.secretPath": { types: [TYPE_INFISICAL_SECRET], label: "Infisical secret path (`secretPath`)", values: (p) => strings(p, "secretPath") },
    "infisical.secretName": { types: [TYPE_INFISICAL_SECRET], label: "Infisical secret name (`secretName`)", values: (p) => strings(p, "secretName") },
    "github.environment": { types: [TYPE_GITHUB_ENV_SECRET], label: "GitHub environment (`environment`)", values: (p) => strings(p, "environment") },
    "github.secretName": { types: GITHUB_TYPES, label: "GitHub secret name (`secretName`)", values: (p) => strings(p, "secretName") },
    "github.repository": { types: GITHUB_TYPES, label: "GitHub repository (`repository`)", values: (p) => strings(p, "repository") },
    "command.create": { types: [TYPE_COMMAND], label: "command (`create`)", values: (p) => strings(p, "create") },
    "command.update": { types: [TYPE_COMMAND], label: "command (`update`)", values: (p) => strings(p, "update") },
    "command.delete": { types: [TYPE_COMMAND], label: "command (`delete`)", values: (p) => strings(p, "delete") },
    "command.environmentNames": {
        types: [TYPE_COMMAND],
        label: "command environment variable name (`environment`)",
        values: (p) => keysOf(read(p, "environment")),
    },
};

export const DEFAULT_DETECT_IN: readonly string[] = [
    "heroku.app",
    "heroku.vars",
    "infisical.environment",
    "infisical.secretPath",
    "infisical.secretName",
    "github.environment",
    "github.secretName",
    "command.create",
    "command.update",
    "command.delete",
    "command.environmentNames",
];

export interface EnvironmentIsolationConfig {
    readonly environmentAliases: EnvironmentAliases;
    readonly detectIn: readonly string[];
    readonly exemptResources: readonly string[];
}

export const environmentIsolationConfig: ConfigSpec<EnvironmentIsolationConfig> = {
    policy: ENVIRONMENT_ISOLATION_POLICY,
    properties: {
        environmentAliases: {
            type: "object",
            description:
                "Environment names and the words that mean them in consumer names. Replaces the default table when set. " +
                "Default: {\"prod\": [\"prod\", \"production\", \"prd\"], \"staging\": [\"staging\", \"stage\", \"stg\"], \"dev\": [\"dev\", \"development\"]}.",
            additionalProperties: { type: "array", items: { type: "string", minLength: 1 } },
            default: structuredClone(DEFAULT_ENVIRONMENT_ALIASES) as Record<string, string[]>,
        },
        detectIn: {
            type: "array",
            description: `Where to look for environment words: any of ${Object.keys(DETECTION_FIELDS).join(", ")}. github.repository is off by default.`,
            items: { type: "string", enum: Object.keys(DETECTION_FIELDS) },
            default: [...DEFAULT_DETECT_IN],
        },
        exemptResources: {
            type: "array",
            description: "Resource names or URNs whose names are known to be misleading (e.g. a shared consumer); they are not checked.",
            items: { type: "string", minLength: 1 },
            default: [],
        },
    },
    check: (c) =>
        Object.entries(c.environmentAliases)
            .filter(([env]) => !/^[a-z0-9]+$/.test(env))
            .map(([env]) => `environmentAliases key "${env}" must be a lower-case environment name (a-z, 0-9)`),
};

export const environmentIsolationPolicy: ResourceValidationPolicy = {
    name: ENVIRONMENT_ISOLATION_POLICY,
    description:
        "One stack, one environment: it validates only its own environment's key, and its targets do not point at other environments' consumers.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Move targets of another environment to that environment's stack (each environment has its own key), or exempt a resource whose name is misleading.",
    configSchema: { properties: environmentIsolationConfig.properties },
    validateResource: (args, reportViolation) => validateIsolation(args, reportViolation),
};

/** The stack's environment as the program derives it (config `environment`, else the stack name), canonical. */
export function stackEnvironment(aliases: EnvironmentAliases): { env: string; source: string } | undefined {
    const ctx = stackContext();
    if (ctx.configEnvironment !== undefined) {
        return { env: canonicalEnvironment(ctx.configEnvironment, aliases), source: `the stack's environment config ("${ctx.configEnvironment}")` };
    }
    const stackName = ctx.stack?.split("/").pop();
    if (stackName) return { env: canonicalEnvironment(stackName, aliases), source: `the stack name ("${stackName}", the environment when none is configured)` };
    return undefined;
}

export function validateIsolation(args: ResourceValidationArgs, reportViolation: ReportViolation): void {
    const config = resolveConfig(environmentIsolationConfig, args.getConfig());
    const aliases = config.environmentAliases;
    const report = safeReporter(reportViolation, keysInResource(args.props, args.name));
    const stack = stackEnvironment(aliases);
    if (stack === undefined) return;

    if (args.type === TYPE_KEY_VALIDATION) {
        const env = readString(args.props, "environment");
        if (typeof env !== "string" || !env || canonicalEnvironment(env, aliases) === stack.env) return;
        const keyEnv = canonicalEnvironment(env, aliases);
        report(
            `${describeResource(args)}: it validates a ${keyEnv} key, but ${stack.source} says this stack is ${stack.env}; one stack carries one environment's key ` +
                `(security policy §9.1), and keys are never shared between environments (§4.1). ` +
                `Fix: run the ${keyEnv} key through the ${keyEnv} stack, or correct the stack's environment config.`,
        );
        return;
    }

    if (config.exemptResources.includes(args.name) || config.exemptResources.includes(args.urn)) return;
    for (const id of config.detectIn) {
        const field = DETECTION_FIELDS[id];
        if (!field || !field.types.includes(args.type)) continue;
        for (const value of field.values(args.props)) {
            const found = environmentsIn(value, aliases);
            if (found.length === 0 || found.includes(stack.env)) continue;
            report(
                `${describeResource(args)}: in the ${stack.env} stack, its ${field.label} "${value}" points at the ${found.join("/")} environment. ` +
                    `Each environment has its own key (security policy §9.1). Fix: move this target to the ${found.join("/")} stack's config; ` +
                    `if the name is misleading, add "${args.name}" to exemptResources of ${ENVIRONMENT_ISOLATION_POLICY} (detection field ${id}).`,
            );
        }
    }
}
