/**
 * The same cases through the REAL analyzer: the pack is started the way the engine starts it
 * (`node <@pulumi/pulumi>/cmd/run-policy-pack <address> .` in the pack directory, ts-node type-checking it),
 * configured with engine-style reconciled `--policy-pack-config` content, and driven over gRPC with
 * GetAnalyzerInfo, Analyze and AnalyzeStack. One pack process per config, shared by all its cases.
 */
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { policies } from "../rules";
import { FANOUT_AND_ISOLATION_CASES, RESOURCE_CASES, STAGING_RESOURCE_CASES } from "./support/cases";
import {
    daysAgo,
    githubRepoSecret,
    herokuVars,
    keyValidation,
    KEYS,
    leaksSecret,
    prodStack,
    Res,
    toAnalyzerResource,
} from "./support/fixtures";
import { AnalyzeDiagnostic, flatAnalyzer, PolicyPackConfig, PolicyPackConfigError, PolicyPackHandle, secret, startPolicyPack } from "../../offline/harness/policyAnalyzer";

const PACK_DIR = path.resolve(__dirname, "..");
const VERSION = (require(path.join(PACK_DIR, "package.json")) as { version: string }).version;
const LEVEL = new Map(policies.map((p) => [p.name, p.enforcementLevel]));

/** Every diagnostic message and every error any test saw, for the leak scan. */
const SEEN: string[] = [];

async function analyze(pack: PolicyPackHandle, r: Res, stack = "prod"): Promise<AnalyzeDiagnostic[]> {
    const { diagnostics } = await pack.analyze(toAnalyzerResource(r, [r], stack));
    SEEN.push(...diagnostics.map((d) => d.message));
    return diagnostics;
}

async function analyzeStack(pack: PolicyPackHandle, resources: readonly Res[], stack = "prod"): Promise<AnalyzeDiagnostic[]> {
    const { diagnostics } = await pack.analyzeStack(resources.map((r) => toAnalyzerResource(r, resources, stack)));
    SEEN.push(...diagnostics.map((d) => d.message));
    return diagnostics;
}

function expectOutcome(all: AnalyzeDiagnostic[], policy: string, expected: readonly RegExp[]) {
    const mine = all.filter((d) => d.policyName === policy);
    if (expected.length === 0) {
        expect(mine.map((d) => d.message)).toEqual([]);
        return;
    }
    expect(mine.length).toBeGreaterThan(0);
    for (const d of mine) {
        expect(d.policyPackName).toBe("anthropic-key-rotation");
        expect(d.policyPackVersion).toBe(VERSION);
        expect(d.enforcementLevel).toBe(LEVEL.get(policy));
        // The analyzer prefixes the description; the detail follows on the next line.
        expect(d.message.startsWith(`${d.description}\n`)).toBe(true);
    }
    for (const re of expected) {
        expect(mine.some((d) => re.test(d.message)), `no ${policy} diagnostic matches ${re}:\n${mine.map((d) => d.message).join("\n")}`).toBe(true);
    }
}

async function errorOf(p: Promise<unknown>): Promise<Error> {
    try {
        await p;
    } catch (e) {
        SEEN.push(String((e as Error).message));
        return e as Error;
    }
    throw new Error("expected a rejection");
}

/** The pack with no --policy-pack-config in the prod stack, shared by every describe below. */
let defaults: PolicyPackHandle;
beforeAll(async () => {
    defaults = await startPolicyPack(PACK_DIR, { stack: "prod", stackConfig: { "anthropic-key-rotation:keyName": "raxx-prod-agents-2026-11-23" } });
});
afterAll(async () => {
    await defaults?.stop();
});

