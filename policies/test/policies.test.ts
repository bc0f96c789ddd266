/**
 * Every policy as a plain function: hand-built argument bags (props wrapped in the analyzer's unknown-checking
 * proxy) and a collecting reportViolation. The same cases run through the real analyzer in analyzer.test.ts.
 */
import * as fs from "fs";
import * as path from "path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ReportViolation, ResourceValidation, ResourceValidationPolicy } from "@pulumi/policy";
import {
    DEFAULT_ALLOWED_PROPERTIES,
    DEFAULT_DETECT_IN,
    environmentsIn,
    PolicyConfigError,
    policies,
    resolveConfig,
    rotationDueConfig,
    scrub,
    stackContext,
    validateMaxAge,
    validateRotationDue,
    keyNameConfig,
    keyExpiryConfig,
    maxAgeConfig,
    noPlaintextConfig,
    environmentIsolationConfig,
    validationCostConfig,
    githubSecretNameConfig,
    herokuConfigVarNameConfig,
    canonicalEnvironment,
    rememberEnforcedAgeConfig,
} from "../rules";
import { parsePolicyPackConfig, PolicyInfo, reconcilePolicyPackConfig } from "../../offline/harness/policyAnalyzer";
import { FANOUT_AND_ISOLATION_CASES, RESOURCE_CASES, STAGING_RESOURCE_CASES } from "./support/cases";
import {
    ALL_FAKE_KEYS,
    COLLECTED_MESSAGES,
    collector,
    daysAgo,
    githubRepoSecret,
    herokuVars,
    keyValidation,
    KEYS,
    leaksSecret,
    orphan,
    prodStack,
    Res,
    resourceArgs,
} from "./support/fixtures";

const byName = new Map(policies.map((p) => [p.name, p]));

function resourcePolicy(name: string): ResourceValidation {
    const p = byName.get(name) as ResourceValidationPolicy | undefined;
    if (!p?.validateResource || Array.isArray(p.validateResource)) throw new Error(`${name} is not a single-function resource policy`);
    return p.validateResource;
}

/** Every resource policy over every resource, as the engine runs them (one Analyze per resource). */
function analyzeAll(resources: readonly Res[], report: ReportViolation, config: object = {}): void {
    for (const r of resources) {
        for (const p of policies) {
            if ("validateResource" in p && typeof p.validateResource === "function") p.validateResource(resourceArgs(r, config), report);
        }
    }
}

const isolation = resourcePolicy("anthropic-key-environment-isolation");

function expectOutcome(messages: string[], expected: readonly RegExp[]) {
    if (expected.length === 0) {
        expect(messages).toEqual([]);
        return;
    }
    expect(messages.length).toBeGreaterThan(0);
    for (const re of expected) expect(messages.some((m) => re.test(m)), `no message matches ${re}:\n${messages.join("\n")}`).toBe(true);
}

const savedEnv = { ...process.env };
function setStack(stack: string | undefined, config?: Record<string, string>) {
    delete process.env.PULUMI_STACK;
    delete process.env.PULUMI_NODEJS_STACK;
    delete process.env.PULUMI_CONFIG;
    if (stack) process.env.PULUMI_STACK = stack;
    if (config) process.env.PULUMI_CONFIG = JSON.stringify(config);
}
beforeEach(() => {
    setStack("prod");
    rememberEnforcedAgeConfig(undefined);
});
afterEach(() => {
    for (const k of ["PULUMI_STACK", "PULUMI_NODEJS_STACK", "PULUMI_CONFIG"]) {
        if (savedEnv[k] === undefined) delete process.env[k];
        else process.env[k] = savedEnv[k];
    }
});

