import { execFileSync } from "child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditContext, recordFailure } from "../../components/audit/auditLog";
import { rotationAuditProvider } from "../../components/audit/rotationAuditProvider";
import { redact } from "../../components/domain/keyFormat";
import { fingerprint } from "../../components/domain/fingerprint";
import { makeApiKey } from "../../offline/emulators/keys";
import { runAuditTrail } from "../../tools/auditTrail/main";
import { AuditTrailError, mergeAuditTrail, pullRequestBody } from "../../tools/auditTrail/merge";
import { auditLines } from "./support";

/**
 * An audit trail that lasts: the lines a rotation writes on a CI runner are appended to the committed
 * audit/rotations.jsonl through a pull request (tools/auditTrail, rotate-prod.yml's audit-trail job), and the
 * next run's rollback detection reads that committed file from a clean checkout. Before this change the file was
 * git-ignored, lived on the runner and in a 90-day artifact, and a clean checkout saw no history at all.
 */

const ROOT = join(__dirname, "..", "..");
const keyA = makeApiKey();
const keyB = makeApiKey();
const dirs: string[] = [];
const savedEnv = { ...process.env };
beforeEach(() => {
    process.env.PULUMI_ACTOR = "ops@raxx.app";
});
afterEach(() => {
    process.env = { ...savedEnv };
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), "akr-trail-"));
    dirs.push(dir);
    return dir;
}

const GIT_ENV = { GIT_AUTHOR_NAME: "ci", GIT_AUTHOR_EMAIL: "ci@example.invalid", GIT_COMMITTER_NAME: "ci", GIT_COMMITTER_EMAIL: "ci@example.invalid", GIT_CONFIG_NOSYSTEM: "1" };
function git(cwd: string, ...args: string[]): string {
    return execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, ...GIT_ENV, HOME: cwd }, stdio: ["ignore", "pipe", "pipe"] });
}
function clone(origin: string, into: string): string {
    git(tempDirOf(into), "clone", "-q", origin, into);
    return into;
}
const tempDirOf = (path: string) => join(path, "..");

function context(checkout: string, key: string): AuditContext {
    return {
        path: join(checkout, "audit", "rotations.jsonl"),
        environment: "prod",
        keyName: "raxx-prod-agents-2026-11-23",
        newFingerprint: fingerprint(key),
        workspace: "default",
        emergency: false,
        stack: "prod",
    };
}
function auditInputs(ctx: AuditContext): Record<string, unknown> {
    return { audit: ctx, targets: [{ kind: "heroku", target: "heroku app raxx-api-prod (ANTHROPIC_API_KEY)", fingerprint: ctx.newFingerprint }], health: [], revocation: { mode: "verify", result: "no previous key" } };
}