describe("the pack as the engine runs it: default config, prod stack", () => {
    let pack: PolicyPackHandle;
    beforeAll(() => {
        pack = defaults;
    });

    it("loads, and GetAnalyzerInfo lists every policy with its enforcement level, type and config schema", async () => {
        const info = await pack.info();
        expect(info.name).toBe("anthropic-key-rotation");
        expect(info.version).toBe(VERSION);
        expect(info.supportsConfig).toBe(true);
        expect(info.policies.map((p) => [p.name, p.enforcementLevel, p.policyType])).toEqual([
            ["anthropic-key-name", "mandatory", "resource"],
            ["anthropic-key-max-age", "mandatory", "resource"],
            ["anthropic-key-rotation-due", "advisory", "resource"],
            ["anthropic-key-no-plaintext", "mandatory", "resource"],
            ["anthropic-key-validated-before-fanout", "mandatory", "resource"],
            ["anthropic-key-environment-isolation", "mandatory", "resource"],
            ["anthropic-key-validation-cost", "advisory", "resource"],
            ["github-secret-name", "mandatory", "resource"],
            ["github-prod-secret-scope", "mandatory", "resource"],
            ["github-prod-secret-scope-acknowledged", "advisory", "resource"],
            ["heroku-config-var-name", "mandatory", "resource"],
            ["anthropic-key-revocation-proof", "advisory", "resource"],
            ["anthropic-key-expiry", "mandatory", "resource"],
            ["anthropic-key-expiry-advisory", "advisory", "resource"],
        ]);
        const schema = (name: string) => info.policies.find((p) => p.name === name)?.configSchema?.properties as Record<string, { default?: unknown }>;
        expect(schema("anthropic-key-max-age").maxAgeDays!.default).toEqual({ prod: 90, staging: 90, dev: 365 });
        expect(schema("anthropic-key-rotation-due").warnDays!.default).toBe(14);
        expect(schema("anthropic-key-rotation-due").urgentDays!.default).toBe(7);
        expect(schema("anthropic-key-validation-cost").maxTokens!.default).toBe(10);
        expect(schema("anthropic-key-validation-cost").allowedModels!.default).toEqual(["claude-haiku-4-5"]);
        for (const p of info.policies) expect(p.description.length).toBeGreaterThan(20);
        // The engine configured every policy with its schema defaults.
        expect(pack.effectiveConfig["anthropic-key-max-age"]).toEqual({
            enforcementLevel: "mandatory",
            properties: { maxAgeDays: { prod: 90, staging: 90, dev: 365 }, otherEnvironmentsMaxAgeDays: 90 },
        });
    });

    it("a clean prod stack: no diagnostics from Analyze of any resource nor from AnalyzeStack", async () => {
        const stack = prodStack();
        for (const r of stack) expect((await analyze(pack, r)).map((d) => d.message)).toEqual([]);
        expect((await analyzeStack(pack, stack)).map((d) => d.message)).toEqual([]);
    });

    it("the flat interface the rehearsal harness uses gives the same verdicts", async () => {
        const flat = flatAnalyzer(pack);
        const stack = [...prodStack(), herokuVars({ app: "raxx-api-staging", validatedFingerprint: undefined }, "heroku-raxx-api-staging", [])];
        const registered = stack.map((r) => {
            const a = toAnalyzerResource(r, stack);
            return { urn: a.urn!, type: a.type, name: a.name, properties: a.props, dependencies: a.dependencies ?? [], propertyDependencies: a.propertyDependencies ?? {}, parent: a.parent ?? "" };
        });
        expect(await flat.analyze(registered[1]!)).toEqual([]);
        const diagnostics = await flat.analyze(registered.at(-1)!);
        SEEN.push(...diagnostics.map((d) => d.message));
        // Analyze diagnostics name no URN: the engine attaches them to the resource it asked about.
        expect(diagnostics.map((d) => [d.policyName, d.urn]).sort()).toEqual(
            [
                ["anthropic-key-environment-isolation", ""],
                ["anthropic-key-validated-before-fanout", ""],
            ].sort(),
        );
        // No stack policy is left to report anything after the fact.
        expect(await flat.analyzeStack(registered)).toEqual([]);
    });

    for (const c of [...RESOURCE_CASES, ...FANOUT_AND_ISOLATION_CASES]) {
        it(`Analyze — ${c.policy}: ${c.title}`, async () => {
            expectOutcome(await analyze(pack, c.resource), c.policy, c.expect);
        });
    }

    it("policies see secret inputs unwrapped, and never echo them", async () => {
        // `value` travels in the engine's secret wire form; only unwrapped can it be recognised as an Admin key.
        const r = githubRepoSecret({ value: KEYS.admin });
        expect(toAnalyzerResource(r).props.value).toEqual(secret(KEYS.admin));
        const diagnostics = await analyze(pack, r);
        expectOutcome(diagnostics, "anthropic-key-no-plaintext", [/`value` carries an Anthropic Admin API key/]);
        for (const d of diagnostics) expect(leaksSecret(d.message), d.message).toBe(false);
    });
});