describe("the pack's policies", () => {
    it("has one policy per rule, with the documented names, enforcement levels and config schemas", () => {
        const summary = policies.map((p) => [p.name, p.enforcementLevel, "validateStack" in p ? "stack" : "resource", Object.keys(p.configSchema?.properties ?? {}).sort()]);
        expect(summary).toEqual([
            ["anthropic-key-name", "mandatory", "resource", ["checkStackName", "projectPattern", "purposePattern"]],
            ["anthropic-key-max-age", "mandatory", "resource", ["maxAgeDays", "otherEnvironmentsMaxAgeDays"]],
            ["anthropic-key-rotation-due", "advisory", "resource", ["maxAgeDays", "otherEnvironmentsMaxAgeDays", "urgentDays", "warnDays"]],
            ["anthropic-key-no-plaintext", "mandatory", "resource", ["allowedProperties"]],
            ["anthropic-key-validated-before-fanout", "mandatory", "resource", []],
            ["anthropic-key-environment-isolation", "mandatory", "resource", ["detectIn", "environmentAliases", "exemptResources"]],
            ["anthropic-key-validation-cost", "advisory", "resource", ["allowDatedVariants", "allowedModels", "maxTokens"]],
            ["github-secret-name", "mandatory", "resource", ["convention", "conventionAppliesTo"]],
            ["github-prod-secret-scope", "mandatory", "resource", ["environments"]],
            ["github-prod-secret-scope-acknowledged", "advisory", "resource", ["environments"]],
            ["heroku-config-var-name", "mandatory", "resource", ["convention"]],
            ["anthropic-key-revocation-proof", "advisory", "resource", ["environments"]],
            ["anthropic-key-expiry", "mandatory", "resource", ["environments"]],
            ["anthropic-key-expiry-advisory", "advisory", "resource", []],
        ]);
        for (const p of policies) expect(p.description.length).toBeGreaterThan(20);
    });

    it("has no stack policy: the engine runs those only after every step, when nothing can be stopped any more", () => {
        expect(policies.filter((p) => "validateStack" in p).map((p) => p.name)).toEqual([]);
    });

    it("passes a clean prod stack without a single message", () => {
        const c = collector();
        analyzeAll(prodStack(), c.report);
        expect(c.messages).toEqual([]);
    });

    it("policy-config.example.json spells out exactly the defaults, and the engine-style reconciliation accepts it", () => {
        const example = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "policy-config.example.json"), "utf8")) as Record<string, unknown>;
        const infos: PolicyInfo[] = policies.map((p) => ({
            name: p.name,
            displayName: "",
            description: p.description,
            enforcementLevel: p.enforcementLevel ?? "advisory",
            policyType: "validateStack" in p ? "stack" : "resource",
            severity: "",
            ...(p.configSchema ? { configSchema: { properties: p.configSchema.properties as Record<string, unknown>, required: [] } } : {}),
        }));
        const withExample = reconcilePolicyPackConfig(infos, parsePolicyPackConfig(example));
        const withoutConfig = reconcilePolicyPackConfig(infos, {});
        expect(withExample).toEqual(withoutConfig);
        expect(Object.keys(example).sort()).toEqual(policies.map((p) => p.name).sort());
    });

    it("every config default passes its own validation", () => {
        for (const spec of [keyExpiryConfig, keyNameConfig, maxAgeConfig, rotationDueConfig, noPlaintextConfig, environmentIsolationConfig, validationCostConfig, githubSecretNameConfig, herokuConfigVarNameConfig]) {
            expect(() => resolveConfig(spec as never, {})).not.toThrow();
        }
    });
});

describe("resource policies, case by case", () => {
    for (const c of [...RESOURCE_CASES, ...FANOUT_AND_ISOLATION_CASES]) {
        it(`${c.policy}: ${c.title}`, () => {
            const col = collector();
            void resourcePolicy(c.policy)(resourceArgs(c.resource), col.report);
            expectOutcome(col.messages, c.expect);
        });
    }

    it("ignores resources of other types", () => {
        const col = collector();
        for (const name of ["anthropic-key-name", "anthropic-key-max-age", "anthropic-key-rotation-due", "anthropic-key-validation-cost"]) {
            void resourcePolicy(name)(resourceArgs(herokuVars({ keyName: "x", environment: "prod" })), col.report);
        }
        void resourcePolicy("github-secret-name")(resourceArgs(herokuVars({ secretName: "bad-name" })), col.report);
        void resourcePolicy("heroku-config-var-name")(resourceArgs(githubRepoSecret({ vars: ["bad-name"] })), col.report);
        expect(col.messages).toEqual([]);
    });

    it("stays silent on values that are unknown during preview instead of failing the preview", () => {
        const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        const col = collector();
        const kv = keyValidation({ keyName: unknown, environment: unknown, createdAt: unknown, model: unknown, mode: unknown });
        for (const p of policies) {
            if ("validateResource" in p && typeof p.validateResource === "function") p.validateResource(resourceArgs(kv), col.report);
        }
        void resourcePolicy("anthropic-key-no-plaintext")(resourceArgs(herokuVars({ apiKey: unknown, vars: unknown })), col.report);
        void resourcePolicy("heroku-config-var-name")(resourceArgs(herokuVars({ vars: [unknown] })), col.report);
        expect(col.messages).toEqual([]);
    });
});

