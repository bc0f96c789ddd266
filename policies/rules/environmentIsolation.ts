/**
 * anthropic-key-environment-isolation (mandatory, stack policy): security policy §9.1 and §4.1 — each
 * environment has its own key, never shared. A prod stack's targets do not point at other environments'
 * consumers and the reverse, and one stack never carries two environments' keys.
 *
 * The stack's environment is the `environment` of its KeyValidation (cross-checked with the stack's
 * `environment` config, or the stack name when that is an environment name). A target points at an
 * environment when one of the configured fields contains an environment word: `raxx-api-staging`,
 * GitHub environment `production`, Infisical slug `dev`, `ANTHROPIC_API_KEY_STAGING`…
 */
import type { PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import {
    TYPE_COMMAND,
    TYPE_GITHUB_ENV_SECRET,
    TYPE_GITHUB_ORG_SECRET,
    TYPE_GITHUB_REPO_SECRET,
    TYPE_HEROKU_CONFIG_VARS,
    TYPE_INFISICAL_SECRET,
    TYPE_KEY_VALIDATION,
} from "../../components/domain";
import {
    ConfigSpec,
    describeResource,
    keysInResource,
    keysOf,
    read,
    readString,
    resolveConfig,
    safeReporter,
    stackContext,
} from "./common";
import { canonicalEnvironment, DEFAULT_ENVIRONMENT_ALIASES, EnvironmentAliases, environmentsIn, knownEnvironment } from "./environments";

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

export const environmentIsolationPolicy: StackValidationPolicy = {
    name: ENVIRONMENT_ISOLATION_POLICY,
    description:
        "One stack, one environment: its targets do not point at other environments' consumers, and it never carries two environments' keys.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Move targets of another environment to that environment's stack (each environment has its own key), or exempt a resource whose name is misleading.",
    configSchema: { properties: environmentIsolationConfig.properties },
    validateStack: (args, reportViolation) => validateIsolation(args, reportViolation),
};

export function validateIsolation(args: StackValidationArgs, reportViolation: ReportViolation): void {
    const config = resolveConfig(environmentIsolationConfig, args.getConfig());
    const aliases = config.environmentAliases;
    const allKeys = [...new Set(args.resources.flatMap((r) => keysInResource(r.props, r.name)))];
    const report = safeReporter(reportViolation, allKeys);
    const exempt = (r: PolicyResource) => config.exemptResources.includes(r.name) || config.exemptResources.includes(r.urn);

    // The environments of the keys this stack validates.
    const validations = args.resources.filter((r) => r.type === TYPE_KEY_VALIDATION);
    const byEnvironment = new Map<string, PolicyResource[]>();
    for (const kv of validations) {
        const env = readString(kv.props, "environment");
        if (typeof env !== "string" || !env) continue;
        const canonical = canonicalEnvironment(env, aliases);
        byEnvironment.set(canonical, [...(byEnvironment.get(canonical) ?? []), kv]);
    }
    const ctx = stackContext();
    const stackName = ctx.stack?.split("/").pop();
    const declared =
        ctx.configEnvironment !== undefined
            ? { env: canonicalEnvironment(ctx.configEnvironment, aliases), source: `the stack's environment config ("${ctx.configEnvironment}")` }
            : stackName !== undefined && knownEnvironment(stackName, aliases) !== undefined
              ? { env: knownEnvironment(stackName, aliases)!, source: `the stack name ("${stackName}")` }
              : undefined;

    const envs = [...byEnvironment.keys()];
    if (envs.length > 1) {
        const fingerprints = new Map<string, Set<string>>();
        for (const [env, kvs] of byEnvironment) {
            for (const kv of kvs) {
                const fp = readString(kv.props, "fingerprint");
                if (typeof fp === "string") fingerprints.set(fp, new Set([...(fingerprints.get(fp) ?? []), env]));
            }
        }
        const shared = [...fingerprints].filter(([, e]) => e.size > 1).map(([fp, e]) => `${fp} is used for ${[...e].join(" and ")}`);
        for (const kv of validations) {
            report(
                `${describeResource(kv)}: this stack validates keys for ${envs.length} environments (${envs.join(", ")}); one stack carries one environment's key ` +
                    `(security policy §9.1).${shared.length ? ` The same key is shared between environments: ${shared.join("; ")} — keys are never shared (§4.1).` : ""} ` +
                    "Fix: give each environment its own stack and its own key.",
                kv.urn,
            );
        }
    } else if (envs.length === 1 && declared && envs[0] !== declared.env) {
        for (const kv of validations) {
            report(
                `${describeResource(kv)}: it validates a ${envs[0]} key, but ${declared.source} says this stack is ${declared.env}. ` +
                    `Fix: run the ${envs[0]} key through the ${envs[0]} stack, or correct the stack's environment config.`,
                kv.urn,
            );
        }
    }

    const expected = declared?.env ?? (envs.length === 1 ? envs[0] : undefined);
    if (expected === undefined) return;

    for (const r of args.resources) {
        if (exempt(r)) continue;
        for (const id of config.detectIn) {
            const field = DETECTION_FIELDS[id];
            if (!field || !field.types.includes(r.type)) continue;
            for (const value of field.values(r.props)) {
                const found = environmentsIn(value, aliases);
                if (found.length === 0 || found.includes(expected)) continue;
                report(
                    `${describeResource(r)}: in the ${expected} stack, its ${field.label} "${value}" points at the ${found.join("/")} environment. ` +
                        `Each environment has its own key (security policy §9.1). Fix: move this target to the ${found.join("/")} stack's config; ` +
                        `if the name is misleading, add "${r.name}" to exemptResources of ${ENVIRONMENT_ISOLATION_POLICY} (detection field ${id}).`,
                    r.urn,
                );
            }
        }
    }
}
