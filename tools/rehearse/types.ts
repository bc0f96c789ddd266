import type { PolicyDiagnostic, StepRecord } from "../../offline/harness/harnessTypes";

/** The three runs of a rehearsed rotation, in order. */
export type Phase = "adopt" | "preview" | "rotate";

/** The same, short, for sentences. */
export const PHASE_NAMES: Readonly<Record<Phase, string>> = {
    adopt: "pulumi up (adopt key A)",
    preview: "pulumi preview (A → B)",
    rotate: "pulumi up (rotation A → B)",
};

/** The command an operator would type, and what it does here. */
export const PHASE_TITLES: Readonly<Record<Phase, { command: string; what: string }>> = {
    adopt: { command: "pulumi up", what: "key A in place (adopt)" },
    preview: { command: "pulumi preview", what: "key A → B, policy pack" },
    rotate: { command: "pulumi up", what: "key A → B, policy pack" },
};

/** A resource as the run saw it: enough to label its step and follow its dependencies. */
export interface PhaseResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly custom?: boolean;
    /** Inputs with secret values masked ("[secret]"). */
    readonly inputs: Readonly<Record<string, unknown>>;
    readonly dependencies: readonly string[];
    readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
}

/** What one `pulumi up` / `pulumi preview` produced: from the harness, or from the Pulumi CLI's event log. */
export interface PhaseResult {
    readonly phase: Phase;
    /** What ran it. The harness records native-provider resources (GitHub, command) without running them. */
    readonly runner: "harness" | "pulumi-cli";
    readonly ok: boolean;
    readonly error?: string;
    /** Epoch ms when the run (its process) started, and how long it took in all. */
    readonly startedAt: number;
    readonly durationMs: number;
    readonly steps: readonly StepRecord[];
    readonly resources: readonly PhaseResource[];
    readonly stackOutputs: Readonly<Record<string, unknown>>;
    readonly policyDiagnostics: readonly PolicyDiagnostic[];
    readonly withPolicies: boolean;
    /** The run's own output (stdout then stderr), kept for a failure's explanation. */
    readonly output: string;
}

/** Runs one phase against the sandbox: the harness or the real Pulumi CLI. */
export interface PhaseRunner {
    readonly mode: "harness" | "pulumi-cli";
    /** One line on what runs the program, for the report. */
    readonly engine: string;
    run(phase: Phase, key: string, options: { preview: boolean; policies: boolean }): Promise<PhaseResult>;
    dispose(): Promise<void>;
}