describe("the stack's own environment", () => {
    for (const c of STAGING_RESOURCE_CASES) {
        it(`${c.policy}: ${c.title}`, () => {
            setStack("staging");
            const col = collector();
            void resourcePolicy(c.policy)(resourceArgs(c.resource, {}, "staging"), col.report);
            expectOutcome(col.messages, c.expect);
        });
    }

    it("the environment config outranks the stack name", () => {
        setStack("prod-eu", { "anthropic-key-rotation:environment": "prod", "anthropic-key-rotation:apiKey": KEYS.prod });
        expect(stackContext()).toEqual({ stack: "prod-eu", configEnvironment: "prod" });
        const ok = collector();
        void resourcePolicy("anthropic-key-name")(resourceArgs(keyValidation()), ok.report);
        expect(ok.messages).toEqual([]);

        setStack("prod", { "anthropic-key-rotation:environment": "staging" });
        const bad = collector();
        void resourcePolicy("anthropic-key-name")(resourceArgs(keyValidation()), bad.report);
        expect(bad.messages.join("\n")).toMatch(/the `environment` input is "prod" but the stack's environment config is "staging"/);
        const iso = collector();
        void isolation(resourceArgs(keyValidation()), iso.report);
        expect(iso.messages.join("\n")).toMatch(/it validates a prod key, but the stack's environment config \("staging"\) says this stack is staging/);
    });

    it("a stack name that is no environment name: the key name is not compared with it, but it is the stack's environment", () => {
        setStack("rehearsal");
        const col = collector();
        void resourcePolicy("anthropic-key-name")(resourceArgs(keyValidation()), col.report);
        expect(col.messages).toEqual([]);
        // As in the program, the environment defaults to the stack name: a prod key or a prod consumer is foreign here.
        const iso = collector();
        void isolation(resourceArgs(keyValidation()), iso.report);
        void isolation(resourceArgs(herokuVars()), iso.report);
        expect(iso.messages.join("\n")).toMatch(/it validates a prod key, but the stack name \("rehearsal", the environment when none is configured\) says this stack is rehearsal/);
        expect(iso.messages.join("\n")).toMatch(/in the rehearsal stack, its Heroku app \(`app`\) "raxx-api-prod" points at the prod environment/);
        const own = collector();
        void isolation(resourceArgs(herokuVars({ app: "raxx-api-rehearsal" })), own.report);
        expect(own.messages).toEqual([]);
    });

    it("without a stack name or environment config there is nothing to compare with", () => {
        setStack(undefined);
        const col = collector();
        void isolation(resourceArgs(keyValidation({ environment: "staging" })), col.report);
        void isolation(resourceArgs(herokuVars({ app: "raxx-api-staging" })), col.report);
        expect(col.messages).toEqual([]);
    });

    it("checkStackName: false turns the comparison off", () => {
        setStack("staging");
        const col = collector();
        void resourcePolicy("anthropic-key-name")(resourceArgs(keyValidation(), { checkStackName: false }), col.report);
        expect(col.messages).toEqual([]);
    });

    it("recognises environment words in consumer names", () => {
        expect(environmentsIn("raxx-api-prod")).toEqual(["prod"]);
        expect(environmentsIn("ANTHROPIC_API_KEY_STAGING")).toEqual(["staging"]);
        expect(environmentsIn("/anthropic/development")).toEqual(["dev"]);
        expect(environmentsIn("raxx-app/agents")).toEqual([]);
        expect(environmentsIn("prodigy-staged")).toEqual([]);
        expect(canonicalEnvironment("production")).toBe("prod");
        expect(canonicalEnvironment("qa")).toBe("qa");
    });
});

describe("policy config", () => {
    it("anthropic-key-max-age: a lower limit turns a passing key into a violation", () => {
        const kv = keyValidation({ createdAt: daysAgo(45), keyName: `raxx-prod-agents-${daysAgo(45)}` });
        const pass = collector();
        validateMaxAge(resourceArgs(kv), pass.report);
        expect(pass.messages).toEqual([]);
        const fail = collector();
        validateMaxAge(resourceArgs(kv, { maxAgeDays: { prod: 30 } }), fail.report);
        expect(fail.messages.join("\n")).toMatch(/is 45 days old .* the maximum for prod is 30 days/);
    });

    it("anthropic-key-max-age: the security policy's 180 days can be configured", () => {
        const kv = keyValidation({ createdAt: daysAgo(150), keyName: `raxx-prod-agents-${daysAgo(150)}` });
        const col = collector();
        validateMaxAge(resourceArgs(kv, { maxAgeDays: { prod: 180 } }), col.report);
        expect(col.messages).toEqual([]);
    });

    it("anthropic-key-max-age: environments without an entry use otherEnvironmentsMaxAgeDays", () => {
        const kv = keyValidation({ environment: "qa", createdAt: daysAgo(40), keyName: `raxx-qa-agents-${daysAgo(40)}` });
        const col = collector();
        validateMaxAge(resourceArgs(kv, { otherEnvironmentsMaxAgeDays: 30 }), col.report);
        expect(col.messages.join("\n")).toMatch(/the maximum for qa is 30 days/);
    });

    it("anthropic-key-max-age: a fixed reference date makes the check reproducible", () => {
        const kv = keyValidation({ createdAt: "2026-01-01", keyName: "raxx-prod-agents-2026-01-01" });
        const col = collector();
        validateMaxAge(resourceArgs(kv), col.report, new Date("2026-04-02T12:00:00Z"));
        expect(col.messages.join("\n")).toMatch(/is 91 days old .* due on 2026-04-01, 1 day\(s\) ago/);
    });

    it("anthropic-key-rotation-due: a wider window warns earlier", () => {
        const kv = keyValidation({ createdAt: daysAgo(65), keyName: `raxx-prod-agents-${daysAgo(65)}` });
        const quiet = collector();
        validateRotationDue(resourceArgs(kv), quiet.report);
        expect(quiet.messages).toEqual([]);
        const warn = collector();
        validateRotationDue(resourceArgs(kv, { warnDays: 30, urgentDays: 7 }), warn.report);
        expect(warn.messages.join("\n")).toMatch(/25 day\(s\) left/);
    });

    it("anthropic-key-rotation-due: follows the limits anthropic-key-max-age enforces, unless given its own", () => {
        const kv = keyValidation({ createdAt: daysAgo(170), keyName: `raxx-prod-agents-${daysAgo(170)}` });
        // The pack runs max-age before rotation-due on every resource.
        const maxAge = collector();
        validateMaxAge(resourceArgs(kv, { maxAgeDays: { prod: 180 } }), maxAge.report);
        expect(maxAge.messages).toEqual([]);
        const inherited = collector();
        validateRotationDue(resourceArgs(kv), inherited.report);
        expect(inherited.messages.join("\n")).toMatch(/reaches its 180-day limit on [\d-]+ — 10 day\(s\) left/);
        const own = collector();
        validateRotationDue(resourceArgs(kv, { maxAgeDays: { prod: 175 } }), own.report);
        expect(own.messages.join("\n")).toMatch(/URGENT: .*175-day limit .* 5 day\(s\) left/);
    });

    it("anthropic-key-name: project and purpose patterns", () => {
        const col = collector();
        void resourcePolicy("anthropic-key-name")(resourceArgs(keyValidation(), { projectPattern: "^acme$", purposePattern: "^(api|web)$" }), col.report);
        expect(col.messages.join("\n")).toMatch(/the project part "raxx" does not match the allowed pattern \^acme\$/);
        expect(col.messages.join("\n")).toMatch(/the purpose part "agents" does not match the allowed pattern/);
    });

    it("anthropic-key-validation-cost: allow-list and token limit", () => {
        const col = collector();
        void resourcePolicy("anthropic-key-validation-cost")(resourceArgs(keyValidation({ model: "claude-haiku-4-5-20251001" }), { allowDatedVariants: false, maxTokens: 5 }), col.report);
        expect(col.messages.join("\n")).toMatch(/not among the cheapest models \(claude-haiku-4-5\)/);
        expect(col.messages.join("\n")).toMatch(/at most 5/);
        const ok = collector();
        void resourcePolicy("anthropic-key-validation-cost")(resourceArgs(keyValidation({ model: "claude-3-5-haiku-latest" }), { allowedModels: ["claude-3-5-haiku-latest"] }), ok.report);
        expect(ok.messages).toEqual([]);
    });

    it("anthropic-key-no-plaintext: the allowed properties are configurable", () => {
        const col = collector();
        const cfg = { allowedProperties: { ...DEFAULT_ALLOWED_PROPERTIES, "command:local:Command": ["environment.ANTHROPIC_API_KEY"] } };
        void resourcePolicy("anthropic-key-no-plaintext")(resourceArgs(githubRepoSecret()), col.report);
        expect(col.messages).toEqual([]);
        const cmd = { ...prodStack().find((r) => r.name === "fly-agents-prod")! };
        void resourcePolicy("anthropic-key-no-plaintext")(resourceArgs({ ...cmd, props: { ...cmd.props, environment: { ANTHROPIC_API_KEY: KEYS.prod } } }, cfg), col.report);
        expect(col.messages).toEqual([]);
        void resourcePolicy("anthropic-key-no-plaintext")(resourceArgs({ ...cmd, props: { ...cmd.props, environment: { OTHER: KEYS.prod } } }, cfg), col.report);
        expect(col.messages.join("\n")).toMatch(/property `environment\.OTHER` contains an Anthropic key/);
    });

    it("anthropic-key-environment-isolation: detection fields and exemptions", () => {
        const stack = [...prodStack(), githubRepoSecret({ repository: "api-staging-tools" }, "github-tools")];
        const each = (resources: readonly Res[], config: object, report: ReportViolation) => resources.forEach((r) => void isolation(resourceArgs(r, config), report));
        const off = collector();
        each(stack, {}, off.report);
        expect(off.messages).toEqual([]);
        const on = collector();
        each(stack, { detectIn: [...DEFAULT_DETECT_IN, "github.repository"] }, on.report);
        expect(on.messages.join("\n")).toMatch(/GitHub repository \(`repository`\) "api-staging-tools" points at the staging environment/);
        const exempt = collector();
        each(stack, { detectIn: [...DEFAULT_DETECT_IN, "github.repository"], exemptResources: ["github-tools"] }, exempt.report);
        expect(exempt.messages).toEqual([]);
        const aliases = collector();
        const live = [...prodStack(), herokuVars({ app: "raxx-api-live" }, "heroku-live")];
        each(live, { environmentAliases: { prod: ["prod", "production"], staging: ["staging"], sandbox: ["live"] } }, aliases.report);
        expect(aliases.messages.join("\n")).toMatch(/"raxx-api-live" points at the sandbox environment/);
    });

    it("github-secret-name and heroku-config-var-name: the convention is configurable", () => {
        const col = collector();
        void resourcePolicy("heroku-config-var-name")(resourceArgs(herokuVars({ vars: ["CLAUDE_KEY"] }), { convention: "^CLAUDE_[A-Z]+$" }), col.report);
        void resourcePolicy("github-secret-name")(resourceArgs(githubRepoSecret({ secretName: "CLAUDE_KEY" }), { convention: "^CLAUDE_[A-Z]+$" }), col.report);
        expect(col.messages).toEqual([]);
        void resourcePolicy("github-secret-name")(resourceArgs(githubRepoSecret({ secretName: "NPM_TOKEN", value: "x" }), { conventionAppliesTo: "all" }), col.report);
        expect(col.messages.join("\n")).toMatch(/"NPM_TOKEN" does not follow the naming convention/);
    });

    describe("invalid config is rejected with a message that names the policy, the setting and the fix", () => {
        const cases: [string, () => void, RegExp][] = [
            ["urgentDays above warnDays", () => validateRotationDue(resourceArgs(keyValidation(), { warnDays: 5, urgentDays: 6 }), collector().report), /invalid policy pack config for "anthropic-key-rotation-due": urgentDays \(6\) must not exceed warnDays \(5\)/],
            ["a misspelt setting", () => validateMaxAge(resourceArgs(keyValidation(), { maxAge: 30 }), collector().report), /"maxAge" is not a setting of this policy \(known: maxAgeDays, otherEnvironmentsMaxAgeDays\)/],
            ["a non-integer limit", () => validateMaxAge(resourceArgs(keyValidation(), { maxAgeDays: { prod: "ninety" } }), collector().report), /maxAgeDays\.prod must be integer, got string/],
            ["a zero limit", () => validateMaxAge(resourceArgs(keyValidation(), { maxAgeDays: { prod: 0 } }), collector().report), /maxAgeDays\.prod must be at least 1, got 0/],
            ["a broken regular expression", () => void resourcePolicy("anthropic-key-name")(resourceArgs(keyValidation(), { projectPattern: "([" }), collector().report), /projectPattern is not a valid regular expression/],
            ["an unknown detection field", () => void isolation(resourceArgs(herokuVars(), { detectIn: ["heroku.appname"] }), collector().report), /detectIn\[0\] must be one of/],
            ["a bad alias key", () => void isolation(resourceArgs(herokuVars(), { environmentAliases: { Prod: ["prod"] } }), collector().report), /environmentAliases key "Prod" must be a lower-case environment name/],
        ];
        for (const [title, run, re] of cases) {
            it(title, () => {
                expect(run).toThrow(PolicyConfigError);
                expect(run).toThrow(re);
                try {
                    run();
                } catch (e) {
                    expect(String((e as Error).message)).toMatch(/Fix the "[a-z-]+" entry of the file given to --policy-pack-config/);
                }
            });
        }
        it("an empty model allow-list", () => {
            expect(() => resolveConfig(validationCostConfig, { allowedModels: [] })).toThrow(/allowedModels needs at least 1 entry/);
        });
    });
});

describe("no secret ever reaches a violation message", () => {
    it("scrubs keys, their fragments and anything key-shaped", () => {
        const key = KEYS.prod;
        expect(scrub(`a ${key} b`, [key])).toBe("a [REDACTED] b");
        expect(leaksSecret(scrub(`tail ${key.slice(13)} only`, [key]))).toBe(false);
        expect(leaksSecret(`x ${key} y`)).toBe(true);
        expect(leaksSecret(`x ${key.slice(20, 40)} y`)).toBe(true);
    });

    it("a key smuggled into any checked field is never echoed", () => {
        const col = collector();
        const k = KEYS.prodNext;
        const bad = [
            keyValidation({ keyName: k, environment: k, model: k, createdAt: k }),
            keyValidation({ keyName: `raxx-prod-${k.replace(/^sk-ant-/, "")}-2026-01-01` }),
            herokuVars({ app: k, vars: [k, `ANTHROPIC_${k}`] }),
            githubRepoSecret({ secretName: k, repository: k }),
            { ...herokuVars(), name: `heroku-${k}` },
        ];
        analyzeAll([...bad, orphan(herokuVars({ validatedFingerprint: undefined, app: `raxx-api-staging-${k}` }))], col.report);
        expect(col.messages.length).toBeGreaterThan(5);
        for (const m of col.messages) expect(leaksSecret(m), m).toBe(false);
    });

    afterAll(() => {
        // Every message any test in this file collected.
        expect(COLLECTED_MESSAGES.length).toBeGreaterThan(40);
        for (const m of COLLECTED_MESSAGES) {
            expect(leaksSecret(m), m).toBe(false);
            for (const key of ALL_FAKE_KEYS) expect(m).not.toContain(key);
        }
    });
});
