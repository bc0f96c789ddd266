import { describe, expect, it } from "vitest";
import { AnalyzedResource, EnginePolicies, PolicyAnalyzerLike, ResourceView } from "../../offline/harness/enginePolicies";
import type { PolicyDiagnostic } from "../../offline/harness/harnessTypes";

/** The harness's policy evaluation, against a recording analyzer that flags what a test tells it to. */
function recordingAnalyzer(flag: (r: AnalyzedResource) => "mandatory" | "advisory" | undefined) {
    const seen: { call: "analyze" | "analyzeStack"; resources: AnalyzedResource[] }[] = [];
    const diagnose = (r: AnalyzedResource): PolicyDiagnostic[] => {
        const level = flag(r);
        return level ? [{ policyName: "p", enforcementLevel: level, message: `${r.name} flagged`, urn: "" }] : [];
    };
    const analyzer: PolicyAnalyzerLike = {
        analyze: async (r) => (seen.push({ call: "analyze", resources: [r] }), diagnose(r)),
        analyzeStack: async (rs) => (seen.push({ call: "analyzeStack", resources: rs }), rs.flatMap((r) => diagnose(r).map((d) => ({ ...d, urn: r.urn })))),
        stop: async () => undefined,
    };
    return { analyzer, seen };
}

const view = (name: string, type = "pulumi-nodejs:dynamic/heroku:ConfigVars"): ResourceView => ({
    urn: `urn:pulumi:prod::p::${type}::${name}`,
    type,
    name,
    parent: "urn:pulumi:prod::p::pulumi:pulumi:Stack::p-prod",
    dependencies: ["urn:dep"],
    propertyDependencies: { apiKey: ["urn:dep"] },
});

describe("policies in the engine's order", () => {
    it("Analyze gets the checked inputs without __provider (nor any __ key), with the parent", async () => {
        const { analyzer, seen } = recordingAnalyzer(() => undefined);
        const policies = new EnginePolicies(analyzer, false);
        expect(await policies.analyze(view("heroku"), { app: "raxx-api-prod", __provider: "exports.handler = …", __internal: 1 })).toBeUndefined();
        expect(seen[0]!.resources[0]).toMatchObject({ name: "heroku", properties: { app: "raxx-api-prod" }, parent: view("heroku").parent });
        expect(Object.keys(seen[0]!.resources[0]!.properties)).toEqual(["app"]);
        expect(policies.calls).toEqual({ analyze: 1, analyzeStack: 0 });
    });

    it("during up, a mandatory violation is the error that stops the resource's step; an advisory one does not", async () => {
        const { analyzer } = recordingAnalyzer((r) => (r.name === "bad" ? "mandatory" : r.name === "meh" ? "advisory" : undefined));
        const policies = new EnginePolicies(analyzer, false);
        expect(await policies.analyze(view("meh"), {})).toBeUndefined();
        expect((await policies.analyze(view("bad"), {}))?.message).toBe("policy violation: [p] bad flagged");
        expect(policies.previewFailure()).toBeUndefined();
        // Every diagnostic is attached to the resource it was about.
        expect(policies.diagnostics.map((d) => d.urn)).toEqual([view("meh").urn, view("bad").urn]);
    });

    it("during a preview, a mandatory violation lets the steps go on and fails the preview at the end", async () => {
        const { analyzer } = recordingAnalyzer((r) => (r.name === "bad" ? "mandatory" : undefined));
        const policies = new EnginePolicies(analyzer, true);
        expect(await policies.analyze(view("bad"), {})).toBeUndefined();
        expect(policies.previewFailure()?.message).toBe("preview failed: policy violation: [p] bad flagged");
    });

    it("AnalyzeStack gets every resource (components and the Stack too) with its outputs and edges, and a mandatory violation fails the run", async () => {
        const { analyzer, seen } = recordingAnalyzer((r) => (r.properties.state === "wrong" ? "mandatory" : undefined));
        const policies = new EnginePolicies(analyzer, false);
        const component = view("prod", "anthropic-key-rotation:index:AnthropicKey");
        const error = await policies.analyzeStack([
            { view: view("heroku"), outputs: { state: "wrong", __provider: "x" } },
            { view: component, outputs: { fingerprint: "sha256:000000000000" } },
        ]);
        expect(error?.message).toBe("stack policy violation: [p] heroku flagged");
        const sent = seen.find((s) => s.call === "analyzeStack")!.resources;
        expect(sent.map((r) => [r.type, r.properties])).toEqual([
            ["pulumi-nodejs:dynamic/heroku:ConfigVars", { state: "wrong" }],
            ["anthropic-key-rotation:index:AnthropicKey", { fingerprint: "sha256:000000000000" }],
        ]);
        expect(sent[0]).toMatchObject({ dependencies: ["urn:dep"], propertyDependencies: { apiKey: ["urn:dep"] } });
        expect(policies.calls.analyzeStack).toBe(1);
    });

    it("without a policy pack nothing is analyzed and nothing fails", async () => {
        const policies = new EnginePolicies(undefined, false);
        expect(await policies.analyze(view("x"), {})).toBeUndefined();
        expect(await policies.analyzeStack([{ view: view("x"), outputs: {} }])).toBeUndefined();
        expect(policies.calls).toEqual({ analyze: 0, analyzeStack: 0 });
    });
});
