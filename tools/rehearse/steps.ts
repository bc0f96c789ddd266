import type { StepRecord } from "../../offline/harness/harnessTypes";
import type { PhaseResource, PhaseResult } from "./types";

/** How a rehearsal names the steps of a rotation, from their resource types and inputs. */

export type StepKind = "validation" | "ledger" | "preflight" | "infisical" | "heroku" | "github" | "command" | "health" | "revocation" | "audit" | "other";

export const STEP_ORDER: readonly StepKind[] = ["validation", "ledger", "preflight", "revocation", "infisical", "heroku", "github", "command", "health", "audit", "other"];

export function stepKind(type: string): StepKind {
    if (type.endsWith("anthropic:KeyValidation")) return "validation";
    if (type.endsWith("anthropic:KeyLedger")) return "ledger";
    if (type.endsWith("preflight:CredentialPreflight")) return "preflight";
    if (type.endsWith("infisical:Secret")) return "infisical";
    if (type.endsWith("heroku:ConfigVars")) return "heroku";
    if (type.startsWith("github:index/actions")) return "github";
    if (type.startsWith("command:")) return "command";
    if (type.endsWith("health:HealthChecks")) return "health";
    if (type.endsWith("anthropic:PreviousKeyRevocation")) return "revocation";
    if (type.endsWith("audit:RotationAudit")) return "audit";
    return "other";
}

export const STEP_LABELS: Readonly<Record<StepKind, string>> = {
    validation: "validation",
    ledger: "key ledger",
    preflight: "preflight",
    infisical: "Infisical",
    heroku: "Heroku",
    github: "GitHub secret",
    command: "command",
    health: "health",
    revocation: "revocation",
    audit: "audit",
    other: "resource",
};

/** Resources that are the rotation's steps (not the stack, components or provider configurations). */
export function isRotationStep(type: string): boolean {
    return !type.startsWith("pulumi:") && type !== "anthropic-key-rotation:index:AnthropicKey";
}

const str = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : JSON.stringify(v));

/** What the step acts on, in an operator's words. */
export function stepTarget(kind: StepKind, inputs: Readonly<Record<string, unknown>>, name = ""): string {
    switch (kind) {
        case "validation":
            return `${str(inputs.mode) || "messages"} · ${str(inputs.model)}${inputs.maxTokens !== undefined ? ` · ${str(inputs.maxTokens)} tokens` : ""}`;
        case "infisical":
            return `${str(inputs.projectId)}/${str(inputs.environment)}${str(inputs.secretPath)} ${str(inputs.secretName)}`;
        case "heroku": {
            const vars = Array.isArray(inputs.vars) ? inputs.vars.map(str) : [];
            return `${str(inputs.app)} (${vars.join(", ")})`;
        }
        case "github": {
            const where = inputs.environment ? ` env ${str(inputs.environment)}` : inputs.visibility ? " (org)" : "";
            return `${str(inputs.repository)}${where} ${str(inputs.secretName)}`;
        }
        case "command":
            return name.replace(/^.*-command-/, "");
        case "health": {
            const urls = Array.isArray(inputs.checks) ? inputs.checks.length : 0;
            const releases = Array.isArray(inputs.herokuReleases) ? inputs.herokuReleases.length : 0;
            return `${urls} URL${urls === 1 ? "" : "s"}, ${releases} Heroku release${releases === 1 ? "" : "s"}`;
        }
        case "ledger":
            return "keys on consumers, until proven dead";
        case "preflight":
            return "every credential, read-only";
        case "revocation":
            return `${str(inputs.mode)}${inputs.emergency === true ? " (emergency, before fan-out)" : ""}`;
        case "audit": {
            const audit = inputs.audit as { path?: string } | undefined;
            return audit?.path ? audit.path.split("/").slice(-2).join("/") : "";
        }
        default:
            return "";
    }
}

export function resourceByUrn(phase: PhaseResult): Map<string, PhaseResource> {
    return new Map(phase.resources.map((r) => [r.urn, r]));
}

/**
 * Depth of each rotation step in the dependency graph (0 = depends on no other step): validation 0,
 * Infisical 1, the fan-out 2, health 3, revocation 4, audit 5 in a scheduled rotation. Empty when the run
 * did not record dependencies (the Pulumi CLI's event log has none).
 */
export function stepDepths(resources: readonly PhaseResource[]): Map<string, number> {
    const byUrn = new Map(resources.filter((r) => isRotationStep(r.type)).map((r) => [r.urn, r]));
    const depths = new Map<string, number>();
    if (![...byUrn.values()].some((r) => r.dependencies.length > 0)) return depths;
    const depth = (urn: string, seen: Set<string>): number => {
        const known = depths.get(urn);
        if (known !== undefined) return known;
        if (seen.has(urn)) return 0;
        seen.add(urn);
        const deps = (byUrn.get(urn)?.dependencies ?? []).filter((d) => byUrn.has(d));
        const d = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((x) => depth(x, seen)));
        depths.set(urn, d);
        return d;
    };
    for (const urn of byUrn.keys()) depth(urn, new Set());
    return depths;
}

/** Steps in the order an operator reads them: by dependency depth (else start time), rotation order, target. */
export function sortSteps<T extends { kind: StepKind; startMs: number; target: string; depth?: number }>(steps: T[]): T[] {
    return steps.sort(
        (a, b) =>
            (a.depth ?? 0) - (b.depth ?? 0) ||
            (a.depth === undefined ? a.startMs - b.startMs : 0) ||
            STEP_ORDER.indexOf(a.kind) - STEP_ORDER.indexOf(b.kind) ||
            a.target.localeCompare(b.target),
    );
}

/** The first step that failed, by finishing time. */
export function failedStep(steps: readonly StepRecord[]): StepRecord | undefined {
    return [...steps].filter((s) => s.error).sort((a, b) => a.finishedAt - b.finishedAt)[0];
}
