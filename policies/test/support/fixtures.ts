/**
 * Hand-built resources for the policy tests, shaped like the program's registrations (DESIGN.md tokens and
 * inputs), and adapters that turn them into (a) the argument bags the policy functions take and (b) the
 * requests the real analyzer takes (with secret inputs in the engine's secret wire form).
 */
import type { PolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { unknownCheckingProxy } from "@pulumi/policy";
import {
    fingerprint,
    formatIsoDate,
    addDays,
    utcToday,
    TYPE_ANTHROPIC_KEY,
    TYPE_COMMAND,
    TYPE_CREDENTIAL_PREFLIGHT,
    TYPE_GITHUB_ENV_SECRET,
    TYPE_GITHUB_ORG_SECRET,
    TYPE_GITHUB_REPO_SECRET,
    TYPE_HEROKU_CONFIG_VARS,
    TYPE_INFISICAL_SECRET,
    TYPE_KEY_VALIDATION,
    TYPE_PREVIOUS_KEY_REVOCATION,
} from "../../../components/domain";
import { makeAdminKey, makeApiKey } from "../../../offline/emulators/keys";
import type { AnalyzerResource } from "../../../offline/harness/policyAnalyzer";
import { secret, urnFor } from "../../../offline/harness/policyAnalyzer";

export const PROJECT = "anthropic-key-rotation";

/** Fake keys (canaries): no violation message may ever contain any of them. */
export const KEYS = {
    prod: makeApiKey(),
    prodNext: makeApiKey(),
    staging: makeApiKey(),
    admin: makeAdminKey(),
};
export const ALL_FAKE_KEYS: readonly string[] = Object.values(KEYS);

export function daysAgo(n: number): string {
    return formatIsoDate(addDays(utcToday(), -n));
}

export interface Res {
    readonly type: string;
    readonly name: string;
    readonly props: Record<string, unknown>;
    /** Names of resources this one depends on (dependencies). */
    readonly dependsOn?: readonly string[];
    /** Per-property dependencies, by resource name. */
    readonly propertyDependsOn?: Readonly<Record<string, readonly string[]>>;
    /** Parent resource name. */
    readonly parent?: string;
}

export function keyValidation(over: Partial<Record<string, unknown>> = {}, name = "prod-key-validation"): Res {
    const apiKey = (over.apiKey as string | undefined) ?? KEYS.prod;
    const createdAt = (over.createdAt as string | undefined) ?? daysAgo(10);
    return {
        type: TYPE_KEY_VALIDATION,
        name,
        parent: "prod",
        props: {
            keyName: `raxx-prod-agents-${createdAt}`,
            environment: "prod",
            createdAt,
            fingerprint: fingerprint(apiKey),
            mode: "messages",
            model: "claude-haiku-4-5",
            maxTokens: 10,
            apiKey,
            ...over,
        },
    };
}

/** The credential preflight as the program registers it: targets and endpoints, the key's fingerprint, no key. */
export function credentialPreflight(over: Partial<Record<string, unknown>> = {}, name = "prod-preflight", dependsOn = ["prod-key-validation"]): Res {
    return {
        type: TYPE_CREDENTIAL_PREFLIGHT,
        name,
        parent: "prod",
        dependsOn,
        props: {
            fingerprint: fingerprint(KEYS.prod),
            heroku: { apiUrl: "https://api.heroku.com", apps: ["raxx-api-prod", "raxx-agents-prod"] },
            infisical: [{ projectId: "6f1c2a9e-raxx-platform", environment: "prod", secretPath: "/anthropic", secretName: "ANTHROPIC_API_KEY", siteUrl: "https://app.infisical.com" }],
            github: { scopes: [{ kind: "environment", owner: "raxx-app", repository: "api", environment: "production" }], unresolved: [] },
            admin: { baseUrl: "https://api.anthropic.com", required: true },
            ...over,
        },
    };
}

export function infisicalSecret(over: Partial<Record<string, unknown>> = {}, name = "infisical-prod", dependsOn = ["prod-key-validation"]): Res {
    const apiKey = (over.apiKey as string | undefined) ?? KEYS.prod;
    return {
        type: TYPE_INFISICAL_SECRET,
        name,
        parent: "prod",
        dependsOn,
        props: {
            projectId: "6f1c2a9e-raxx-platform",
            environment: "prod",
            secretPath: "/anthropic",
            secretName: "ANTHROPIC_API_KEY",
            apiKey,
            fingerprint: fingerprint(apiKey),
            validatedFingerprint: fingerprint(apiKey),
            ...over,
        },
    };
}

export function herokuVars(over: Partial<Record<string, unknown>> = {}, name = "heroku-raxx-api-prod", dependsOn = ["infisical-prod"]): Res {
    const apiKey = (over.apiKey as string | undefined) ?? KEYS.prod;
    return {
        type: TYPE_HEROKU_CONFIG_VARS,
        name,
        parent: "prod",
        dependsOn,
        props: { app: "raxx-api-prod", vars: ["ANTHROPIC_API_KEY"], apiKey, fingerprint: fingerprint(apiKey), validatedFingerprint: fingerprint(apiKey), ...over },
    };
}

export function githubRepoSecret(over: Partial<Record<string, unknown>> = {}, name = "github-agents", dependsOn = ["prod-key-validation"]): Res {
    return {
        type: TYPE_GITHUB_REPO_SECRET,
        name,
        parent: "prod",
        propertyDependsOn: { value: dependsOn },
        dependsOn,
        props: { repository: "agents", secretName: "ANTHROPIC_API_KEY", value: KEYS.prod, ...over },
    };
}

export function githubEnvSecret(over: Partial<Record<string, unknown>> = {}, name = "github-api-production", dependsOn = ["prod-key-validation"]): Res {
    return {
        type: TYPE_GITHUB_ENV_SECRET,
        name,
        parent: "prod",
        dependsOn,
        props: { repository: "api", environment: "production", secretName: "ANTHROPIC_API_KEY_PROD", value: KEYS.prod, ...over },
    };
}

export function githubOrgSecret(over: Partial<Record<string, unknown>> = {}, name = "github-org-raxx-app", dependsOn = ["prod-key-validation"]): Res {
    return {
        type: TYPE_GITHUB_ORG_SECRET,
        name,
        parent: "prod",
        dependsOn,
        props: { secretName: "ANTHROPIC_API_KEY", visibility: "private", value: KEYS.prod, ...over },
    };
}

export const SAFE_COMMAND = `printf 'ANTHROPIC_API_KEY=%s\\n' "$ANTHROPIC_API_KEY" | fly secrets import --app raxx-agents-prod`;

export function command(over: Partial<Record<string, unknown>> = {}, name = "fly-agents-prod", dependsOn = ["prod-key-validation"]): Res {
    return {
        type: TYPE_COMMAND,
        name,
        parent: "prod",
        dependsOn,
        props: { create: SAFE_COMMAND, environment: { ANTHROPIC_API_KEY: KEYS.prod, ANTHROPIC_KEY_FINGERPRINT: fingerprint(KEYS.prod) }, ...over },
    };
}

export function revocation(over: Partial<Record<string, unknown>> = {}, name = "prod-revocation", dependsOn = ["prod-key-validation", "heroku-raxx-api-prod"]): Res {
    const apiKey = (over.apiKey as string | undefined) ?? KEYS.prod;
    return {
        type: TYPE_PREVIOUS_KEY_REVOCATION,
        name,
        parent: "prod",
        dependsOn,
        // cutover as the program passes it (on by default): the proof anthropic-key-revocation-proof looks for.
        props: { apiKey, fingerprint: fingerprint(apiKey), mode: "deactivate", emergency: false, cutover: { enabled: true }, ...over },
    };
}

export function component(name = "prod"): Res {
    return { type: TYPE_ANTHROPIC_KEY, name, props: {} };
}

/** A clean prod stack shaped like Pulumi.prod.yaml: every policy passes. */
export function prodStack(): Res[] {
    return [
        component(),
        keyValidation(),
        infisicalSecret(),
        herokuVars(),
        herokuVars({ app: "raxx-agents-prod", vars: ["ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY_AGENTS"] }, "heroku-raxx-agents-prod"),
        // Scoped GitHub secrets only (github-prod-secret-scope): an environment secret and a selected organization secret.
        githubOrgSecret({ visibility: "selected", selectedRepositoryIds: [812345678] }),
        githubEnvSecret(),
        command(),
        revocation(),
    ];
}

// ------------------------------------------------------------------------------------------------
// Adapters: plain-function calls
// ------------------------------------------------------------------------------------------------

/** Every message any test collected, for the leak scan. */
export const COLLECTED_MESSAGES: string[] = [];

export interface Collector {
    readonly report: ReportViolation;
    readonly messages: string[];
    readonly urns: (string | undefined)[];
}

export function collector(): Collector {
    const messages: string[] = [];
    const urns: (string | undefined)[] = [];
    const report: ReportViolation = (message: string, urn?: string) => {
        messages.push(message);
        urns.push(urn);
        COLLECTED_MESSAGES.push(message);
    };
    return { report, messages, urns };
}

function typeOfParent(parent: string | undefined): string | undefined {
    return parent ? TYPE_ANTHROPIC_KEY : undefined;
}

export function urnOf(r: Pick<Res, "type" | "name" | "parent">, stack = "prod"): string {
    return urnFor(stack, PROJECT, r.type, r.name, typeOfParent(r.parent));
}

/** The URN of a resource's parent (every fixture's parent is an AnthropicKey component), whether or not it is in the set. */
export function parentUrnOf(r: Pick<Res, "parent">, stack = "prod"): string | undefined {
    return r.parent ? urnOf(component(r.parent), stack) : undefined;
}

/** The same resource created outside any AnthropicKey component (e.g. straight in index.ts). */
export function orphan(r: Res): Res {
    const { parent: _parent, ...rest } = r;
    void _parent;
    return rest;
}

const OPTS = { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] };

