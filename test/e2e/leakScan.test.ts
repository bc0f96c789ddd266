import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fingerprint } from "../../components/domain/fingerprint";
import type { RehearsalRun } from "../../offline/harness/rehearsal";
import { makeApiKey } from "../../offline/emulators/keys";
import { Artifact, describeFinding, scanForLeaks } from "../support/leakScan";
import { PROCESSES_SETUP_MS } from "../support/timeouts";
import { Scenario } from "./scenario";

/**
 * The leak scan (issue 6, item 3): rehearsals with random canary keys — successful ones and ones that fail at
 * validation and in the middle of the fan-out — and then every artifact they produced is searched for every
 * canary (each key used, the admin key, the Heroku token, the Infisical client secret and access tokens, the
 * GitHub token) and for any key prefix at all. Artifacts: stdout and stderr of every run, the run results
 * (registrations with their inputs, steps and errors, stack outputs, policy diagnostics), the serialized
 * provider texts, the provider host's stderr, the state file, the audit log and the emulators' request logs
 * (minus the fields built to carry the key: credential headers and the consumer write bodies).
 *
 * (The fault matrix scans everything its eighteen runs produce the same way, recoveries included.)
 *
 * The scan is also shown to catch a leak planted in a copy of each artifact, so it cannot pass vacuously.
 */

const MARKER = ["sk", "ant", ""].join("-");
const FAULTED_APP = "raxx-agents-sandbox";

