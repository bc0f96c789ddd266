import type { Holding, RevocationFacts } from "./observe";
import type { StepKind } from "./steps";
import type { Phase, PhaseResult } from "./types";

/**
 * The shapes of the rehearsal report (`npm run rehearse -- --json`) and of the facts it is built from. They
 * live apart from report.ts so that the checks (checks.ts) and the builder (report.ts) share them without
 * importing each other.
 */

export interface ReportStep {
    readonly kind: StepKind;
    /** Position in the dependency graph (0 = first); absent when the run recorded no dependencies. */
    readonly depth?: number;
    readonly label: string;
    readonly target: string;
    readonly op: string;
    /** Relative to the start of the run's process (program start, provider host and policy pack included). */
    readonly startMs: number;
    readonly durationMs: number;
    readonly oldFingerprint?: string;
    readonly newFingerprint?: string;
    /** "recorded": a native-provider resource (GitHub, command) the harness records but does not run. */
    readonly status: "ok" | "failed" | "recorded" | "not started";
    readonly error?: string;
}

export interface ReportPhase {
    readonly phase: Phase;
    readonly command: string;
    readonly title: string;
    readonly ok: boolean;
    readonly durationMs: number;
    /** Process start until the first step: program, provider host and (with policies) the policy pack. */
    readonly startupMs: number;
    readonly withPolicies: boolean;
    /** Resources by operation, e.g. { update: 7, same: 1 }. */
    readonly changes: Readonly<Record<string, number>>;
    /** Writes the consumers received during this run (a preview must show 0). */
    readonly consumerWrites: number;
    readonly error?: string;
}

export interface ReportTarget {
    readonly kind: string;
    readonly target: string;
    readonly oldFingerprint?: string;
    readonly newFingerprint?: string;
    readonly holds?: string;
    readonly via: "emulator" | "recorded";
    readonly ok: boolean;
}

export interface PolicyVerdict {
    readonly policy: string;
    /** The policy's enforcement level in the pack. */
    readonly level: string;
    readonly verdict: "passed" | "advisory" | "mandatory";
    readonly violations: number;
    readonly messages: readonly string[];
}

export interface ReportCheck {
    readonly name: string;
    readonly ok: boolean;
    readonly detail: string;
}

export interface RehearsalReport {
    readonly report: "anthropic-key-rotation rehearsal";
    readonly ok: boolean;
    readonly mode: "harness" | "pulumi-cli";
    readonly engine: string;
    readonly stack: string;
    readonly keyName: string;
    readonly startedAt: string;
    readonly totalMs: number;
    readonly budgetMs: number;
    readonly keys: { readonly old: string; readonly new: string };
    readonly failure?: { readonly phase: Phase | "setup"; readonly step: string; readonly target?: string; readonly message: string };
    readonly phases: readonly ReportPhase[];
    /** The steps of the rotation run (or of the run that failed), in the order they started. */
    readonly stepsOf: Phase;
    readonly steps: readonly ReportStep[];
    readonly targets: readonly ReportTarget[];
    readonly policies: { readonly pack: string; readonly version: string; readonly evaluatedIn: readonly Phase[]; readonly verdicts: readonly PolicyVerdict[] };
    readonly health: {
        readonly checks: readonly { url: string; ok: boolean; status?: number; attempts?: number; seconds?: number }[];
        readonly herokuReleases: readonly { app: string; releases: number }[];
        readonly hits: number;
    };
    readonly revocation?: {
        readonly mode: string;
        readonly result: string;
        readonly previousFingerprint: string;
        readonly previousKeyStatus?: string;
        readonly newKeyStatus?: string;
        readonly proof401: number;
        readonly proofCall?: string;
    };
    readonly audit: { readonly file: string; readonly actions: readonly string[]; readonly entry?: Readonly<Record<string, unknown>> };
    readonly checks: readonly ReportCheck[];
    readonly notes: readonly string[];
}

export interface RehearsalFacts {
    readonly mode: RehearsalReport["mode"];
    readonly engine: string;
    readonly stack: string;
    readonly keyName: string;
    readonly startedAt: number;
    readonly totalMs: number;
    readonly keys: { old: string; new: string };
    readonly phases: readonly PhaseResult[];
    readonly writesByPhase: Partial<Record<Phase, number>>;
    readonly setupError?: string;
    readonly holdings: readonly Holding[];
    readonly releasesDuringRotation: Readonly<Record<string, number>>;
    readonly disturbedApps: readonly string[];
    readonly healthHits: number;
    readonly revocation?: RevocationFacts;
    readonly auditFile: string;
    readonly auditLines: readonly Record<string, unknown>[];
    readonly policyCatalog: { pack: string; version: string; policies: readonly { name: string; level: string }[] };
    readonly notes: readonly string[];
}