function notApplicable(reason?: string): never {
    throw new Error(`not applicable: ${reason ?? ""}`);
}

export function resourceArgs(r: Res, config: object = {}, stack = "prod"): ResourceValidationArgs {
    return {
        type: r.type,
        name: r.name,
        urn: urnOf(r, stack),
        // The analyzer hands policies a proxy that throws on unknown (preview) values: do the same.
        props: unknownCheckingProxy(r.props) as Record<string, unknown>,
        opts: { ...OPTS, ...(r.parent ? { parent: parentUrnOf(r, stack) } : {}) },
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => config as T,
        notApplicable,
    };
}

export function stackArgs(resources: readonly Res[], config: object = {}, stack = "prod"): StackValidationArgs {
    const byName = new Map<string, PolicyResource>();
    for (const r of resources) {
        byName.set(r.name, {
            type: r.type,
            name: r.name,
            urn: urnOf(r, stack),
            props: unknownCheckingProxy(r.props) as Record<string, unknown>,
            opts: OPTS,
            dependencies: [],
            propertyDependencies: {},
            isType: () => false,
            asType: () => undefined,
        });
    }
    const lookup = (names: readonly string[] | undefined) =>
        (names ?? []).map((n) => byName.get(n)).filter((x): x is PolicyResource => x !== undefined);
    for (const r of resources) {
        const pr = byName.get(r.name)!;
        pr.dependencies = lookup([...(r.dependsOn ?? []), ...Object.values(r.propertyDependsOn ?? {}).flat()]);
        for (const [k, v] of Object.entries(r.propertyDependsOn ?? {})) pr.propertyDependencies[k] = lookup(v);
        if (r.parent) {
            const parent = byName.get(r.parent);
            if (parent) pr.parent = parent;
        }
    }
    return {
        resources: [...byName.values()],
        stackTags: new Map(),
        getConfig: <T extends object>() => config as T,
        notApplicable,
    };
}

