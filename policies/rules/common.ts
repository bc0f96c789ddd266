/**
 * Helpers shared by the policies: safe reading of resource properties (preview unknowns), finding key
 * material, redacting violation messages, reading and checking policy config, and the stack's identity.
 *
 * Policies see secret inputs unwrapped (plaintext) and cannot tell which inputs are secret, so every
 * violation goes through `safeReporter`, which redacts anything key-shaped and every key seen in the
 * resource (and its longer fragments) before the message leaves the pack.
 */
import type { ReportViolation } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { ANY_KEY_MARKER, redact } from "../../components/domain";

// ------------------------------------------------------------------------------------------------
// Reading properties that may be unknown during preview
// ------------------------------------------------------------------------------------------------

/** Sentinel for a value the engine does not know yet (computed during preview). */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");
export type Maybe<T> = T | typeof UNKNOWN | undefined;

/**
 * Reads `obj[key]`. The analyzer wraps properties in a proxy that throws when an unknown (preview)
 * value is touched; that becomes UNKNOWN here instead of an exception.
 */
export function read(obj: unknown, key: string | number): unknown {
    if (obj === null || typeof obj !== "object") return undefined;
    try {
        return (obj as Record<string | number, unknown>)[key];
    } catch {
        return UNKNOWN;
    }
}

export function readString(obj: unknown, key: string): Maybe<string> {
    const v = read(obj, key);
    if (v === UNKNOWN) return UNKNOWN;
    return typeof v === "string" ? v : undefined;
}

export function readNumber(obj: unknown, key: string): Maybe<number> {
    const v = read(obj, key);
    if (v === UNKNOWN) return UNKNOWN;
    if (typeof v === "number") return v;
    if (typeof v === "string" && /^\d+$/.test(v)) return Number(v);
    return undefined;
}

export function keysOf(obj: unknown): string[] {
    if (obj === null || typeof obj !== "object") return [];
    try {
        return Object.keys(obj as object);
    } catch {
        return [];
    }
}

export interface StringLeaf {
    /** e.g. `create`, `environment.ANTHROPIC_API_KEY`, `triggers[0]` */
    readonly path: string;
    /** The top-level property the leaf sits under. */
    readonly root: string;
    readonly value: string;
}

/**
 * Every string anywhere in the properties, with its path. Unknown values are skipped, and so are the
 * engine-internal `__` keys (the engine strips them before analysis, e.g. `__provider`).
 */
export function stringLeaves(props: unknown): StringLeaf[] {
    const out: StringLeaf[] = [];
    const visit = (value: unknown, path: string, root: string, depth: number) => {
        if (depth > 32 || value === UNKNOWN) return;
        if (typeof value === "string") {
            out.push({ path, root, value });
            return;
        }
        if (value === null || typeof value !== "object") return;
        if (Array.isArray(value)) {
            let length = 0;
            try {
                length = value.length;
            } catch {
                return;
            }
            for (let i = 0; i < length; i++) visit(read(value, i), `${path}[${i}]`, root, depth + 1);
            return;
        }
        for (const k of keysOf(value)) visit(read(value, k), `${path}.${k}`, root, depth + 1);
    };
    for (const k of keysOf(props)) {
        if (k.startsWith("__")) continue;
        visit(read(props, k), k, k, 0);
    }
    return out;
}

// ------------------------------------------------------------------------------------------------
// Key material
// ------------------------------------------------------------------------------------------------

/** Every Anthropic-key-shaped run (API or Admin key) in the text. */
export function keysIn(text: string): string[] {
    const re = new RegExp(`${ANY_KEY_MARKER}[A-Za-z0-9_-]*`, "g");
    return text.match(re) ?? [];
}

export function hasKeyMaterial(text: string): boolean {
    return text.includes(ANY_KEY_MARKER);
}

/** Every key-shaped run anywhere in the properties (and the resource name, which ends up in the URN). */
export function keysInResource(props: unknown, name?: string): string[] {
    const found = new Set<string>();
    for (const leaf of stringLeaves(props)) for (const k of keysIn(leaf.value)) found.add(k);
    if (name) for (const k of keysIn(name)) found.add(k);
    return [...found];
}