describe("mergeAuditTrail (pure)", () => {
    const line = (over: Record<string, unknown> = {}) =>
        JSON.stringify({ action: "secret.rotate.completed", timestamp: "2026-11-23T10:00:00.000Z", environment: "prod", keyName: "raxx-prod-agents-2026-11-23", newFingerprint: fingerprint(keyA), ...over });

    it("appends only the runner's new lines, keeps the committed ones byte for byte, and adds nothing twice", () => {
        const committed = `${line()}\n`;
        const failed = line({ action: "secret.rotate.failed", timestamp: "2026-11-24T10:00:00.000Z", newFingerprint: fingerprint(keyB), step: "health" });
        const first = mergeAuditTrail(committed, `${line()}\n${failed}\n`);
        expect(first.text).toBe(`${line()}\n${failed}\n`);
        expect(first.added).toEqual([expect.objectContaining({ action: "secret.rotate.failed", step: "health", newFingerprint: fingerprint(keyB) })]);
        expect(mergeAuditTrail(first.text, `${line()}\n${failed}\n`).added).toEqual([]);
        // A runner that started from an older main adds only its own lines, after what main has since.
        const later = line({ timestamp: "2026-11-25T10:00:00.000Z" });
        expect(mergeAuditTrail(first.text, `${later}\n`).text).toBe(`${line()}\n${failed}\n${later}\n`);
        expect(mergeAuditTrail("", "").text).toBe("");
    });

    it("refuses every bad line at once, naming its number and never quoting it, and changes nothing", () => {
        const withKey = line({ keyName: `oops-${keyB}` });
        let error: AuditTrailError | undefined;
        try {
            mergeAuditTrail("", [line(), withKey, "not json", JSON.stringify({ action: "secret.rotate.done" }), line({ newFingerprint: "abc" })].join("\n"));
        } catch (e) {
            error = e as AuditTrailError;
        }
        expect(error).toBeInstanceOf(AuditTrailError);
        expect(error!.problems).toEqual([
            expect.stringMatching(/^line 2 of the runner's log holds key material; it was not copied anywhere/),
            "line 3 of the runner's log is not JSON (the audit writer writes one JSON object per line)",
            expect.stringMatching(/^line 4 of the runner's log has no known action/),
            "line 5 of the runner's log has a newFingerprint that is not sha256:<12 hex digits>",
        ]);
        expect(error!.message).not.toContain(keyB);
        expect(redact(error!.message)).toBe(error!.message);
    });

    it("the pull request body lists each added line by its public fields", () => {
        const body = pullRequestBody([{ action: "secret.rotate.failed", timestamp: "t", environment: "prod", keyName: "raxx-prod-agents-2026-11-23", newFingerprint: fingerprint(keyB), step: "health" }], "https://github.com/o/r/actions/runs/1");
        expect(body).toContain(`| t | secret.rotate.failed | prod | raxx-prod-agents-2026-11-23 | ${fingerprint(keyB)} | health |`);
        expect(body).toContain("[this rotation run](https://github.com/o/r/actions/runs/1)");
    });
});

describe("the committed trail in this project", () => {
    it("audit/rotations.jsonl is a file of the repository (no longer git-ignored) and holds no key material", () => {
        const file = join(ROOT, "audit", "rotations.jsonl");
        expect(existsSync(file)).toBe(true);
        expect(readFileSync(join(ROOT, ".gitignore"), "utf8")).not.toMatch(/^\/?audit\/?$/m);
        const text = readFileSync(file, "utf8");
        expect(redact(text)).toBe(text);
        auditLines(file);
    });
});

describe("retention through a pull request, and rollback detection from a clean checkout", () => {
    it("a failed attempt on runner 1 reaches main through the audit pull request; runner 2's clean checkout detects the rollback", async () => {
        const work = tempDir();
        const origin = join(work, "origin.git");
        git(work, "init", "-q", "--bare", "-b", "main", origin);

        // main: the project's .gitignore, and the trail with the completed rotation to key A.
        const seed = clone(origin, join(work, "seed"));
        git(seed, "switch", "-q", "-c", "main");
        copyFileSync(join(ROOT, ".gitignore"), join(seed, ".gitignore"));
        mkdirSync(join(seed, "audit"));
        const created = await rotationAuditProvider.create(auditInputs(context(seed, keyA)));
        git(seed, "add", ".gitignore", "audit/rotations.jsonl"); // `git add` refuses an ignored path
        git(seed, "commit", "-q", "-m", "trail");
        git(seed, "push", "-q", "origin", "main");

        // Runner 1 (rotate-prod.yml, up): the rotation to key B fails at the health check.
        const runner1 = clone(origin, join(work, "runner1"));
        recordFailure(context(runner1, keyB), "health", "health: https://api.raxx.app/api/agents/health did not pass within 300 s");
        expect(git(runner1, "status", "--porcelain")).toBe(" M audit/rotations.jsonl\n");

        // Without the retention path, a clean checkout (what the next runner gets) knows nothing of that attempt.
        const before = clone(origin, join(work, "before"));
        expect((await rotationAuditProvider.diff!("audit", created.outs, auditInputs(context(before, keyA)))).changes).toBe(false);

        // The audit-trail job: a fresh checkout of main, the runner's log as the artifact, a pull request.
        const job = clone(origin, join(work, "audit-job"));
        const artifact = join(work, "artifact-rotations.jsonl");
        copyFileSync(join(runner1, "audit", "rotations.jsonl"), artifact);
        let stdout = "";
        const code = runAuditTrail(["--from", artifact, "--into", join(job, "audit", "rotations.jsonl"), "--body", join(work, "pr.md")], { stdout: (t) => (stdout += t), stderr: () => undefined });
        expect([code, stdout]).toEqual([0, "added=1\n"]);
        git(job, "switch", "-q", "-c", "audit/prod-1");
        git(job, "commit", "-q", "-am", "Audit: prod rotation run 1");
        git(job, "push", "-q", "origin", "audit/prod-1");
        expect(readFileSync(join(work, "pr.md"), "utf8")).toMatch(/\| secret\.rotate\.failed \| prod \|/);
        // The pull request is merged.
        git(seed, "fetch", "-q", "origin", "audit/prod-1");
        git(seed, "merge", "-q", "--ff-only", "FETCH_HEAD");
        git(seed, "push", "-q", "origin", "main");

        // Runner 2: a clean checkout of main; the operator put key A back (rollback).
        const runner2 = clone(origin, join(work, "runner2"));
        const back = auditInputs(context(runner2, keyA));
        expect((await rotationAuditProvider.diff!("audit", created.outs, back)).changes).toBe(true);
        const { outs } = await rotationAuditProvider.update!("audit", created.outs, back);
        expect(outs!.record).toMatchObject({ action: "secret.rotate.completed", rollback: true, oldFingerprint: fingerprint(keyB), newFingerprint: fingerprint(keyA) });
        const lines = auditLines(join(runner2, "audit", "rotations.jsonl"));
        expect(lines.map((l) => l.action)).toEqual(["secret.rotate.completed", "secret.rotate.failed", "secret.rotate.completed"]);

        // No line anywhere on the way holds a key.
        for (const file of [artifact, join(runner2, "audit", "rotations.jsonl")]) {
            const text = readFileSync(file, "utf8");
            expect(text).not.toContain(keyA);
            expect(text).not.toContain(keyB);
            expect(redact(text)).toBe(text);
        }
    });

    it("the CLI refuses a runner log with key material, writes nothing, and says added nothing", () => {
        const work = tempDir();
        const into = join(work, "rotations.jsonl");
        writeFileSync(into, "");
        const from = join(work, "runner.jsonl");
        writeFileSync(from, `${JSON.stringify({ action: "secret.rotate.failed", timestamp: "t", environment: "prod", keyName: "k", newFingerprint: fingerprint(keyA), reason: keyA })}\n`);
        let stdout = "";
        let stderr = "";
        expect(runAuditTrail(["--from", from, "--into", into], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) })).toBe(1);
        expect(readFileSync(into, "utf8")).toBe("");
        expect(stdout).toBe("");
        expect(stderr).toMatch(/line 1 of the runner's log holds key material/);
        expect(stderr).not.toContain(keyA);
        expect(runAuditTrail(["--into", into], { stdout: () => undefined, stderr: () => undefined })).toBe(2);
    });
});
