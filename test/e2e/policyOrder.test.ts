import { join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rehearse, RehearsalRun } from "../../offline/harness/rehearsal";
import { Sandbox, SandboxKey } from "../../offline/harness/sandbox";
import { PROCESS_SETUP_MS } from "../support/timeouts";

/**
 * When a mandatory policy stops `pulumi up`, in the engine's order as the harness now plays it: every resource
 * is analyzed after its Check and before its step (a resource policy can stop the write), and the stack is
 * analyzed only after every step succeeded (a stack policy can only report). The same broken program — it writes
 * the key to a Heroku app with no validation before it — runs against the real pack, where
 * anthropic-key-validated-before-fanout is a resource policy, and against a fixture pack holding the old stack
 * form of the same rule.
 */

const APP = "raxx-api-sandbox";
const compiled = process.env.AKR_COMPILED_DIR;
const PROGRAM = compiled ? join(compiled, "test", "e2e", "policyOrder", "unvalidatedConsumer.js") : join(__dirname, "policyOrder", "unvalidatedConsumer.ts");
const STACK_FORM_PACK = join(__dirname, "policyOrder", "stackFormPack");
const FANOUT = "anthropic-key-validated-before-fanout";

let sandbox: Sandbox;
let key: SandboxKey;
beforeAll(async () => {
    sandbox = await Sandbox.start();
    key = sandbox.createKey();
});
afterAll(() => sandbox?.stop());

function run(policyPack: string, preview = false): Promise<RehearsalRun> {
    return rehearse({
        stack: "sandbox",
        stackFile: null,
        apiKey: key.value,
        config: { herokuApp: APP, herokuUrl: sandbox.heroku.url },
        providerEnv: sandbox.providerEnv(),
        programPath: PROGRAM,
        policyPack,
        preview,
    });
}

const patchesTo = (app: string) => sandbox.heroku.calls("PATCH").filter((r) => r.path.includes(`/apps/${app}/`)).length;

// Each test is a rehearsal (the program, the provider host and the policy pack in child processes): it gets the
// limit of a setup that starts real processes, not the 60 s of a unit test.
describe("a mandatory violation of anthropic-key-validated-before-fanout", () => {
    it("as a resource policy (the pack today), it stops `pulumi up` before the Heroku app is written", async () => {
        const before = patchesTo(APP);
        const up = await run("policies");
        expect(up.exitCode).toBe(1);
        const heroku = up.steps.find((s) => s.type === "pulumi-nodejs:dynamic/heroku:ConfigVars");
        expect(heroku?.error).toMatch(new RegExp(`\\[${FANOUT}\\] [\\s\\S]*"unvalidated-heroku" carries key sha256:[0-9a-f]{12} without a validation receipt`));
        expect(up.error).toMatch(new RegExp(FANOUT));
        expect(patchesTo(APP)).toBe(before); // nothing was written
        expect(sandbox.heroku.configVars(APP).ANTHROPIC_API_KEY).not.toBe(key.value);
        // The engine skips AnalyzeStack once a step has failed.
        expect(up.policyCalls.analyzeStack).toBe(0);
        expect(up.policyDiagnostics.filter((d) => d.policyName === FANOUT).map((d) => d.enforcementLevel)).toEqual(["mandatory"]);
    }, PROCESS_SETUP_MS);

    it("as a resource policy in a preview: nothing is written, and the preview fails at the end", async () => {
        const before = patchesTo(APP);
        const preview = await run("policies", true);
        expect(preview.exitCode).toBe(1);
        expect(preview.error).toMatch(new RegExp(`^preview failed: policy violation: \\[${FANOUT}\\]`));
        expect(preview.steps.find((s) => s.type === "pulumi-nodejs:dynamic/heroku:ConfigVars")?.error).toBeUndefined();
        expect(patchesTo(APP)).toBe(before);
    }, PROCESS_SETUP_MS);

    it("as the stack policy it was, it reports only after the key was written to the Heroku app", async () => {
        const before = patchesTo(APP);
        const up = await run(STACK_FORM_PACK);
        expect(up.exitCode).toBe(1);
        expect(up.steps.find((s) => s.type === "pulumi-nodejs:dynamic/heroku:ConfigVars")).toMatchObject({ op: "create" });
        expect(up.steps.every((s) => s.error === undefined)).toBe(true);
        expect(patchesTo(APP)).toBe(before + 1); // the write happened
        expect(sandbox.heroku.configVars(APP).ANTHROPIC_API_KEY).toBe(key.value);
        expect(up.policyCalls.analyzeStack).toBe(1);
        expect(up.error).toMatch(new RegExp(`^stack policy violation: \\[${FANOUT}\\] [\\s\\S]*"unvalidated-heroku" carries the key but depends on no KeyValidation`));
    }, PROCESS_SETUP_MS);
});