describe("the pack with a --policy-pack-config: changed thresholds change the outcome", () => {
    const config: PolicyPackConfig = {
        "anthropic-key-max-age": { maxAgeDays: { prod: 30 } },
        "anthropic-key-rotation-due": { warnDays: 30, urgentDays: 10 },
        "anthropic-key-name": { projectPattern: "^acme$" },
        "anthropic-key-validation-cost": { enforcementLevel: "mandatory", maxTokens: 5 },
        "anthropic-key-environment-isolation": {
            detectIn: ["heroku.app", "github.environment", "github.repository"],
            exemptResources: ["heroku-raxx-api-staging"],
        },
        "heroku-config-var-name": { convention: "^CLAUDE_[A-Z_]+$" },
        "github-secret-name": "disabled",
    };
    let pack: PolicyPackHandle;
    beforeAll(async () => {
        pack = await startPolicyPack(PACK_DIR, { stack: "prod", config });
    });
    afterAll(async () => {
        await pack?.stop();
    });

    it("anthropic-key-max-age: a 45-day-old prod key passes by default and fails with maxAgeDays.prod = 30", async () => {
        const kv = keyValidation({ createdAt: daysAgo(45), keyName: `raxx-prod-agents-${daysAgo(45)}` });
        expectOutcome(await analyze(defaults, kv), "anthropic-key-max-age", []);
        expectOutcome(await analyze(pack, kv), "anthropic-key-max-age", [/is 45 days old .* the maximum for prod is 30 days/]);
    });

    it("anthropic-key-rotation-due: follows max-age's 30-day limit, with a 30-day window and a 10-day escalation", async () => {
        const twentyLeft = keyValidation({ createdAt: daysAgo(10), keyName: `raxx-prod-agents-${daysAgo(10)}` });
        const fiveLeft = keyValidation({ createdAt: daysAgo(25), keyName: `raxx-prod-agents-${daysAgo(25)}` });
        expectOutcome(await analyze(defaults, twentyLeft), "anthropic-key-rotation-due", []);
        expectOutcome(await analyze(defaults, fiveLeft), "anthropic-key-rotation-due", []);
        expectOutcome(await analyze(pack, twentyLeft), "anthropic-key-rotation-due", [/^(?!.*URGENT).*reaches its 30-day limit on [\d-]+ — 20 day\(s\) left/m]);
        expectOutcome(await analyze(pack, fiveLeft), "anthropic-key-rotation-due", [/URGENT: .*30-day limit .* 5 day\(s\) left/]);
    });

    it("anthropic-key-name: the project pattern is honoured", async () => {
        expectOutcome(await analyze(defaults, keyValidation()), "anthropic-key-name", []);
        expectOutcome(await analyze(pack, keyValidation()), "anthropic-key-name", [/the project part "raxx" does not match the allowed pattern \^acme\$/]);
    });

    it("anthropic-key-validation-cost: a lower token limit, and a raised enforcement level", async () => {
        expectOutcome(await analyze(defaults, keyValidation()), "anthropic-key-validation-cost", []);
        const diagnostics = (await analyze(pack, keyValidation())).filter((d) => d.policyName === "anthropic-key-validation-cost");
        expect(diagnostics.map((d) => d.enforcementLevel)).toEqual(["mandatory"]);
        expect(diagnostics[0]!.message).toMatch(/asks for `maxTokens` 10; a validation ping needs at most 5/);
    });

    it("anthropic-key-environment-isolation: detection fields and exemptions", async () => {
        const stack = [
            ...prodStack(),
            herokuVars({ app: "raxx-api-staging" }, "heroku-raxx-api-staging"),
            githubRepoSecret({ repository: "api-staging-tools", secretName: "ANTHROPIC_API_KEY_STAGING" }, "github-tools"),
        ];
        const isolation = async (p: PolicyPackHandle) =>
            (await Promise.all(stack.map((r) => analyze(p, r)))).flat().filter((d) => d.policyName === "anthropic-key-environment-isolation").map((d) => d.message);
        const byDefault = await isolation(defaults);
        expect(byDefault.join("\n")).toMatch(/"raxx-api-staging" points at the staging/);
        expect(byDefault.join("\n")).toMatch(/"ANTHROPIC_API_KEY_STAGING" points at the staging/);
        expect(byDefault.join("\n")).not.toMatch(/api-staging-tools/);
        const configured = await isolation(pack);
        expect(configured).toHaveLength(1);
        expect(configured[0]).toMatch(/GitHub repository \(`repository`\) "api-staging-tools" points at the staging environment/);
    });

    it("heroku-config-var-name: a different convention; github-secret-name: disabled", async () => {
        const claude = herokuVars({ vars: ["CLAUDE_KEY"] });
        expectOutcome(await analyze(defaults, claude), "heroku-config-var-name", [/"CLAUDE_KEY" does not follow the naming convention/]);
        expectOutcome(await analyze(pack, claude), "heroku-config-var-name", []);
        expectOutcome(await analyze(pack, herokuVars()), "heroku-config-var-name", [/"ANTHROPIC_API_KEY" does not follow the naming convention \^CLAUDE_\[A-Z_\]\+\$/]);
        const bad = githubRepoSecret({ secretName: "GITHUB_TOKEN_X" });
        expectOutcome(await analyze(defaults, bad), "github-secret-name", [/must not start with GITHUB_/]);
        expectOutcome(await analyze(pack, bad), "github-secret-name", []);
    });
});

