import { beforeAll, describe, expect, it } from "vitest";
import { join } from "path";
import { readStackFile } from "../../components/config/stackFile";
import { fingerprint } from "../../components/domain/fingerprint";
import { rehearse, RehearsalRun } from "../../offline/harness/rehearsal";
import { makeAdminKey, makeApiKey } from "../../offline/emulators/keys";
import { scanForLeaks } from "../support/leakScan";
import { PROCESS_SETUP_MS } from "../support/timeouts";
import { PROJECT_ROOT } from "../../offline/harness/providerHost";

/**
 * The program as `pulumi preview` runs it for the committed prod and staging stacks: TypeScript through ts-node
 * in a child process (as the Pulumi language host does), each resource checked and diffed by the real dynamic
 * provider host. Preview never creates anything, so no service is needed.
 */

const EXPECTED: Record<string, Record<string, number>> = {
    prod: {
        "anthropic-key-rotation:index:AnthropicKey": 1,
        "pulumi-nodejs:dynamic/anthropic:KeyValidation": 1,
        "pulumi-nodejs:dynamic/anthropic:KeyLedger": 1,
        "pulumi-nodejs:dynamic/preflight:CredentialPreflight": 1,
        "pulumi-nodejs:dynamic/infisical:Secret": 1,
        "pulumi-nodejs:dynamic/heroku:ConfigVars": 2,
        "github:index/actionsSecret:ActionsSecret": 1,
        "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret": 1,
        "command:local:Command": 0,
        "pulumi-nodejs:dynamic/health:HealthChecks": 1,
        "pulumi-nodejs:dynamic/anthropic:PreviousKeyRevocation": 1,
        "pulumi-nodejs:dynamic/audit:RotationAudit": 1,
    },
    staging: {
        "anthropic-key-rotation:index:AnthropicKey": 1,
        "pulumi-nodejs:dynamic/anthropic:KeyValidation": 1,
        "pulumi-nodejs:dynamic/anthropic:KeyLedger": 1,
        "pulumi-nodejs:dynamic/preflight:CredentialPreflight": 1,
        "pulumi-nodejs:dynamic/infisical:Secret": 1,
        "pulumi-nodejs:dynamic/heroku:ConfigVars": 1,
        "github:index/actionsSecret:ActionsSecret": 0,
        "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret": 1,
        "command:local:Command": 1,
        "pulumi-nodejs:dynamic/health:HealthChecks": 1,
        "pulumi-nodejs:dynamic/anthropic:PreviousKeyRevocation": 1,
        "pulumi-nodejs:dynamic/audit:RotationAudit": 1,
    },
};

/**
 * The resource names of the committed stacks. A name is part of the URN: renaming a resource makes the engine
 * create the new one and delete the old one. New resources may be added freely; change or remove a name here only
 * together with an `aliases` option naming the old one (or a deliberate removal).
 */
const STABLE_NAMES: Record<string, string[]> = {
    prod: [
        "ActionsEnvironmentSecret prod-github-raxx-app-api-env-production-ANTHROPIC_API_KEY_PROD",
        "ActionsSecret prod-github-raxx-app-agents-ANTHROPIC_API_KEY",
        "AnthropicKey prod",
        "ConfigVars prod-heroku-raxx-agents-prod",
        "ConfigVars prod-heroku-raxx-api-prod",
        "HealthChecks prod-health",
        "KeyLedger prod-key-ledger",
        "KeyValidation prod-validation",
        "CredentialPreflight prod-preflight",
        "PreviousKeyRevocation prod-previous-key",
        "RotationAudit prod-audit",
        "Secret prod-infisical-6f1c2a9e-raxx-platform-prod-anthropic-ANTHROPIC_API_KEY",
        "Stack anthropic-key-rotation-prod",
        "github prod-github-raxx-app",
    ],
    staging: [
        "ActionsEnvironmentSecret staging-github-raxx-app-agents-env-staging-ANTHROPIC_API_KEY_STAGING",
        "AnthropicKey staging",
        "Command staging-command-fly-agents-staging",
        "ConfigVars staging-heroku-raxx-api-staging",
        "HealthChecks staging-health",
        "KeyLedger staging-key-ledger",
        "KeyValidation staging-validation",
        "CredentialPreflight staging-preflight",
        "PreviousKeyRevocation staging-previous-key",
        "RotationAudit staging-audit",
        "Secret staging-infisical-6f1c2a9e-raxx-platform-staging-anthropic-ANTHROPIC_API_KEY",
        "Stack anthropic-key-rotation-staging",
        "github staging-github-raxx-app",
    ],
};

