import { chmodSync, mkdtempSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { describe, expect, it } from "vitest";
import { attributeCalls, callShape, sequentialCalls } from "../../tools/bench/apiCalls";
import { renderBench } from "../../tools/bench/render";
import type { BenchRun, BenchSize } from "../../tools/bench/run";
import { criticalPath } from "../../tools/bench/criticalPath";
import { readEventLog } from "../../tools/rehearse/cliRunner";
import { locatePulumi } from "../../tools/toolchain/locate";
import { buildReport } from "../../tools/rehearse/report";
import { renderRehearsal } from "../../tools/rehearse/render";
import { sealReport } from "../../tools/rehearse/run";
import { makeStyle, stripAnsi, table, timelineBar, visibleWidth, wantsColor } from "../../tools/shared/terminal";
import { makeApiKey } from "../../offline/emulators/keys";
import { facts, FP_A, FP_B, FULL_ROTATION, phase, resources, steps, T, U } from "./fixtures";

/** The rehearsal's and benchmark's pure parts: report building, rendering, sealing, critical path, CLI event logs. */

const plain = makeStyle(false);

describe("rehearsal report", () => {
    it("names the failing step and its target, marks later steps not started, and fails", () => {
        const t0 = 1_000_000;
        const error = "heroku raxx-api-sandbox: PATCH /apps/raxx-api-sandbox/config-vars answered 500 after 3 attempts; run again once Heroku is healthy";
        const rotate = phase("rotate", {
            ok: false,
            error,
            steps: steps(t0, [
                [U.validation, T.validation, 1000, 1300],
                [U.infisical, T.infisical, 1310, 1500],
                [U.api, T.heroku, 1510, 1700, error],
                [U.agents, T.heroku, 1505, 1800],
            ]),
        });
        const report = buildReport(facts([phase("adopt"), phase("preview"), rotate]));
        expect(report.ok).toBe(false);
        expect(report.failure).toEqual({ phase: "rotate", step: "Heroku", target: "raxx-api-sandbox (ANTHROPIC_API_KEY)", message: error });
        expect(report.stepsOf).toBe("rotate");
        expect(report.steps.map((s) => [s.kind, s.status])).toEqual([
            ["validation", "ok"],
            ["infisical", "ok"],
            ["heroku", "ok"],
            ["heroku", "failed"],
            ["health", "not started"],
            ["revocation", "not started"],
            ["audit", "not started"],
        ]);
        expect(report.checks).toEqual([]);
        const text = renderRehearsal(report, plain);
        expect(text).toContain("✖ Rehearsal failed at step Heroku (raxx-api-sandbox (ANTHROPIC_API_KEY)), during pulumi up (rotation A → B) after 12.3 s");
        expect(text).toContain(error);
        expect(text).toMatch(/–\s{2}health\s+-\s+–\s+–\s+not started/);
        expect(text).toContain("(no health result: the rotation did not reach the health step)");
    });

    it("names the phase when the program fails before any step (e.g. a config error)", () => {
        const adopt = phase("adopt", { ok: false, error: "anthropic-key-rotation:keyName: must be {project}-{environment}-{purpose}-{YYYY-MM-DD}", steps: [] });
        const report = buildReport(facts([adopt]));
        expect(report.failure).toMatchObject({ phase: "adopt", step: "program" });
        expect(report.stepsOf).toBe("adopt");
        expect(renderRehearsal(report, plain)).toContain("✖ Rehearsal failed at step program, during pulumi up (adopt key A)");
    });

    it("turns policy diagnostics into one verdict per policy", () => {
        const diag = (policyName: string, enforcementLevel: string) => ({ policyName, enforcementLevel, message: `${policyName} says no` });
        const preview = phase("preview", { policyDiagnostics: [diag("anthropic-key-rotation-due", "advisory")] });
        const rotate = phase("rotate", { policyDiagnostics: [diag("anthropic-key-rotation-due", "advisory"), diag("anthropic-key-name", "mandatory")] });
        const report = buildReport(facts([phase("adopt"), preview, rotate]));
        expect(report.policies.verdicts).toEqual([
            { policy: "anthropic-key-name", level: "mandatory", verdict: "mandatory", violations: 1, messages: ["anthropic-key-name says no"] },
            { policy: "anthropic-key-rotation-due", level: "advisory", verdict: "advisory", violations: 2, messages: ["anthropic-key-rotation-due says no"] },
        ]);
        const text = renderRehearsal(report, plain);
        expect(text).toMatch(/✖\s+anthropic-key-name\s+mandatory\s+mandatory violation \(1\)/);
        expect(text).toMatch(/⚠\s+anthropic-key-rotation-due\s+advisory\s+advisory \(2\)/);
    });

    it("fails a finished rotation whose consumer does not hold the new key, or whose app was released twice", () => {
        const target = (fingerprint: string) => ({ targets: [{ kind: "heroku", target: "heroku app raxx-api-sandbox (ANTHROPIC_API_KEY)", fingerprint }] });
        const report = buildReport(
            facts([phase("adopt", { stackOutputs: target(FP_A) }), phase("preview"), phase("rotate", { stackOutputs: target(FP_B) })], {
                holdings: [{ kind: "heroku", index: 0, holds: FP_A, via: "emulator" }],
                releasesDuringRotation: { "raxx-api-sandbox": 2 },
                auditLines: [{ action: "secret.rotate.completed" }],
            }),
        );
        expect(report.ok).toBe(false);
        expect(report.targets[0]).toMatchObject({ target: "raxx-api-sandbox (ANTHROPIC_API_KEY)", oldFingerprint: FP_A, newFingerprint: FP_B, holds: FP_A, ok: false });
        expect(report.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(["consumers hold the new key", "one Heroku release per app"]);
        expect(report.failure).toMatchObject({ step: "checks" });
        expect(renderRehearsal(report, plain)).toContain("holds the OLD key");
    });

    it("seals the report: a key anywhere fails the rehearsal and is redacted", () => {
        const key = makeApiKey();
        const report = buildReport(facts([phase("adopt", { ok: false, error: `boom ${key}`, steps: [] })]));
        const sealed = sealReport(report, [key], ["a run's output"]);
        const text = JSON.stringify(sealed);
        expect(text).not.toContain(key);
        expect(text).not.toContain(["sk", "ant", ""].join("-"));
        expect(sealed.ok).toBe(false);
        expect(sealed.checks.find((c) => c.name === "no key in any output")?.ok).toBe(false);
        const clean = sealReport(buildReport(facts([phase("adopt")])), [key], ["nothing secret"]);
        expect(clean.checks.find((c) => c.name === "no key in any output")?.ok).toBe(true);
    });
});

describe("terminal", () => {
    it("colours only a TTY without NO_COLOR", () => {
        expect(wantsColor({ isTTY: true }, {})).toBe(true);
        expect(wantsColor({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
        expect(wantsColor({ isTTY: true }, { NO_COLOR: "" })).toBe(false);
        expect(wantsColor({ isTTY: false }, {})).toBe(false);
        expect(wantsColor({}, {})).toBe(false);
    });

    it("aligns columns on visible width, colour codes and marks included", () => {
        const s = makeStyle(true);
        const out = table(s, [{ header: "A" }, { header: "NUM", align: "right" }, { header: "Z" }], [
            [s.ok("✔"), "5", "x"],
            ["longer", "12345", "y"],
        ]);
        const lines = stripAnsi(out).split("\n");
        expect(lines).toEqual(["  A         NUM  Z", "  ✔           5  x", "  longer  12345  y"]);
        expect(visibleWidth(s.fail("✖ abc"))).toBe(5);
    });

    it("draws timeline bars inside the span, at least one cell wide", () => {
        expect(timelineBar(0, 100, 100, 10)).toBe("██████████");
        expect(timelineBar(50, 51, 100, 10)).toBe("     █    ");
        expect(timelineBar(0, 0, 0, 4)).toBe("    ");
    });
});

describe("critical path", () => {
    it("follows the longest chain of dependent steps, not the wall clock", () => {
        const p = criticalPath(steps(0, FULL_ROTATION), resources());
        expect(p.chain.map((s) => s.urn)).toEqual([U.validation, U.infisical, U.agents, U.health, U.revocation, U.audit]);
        expect(p.lengthMs).toBe(300 + 190 + 295 + 90 + 90 + 40);
        expect(p.spanMs).toBe(2050 - 1000);
        expect(p.serialMs).toBe(300 + 190 + 190 + 295 + 90 + 90 + 40);
    });

    it("counts property dependencies as dependencies, and ignores provider and component resources", () => {
        // health waits for one app's release only (an input), revocation and audit for their predecessor only.
        const only: Record<string, string[]> = { [U.health]: [], [U.revocation]: [U.health], [U.audit]: [U.revocation] };
        const rs = resources().map((r) =>
            r.urn === U.health ? { ...r, dependencies: [], propertyDependencies: { herokuReleases: [U.api] } } : only[r.urn] ? { ...r, dependencies: only[r.urn]! } : r,
        );
        const withProvider = [...steps(0, FULL_ROTATION), { urn: "urn:x::pulumi:providers:github::p", type: "pulumi:providers:github", op: "same" as const, startedAt: 0, finishedAt: 5000 }];
        const p = criticalPath(withProvider, rs);
        expect(p.chain.map((s) => s.urn)).toEqual([U.validation, U.infisical, U.api, U.health, U.revocation, U.audit]);
    });

    it("weighs steps by a given weight instead of their duration (the API-latency floor)", () => {
        // Weighted by calls one after another × 100 ms, the app with the longer chain of calls decides.
        const weights: Record<string, number> = { [U.validation]: 100, [U.infisical]: 200, [U.api]: 500, [U.agents]: 300, [U.health]: 100, [U.revocation]: 300, [U.audit]: 50 };
        const p = criticalPath(steps(0, FULL_ROTATION), resources(), (urn) => weights[urn] ?? 0);
        expect(p.chain.map((s) => s.urn)).toEqual([U.validation, U.infisical, U.api, U.health, U.revocation, U.audit]);
        expect(p.lengthMs).toBe(100 + 200 + 500 + 100 + 300 + 50);
    });
});

describe("API-latency floor", () => {
    const call = (at: number) => ({ emulator: "heroku", method: "GET", path: "/apps/a/releases", at });
    it("counts calls that ran one after another, and overlapping calls once", () => {
        expect(sequentialCalls([], 100)).toBe(0);
        // Three dependent calls (each starts when the previous answered) and two in parallel with the first.
        expect(sequentialCalls([call(1100), call(1102), call(1105), call(1207), call(1310)], 100)).toBe(3);
        expect(sequentialCalls([call(1310), call(1100), call(1207)], 100), "order of the log does not matter").toBe(3);
    });

    it("a CLI row shows the floor of the harness run of the same size (the CLI's step times are whole seconds), – without one", () => {
        const run = (phase: BenchRun["phase"], floor: number): BenchRun => ({
            phase,
            ok: true,
            totalMs: 20_000,
            startupMs: 1000,
            path: { chain: [], lengthMs: 6000, spanMs: 6000, serialMs: 7000, steps: [] },
            apiCalls: 30,
            latencyFloorMs: floor,
            callsPerTarget: [],
            releasesPerApp: { "1": 1 },
            publicKeyFetches: 0,
            githubExecuted: false,
        });
        const size = (engine: BenchSize["engine"], n: number, floor: number): BenchSize => ({
            n,
            engine,
            herokuApps: n,
            githubSecrets: n,
            repositories: n,
            runs: [run("adopt", floor), run("rotate", floor)],
            problems: [],
        });
        const text = renderBench([size("harness", 1, 1700), size("pulumi-cli", 1, 900), size("pulumi-cli", 10, 1500)], makeStyle(false), 1000);
        const rotation = text.split("Adoption")[0]!.split("\n");
        expect(rotation.find((l) => /^\s+1\s+pulumi CLI/.test(l))).toMatch(/7\.00 s\s+1\.70 s\s+3\.53×/);
        expect(rotation.find((l) => /^\s+10\s+pulumi CLI/.test(l))).toMatch(/7\.00 s\s+–\s+–/);
    });

    it("groups calls by kind, names and ids dropped", () => {
        const shape = (method: string, path: string) => callShape({ emulator: "x", method, path, at: 0 });
        expect(shape("GET", "/apps/bench-app-007")).toBe("GET /apps/{app}");
        expect(shape("GET", "/apps/bench-app-007/config-vars")).toBe("GET config-vars");
        expect(shape("PUT", "/api/v3/repos/raxx-app/bench-repo-02/actions/secrets/ANTHROPIC_API_KEY_012")).toBe("PUT /repos/{repo}/actions/secrets/{name}");
        expect(shape("GET", "/api/v3/repos/raxx-app/agents/actions/secrets/public-key")).toBe("GET /repos/{repo}/actions/secrets/public-key");
        expect(shape("PUT", "/api/v3/repositories/100000/environments/sandbox/secrets/ANTHROPIC_API_KEY")).toBe("PUT /repositories/{id}/environments/{env}/secrets/{name}");
        expect(shape("POST", "/v1/organizations/api_keys/apikey_01Abc")).toBe("POST /v1/organizations/api_keys/{id}");
    });
});

describe("API call attribution", () => {
    it("gives each call to the step of the same service running at that time, Heroku by app", () => {
        const st = steps(0, FULL_ROTATION);
        const calls = [
            { emulator: "anthropic", method: "POST", path: "/v1/messages", at: 1100 },
            { emulator: "infisical", method: "PATCH", path: "/api/v3/secrets/raw/ANTHROPIC_API_KEY", at: 1400 },
            { emulator: "heroku", method: "PATCH", path: "/apps/raxx-api-sandbox/config-vars", at: 1600 },
            { emulator: "heroku", method: "PATCH", path: "/apps/raxx-agents-sandbox/config-vars", at: 1600 },
            { emulator: "heroku", method: "GET", path: "/apps/raxx-api-sandbox/releases", at: 1850 },
            { emulator: "anthropic", method: "GET", path: "/v1/models", at: 1990 },
            { emulator: "anthropic", method: "GET", path: "/v1/models", at: 5000 },
        ];
        const { byStep, unattributed } = attributeCalls(st, resources(), calls);
        const count = (u: string) => byStep.find((s) => s.urn === u)!.calls.map(callShape);
        expect(count(U.validation)).toEqual(["POST /v1/messages"]);
        expect(count(U.infisical)).toEqual(["PATCH /api/v3/secrets/raw/{name}"]);
        expect(count(U.api)).toEqual(["PATCH config-vars"]);
        expect(count(U.agents)).toEqual(["PATCH config-vars"]);
        expect(count(U.health)).toEqual(["GET releases"]);
        expect(count(U.revocation)).toEqual(["GET /v1/models"]);
        expect(unattributed).toHaveLength(1);
    });
});

describe("Pulumi CLI path", () => {
    it("finds a pulumi on PATH only when an executable that answers `pulumi version` is there, and no toolchain is cached", () => {
        const dir = mkdtempSync(join(tmpdir(), "akr-path-"));
        const noCache = { AKR_TOOLCHAIN_CACHE: join(dir, "no-cache") };
        expect(locatePulumi({ ...noCache, PATH: dir })).toBeUndefined();
        writeFileSync(join(dir, "pulumi"), "#!/bin/sh\necho v3.999.0\n");
        chmodSync(join(dir, "pulumi"), 0o755);
        expect(locatePulumi({ ...noCache, PATH: `/nonexistent:${dir}` })).toEqual({ source: "path", binDir: dir, version: "v3.999.0" });
        writeFileSync(join(dir, "pulumi"), "#!/bin/sh\nexit 3\n");
        expect(locatePulumi({ ...noCache, PATH: dir })).toBeUndefined();
        expect(locatePulumi({ ...noCache, PATH: "" })).toBeUndefined();
    });

    it("reads steps, fingerprints, errors and policy events from an --event-log file", () => {
        const dir = mkdtempSync(join(tmpdir(), "akr-events-"));
        const meta = (op: string, u: string, type: string) => ({ op, urn: u, type, old: { inputs: { fingerprint: FP_A } }, new: { inputs: { fingerprint: FP_B, app: "raxx-api-sandbox" } } });
        const events = [
            { sequence: 1, timestamp: 100, resourcePreEvent: { metadata: meta("update", U.validation, T.validation) } },
            { sequence: 2, timestamp: 101, resOutputsEvent: { metadata: meta("update", U.validation, T.validation) } },
            { sequence: 3, timestamp: 101, policyEvent: { resourceUrn: U.validation, message: "due soon", policyName: "anthropic-key-rotation-due", policyPackName: "anthropic-key-rotation", enforcementLevel: "advisory" } },
            { sequence: 4, timestamp: 101, resourcePreEvent: { metadata: meta("update", U.api, T.heroku) } },
            { sequence: 5, timestamp: 103, diagnosticEvent: { urn: U.api, message: "heroku raxx-api-sandbox: 500\n", severity: "error" } },
            { sequence: 6, timestamp: 103, resOpFailedEvent: { metadata: meta("update", U.api, T.heroku), status: 1, steps: 1 } },
        ];
        const path = join(dir, "events.jsonl");
        writeFileSync(path, events.map((e) => JSON.stringify(e)).join("\n") + "\n");
        const log = readEventLog(path);
        expect(log.steps).toEqual([
            { urn: U.validation, type: T.validation, op: "update", oldFingerprint: FP_A, newFingerprint: FP_B, startedAt: 100_000, finishedAt: 101_000 },
            { urn: U.api, type: T.heroku, op: "update", oldFingerprint: FP_A, newFingerprint: FP_B, startedAt: 101_000, finishedAt: 103_000, error: "heroku raxx-api-sandbox: 500" },
        ]);
        expect(log.resources.map((r) => r.inputs.app)).toEqual(["raxx-api-sandbox", "raxx-api-sandbox"]);
        expect(log.diagnostics).toEqual([{ policyName: "anthropic-key-rotation-due", policyPackName: "anthropic-key-rotation", enforcementLevel: "advisory", message: "due soon", urn: U.validation }]);
        expect(log.errors).toEqual(["heroku raxx-api-sandbox: 500"]);
        expect(readEventLog(join(dir, "missing.jsonl")).steps).toEqual([]);
    });
});
