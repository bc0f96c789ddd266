import { spawn } from "child_process";
import { join } from "path";
import { beforeAll, describe, expect, it } from "vitest";
import type { RehearsalReport } from "../../tools/rehearse/reportTypes";
import { renderRehearsal } from "../../tools/rehearse/render";
import { makeStyle, stripAnsi } from "../../tools/shared/terminal";
import { PROJECT_ROOT } from "../../offline/harness/providerHost";
import { PROCESS_SETUP_MS } from "../support/timeouts";

/**
 * `npm run rehearse` as a newcomer runs it: the script in a child process (ts-node, as the npm script does),
 * once, with --json; the text report is rendered from that JSON in-process (the same renderer the script
 * uses), so the suite pays for one rehearsal only.
 */

const KEY_MARKER = ["sk", "ant", ""].join("-");

interface ScriptRun {
    code: number;
    stdout: string;
    stderr: string;
    wallMs: number;
}

function runScript(args: string[]): Promise<ScriptRun> {
    const started = Date.now();
    return new Promise((resolve) => {
        const env = { ...process.env };
        delete env.NO_COLOR;
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", join(PROJECT_ROOT, "tools", "rehearse", "main.ts"), ...args], {
            cwd: PROJECT_ROOT,
            env: { ...env, TS_NODE_PROJECT: join(PROJECT_ROOT, "tsconfig.json") },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr, wallMs: Date.now() - started }));
    });
}