/** The input that carries the key, per resource type. */
const KEY_INPUT: Record<string, string> = {
    "pulumi-nodejs:dynamic/anthropic:KeyValidation": "apiKey",
    "pulumi-nodejs:dynamic/infisical:Secret": "apiKey",
    "pulumi-nodejs:dynamic/heroku:ConfigVars": "apiKey",
    "pulumi-nodejs:dynamic/anthropic:PreviousKeyRevocation": "apiKey",
    "pulumi-nodejs:dynamic/anthropic:KeyLedger": "apiKey",
    "github:index/actionsSecret:ActionsSecret": "plaintextValue",
    "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret": "plaintextValue",
    "command:local:Command": "environment",
};

/** Consumers whose key input is the key released with the validation's receipt (unknown in this preview). */
const RELEASED_AFTER_VALIDATION = [
    "github:index/actionsSecret:ActionsSecret",
    "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
    "command:local:Command",
];
/** The engine's wire form of a value not known during a preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

describe.each(["prod", "staging"])("pulumi preview of the %s stack", (stack) => {
    const key = makeApiKey();
    let run: RehearsalRun;

    beforeAll(async () => {
        // ts-node, exactly as `pulumi preview` runs this TypeScript project.
        run = await rehearse({ stack, apiKey: key, preview: true, runtime: "ts-node", providerEnv: { ANTHROPIC_ADMIN_API_KEY: makeAdminKey() } });
    }, PROCESS_SETUP_MS);

    it("registers the expected resources, all children of the one AnthropicKey", () => {
        expect(run.error, run.stderr).toBeUndefined();
        const component = run.registrations.find((r) => r.type === "anthropic-key-rotation:index:AnthropicKey")!;
        for (const [type, count] of Object.entries(EXPECTED[stack]!)) {
            const found = run.registrations.filter((r) => r.type === type);
            expect(found, type).toHaveLength(count);
            if (type !== "anthropic-key-rotation:index:AnthropicKey") for (const r of found) expect(r.parent, r.name).toBe(component.urn);
        }
    });

    it("gives every consumer the key as a secret input, or (GitHub, commands) only once the validation vouched for it", () => {
        for (const r of run.registrations) {
            const input = KEY_INPUT[r.type];
            if (!input) continue;
            if (RELEASED_AFTER_VALIDATION.includes(r.type)) {
                // The key is released with the validation's receipt, which a preview that validates does not know
                // yet: the engine sees a computed value, never the key (components/anthropic/validationReceipt.ts).
                expect(JSON.stringify(r.inputs[input]), `${r.name}.${input}`).toContain(UNKNOWN);
                expect(JSON.stringify(r.inputs[input])).not.toContain(key);
                continue;
            }
            expect(r.secretInputs, `${r.name}.${input}`).toContain(input);
            expect(r.inputs[input], `${r.name}.${input} masked in the result`).toBe("[secret]");
        }
    });

    it("gives Heroku and Infisical targets the validation's receipt, not known before the validation ran", () => {
        const receipts = run.registrations.filter((r) => r.type === "pulumi-nodejs:dynamic/heroku:ConfigVars" || r.type === "pulumi-nodejs:dynamic/infisical:Secret");
        expect(receipts.length).toBeGreaterThanOrEqual(2);
        for (const r of receipts) expect(r.inputs.validatedFingerprint, r.name).toBe(UNKNOWN);
    });

    it("shows the key's fingerprint as a plain input of every dynamic target, so the diff is readable", () => {
        const fp = fingerprint(key);
        const dynamic = run.registrations.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/") && !r.type.endsWith("RotationAudit"));
        expect(dynamic.length).toBeGreaterThanOrEqual(5);
        for (const r of dynamic) {
            expect(r.inputs.fingerprint, r.name).toBe(fp);
            expect(r.secretInputs).not.toContain("fingerprint");
        }
        const creates = run.steps.filter((s) => s.type.startsWith("pulumi-nodejs:dynamic/") && s.newFingerprint);
        for (const s of creates) expect(s).toMatchObject({ op: "create", newFingerprint: fp });
    });

    it("exports a per-target summary with fingerprints, and nothing secret", () => {
        expect(run.secretStackOutputs).toEqual([]);
        const targets = run.stackOutputs.targets as { kind: string; fingerprint: string }[];
        expect(targets.length).toBeGreaterThanOrEqual(4);
        for (const t of targets) expect(t.fingerprint).toBe(fingerprint(key));
        expect(run.stackOutputs).toMatchObject({ environment: stack, fingerprint: fingerprint(key), maxAgeDays: 90 });
        expect(typeof run.stackOutputs.dueDate).toBe("string");
    });

    it("never puts the key or a credential in a serialized provider, in outputs or in output", () => {
        expect(run.providerTexts.length).toBeGreaterThanOrEqual(5);
        const artifacts = [
            ...run.providerTexts.map((text, i) => ({ name: `provider ${i}`, text })),
            { name: "result", text: JSON.stringify({ ...run, stdout: "", stderr: "" }) },
            { name: "stdout", text: run.stdout },
            { name: "stderr", text: run.stderr },
        ];
        expect(scanForLeaks(artifacts, [key])).toEqual([]);
        for (const text of run.providerTexts) expect(text).not.toMatch(/ANTHROPIC_ADMIN_API_KEY\s*[:=]\s*["']/);
    });

    it("names each consumer by what it is, so reordering the targets renames (and replaces) nothing", async () => {
        const file = readStackFile(join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), stack);
        const targets = JSON.parse(file.values.targets!) as Record<string, unknown[]>;
        const reversed = Object.fromEntries(Object.entries(targets).map(([kind, list]) => [kind, [...list].reverse()]));
        const again = await rehearse({ stack, apiKey: key, preview: true, config: { targets: reversed } });
        expect(again.error, again.stderr).toBeUndefined();
        // Each URN must still name the same consumer (an index-based name would move to another one).
        const identity = (r: RehearsalRun["registrations"][number]) =>
            JSON.stringify(["app", "repository", "environment", "secretName", "projectId", "secretPath", "organization", "create"].map((k) => r.inputs[k] ?? null));
        const byUrn = (x: RehearsalRun) => Object.fromEntries(x.registrations.filter((r) => r.custom).map((r) => [r.urn, identity(r)]));
        expect(byUrn(again)).toEqual(byUrn(run));
        expect(Object.keys(byUrn(run)).length).toBeGreaterThanOrEqual(6);
    }, PROCESS_SETUP_MS);

    it("leaves every consumer's value in place on destroy unless the target opts in with removeOnDelete", () => {
        const github = run.registrations.filter((r) => r.type.startsWith("github:index/actions"));
        expect(github.length).toBeGreaterThanOrEqual(1);
        for (const r of github) expect(r.retainOnDelete, `${r.name}: GitHub secrets must be registered with retainOnDelete`).toBe(true);
        // Heroku and Infisical keep theirs in their providers' delete, driven by this input.
        for (const r of run.registrations.filter((x) => x.type === "pulumi-nodejs:dynamic/heroku:ConfigVars" || x.type === "pulumi-nodejs:dynamic/infisical:Secret")) {
            expect(r.inputs.removeOnDelete, r.name).toBe(false);
        }
    });

    it("keeps the resource names of the committed stack (a renamed resource is deleted and created: add an alias)", () => {
        const names = run.registrations.map((r) => `${r.type.split(":").pop()} ${r.name}`);
        const missing = STABLE_NAMES[stack]!.filter((n) => !names.includes(n));
        expect(missing, "these resources were renamed or removed: give the new resource `aliases: [{ name: <old name> }]`").toEqual([]);
    });

    it("makes no change in preview: nothing is created", () => {
        expect(run.steps.every((s) => !s.error)).toBe(true);
        expect(run.steps.filter((s) => s.type.startsWith("pulumi-nodejs:dynamic/")).every((s) => s.op === "create")).toBe(true);
    });
});

describe("bad input stops the program before anything is registered", () => {
    it("lists every config problem at once, names the fix, and echoes no secret", async () => {
        const adminKey = makeAdminKey();
        const run = await rehearse({ stack: "prod", apiKey: adminKey, preview: true, config: { keyName: "raxx-staging-agents-2026-02-30" } });
        expect(run.exitCode).not.toBe(0);
        expect(run.error).toMatch(/has 2 problems/);
        expect(run.error).toMatch(/anthropic-key-rotation:apiKey: is not a usable Anthropic API key: this is an Admin API key/);
        expect(run.error).toMatch(/anthropic-key-rotation:keyName: .*environment is "staging"/);
        expect(run.error).toMatch(/Fix: /);
        expect(run.registrations.filter((r) => r.custom)).toEqual([]);
        expect(scanForLeaks([{ name: "error", text: run.error ?? "" }, { name: "stderr", text: run.stderr }, { name: "stdout", text: run.stdout }], [adminKey])).toEqual([]);
    }, PROCESS_SETUP_MS);
});