// ------------------------------------------------------------------------------------------------
// Safe messages
// ------------------------------------------------------------------------------------------------

/** The secrets to scrub from messages about a resource: every key seen, and its longer fragments. */
export function secretsToScrub(keys: readonly string[]): string[] {
    const out = new Set<string>();
    for (const k of keys) {
        out.add(k);
        for (const part of k.split(/[-_]/)) if (part.length >= 8) out.add(part);
    }
    // Longest first, so a fragment never breaks up a longer match.
    return [...out].sort((a, b) => b.length - a.length);
}

/**
 * Redacts a message: key-shaped runs, the given keys and their fragments, and — because a key pasted without
 * its prefix no longer looks like a key — every run of 20 or more name characters that mixes upper case, lower
 * case and digits (random-looking). The names policies echo (lower-case key names, UPPER_CASE secret names, app
 * names, model ids, type tokens) never look like that.
 */
export function scrub(message: string, keys: readonly string[] = []): string {
    return redact(message, secretsToScrub(keys)).replace(/[A-Za-z0-9_-]{20,}/g, (run) =>
        /[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run) ? "[REDACTED]" : run,
    );
}

/** Wraps reportViolation so that nothing secret can leave the pack in a message. */
export function safeReporter(report: ReportViolation, keys: readonly string[]): (message: string, urn?: string) => void {
    return (message, urn) => report(scrub(message, keys), urn);
}

/** How messages name a resource: `<type> "<name>"`. */
export function describeResource(r: { type: string; name: string }): string {
    return `${r.type} "${r.name}"`;
}

// ------------------------------------------------------------------------------------------------
// Policy config: defaults and checks the engine's JSON-schema validation cannot express
// ------------------------------------------------------------------------------------------------

/** Raised when policy pack config is invalid; the message names the policy, the setting and the fix. */
export class PolicyConfigError extends Error {
    constructor(policy: string, problems: readonly string[]) {
        super(
            `invalid policy pack config for "${policy}": ${problems.join("; ")}. ` +
                `Fix the "${policy}" entry of the file given to --policy-pack-config (see the README's policy table).`,
        );
        this.name = "PolicyConfigError";
    }
}

type Schema = PolicyConfigJSONSchema;

function typeName(v: unknown): string {
    if (v === null) return "null";
    if (Array.isArray(v)) return "array";
    if (typeof v === "number" && Number.isInteger(v)) return "integer";
    return typeof v;
}

function matchesType(v: unknown, type: string): boolean {
    const actual = typeName(v);
    if (type === "number") return actual === "number" || actual === "integer";
    return actual === type;
}

/** Validates a value against the subset of JSON schema the policies use; returns problems. */
export function schemaProblems(value: unknown, schema: Schema, path: string): string[] {
    const problems: string[] = [];
    const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
    if (types.length && !types.some((t) => matchesType(value, t))) {
        return [`${path} must be ${types.join(" or ")}, got ${typeName(value)}`];
    }
    if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
        problems.push(`${path} must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`);
    }
    if (typeof value === "number") {
        if (schema.minimum !== undefined && value < schema.minimum) problems.push(`${path} must be at least ${schema.minimum}, got ${value}`);
        if (schema.maximum !== undefined && value > schema.maximum) problems.push(`${path} must be at most ${schema.maximum}, got ${value}`);
    }
    if (typeof value === "string") {
        if (schema.minLength !== undefined && value.length < schema.minLength) problems.push(`${path} must not be empty`);
        if (schema.format === "regex") {
            try {
                new RegExp(value);
            } catch {
                problems.push(`${path} is not a valid regular expression: ${JSON.stringify(value)}`);
            }
        }
    }
    if (Array.isArray(value) && schema.items && typeof schema.items === "object" && !Array.isArray(schema.items)) {
        const items = schema.items as Schema;
        value.forEach((v, i) => problems.push(...schemaProblems(v, items, `${path}[${i}]`)));
    }
    if (Array.isArray(value) && schema.minItems !== undefined && value.length < schema.minItems) {
        problems.push(`${path} needs at least ${schema.minItems} entr${schema.minItems === 1 ? "y" : "ies"}`);
    }
    if (typeName(value) === "object") {
        const obj = value as Record<string, unknown>;
        for (const [k, v] of Object.entries(obj)) {
            const sub = schema.properties?.[k];
            if (sub !== undefined && typeof sub === "object") {
                problems.push(...schemaProblems(v, sub, `${path}.${k}`));
            } else if (schema.additionalProperties === false && sub === undefined) {
                problems.push(`${path}.${k} is not a known setting (known: ${Object.keys(schema.properties ?? {}).join(", ")})`);
            } else if (sub === undefined && typeof schema.additionalProperties === "object") {
                problems.push(...schemaProblems(v, schema.additionalProperties, `${path}.${k}`));
            }
        }
    }
    return problems;
}