describe("npm run rehearse", () => {
    let run: ScriptRun;
    let report: RehearsalReport;
    let text: string;

    beforeAll(async () => {
        run = await runScript(["--json", "--harness"]);
        report = JSON.parse(run.stdout) as RehearsalReport;
        text = renderRehearsal(report, makeStyle(false));
    }, PROCESS_SETUP_MS);

    it("passes, exits 0 and prints one JSON document and nothing else on stdout", () => {
        expect(run.code, `${run.stderr}\n${report.failure?.message ?? ""}`).toBe(0);
        expect(report.ok).toBe(true);
        expect(report.failure).toBeUndefined();
        expect(run.stdout.trim().startsWith("{")).toBe(true);
        expect(run.stdout.trim().endsWith("}")).toBe(true);
        expect(report).toMatchObject({ report: "anthropic-key-rotation rehearsal", mode: "harness", stack: "sandbox" });
    });

    it("reports its total time (the 30 s budget is a figure to watch, printed, not a timed assertion)", () => {
        expect(report.totalMs).toBeGreaterThan(0);
        expect(text).toMatch(/Rehearsal passed in \d+(\.\d+)? s/);
        console.log(`rehearsal: ${(report.totalMs / 1000).toFixed(1)} s reported, ${(run.wallMs / 1000).toFixed(1)} s wall (budget 30 s)`);
    });

    it("runs adopt, preview and rotation in order; the preview writes nothing", () => {
        expect(report.phases.map((p) => p.phase)).toEqual(["adopt", "preview", "rotate"]);
        expect(report.phases.map((p) => p.withPolicies)).toEqual([false, true, true]);
        const [adopt, preview, rotate] = report.phases;
        expect(adopt!.changes.create).toBeGreaterThanOrEqual(7);
        expect(preview!.changes.update).toBeGreaterThanOrEqual(7);
        expect(preview!.consumerWrites).toBe(0);
        expect(rotate!.changes.update).toBeGreaterThanOrEqual(7);
        expect(rotate!.consumerWrites).toBeGreaterThanOrEqual(3);
    });

    it("shows every step of the rotation with its timing, in dependency order", () => {
        expect(report.stepsOf).toBe("rotate");
        const kinds = report.steps.map((s) => s.kind);
        expect(kinds).toEqual(["validation", "ledger", "preflight", "infisical", "heroku", "heroku", "github", "github", "health", "revocation", "audit"]);
        for (const s of report.steps) {
            expect(s.durationMs, s.label).toBeGreaterThanOrEqual(0);
            expect(s.op, s.label).toBe("update");
        }
        const at = (k: string) => report.steps.filter((s) => s.kind === k);
        const end = (k: string) => Math.max(...at(k).map((s) => s.startMs + s.durationMs));
        const start = (k: string) => Math.min(...at(k).map((s) => s.startMs));
        expect(end("validation")).toBeLessThanOrEqual(start("preflight"));
        expect(end("preflight")).toBeLessThanOrEqual(start("infisical"));
        expect(end("infisical")).toBeLessThanOrEqual(start("heroku"));
        expect(end("heroku")).toBeLessThanOrEqual(start("health"));
        expect(end("health")).toBeLessThanOrEqual(start("revocation"));
        expect(end("revocation")).toBeLessThanOrEqual(start("audit"));
        expect(at("heroku").map((s) => s.target)).toEqual(["raxx-agents-sandbox (ANTHROPIC_API_KEY, ANTHROPIC_API_KEY_AGENTS)", "raxx-api-sandbox (ANTHROPIC_API_KEY)"]);
        expect(at("github").every((s) => s.status === "recorded")).toBe(true);
        for (const s of report.steps.filter((x) => x.kind !== "github")) expect(s.status, s.label).toBe("ok");
        // The text: one row per step, with its time, in the same order.
        const rows = text.split("\n").filter((l) => /^\s+[✔•✖–]\s{2}(validation|Infisical|Heroku|GitHub secret|health|revocation|audit)\s{2}/.test(l));
        expect(rows.map((l) => l.trim().split(/\s{2,}/)[1])).toEqual(["validation", "Infisical", "Heroku", "Heroku", "GitHub secret", "GitHub secret", "health", "revocation", "audit"]);
        for (const l of rows) expect(l).toMatch(/update\s+\+\d+(\.\d+)? m?s\s+\d+(\.\d+)? m?s/);
    });

    it("lists every target with its old and new fingerprint, read back from the emulators where they run", () => {
        const { old: a, new: b } = report.keys;
        expect(a).toMatch(/^sha256:[0-9a-f]{12}$/);
        expect(b).toMatch(/^sha256:[0-9a-f]{12}$/);
        expect(a).not.toBe(b);
        expect(report.targets.map((t) => t.kind)).toEqual(["infisical", "heroku", "heroku", "github", "github"]);
        for (const t of report.targets) expect(t).toMatchObject({ oldFingerprint: a, newFingerprint: b, ok: true });
        for (const t of report.targets.filter((x) => x.kind !== "github")) expect(t).toMatchObject({ via: "emulator", holds: b });
        for (const t of report.targets.filter((x) => x.kind === "github")) expect(t.via).toBe("recorded");
        expect(text).toContain(`A ${a}  →  B ${b}`);
        const targetRows = text.split("\n").filter((l) => /^\s+[✔•✖]\s{2}(infisical|heroku|github)\s/.test(l));
        expect(targetRows).toHaveLength(5);
        for (const row of targetRows) expect(row).toContain(`${a} → ${b}`);
        // Steps that carry a fingerprint show the change too.
        const validation = report.steps.find((s) => s.kind === "validation")!;
        expect(validation).toMatchObject({ oldFingerprint: a, newFingerprint: b });
    });

    it("gives a verdict per policy of the pack: all passed", () => {
        expect(report.policies.pack).toBe("anthropic-key-rotation");
        expect(report.policies.evaluatedIn).toEqual(["preview", "rotate"]);
        const names = report.policies.verdicts.map((v) => v.policy);
        expect(names).toEqual(expect.arrayContaining(["anthropic-key-name", "anthropic-key-max-age", "anthropic-key-no-plaintext", "anthropic-key-validated-before-fanout", "heroku-config-var-name", "github-secret-name"]));
        for (const v of report.policies.verdicts) expect(v, v.policy).toMatchObject({ verdict: "passed", violations: 0 });
        for (const name of names) expect(text).toMatch(new RegExp(`✔\\s+${name}\\s+(mandatory|advisory)\\s+passed`));
    });

    it("reports the health checks and one Heroku release per app", () => {
        expect(report.health.checks).toHaveLength(1);
        expect(report.health.checks[0]).toMatchObject({ ok: true, status: 200 });
        expect(report.health.herokuReleases).toEqual([
            { app: "raxx-api-sandbox", releases: 1 },
            { app: "raxx-agents-sandbox", releases: 1 },
        ]);
        expect(text).toMatch(/✔ GET http:\/\/127\.0\.0\.1:\d+\/api\/agents\/health\s+HTTP 200/);
    });

    it("proves the previous key is revoked: deactivated, answers 401, the new key stays active", () => {
        expect(report.revocation).toMatchObject({ mode: "deactivate", previousFingerprint: report.keys.old, previousKeyStatus: "inactive", newKeyStatus: "active" });
        expect(report.revocation!.proof401).toBeGreaterThanOrEqual(1);
        expect(report.revocation!.result).toMatch(/deactivated apikey_\w+; 401 proven/);
        expect(text).toContain(`previous key ${report.keys.old}: status now inactive`);
        expect(text).toMatch(/with it → 401/);
    });

    it("shows the audit entry the rotation appended", () => {
        expect(report.audit.actions).toEqual(["secret.rotate.completed", "secret.rotate.completed"]);
        expect(report.audit.entry).toMatchObject({
            action: "secret.rotate.completed",
            environment: "sandbox",
            keyName: report.keyName,
            oldFingerprint: report.keys.old,
            newFingerprint: report.keys.new,
            method: "operator-assisted-console",
            secretName: "ANTHROPIC_API_KEY",
        });
        expect(text).toMatch(/✔ secret\.rotate\.completed\s+\d{4}-\d\d-\d\dT/);
        expect(text).toContain(`${report.keys.old} → ${report.keys.new} · 5 targets`);
    });

    it("passes every check, the leak scan included", () => {
        expect(report.checks.map((c) => c.name)).toEqual([
            "consumers hold the new key",
            "preview wrote nothing",
            "one Heroku release per app",
            "other Heroku config vars intact",
            "no mandatory policy violation",
            "previous key answers 401",
            "audit entry written",
            "no key in any output",
        ]);
        for (const c of report.checks) expect(c.ok, `${c.name}: ${c.detail}`).toBe(true);
    });

    it("never prints a key: no key-shaped text on stdout or stderr, nor in the text report", () => {
        expect(run.stdout).not.toContain(KEY_MARKER);
        expect(run.stderr).not.toContain(KEY_MARKER);
        expect(text).not.toContain(KEY_MARKER);
    });

    it("says the harness ran it, and that GitHub secrets are recorded rather than sent", () => {
        expect(text).toContain("harness (no Pulumi CLI)");
        expect(text).toContain("recorded: GitHub and command resources belong to native providers");
        expect(report.notes.join(" ")).toContain("--harness given");
    });

    it("is colourless without a TTY, and coloured only when asked", () => {
        expect(text).not.toContain("\x1b[");
        const coloured = renderRehearsal(report, makeStyle(true));
        expect(coloured).toContain("\x1b[32m✔\x1b[39m");
        expect(stripAnsi(coloured)).toBe(text);
    });
});