describe("leak scan over every artifact of successful and failing rehearsals", () => {
    let sc: Scenario;
    /** A second sandbox, for the run that stops at validation: it runs alongside the others. */
    let sc2: Scenario;
    let keyA: ReturnType<Scenario["createKey"]>;
    let keyB: ReturnType<Scenario["createKey"]>;
    let rejectedKey: string;
    let keyD: ReturnType<Scenario["createKey"]>;
    let adopt: RehearsalRun;
    let rotate: RehearsalRun;
    let rejected: RehearsalRun;
    let midFanOut: RehearsalRun;
    let artifacts: Artifact[];
    let secrets: string[];

    beforeAll(async () => {
        [sc, sc2] = await Promise.all([Scenario.start(), Scenario.start()]);
        const rotations = (async () => {
            keyA = sc.createKey();
            adopt = await sc.up(keyA.value);
            keyB = sc.createKey();
            rotate = await sc.up(keyB.value, { policies: true });
            // Heroku refuses the token for one app in the middle of the fan-out.
            keyD = sc.createKey();
            sc.sandbox.heroku.server.injectFault({
                method: "PATCH",
                path: `/apps/${FAULTED_APP}/config-vars`,
                times: 1000,
                fault: { kind: "status", status: 401, body: { id: "unauthorized", message: "Invalid credentials provided." } },
            });
            midFanOut = await sc.up(keyD.value);
            sc.sandbox.heroku.server.clearFaults();
        })();
        // Never created in the Console: the API answers 401 and validation stops the run.
        rejectedKey = makeApiKey();
        rejected = await sc2.up(rejectedKey);
        await rotations;

        artifacts = [...sc.artifacts(), ...sc2.artifacts().map((a) => ({ name: `second sandbox: ${a.name}`, text: a.text }))];
        secrets = [rejectedKey, keyA.value, keyB.value, keyD.value];
        for (const { sandbox } of [sc, sc2]) {
            secrets.push(sandbox.adminKey, sandbox.heroku.token, sandbox.infisical.clientSecret, ...sandbox.infisical.issuedTokens, sandbox.github.token);
        }
    }, PROCESSES_SETUP_MS);
    afterAll(() => Promise.all([sc?.stop(), sc2?.stop()]));

    it("ran the intended rehearsals: two rotations, a validation failure and a mid-fan-out failure", () => {
        for (const run of [adopt, rotate]) expect(run.error, `${run.error}\n${run.stderr}`).toBeUndefined();
        expect(rejected.error).toMatch(/Key validation failed: the API rejected the new key/);
        expect(midFanOut.error).toMatch(new RegExp(`^heroku config vars: heroku app ${FAULTED_APP}: `));
        // The canaries really travelled: every key reached the Anthropic emulator, and key D reached Infisical
        // before the fan-out failed.
        for (const key of [keyA.value, keyB.value, keyD.value]) {
            expect(sc.sandbox.anthropic.messageCalls(fingerprint(key)).length, fingerprint(key)).toBeGreaterThan(0);
        }
        expect(sc2.sandbox.anthropic.messageCalls(fingerprint(rejectedKey)).map((c) => c.outcome)).toEqual([401]);
        expect(sc.sandbox.infisical.issuedTokens.length).toBeGreaterThan(0);
        // Stopped mid-fan-out: the system of record and the other app hold D, the refused app still holds B.
        const values = sc.consumerValues();
        expect(values["infisical ANTHROPIC_API_KEY"] === keyD.value).toBe(true);
        expect(values["heroku raxx-api-sandbox ANTHROPIC_API_KEY"] === keyD.value).toBe(true);
        expect(values[`heroku ${FAULTED_APP} ANTHROPIC_API_KEY`] === keyB.value).toBe(true);
        // Both failures are in the audit logs too (their reasons are scanned with everything else).
        expect(sc.auditRecords().at(-1)).toMatchObject({ action: "secret.rotate.failed", step: "heroku" });
        expect(sc2.auditRecords()).toMatchObject([{ action: "secret.rotate.failed", step: "validation" }]);
    });

    it("scans every kind of artifact, none of them empty where output is expected", () => {
        const names = artifacts.map((a) => a.name);
        const runs = [...sc.runs.map((_, i) => `run ${i}`), "second sandbox: run 0"];
        for (const run of runs) {
            for (const kind of ["stdout", "stderr", "result", "provider host stderr"]) expect(names).toContain(`${run} ${kind}`);
            expect(names.some((n) => n.startsWith(`${run} provider text`)), `${run} provider texts`).toBe(true);
        }
        for (const prefix of ["", "second sandbox: "]) {
            expect(names).toEqual(expect.arrayContaining([`${prefix}state file`, `${prefix}audit log`]));
            for (const emulator of ["anthropic", "heroku", "infisical", "github", "health"]) expect(names).toContain(`${prefix}${emulator} emulator request log`);
        }
        const nonEmpty = (name: string) => (artifacts.find((a) => a.name === name)?.text.length ?? 0) > 100;
        for (const name of ["state file", "audit log", "anthropic emulator request log", "heroku emulator request log", "infisical emulator request log", "run 2 result", "second sandbox: run 0 result"]) {
            expect(nonEmpty(name), name).toBe(true);
        }
        // The failures' own messages are part of what is scanned.
        expect(artifacts.find((a) => a.name === "second sandbox: run 0 result")?.text).toContain("Key validation failed");
        expect(artifacts.find((a) => a.name === "run 2 result")?.text).toContain("heroku config vars");
    });

    it("finds no canary and no key prefix anywhere", () => {
        const findings = scanForLeaks(artifacts, secrets);
        expect(findings.map((f) => describeFinding(f, artifacts)), `${findings.length} finding(s) in ${artifacts.length} artifacts`).toEqual([]);
    });

    it("would catch a leak planted in a copy of any artifact: a whole key, a fragment of one, a token, a bare prefix", () => {
        const plant = (text: string, leak: string) => {
            const at = Math.floor(text.length / 2);
            return `${text.slice(0, at)}${leak}${text.slice(at)}`;
        };
        // 36 characters of the random tail, no prefix (the scanner compares 24-character slices taken every 12
        // characters, so any fragment of 35 characters or more is caught wherever it starts).
        const fragment = keyB.value.slice(40, 76);
        for (const a of artifacts) {
            // The planted copy is scanned alone: the originals are clean (previous test).
            const kinds = (leak: string) => scanForLeaks([{ name: a.name, text: plant(a.text, leak) }], secrets).map((f) => `${f.artifact}: ${f.kind}`);
            expect(kinds(keyA.value)).toEqual([`${a.name}: secret`, `${a.name}: key-prefix`]);
            expect(kinds(fragment)).toEqual([`${a.name}: secret-fragment`]);
            expect(kinds(sc.sandbox.heroku.token)).toEqual([`${a.name}: secret`]);
            expect(kinds(`x-api-key: ${MARKER}`)).toEqual([`${a.name}: key-prefix`]);
        }
        // The report of a finding points at the place without repeating the secret.
        const one = artifacts.find((a) => a.name === "audit log")!;
        const planted = [{ name: one.name, text: plant(one.text, keyD.value) }];
        const [finding] = scanForLeaks(planted, [keyD.value]);
        const described = describeFinding(finding!, planted);
        expect(described).toMatch(/^secret in audit log at \d+/);
        expect(described).not.toContain(keyD.value.slice(13, 37));
    });
});
