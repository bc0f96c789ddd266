/**
 * The project's default backend on a fresh machine, against the real CLI: the local file backend does not
 * create its directory (gocloud's fileblob needs it to exist) unless the URL asks for it with
 * `?create_dir=true`, as Pulumi.yaml does. Proven with a copy of Pulumi.yaml whose backend.url points into a
 * temporary directory, with and without the parameter (the real default, file://~/…, resolves `~` from the user
 * database, not $HOME, so a test must not use it: it would touch the operator's own state directory).
 */
import { afterAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { parse, stringify } from "yaml";
import { PROJECT_ROOT } from "../../offline/harness/providerHost";
import { PulumiSession } from "../../tools/toolchain/session";
import { realEngineAvailability, requireCli } from "./realEngine";

const { cli, required } = realEngineAvailability();

describe.runIf(cli !== undefined || required)("real engine: the project's file backend on a fresh machine", () => {
    const dir = mkdtempSync(join(tmpdir(), "akr-backend-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("without ?create_dir=true stack init fails naming the missing directory; with it (the project's form) it works", async () => {
        const project = join(dir, "project");
        mkdirSync(project);
        const stateDir = join(dir, "fresh-machine", ".pulumi-anthropic-key-rotation");
        const doc = parse(readFileSync(join(PROJECT_ROOT, "Pulumi.yaml"), "utf8")) as { backend: { url: string } };
        expect(doc.backend.url).toBe("file://~/.pulumi-anthropic-key-rotation?create_dir=true");
        const session = await PulumiSession.create({ dir, cli: requireCli(cli) });
        // The project's backend.url applies only when PULUMI_BACKEND_URL is not set.
        const env = { PULUMI_BACKEND_URL: "" };
        const init = async (url: string) => {
            writeFileSync(join(project, "Pulumi.yaml"), stringify({ ...doc, backend: { url } }));
            return session.exec(["stack", "init", "prod", "--non-interactive"], { cwd: project, env });
        };
        const bare = await init(`file://${stateDir}`);
        expect(bare.code).not.toBe(0);
        expect(bare.stderr + bare.stdout).toContain("unable to open state directory");
        expect(bare.stderr + bare.stdout).toContain("no such file or directory");
        const projectForm = await init(doc.backend.url.replace("file://~/.pulumi-anthropic-key-rotation", `file://${stateDir}`));
        expect(projectForm.code, projectForm.stderr).toBe(0);
        const ls = await session.exec(["stack", "ls", "--json"], { cwd: project, env });
        expect((JSON.parse(ls.stdout) as { name: string }[]).map((s) => s.name)).toEqual(["prod"]);
    }, 120_000);
});
