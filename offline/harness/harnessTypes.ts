/** Shapes shared by the rehearsal harness's parent (rehearsal.ts) and child (programRunner.ts). */

/** A named piece of output (process output, state, request log) that a leak scan reads. */
export interface Artifact {
    readonly name: string;
    readonly text: string;
}

export type Operation = "create" | "update" | "replace" | "same" | "delete" | "read";

export interface Registration {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent: string;
    readonly custom: boolean;
    /** Plaintext inputs (secrets unwrapped), with `__provider` for dynamic resources. */
    readonly inputs: Record<string, unknown>;
    /** Top-level input names that were secret when the program registered them. */
    readonly secretInputs: readonly string[];
    readonly additionalSecretOutputs: readonly string[];
    /** The `retainOnDelete` resource option: the engine drops the resource from state without deleting it. */
    readonly retainOnDelete: boolean;
    readonly dependencies: readonly string[];
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
    readonly provider: string;
    readonly seq: number;
}

export interface StepRecord {
    readonly urn: string;
    readonly type: string;
    readonly op: Operation;
    /** `fingerprint` input before and after, when the resource has one. */
    readonly oldFingerprint?: string;
    readonly newFingerprint?: string;
    readonly replaces?: readonly string[];
    readonly startedAt: number;
    readonly finishedAt: number;
    readonly error?: string;
}

export interface PolicyDiagnostic {
    readonly policyName: string;
    readonly policyPackName?: string;
    readonly enforcementLevel: string;
    readonly message: string;
    readonly urn?: string;
}

export interface HarnessJob {
    readonly programPath: string;
    readonly project: string;
    readonly stack: string;
    readonly preview: boolean;
    readonly statePath: string;
    readonly resultPath: string;
    /** Environment of the dynamic provider host (credentials, endpoints, retry knobs). */
    readonly providerEnv: Record<string, string>;
    /** Port of an already running provider host to use (its environment is then the provider env). */
    readonly providerHostPort?: number;
    /** Policy pack directory, when policies are to be evaluated. */
    readonly policyPack?: string;
    /** `--policy-pack-config` document. */
    readonly policyConfig?: Record<string, unknown>;
}

export interface HarnessResult {
    readonly registrations: Registration[];
    readonly steps: StepRecord[];
    /** Stack outputs as the engine would store them: secret values replaced by a marker. */
    readonly stackOutputs: Record<string, unknown>;
    /** Names of stack outputs that are secret. */
    readonly secretStackOutputs: string[];
    readonly policyDiagnostics: PolicyDiagnostic[];
    /** How many Analyze calls (one per resource) and AnalyzeStack calls the policy pack answered. */
    readonly policyCalls: { readonly analyze: number; readonly analyzeStack: number };
    /** Serialized dynamic provider texts (`__provider`), one per distinct provider. */
    readonly providerTexts: string[];
    readonly providerHostStderr: string;
    readonly error?: string;
}
