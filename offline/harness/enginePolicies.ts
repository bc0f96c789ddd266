/**
 * Policy evaluation in the engine's order (pkg/resource/deploy step_generator.go, v3.274):
 *
 * 1. Every registered resource — custom, component, provider and the Stack itself — is analyzed once, when it
 *    is registered and before its step runs: `Analyze` gets the inputs the provider's `Check` returned (for
 *    dynamic resources; the harness has no Check for native providers and components, whose inputs go as
 *    registered), without the engine-internal `__` keys (`__provider`), with the resource's parent.
 *    A mandatory violation makes the resource invalid during `up`: its step never runs, nothing is written,
 *    and the deployment stops. During a preview the steps go on, and the preview fails at the end.
 * 2. Only when every step succeeded, `AnalyzeStack` gets all resources (Stack, components and providers
 *    included) with their OUTPUTS, dependencies and parents. A mandatory violation fails the run — after every
 *    write of an `up` has happened.
 */
import type { PolicyDiagnostic } from "./harnessTypes";

/** A resource as the analyzer receives it. */
export interface AnalyzedResource {
    urn: string;
    type: string;
    name: string;
    properties: Record<string, unknown>;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
    parent: string;
}

export interface PolicyAnalyzerLike {
    analyze(resource: AnalyzedResource): Promise<PolicyDiagnostic[]>;
    analyzeStack(resources: AnalyzedResource[]): Promise<PolicyDiagnostic[]>;
    stop(): Promise<void>;
}

/** What a resource looked like to the engine at one point: its identity, graph edges and a property bag. */
export interface ResourceView {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent: string;
    readonly dependencies: readonly string[];
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
}

/** The engine sends neither `__provider` nor any other `__`-prefixed key to an analyzer (SkipInternalKeys). */
export function withoutInternalKeys(props: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(props).filter(([k]) => !k.startsWith("__")));
}

function toAnalyzed(view: ResourceView, properties: Record<string, unknown>): AnalyzedResource {
    return {
        urn: view.urn,
        type: view.type,
        name: view.name,
        properties: withoutInternalKeys(properties),
        dependencies: [...view.dependencies],
        propertyDependencies: Object.fromEntries(Object.entries(view.propertyDependencies).map(([k, v]) => [k, [...v]])),
        parent: view.parent,
    };
}

export function describeViolations(found: readonly PolicyDiagnostic[]): string {
    return `policy violation${found.length > 1 ? "s" : ""}: ${found.map((d) => `[${d.policyName}] ${d.message}`).join("; ")}`;
}

export class EnginePolicies {
    readonly diagnostics: PolicyDiagnostic[] = [];
    readonly calls = { analyze: 0, analyzeStack: 0 };
    /** Mandatory violations found by Analyze during a preview (they fail it at the end). */
    private readonly previewViolations: PolicyDiagnostic[] = [];

    constructor(
        private readonly analyzer: PolicyAnalyzerLike | undefined,
        private readonly preview: boolean,
    ) {}

    /**
     * Analyze one resource on its checked inputs. Returns the error that stops its step (a mandatory violation
     * during `up`), or undefined when the step may run.
     */
    async analyze(view: ResourceView, checkedInputs: Record<string, unknown>): Promise<Error | undefined> {
        if (!this.analyzer) return undefined;
        const found = await this.analyzer.analyze(toAnalyzed(view, checkedInputs));
        this.calls.analyze += 1;
        this.diagnostics.push(...found.map((d) => ({ ...d, urn: d.urn || view.urn })));
        const mandatory = found.filter((d) => d.enforcementLevel === "mandatory");
        if (mandatory.length === 0) return undefined;
        if (this.preview) {
            this.previewViolations.push(...mandatory);
            return undefined;
        }
        return new Error(describeViolations(mandatory));
    }

    /** After every step succeeded: AnalyzeStack on the outputs of all resources. Returns the error that fails the run. */
    async analyzeStack(resources: readonly { view: ResourceView; outputs: Record<string, unknown> }[]): Promise<Error | undefined> {
        if (!this.analyzer) return undefined;
        const found = await this.analyzer.analyzeStack(resources.map((r) => toAnalyzed(r.view, r.outputs)));
        this.calls.analyzeStack += 1;
        this.diagnostics.push(...found);
        const mandatory = found.filter((d) => d.enforcementLevel === "mandatory");
        return mandatory.length ? new Error(`stack ${describeViolations(mandatory)}`) : undefined;
    }

    /** The error a preview ends with when Analyze found a mandatory violation. */
    previewFailure(): Error | undefined {
        return this.previewViolations.length ? new Error(`preview failed: ${describeViolations(this.previewViolations)}`) : undefined;
    }

    stop(): Promise<void> {
        return this.analyzer?.stop() ?? Promise.resolve();
    }
}