export interface ConfigSpec<T> {
    readonly policy: string;
    readonly properties: Record<string, Schema>;
    /** Cross-field checks; returns problems. */
    readonly check?: (config: T) => string[];
}

/**
 * The policy's effective config: the schema defaults, overlaid with what the engine passed (the engine
 * already fills defaults and validates the schema; this repeats it so the policies also work when called
 * directly, and adds the checks a schema cannot express). Throws PolicyConfigError on any problem.
 */
export function resolveConfig<T>(spec: ConfigSpec<T>, raw: object | undefined): T {
    const given = (raw ?? {}) as Record<string, unknown>;
    const problems: string[] = [];
    const out: Record<string, unknown> = {};
    for (const [k, schema] of Object.entries(spec.properties)) {
        if (schema.default !== undefined) out[k] = structuredClone(schema.default);
    }
    for (const [k, v] of Object.entries(given)) {
        if (k === "enforcementLevel") continue;
        const schema = spec.properties[k];
        if (!schema) {
            problems.push(`"${k}" is not a setting of this policy (known: ${Object.keys(spec.properties).join(", ") || "none"})`);
            continue;
        }
        const p = schemaProblems(v, schema, k);
        if (p.length) problems.push(...p);
        else out[k] = v;
    }
    if (!problems.length && spec.check) problems.push(...spec.check(out as T));
    if (problems.length) throw new PolicyConfigError(spec.policy, problems);
    return out as T;
}

// ------------------------------------------------------------------------------------------------
// The stack's identity, as the engine passes it to a policy pack process
// ------------------------------------------------------------------------------------------------

/** The program's config namespace (the Pulumi project name). */
export const CONFIG_NAMESPACE = "anthropic-key-rotation";

export interface StackContext {
    /** The stack name (PULUMI_STACK), when the engine gave it. */
    readonly stack?: string;
    /** The stack's `anthropic-key-rotation:environment` config, when set. */
    readonly configEnvironment?: string;
}

/**
 * The engine starts a policy pack with PULUMI_STACK / PULUMI_NODEJS_STACK and the stack's config as JSON in
 * PULUMI_CONFIG. That config includes decrypted secrets: only the plain `environment` setting is read here,
 * and nothing from it is ever echoed except that setting.
 */
export function stackContext(env: NodeJS.ProcessEnv = process.env): StackContext {
    const stack = env.PULUMI_STACK || env.PULUMI_NODEJS_STACK || undefined;
    let configEnvironment: string | undefined;
    const raw = env.PULUMI_CONFIG;
    if (raw) {
        try {
            const parsed = JSON.parse(raw) as Record<string, unknown>;
            const value = parsed[`${CONFIG_NAMESPACE}:environment`];
            if (typeof value === "string" && /^[a-z0-9]+$/.test(value)) configEnvironment = value;
        } catch {
            // Unreadable config: behave as if the setting were absent.
        }
    }
    return { ...(stack ? { stack } : {}), ...(configEnvironment ? { configEnvironment } : {}) };
}