describe("the pack in the staging stack", () => {
    let pack: PolicyPackHandle;
    beforeAll(async () => {
        pack = await startPolicyPack(PACK_DIR, { stack: "staging" });
    });
    afterAll(async () => {
        await pack?.stop();
    });

    for (const c of STAGING_RESOURCE_CASES) {
        it(`Analyze — ${c.policy}: ${c.title}`, async () => {
            expectOutcome(await analyze(pack, c.resource, "staging"), c.policy, c.expect);
        });
    }
});

describe("invalid policy config is rejected with a clear message", () => {
    it("schema violations are rejected before any analysis, naming the policy and the setting", async () => {
        const e = await errorOf(
            startPolicyPack(PACK_DIR, {
                config: {
                    "anthropic-key-max-age": { maxAgeDays: { prod: "ninety" } },
                    "anthropic-key-rotation-due": { warnDays: -1 },
                    "anthropic-key-name": { projectPattern: "([" },
                },
            }),
        );
        expect(e).toBeInstanceOf(PolicyPackConfigError);
        expect(e.message).toMatch(/^validating policy config:/);
        expect(e.message).toMatch(/Policy "anthropic-key-max-age": maxAgeDays\.prod: must be integer/);
        expect(e.message).toMatch(/Policy "anthropic-key-rotation-due": warnDays: must be >= 1/);
        expect(e.message).toMatch(/Policy "anthropic-key-name": projectPattern: must match format "regex"/);
    });

    it("an unknown enforcement level is rejected", async () => {
        const e = await errorOf(startPolicyPack(PACK_DIR, { config: { "anthropic-key-max-age": "strict" as never } }));
        expect(e.message).toMatch(/Value "strict" for "anthropic-key-max-age" is not a valid enforcement level/);
    });

    it("what a schema cannot express is rejected by the pack itself when it analyzes", async () => {
        // The schema accepts both numbers; only together are they wrong. The engine passes the config on, and
        // the pack fails the analysis (and so the preview) with its own message.
        const pack = await startPolicyPack(PACK_DIR, { stack: "prod", config: { "anthropic-key-rotation-due": { warnDays: 5, urgentDays: 6 } } });
        try {
            const e = await errorOf(analyze(pack, keyValidation()));
            expect(e.message).toMatch(/Error validating resource with policy 'anthropic-key-rotation-due'/);
            expect(e.message).toMatch(/invalid policy pack config for "anthropic-key-rotation-due": urgentDays \(6\) must not exceed warnDays \(5\)/);
            expect(e.message).toMatch(/Fix the "anthropic-key-rotation-due" entry of the file given to --policy-pack-config/);
            // Resources the policy does not apply to are still analyzed.
            expect((await analyze(pack, herokuVars())).map((d) => d.message)).toEqual([]);
        } finally {
            await pack.stop();
        }
    });
});

describe("no violation message carries a secret", () => {
    it("none of the diagnostics or errors above contains a fake key, a run of one, or the key prefix", () => {
        expect(SEEN.length).toBeGreaterThan(40);
        for (const m of SEEN) expect(leaksSecret(m), m).toBe(false);
    });
});
