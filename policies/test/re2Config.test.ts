import { readFileSync } from "fs";
import { join } from "path";
import { describe, expect, it } from "vitest";
import { parsePolicyPackConfig, PolicyInfo, PolicyPackConfigError, reconcilePolicyPackConfig } from "../../offline/harness/policyAnalyzer";
import { re2Problem } from "../../offline/harness/re2Subset";
import { policies } from "../rules";

/**
 * The Pulumi CLI validates `--policy-pack-config` with gojsonschema, whose `format: regex` and `pattern` use Go's
 * RE2; the pack then compiles the same text as a JavaScript RegExp. Every regular expression the pack's config
 * schemas contain or default to must mean the same in both, and the harness must refuse what the CLI refuses.
 */

interface SchemaNode {
    readonly type?: unknown;
    readonly format?: string;
    readonly pattern?: string;
    readonly default?: unknown;
    readonly enum?: readonly unknown[];
    readonly examples?: readonly unknown[];
    readonly properties?: Record<string, SchemaNode>;
    readonly items?: SchemaNode;
    readonly additionalProperties?: SchemaNode | boolean;
}

/** Every regular expression a schema holds: its `pattern`s, and the defaults/enums/examples of `format: regex`. */
function regexesIn(node: SchemaNode, path: string): { path: string; regex: string }[] {
    const found: { path: string; regex: string }[] = [];
    if (typeof node.pattern === "string") found.push({ path: `${path}.pattern`, regex: node.pattern });
    if (node.format === "regex") {
        for (const [kind, values] of [["default", [node.default]], ["enum", node.enum ?? []], ["examples", node.examples ?? []]] as const) {
            for (const v of values) if (typeof v === "string") found.push({ path: `${path}.${kind}`, regex: v });
        }
    }
    for (const [k, sub] of Object.entries(node.properties ?? {})) found.push(...regexesIn(sub, `${path}.${k}`));
    if (node.items) found.push(...regexesIn(node.items, `${path}[]`));
    if (typeof node.additionalProperties === "object") found.push(...regexesIn(node.additionalProperties, `${path}.*`));
    return found;
}

const schemas = policies.map((p) => ({ name: p.name, schema: { properties: (p.configSchema?.properties ?? {}) as Record<string, SchemaNode> } }));

describe("the policy pack's config schemas stay inside RE2", () => {
    it("every pattern and every format: regex default is accepted by RE2 and reads the same in JavaScript", () => {
        const all = schemas.flatMap(({ name, schema }) => regexesIn(schema, name));
        expect(all.length, "the pack's regex settings (projectPattern, purposePattern, convention ×2)").toBeGreaterThanOrEqual(4);
        const problems = all.map(({ path, regex }) => [path, regex, re2Problem(regex)]).filter(([, , p]) => p !== undefined);
        expect(problems).toEqual([]);
    });

    it("so does every regex in policies/policy-config.example.json", () => {
        const example = JSON.parse(readFileSync(join(__dirname, "..", "policy-config.example.json"), "utf8")) as Record<string, unknown>;
        let checked = 0;
        for (const { name, schema } of schemas) {
            const given = example[name];
            if (typeof given !== "object" || given === null) continue;
            for (const [k, prop] of Object.entries(schema.properties)) {
                const value = (given as Record<string, unknown>)[k];
                if (prop.format !== "regex" || typeof value !== "string") continue;
                checked += 1;
                expect(re2Problem(value), `${name}.${k}`).toBeUndefined();
            }
        }
        expect(checked).toBeGreaterThanOrEqual(4);
    });
});

describe("re2Problem agrees with Go's regexp", () => {
    // Each verdict was checked against Go 1.26's regexp.Compile (and JavaScript's RegExp without flags).
    it.each([
        "^[a-z0-9]+(-[a-z0-9]+)*$",
        "^ANTHROPIC_API_KEY(_[A-Z0-9]+)*$",
        "^(agents|api|rotation)$",
        "(?<name>x)",
        "(?:x|y)",
        "\\d{4}-\\d{2}-\\d{2}",
        ".*?",
        "a{2,5}?",
        "\\x41",
        "[A-Z_][A-Z0-9_]*",
    ])("accepts %s", (pattern) => {
        expect(re2Problem(pattern)).toBeUndefined();
    });

    it.each([
        ["a(?=b)", /lookahead/],
        ["a(?!b)", /lookahead/],
        ["(?<=a)b", /lookbehind/],
        ["(?<!a)b", /lookbehind/],
        ["(a)\\1", /backreference/],
        ["(?<n>a)\\k<n>", /named backreference/],
        ["\\u0041", /\\u/],
        ["\\cA", /\\c/],
        ["a{1001}", /more than 1000/],
        ["[\\b]", /\\b/],
        // Both compile, with different meanings:
        ["\\p{L}", /Unicode class/],
        ["[[:alpha:]]", /POSIX class/],
        ["[]a]", /starts a class/],
        // JavaScript itself refuses:
        ["(?i)abc", /not a valid regular expression/],
        ["a**", /not a valid regular expression/],
    ])("refuses %s", (pattern, message) => {
        expect(re2Problem(pattern)).toMatch(message);
    });
});

describe("the harness validates policy config as the CLI does (RE2, not JavaScript regexes)", () => {
    const infos: PolicyInfo[] = policies.map((p) => ({
        name: p.name,
        displayName: p.name,
        description: p.description,
        enforcementLevel: p.enforcementLevel ?? "mandatory",
        policyType: "resource",
        severity: "",
        configSchema: { properties: (p.configSchema?.properties ?? {}) as Record<string, unknown>, required: [...(p.configSchema?.required ?? [])] },
    }));

    it("refuses a lookahead in a regex setting, which JavaScript would accept", () => {
        const config = parsePolicyPackConfig({ "anthropic-key-name": { projectPattern: "^(?!test)[a-z]+$" } });
        expect(() => reconcilePolicyPackConfig(infos, config)).toThrow(PolicyPackConfigError);
        expect(() => reconcilePolicyPackConfig(infos, config)).toThrow(/Policy "anthropic-key-name": projectPattern: must match format "regex"/);
    });

    it("accepts the defaults", () => {
        expect(() => reconcilePolicyPackConfig(infos, parsePolicyPackConfig({}))).not.toThrow();
    });
});
