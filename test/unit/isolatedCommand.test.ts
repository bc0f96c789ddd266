import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { afterAll, describe, expect, it } from "vitest";
import { isolatedCommand, keptNames, NEVER_PASSED, REDACTED } from "../../components/commands/isolatedCommand";
import { makeAdminKey, makeApiKey } from "../../offline/emulators/keys";

/**
 * The wrapper run by a real /bin/sh, as pulumi-command runs a local command (`/bin/sh -c <create>`, the CLI's
 * whole environment plus `environment`): the command sees only the key it exists for, PATH, HOME, the
 * fingerprint and `passEnv`; what it prints is redacted; its exit status is kept; no process's argv carries a value.
 */

const KEY = makeApiKey();
const CREDENTIALS: Record<string, string> = {
    ANTHROPIC_ADMIN_API_KEY: makeAdminKey(),
    HEROKU_API_KEY: "HRKU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
    GITHUB_TOKEN: "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    INFISICAL_CLIENT_ID: "infisical-client-id-0001",
    INFISICAL_CLIENT_SECRET: "infisical-client-secret-0002",
    PULUMI_CONFIG_PASSPHRASE: "correct horse battery staple",
    PULUMI_ACCESS_TOKEN: "pul-0123456789abcdef0123456789abcdef01234567",
};
const dir = mkdtempSync(join(tmpdir(), "akr-command-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(script: string, passEnv: string[] = [], extraEnv: Record<string, string> = {}) {
    const env = {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: dir,
        ...CREDENTIALS,
        FLY_API_TOKEN: "fly-token-for-this-hook",
        ANTHROPIC_API_KEY: KEY,
        ANTHROPIC_KEY_FINGERPRINT: "sha256:0123456789ab",
        ...extraEnv,
    };
    const r = spawnSync("/bin/sh", ["-c", isolatedCommand(script, "ANTHROPIC_API_KEY", passEnv)], { env, encoding: "utf8" });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("command targets: isolated environment, redacted output", () => {
    it("the command sees PATH, HOME, its key, the fingerprint and passEnv, and none of the project's credentials", () => {
        const r = run("env | sed 's/=.*//' | sort", ["FLY_API_TOKEN"]);
        expect(r.status).toBe(0);
        expect(r.stdout.trim().split("\n").filter((n) => !["PWD", "SHLVL", "_", "OLDPWD"].includes(n))).toEqual(
            ["ANTHROPIC_API_KEY", "ANTHROPIC_KEY_FINGERPRINT", "FLY_API_TOKEN", "HOME", "PATH"],
        );
        for (const name of Object.keys(CREDENTIALS)) expect(r.stdout).not.toContain(name);
    });

    it("without passEnv, another tool's token is not passed either", () => {
        expect(run('echo "fly=${FLY_API_TOKEN:-unset}"').stdout.trim()).toBe("fly=unset");
    });

    it("the key still reaches the command (it can use it) but never its output: stdout and stderr are masked", () => {
        const r = run('test "$ANTHROPIC_API_KEY" = "' + "$(printenv ANTHROPIC_API_KEY)" + '" && echo "using $ANTHROPIC_API_KEY"; echo "err $ANTHROPIC_API_KEY" >&2; echo "${#ANTHROPIC_API_KEY} chars"');
        expect(r.status).toBe(0);
        expect(r.stdout).not.toContain(KEY);
        expect(r.stderr).not.toContain(KEY);
        expect(r.stdout).toContain(`using ${REDACTED}`);
        expect(r.stdout).toContain(`err ${REDACTED}`);
        expect(r.stdout).toContain(`${KEY.length} chars`);
    });

    it("masks any Anthropic-key-shaped text, e.g. another key the command read from a file", () => {
        const other = makeApiKey();
        const r = run(`printf '%s\\n' "$OTHER"`, ["OTHER"], { OTHER: other });
        expect(r.stdout.trim()).toBe(REDACTED);
    });

    it("keeps the command's exit status, and its output on failure is masked too (it goes into the provider's error)", () => {
        const r = run('echo "failing with $ANTHROPIC_API_KEY"; exit 3');
        expect(r.status).toBe(3);
        expect(r.stdout).toBe(`failing with ${REDACTED}\n`);
        expect(run("true").status).toBe(0);
        expect(run("false").status).toBe(1);
    });

    it("no process started by the wrapper or the command carries the key or a credential in its argv", () => {
        const out = join(dir, "cmdlines");
        // Every process's argv while the command runs (the wrapper's sed/awk included), written outside the redacting pipe.
        const r = run(`for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < "$f" 2>/dev/null; echo; done > "${out}"; sleep 0.2`);
        expect(r.status).toBe(0);
        const argv = readFileSync(out, "utf8");
        expect(argv).toContain("awk");
        expect(argv).not.toContain(KEY);
        for (const value of Object.values(CREDENTIALS)) expect(argv).not.toContain(value);
    });

    it("refuses a name that is not an environment variable name", () => {
        expect(() => keptNames("ANTHROPIC_API_KEY", ["FOO; rm -rf /"])).toThrow(/not an environment variable name/);
        expect(keptNames("ANTHROPIC_API_KEY", ["PATH"])).toEqual(["PATH", "HOME", "ANTHROPIC_API_KEY", "ANTHROPIC_KEY_FINGERPRINT"]);
        expect(NEVER_PASSED).toContain("ANTHROPIC_ADMIN_API_KEY");
    });
});
