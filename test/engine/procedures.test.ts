/**
 * The README's operator procedures (procedures/script.ts), one stack through all of them in order, run through
 * the real Pulumi CLI and through the engine-free harness against their own loopback emulators:
 *   1. verify mode across two runs: the first `up` stops at the revocation step while the old key still works;
 *      the operator revokes it in the Console; the second `up` proves the 401 and completes;
 *   2. an unfinished rotation (health fails after the fan-out), then an emergency rotation naming the leaked key:
 *      both replaced keys die, the leaked one before any consumer is written;
 *   3. a failed rotation, then the rollback: the previous key back on every consumer, nothing revoked;
 *   4. targets marked removeOnDelete, then removed and renamed; then `pulumi destroy` (real engine only).
 * Each step's outcome is checked against one expected transcript, for both engines: exit status, what every
 * consumer holds, every key's status, the audit line, the writes each emulator received and Heroku releases.
 * The harness only records GitHub secrets (native provider), so its GitHub holdings and writes are left out.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fingerprint } from "../../components/domain/fingerprint";
import { Scenario } from "../e2e/scenario";
import { EngineDriver, HarnessDriver } from "./procedures/drivers";
import { APP_KEPT, APP_REMOVED, ProcedureRun, Snapshot } from "./procedures/script";
import { EngineStack, realEngineAvailability, requireCli, traceProblems } from "./realEngine";

const { cli, required } = realEngineAvailability();
const STEP = 900_000;
const INITIAL = { revocation: { mode: "verify" } };

const PATCH_BOTH = [`PATCH /apps/${APP_REMOVED}/config-vars`, `PATCH /apps/${APP_KEPT}/config-vars`];
const INFISICAL_WRITE = ["PATCH /api/v3/secrets/raw/ANTHROPIC_API_KEY"];
const GITHUB_PUT_BOTH = [expect.stringMatching(/^PUT .*\/actions\/secrets\/ANTHROPIC_API_KEY_SANDBOX$/), expect.stringMatching(/^PUT .*\/environments\/sandbox\/secrets\/ANTHROPIC_API_KEY$/)];
const on = (label: string, overrides: Record<string, string> = {}) => ({
    [`heroku ${APP_KEPT} ANTHROPIC_API_KEY`]: label,
    [`heroku ${APP_REMOVED} ANTHROPIC_API_KEY`]: label,
    [`heroku ${APP_REMOVED} ANTHROPIC_API_KEY_AGENTS`]: label,
    "infisical /anthropic ANTHROPIC_API_KEY": label,
    "github repo:raxx-app/agents ANTHROPIC_API_KEY_SANDBOX": label,
    "github env:raxx-app/agents:sandbox ANTHROPIC_API_KEY": label,
    "github env:raxx-app/agents:sandbox ANTHROPIC_API_KEY_V2": "-",
    ...overrides,
});

interface Expected {
    readonly ok: boolean;
    readonly output?: RegExp;
    readonly holdings: Record<string, string>;
    readonly statuses: Record<string, string>;
    readonly audit: string;
    readonly writes: { heroku: string[]; infisical: string[]; anthropic: string[]; github: unknown[] };
    readonly releases: Record<string, number>;
    readonly leakedKeyDiedFirst?: boolean;
}

/** What an auditor must see after each step, whichever engine ran it. */
const TRANSCRIPT: readonly Expected[] = [
    {
        ok: true,
        holdings: on("A"),
        statuses: { A: "active" },
        audit: "secret.rotate.completed; - → A",
        writes: { heroku: PATCH_BOTH, infisical: ["POST /api/v3/secrets/raw/ANTHROPIC_API_KEY"], anthropic: [], github: GITHUB_PUT_BOTH },
        releases: { [APP_KEPT]: 1, [APP_REMOVED]: 1 },
    },
    {
        ok: false,
        output: /revocation: the previous key \(sha256:[0-9a-f]{12}\) still works[\s\S]*revoke it in the Console/,
        holdings: on("B"),
        statuses: { A: "active", B: "active" },
        audit: "secret.rotate.failed; step revocation; A → B",
        writes: { heroku: PATCH_BOTH, infisical: INFISICAL_WRITE, anthropic: [], github: GITHUB_PUT_BOTH },
        releases: { [APP_KEPT]: 2, [APP_REMOVED]: 2 },
    },
    {
        ok: true,
        holdings: on("B"),
        statuses: { A: "inactive", B: "active" },
        audit: "secret.rotate.completed; A → B; revoked: A verified dead",
        writes: { heroku: [], infisical: [], anthropic: [], github: [] },
        releases: { [APP_KEPT]: 2, [APP_REMOVED]: 2 },
    },
    {
        ok: false,
        output: /health: 1 of 1 health check/,
        holdings: on("C"),
        statuses: { A: "inactive", B: "active", C: "active" },
        audit: "secret.rotate.failed; step health; - → C",
        writes: { heroku: PATCH_BOTH, infisical: INFISICAL_WRITE, anthropic: [], github: GITHUB_PUT_BOTH },
        releases: { [APP_KEPT]: 3, [APP_REMOVED]: 3 },
    },
    {
        ok: true,
        holdings: on("D"),
        statuses: { A: "inactive", B: "inactive", C: "inactive", D: "active" },
        audit: "secret.rotate.completed; emergency (compromised C); C → D; revoked: B deactivated, C deactivated",
        writes: { heroku: PATCH_BOTH, infisical: INFISICAL_WRITE, anthropic: ["POST /v1/organizations/api_keys/B", "POST /v1/organizations/api_keys/C"], github: GITHUB_PUT_BOTH },
        releases: { [APP_KEPT]: 4, [APP_REMOVED]: 4 },
        leakedKeyDiedFirst: true,
    },
    {
        ok: false,
        output: /health: 1 of 1 health check/,
        holdings: on("E"),
        statuses: { A: "inactive", B: "inactive", C: "inactive", D: "active", E: "active" },
        audit: "secret.rotate.failed; step health; - → E",
        writes: { heroku: PATCH_BOTH, infisical: INFISICAL_WRITE, anthropic: [], github: GITHUB_PUT_BOTH },
        releases: { [APP_KEPT]: 5, [APP_REMOVED]: 5 },
    },
    {
        ok: true,
        holdings: on("D"),
        statuses: { A: "inactive", B: "inactive", C: "inactive", D: "active", E: "active" },
        audit: "secret.rotate.completed; rollback; E → D; revoked: E left active",
        writes: { heroku: PATCH_BOTH, infisical: INFISICAL_WRITE, anthropic: [], github: GITHUB_PUT_BOTH },
        releases: { [APP_KEPT]: 6, [APP_REMOVED]: 6 },
    },
    {
        ok: true,
        holdings: on("D"),
        statuses: { A: "inactive", B: "inactive", C: "inactive", D: "active", E: "active" },
        audit: "-",
        writes: { heroku: [], infisical: [], anthropic: [], github: [] },
        releases: { [APP_KEPT]: 6, [APP_REMOVED]: 6 },
    },
    {
        ok: true,
        // The removed app keeps its value (retained); the one marked removeOnDelete loses both vars. The renamed
        // environment secret is created under its new name; the old one is retained.
        holdings: on("D", {
            [`heroku ${APP_REMOVED} ANTHROPIC_API_KEY`]: "-",
            [`heroku ${APP_REMOVED} ANTHROPIC_API_KEY_AGENTS`]: "-",
            "github env:raxx-app/agents:sandbox ANTHROPIC_API_KEY_V2": "D",
        }),
        statuses: { A: "inactive", B: "inactive", C: "inactive", D: "active", E: "active" },
        audit: "-",
        writes: { heroku: [`PATCH /apps/${APP_REMOVED}/config-vars`], infisical: [], anthropic: [], github: [expect.stringMatching(/^PUT .*\/environments\/sandbox\/secrets\/ANTHROPIC_API_KEY_V2$/)] },
        releases: { [APP_KEPT]: 6, [APP_REMOVED]: 7 },
    },
];

