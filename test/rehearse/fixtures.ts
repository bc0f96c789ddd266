import type { StepRecord } from "../../offline/harness/harnessTypes";
import type { RehearsalFacts } from "../../tools/rehearse/reportTypes";
import type { Phase, PhaseResource, PhaseResult } from "../../tools/rehearse/types";

/** A small synthetic rotation (validation → Infisical → two Heroku apps → health → revocation → audit). */

export const FP_A = "sha256:aaaaaaaaaaaa";
export const FP_B = "sha256:bbbbbbbbbbbb";
const PARENT = "anthropic-key-rotation:index:AnthropicKey";
export const urn = (type: string, name: string) => `urn:pulumi:sandbox::anthropic-key-rotation::${PARENT}$${type}::${name}`;

export const T = {
    validation: "pulumi-nodejs:dynamic/anthropic:KeyValidation",
    infisical: "pulumi-nodejs:dynamic/infisical:Secret",
    heroku: "pulumi-nodejs:dynamic/heroku:ConfigVars",
    health: "pulumi-nodejs:dynamic/health:HealthChecks",
    revocation: "pulumi-nodejs:dynamic/anthropic:PreviousKeyRevocation",
    audit: "pulumi-nodejs:dynamic/audit:RotationAudit",
};

export const U = {
    validation: urn(T.validation, "sandbox-validation"),
    infisical: urn(T.infisical, "sandbox-infisical-0"),
    api: urn(T.heroku, "sandbox-heroku-raxx-api-sandbox"),
    agents: urn(T.heroku, "sandbox-heroku-raxx-agents-sandbox"),
    health: urn(T.health, "sandbox-health"),
    revocation: urn(T.revocation, "sandbox-previous-key"),
    audit: urn(T.audit, "sandbox-audit"),
};

export function resources(): PhaseResource[] {
    const r = (u: string, type: string, inputs: Record<string, unknown>, dependencies: string[]): PhaseResource => ({
        urn: u,
        type,
        name: u.split("::").pop()!,
        custom: true,
        inputs,
        dependencies,
    });
    return [
        r(U.validation, T.validation, { mode: "messages", model: "claude-haiku-4-5", maxTokens: 10, fingerprint: FP_B }, []),
        r(U.infisical, T.infisical, { projectId: "raxx-sandbox-project", environment: "sandbox", secretPath: "/anthropic", secretName: "ANTHROPIC_API_KEY" }, [U.validation]),
        r(U.api, T.heroku, { app: "raxx-api-sandbox", vars: ["ANTHROPIC_API_KEY"] }, [U.validation, U.infisical]),
        r(U.agents, T.heroku, { app: "raxx-agents-sandbox", vars: ["ANTHROPIC_API_KEY"] }, [U.validation, U.infisical]),
        r(U.health, T.health, { checks: [{}], herokuReleases: [{}, {}] }, [U.validation, U.infisical, U.api, U.agents]),
        r(U.revocation, T.revocation, { mode: "deactivate" }, [U.validation, U.infisical, U.api, U.agents, U.health]),
        r(U.audit, T.audit, { audit: { path: "/tmp/x/audit/rotations.jsonl" } }, [U.validation, U.infisical, U.api, U.agents, U.health, U.revocation]),
    ];
}

/** Steps at fixed times (ms after `t0`): [urn, type, start, end, error?]. */
export function steps(t0: number, rows: [string, string, number, number, string?][], op: StepRecord["op"] = "update"): StepRecord[] {
    return rows.map(([u, type, a, b, error]) => ({
        urn: u,
        type,
        op,
        oldFingerprint: FP_A,
        newFingerprint: FP_B,
        startedAt: t0 + a,
        finishedAt: t0 + b,
        ...(error ? { error } : {}),
    }));
}

export const FULL_ROTATION: [string, string, number, number][] = [
    [U.validation, T.validation, 1000, 1300],
    [U.infisical, T.infisical, 1310, 1500],
    [U.api, T.heroku, 1510, 1700],
    [U.agents, T.heroku, 1505, 1800],
    [U.health, T.health, 1810, 1900],
    [U.revocation, T.revocation, 1910, 2000],
    [U.audit, T.audit, 2010, 2050],
];

export function phase(p: Phase, overrides: Partial<PhaseResult> = {}): PhaseResult {
    const t0 = 1_000_000;
    return {
        phase: p,
        runner: "harness",
        ok: true,
        startedAt: t0,
        durationMs: 3000,
        steps: steps(t0, FULL_ROTATION, p === "adopt" ? "create" : "update"),
        resources: resources(),
        stackOutputs: {},
        policyDiagnostics: [],
        withPolicies: p !== "adopt",
        output: "",
        ...overrides,
    };
}

export function facts(phases: PhaseResult[], overrides: Partial<RehearsalFacts> = {}): RehearsalFacts {
    return {
        mode: "harness",
        engine: "test",
        stack: "sandbox",
        keyName: "raxx-sandbox-agents-2026-11-23",
        startedAt: 1_000_000,
        totalMs: 12_345,
        keys: { old: FP_A, new: FP_B },
        phases,
        writesByPhase: { adopt: 3, preview: 0, rotate: 3 },
        holdings: [],
        releasesDuringRotation: { "raxx-api-sandbox": 1, "raxx-agents-sandbox": 1 },
        disturbedApps: [],
        healthHits: 2,
        auditFile: "/tmp/x/audit/rotations.jsonl",
        auditLines: [],
        policyCatalog: {
            pack: "anthropic-key-rotation",
            version: "0.1.0",
            policies: [
                { name: "anthropic-key-name", level: "mandatory" },
                { name: "anthropic-key-rotation-due", level: "advisory" },
            ],
        },
        notes: [],
        ...overrides,
    };
}