// ------------------------------------------------------------------------------------------------
// Adapters: the real analyzer (engine wire form)
// ------------------------------------------------------------------------------------------------

/** The inputs the program marks secret, per type. */
const SECRET_INPUTS: Record<string, readonly string[]> = {
    [TYPE_KEY_VALIDATION]: ["apiKey"],
    [TYPE_HEROKU_CONFIG_VARS]: ["apiKey"],
    [TYPE_INFISICAL_SECRET]: ["apiKey"],
    [TYPE_GITHUB_REPO_SECRET]: ["plaintextValue", "value"],
    [TYPE_GITHUB_ENV_SECRET]: ["plaintextValue", "value"],
    [TYPE_GITHUB_ORG_SECRET]: ["plaintextValue", "value"],
    [TYPE_COMMAND]: ["environment"],
    [TYPE_PREVIOUS_KEY_REVOCATION]: ["apiKey"],
};

function wireProps(r: Res): Record<string, unknown> {
    const out: Record<string, unknown> = { ...r.props };
    for (const k of SECRET_INPUTS[r.type] ?? []) if (out[k] !== undefined) out[k] = secret(out[k]);
    return out;
}

export function toAnalyzerResource(r: Res, all: readonly Res[] = [], stack = "prod"): AnalyzerResource {
    const urnByName = (n: string) => {
        const target = all.find((x) => x.name === n);
        return target ? urnOf(target, stack) : undefined;
    };
    const urns = (names: readonly string[] | undefined) => (names ?? []).map(urnByName).filter((u): u is string => u !== undefined);
    const propertyDependencies: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(r.propertyDependsOn ?? {})) propertyDependencies[k] = urns(v);
    const parent = parentUrnOf(r, stack);
    return {
        type: r.type,
        name: r.name,
        urn: urnOf(r, stack),
        props: wireProps(r),
        ...(parent ? { parent } : {}),
        dependencies: [...new Set([...urns(r.dependsOn), ...Object.values(propertyDependencies).flat()])],
        propertyDependencies,
    };
}

/** True when the text holds a fake key, any 16-character run of one, or the key prefix. */
export function leaksSecret(text: string): boolean {
    if (text.includes(["sk", "ant", ""].join("-"))) return true;
    for (const key of ALL_FAKE_KEYS) {
        if (text.includes(key)) return true;
        const tail = key.replace(/^[a-z]+-[a-z]+-[a-z0-9]+-/, "");
        for (let i = 0; i + 16 <= tail.length; i++) {
            if (text.includes(tail.slice(i, i + 16))) return true;
        }
    }
    return false;
}
