import { existsSync, mkdtempSync, rmSync, statSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { afterAll, describe, expect, it } from "vitest";
import { PulumiSession } from "../../tools/toolchain/session";

/**
 * The file backend opens its directory through gocloud's fileblob, which requires it to exist
 * (`unable to open state directory "file://…": … no such file or directory`). The operators' runbook runs
 * `mkdir -p` (projectFiles.test.ts); the real-CLI path of `npm run rehearse` and `npm run bench` must do the same.
 */
describe("the rehearsal's Pulumi CLI session", () => {
    const dir = mkdtempSync(join(tmpdir(), "akr-backend-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("creates its file backend directory and points PULUMI_BACKEND_URL at it", async () => {
        // A CLI "on PATH" that is never run: creating the session installs no plugin for it.
        const session = await PulumiSession.create({ dir: join(dir, "nested", "run"), cli: { source: "path", binDir: join(dir, "bin"), version: "v3.0.0" } });
        expect(existsSync(session.backendDir) && statSync(session.backendDir).isDirectory()).toBe(true);
        expect(session.env.PULUMI_BACKEND_URL).toBe(`file://${session.backendDir}`);
    });
});
