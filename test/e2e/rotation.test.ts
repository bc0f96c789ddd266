import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fingerprint } from "../../components/domain/fingerprint";
import type { RehearsalRun } from "../../offline/harness/rehearsal";
import { HEALTH_PATH } from "../../offline/harness/sandbox";
import { PROCESSES_SETUP_MS } from "../support/timeouts";
import { Scenario, stepOf } from "./scenario";

/**
 * A scheduled rotation from start to finish, through the real program, the real dynamic provider host and the
 * real policy pack, against the emulated services: adopt key A, preview the change to key B, rotate to B, and
 * run again with B (nothing to do).
 */
describe("scheduled rotation, end to end", () => {
    let sc: Scenario;
    let keyA: ReturnType<Scenario["createKey"]>;
    let keyB: ReturnType<Scenario["createKey"]>;
    let adopt: RehearsalRun;
    let preview: RehearsalRun;
    let rotate: RehearsalRun;
    let again: RehearsalRun;
    let writesBeforePreview: number;
    let writesAfterPreview: number;
    let valuesAfterAdopt: Record<string, string | undefined>;
    let valuesAfterPreview: Record<string, string | undefined>;
    let releasesBeforeRotation: Record<string, number>;

    beforeAll(async () => {
        sc = await Scenario.start();
        keyA = sc.createKey();
        adopt = await sc.upOk(keyA.value, { policies: true });
        valuesAfterAdopt = sc.consumerValues();
        keyB = sc.createKey();
        writesBeforePreview = sc.consumerWrites().length;
        preview = await sc.up(keyB.value, { preview: true });
        writesAfterPreview = sc.consumerWrites().length;
        valuesAfterPreview = sc.consumerValues();
        releasesBeforeRotation = Object.fromEntries(sc.sandbox.targets().herokuApps.map((app) => [app, sc.sandbox.heroku.releaseCount(app)]));
        rotate = await sc.upOk(keyB.value);
        again = await sc.upOk(keyB.value);
    }, PROCESSES_SETUP_MS);
    afterAll(() => sc?.stop());

    it("registers every consumer and passes every policy", () => {
        const types = adopt.registrations.map((r) => r.type);
        for (const t of [
            "anthropic-key-rotation:index:AnthropicKey",
            "pulumi-nodejs:dynamic/anthropic:KeyValidation",
            "pulumi-nodejs:dynamic/infisical:Secret",
            "pulumi-nodejs:dynamic/heroku:ConfigVars",
            "github:index/actionsSecret:ActionsSecret",
            "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
            "pulumi-nodejs:dynamic/health:HealthChecks",
            "pulumi-nodejs:dynamic/anthropic:PreviousKeyRevocation",
            "pulumi-nodejs:dynamic/audit:RotationAudit",
        ]) {
            expect(types).toContain(t);
        }
        // As the engine does: Analyze for every resource (components, providers and the Stack too), AnalyzeStack once.
        expect(adopt.policyCalls.analyze).toBe(adopt.registrations.length);
        expect(adopt.policyCalls.analyzeStack).toBe(1);
        expect(adopt.policyDiagnostics.filter((d) => d.enforcementLevel === "mandatory")).toEqual([]);
        expect(Object.values(valuesAfterAdopt).length).toBeGreaterThanOrEqual(4);
        for (const [label, value] of Object.entries(valuesAfterAdopt)) expect(value === keyA.value, label).toBe(true);
    });

    it("validates before anything is written, and writes the system of record before the other consumers", () => {
        const order = adopt.steps.filter((s) => s.op !== "same").map((s) => s.type);
        const at = (suffix: string) => order.findIndex((t) => t.endsWith(suffix));
        expect(at("KeyValidation")).toBeLessThan(at("infisical:Secret"));
        expect(at("infisical:Secret")).toBeLessThan(at("heroku:ConfigVars"));
        expect(at("infisical:Secret")).toBeLessThan(at("actionsSecret:ActionsSecret"));
        expect(at("heroku:ConfigVars")).toBeLessThan(at("HealthChecks"));
        expect(at("HealthChecks")).toBeLessThan(at("PreviousKeyRevocation"));
        expect(at("PreviousKeyRevocation")).toBeLessThan(at("RotationAudit"));
        const validation = adopt.registrations.find((r) => r.type.endsWith("KeyValidation"))!;
        for (const r of adopt.registrations.filter((x) => /infisical|heroku|actions/.test(x.type) && x.custom)) {
            expect(r.dependencies, `${r.name} depends on the validation`).toContain(validation.urn);
        }
    });

    it("previews the change per consumer as fingerprints, without writing anything", () => {
        expect(preview.error).toBeUndefined();
        const fpA = fingerprint(keyA.value);
        const fpB = fingerprint(keyB.value);
        const changed = preview.steps.filter((s) => s.type.startsWith("pulumi-nodejs:dynamic") && s.op === "update");
        for (const suffix of ["KeyValidation", "infisical:Secret", "heroku:ConfigVars"]) {
            const step = changed.find((s) => s.type.endsWith(suffix));
            expect(step, suffix).toMatchObject({ oldFingerprint: fpA, newFingerprint: fpB });
        }
        expect(writesAfterPreview).toBe(writesBeforePreview);
        expect(valuesAfterPreview).toEqual(valuesAfterAdopt);
    });

    it("rotates every consumer to the new key in one release per Heroku app, keeping their other vars", () => {
        sc.expectConsumersHold(keyB.value);
        for (const [app, before] of Object.entries(releasesBeforeRotation)) expect(sc.sandbox.heroku.releaseCount(app) - before, app).toBe(1);
        const github = rotate.registrations.filter((r) => r.type.startsWith("github:index/actions"));
        expect(github).toHaveLength(2);
        for (const g of github) {
            expect(g.secretInputs).toContain("plaintextValue");
            expect(g.inputs.plaintextValue).toBe("[secret]");
            expect(g.inputs).not.toHaveProperty("value");
        }
    });

    it("keeps Infisical's history: both keys, in order", () => {
        const history = sc.sandbox.infisical.history({ projectId: "raxx-sandbox-project", environment: "sandbox", secretPath: "/anthropic", secretName: "ANTHROPIC_API_KEY" });
        expect(history.map((v) => fingerprint(v.value))).toEqual([fingerprint(keyA.value), fingerprint(keyB.value)]);
    });

    it("checks consumer health, then deactivates the previous key and proves it answers 401", () => {
        expect(sc.sandbox.health.hits(HEALTH_PATH)).toBeGreaterThanOrEqual(2);
        expect(sc.sandbox.anthropic.key(keyA.id)?.status).toBe("inactive");
        expect(sc.sandbox.anthropic.key(keyB.id)?.status).toBe("active");
        const proof = sc.sandbox.anthropic.calls({ fingerprint: keyA.fingerprint }).filter((c) => c.outcome === 401);
        expect(proof.length).toBeGreaterThanOrEqual(1);
        expect(rotate.stackOutputs.revocation).toMatchObject({ mode: "deactivate" });
        expect(String((rotate.stackOutputs.revocation as { result: string }).result)).toMatch(/401/);
    });

    it("appends one audit line per rotation, and exports the same record", () => {
        const records = sc.auditRecords();
        expect(records.map((r) => r.action)).toEqual(["secret.rotate.completed", "secret.rotate.completed"]);
        const last = records[1]!;
        expect(last).toMatchObject({
            environment: "sandbox",
            keyName: sc.sandbox.keyName(),
            method: "operator-assisted-console",
            oldFingerprint: fingerprint(keyA.value),
            newFingerprint: fingerprint(keyB.value),
            workspace: "wrkspc_01RaxxSandbox",
            emergency: false,
        });
        expect(last.targets.length).toBe(5);
        expect(last.health[0]).toMatchObject({ ok: true, status: 200 });
        expect(rotate.stackOutputs.audit).toEqual(last);
    });

    it("exports names, dates and fingerprints only: no stack output is secret", () => {
        for (const run of [adopt, rotate]) {
            expect(run.secretStackOutputs).toEqual([]);
            expect(run.stackOutputs).toMatchObject({ environment: "sandbox", fingerprint: fingerprint(run === adopt ? keyA.value : keyB.value), maxAgeDays: 90 });
        }
    });

    it("does nothing when run again with the same key", () => {
        const changed = again.steps.filter((s) => s.op !== "same");
        expect(changed).toEqual([]);
        expect(stepOf(again, "KeyValidation")?.op).toBe("same");
        expect(sc.auditRecords()).toHaveLength(2);
    });
});