/** The harness records GitHub secrets instead of writing them: leave them out of its comparison. */
function withoutGithub<T extends { holdings: Record<string, string>; writes: { github: unknown[] } }>(s: T): T {
    return { ...s, holdings: Object.fromEntries(Object.entries(s.holdings).filter(([k]) => !k.startsWith("github "))), writes: { ...s.writes, github: [] } };
}

function comparable(s: Snapshot): Omit<Snapshot, "step" | "output"> {
    const { step: _step, output: _output, ...rest } = s;
    return rest;
}

function checkTranscript(snapshots: readonly Snapshot[], engine: "pulumi-cli" | "harness"): void {
    expect(snapshots.map((s) => s.step)).toHaveLength(TRANSCRIPT.length);
    snapshots.forEach((s, i) => {
        const { output, ...expected } = TRANSCRIPT[i]!;
        const want = engine === "harness" ? withoutGithub(expected) : expected;
        const got = engine === "harness" ? withoutGithub(comparable(s)) : comparable(s);
        expect.soft(got, `${engine}: ${s.step}`).toEqual(want);
        if (output) expect.soft(s.output, `${engine}: ${s.step}`).toMatch(output);
    });
}

describe.runIf(cli !== undefined || required)("real engine and harness: the operator procedures, one stack through all of them", () => {
    let stack: EngineStack;
    let engineRun: ProcedureRun;
    let harness: Scenario;
    let harnessRun: ProcedureRun;

    beforeAll(async () => {
        stack = await EngineStack.start(requireCli(cli), { config: INITIAL });
        engineRun = new ProcedureRun(new EngineDriver(stack));
        await engineRun.run();
        harness = await Scenario.start();
        harnessRun = new ProcedureRun(new HarnessDriver(harness, INITIAL));
        await harnessRun.run();
    }, 3 * STEP);

    afterAll(async () => {
        await stack?.dispose();
        await harness?.stop();
    });

    it("through the real CLI every step ends as the transcript says", () => {
        checkTranscript(engineRun.snapshots, "pulumi-cli");
    });

    it("through the harness every step ends the same way (GitHub recorded, not written)", () => {
        checkTranscript(harnessRun.snapshots, "harness");
    });

    it("the rollback's result names the abandoned key left alive (E), not the key put back", async () => {
        const revocation = (await stack.outputs()).revocation as { result: string };
        expect(revocation.result).toMatch(/^skipped: revocation is none/);
        expect(revocation.result).toContain(engineRun.key("E").fingerprint);
        expect(revocation.result).not.toContain(engineRun.key("D").fingerprint);
    }, STEP);

    it("destroy deletes only what opted in (the repository secret) and retains Infisical and the environment secrets", async () => {
        const githubDeletesBefore = stack.sb.github.server.requests.filter((r) => r.method === "DELETE").length;
        expect(githubDeletesBefore, "nothing was deleted at GitHub before destroy (renamed secret retained)").toBe(0);
        const destroy = await stack.destroy();
        expect(destroy.code, destroy.stderr + destroy.stdout).toBe(0);
        const d = engineRun.key("D").fingerprint;
        const deletes = stack.sb.github.server.requests.filter((r) => r.method === "DELETE");
        expect(deletes.map((r) => r.path)).toEqual([expect.stringMatching(/\/actions\/secrets\/ANTHROPIC_API_KEY_SANDBOX$/)]);
        expect(stack.sb.github.secret("repo:raxx-app/agents", "ANTHROPIC_API_KEY_SANDBOX")).toBeUndefined();
        for (const name of ["ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY_V2"]) {
            expect(fingerprint(stack.sb.github.secret("env:raxx-app/agents:sandbox", name)!.value), name).toBe(d);
        }
        const infisical = stack.sb.infisical.currentValue({ projectId: "raxx-sandbox-project", environment: "sandbox", secretPath: "/anthropic", secretName: "ANTHROPIC_API_KEY" });
        expect(infisical && fingerprint(infisical)).toBe(d);
        expect(fingerprint(stack.sb.heroku.configVars(APP_KEPT).ANTHROPIC_API_KEY!)).toBe(d);
        const state = await stack.exportState();
        expect((state.deployment.resources ?? []).filter((r) => !r.type.startsWith("pulumi:"))).toHaveLength(0);
    }, STEP);

    it("reached no address but 127.0.0.1, and left no key, credential or sk-ant- string in anything the CLI printed or stored", async () => {
        expect(await traceProblems(stack, [...engineRun.keys.values()].map((k) => k.value))).toEqual([]);
    }, STEP);
});
