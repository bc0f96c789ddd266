/**
 * An interrupted rotation through the real CLI: `pulumi up` killed (SIGKILL, as a cancelled CI job or a lost
 * laptop lid) while the fan-out is writing, then the runbook's recovery: the next `up` refuses the locked stack,
 * `pulumi cancel` releases the lock, `pulumi refresh` reads what the consumers really hold, and `up` converges.
 * At no point does any consumer hold anything but the old or the new key.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFileSync, existsSync, readdirSync, statSync } from "fs";
import { join } from "path";
import { fingerprint } from "../../components/domain/fingerprint";
import { holdings, sandboxTargets } from "../../tools/rehearse/observe";
import { EngineStack, realEngineAvailability, requireCli } from "./realEngine";

const { cli, required } = realEngineAvailability();
// Generous: a real `pulumi up` takes 1–4 minutes on a loaded two-core machine; the limit only stops a hang.
const STEP = 900_000;

describe.runIf(cli !== undefined || required)("real engine: an interrupted up and its recovery", () => {
    let stack: EngineStack;
    let keyA: { value: string; id: string; fingerprint: string };
    let keyB: { value: string; id: string; fingerprint: string };
    const held = () => holdings(stack.sb, sandboxTargets(stack.sb.stackFile)).map((h) => h.holds);

    beforeAll(async () => {
        stack = await EngineStack.start(requireCli(cli), { config: { revocation: { mode: "deactivate", watchMinutes: 0.05, watchIntervalSeconds: 1 } } });
        keyA = stack.sb.createKey();
        keyB = stack.sb.createKey();
        await stack.setKey(keyA.value);
        const up = await stack.up();
        if (up.code !== 0) throw new Error(`adopting key A failed: ${up.stderr}${up.stdout}`);
    }, STEP);

    afterAll(async () => {
        await stack?.dispose();
    });

    it("a kill during the fan-out leaves every consumer on A or B, never anything else", async () => {
        await stack.setKey(keyB.value);
        let killed = false;
        let seen = "";
        const up = await stack.up([], {
            onStdout: (chunk, kill) => {
                seen += chunk;
                if (!killed && /heroku:ConfigVars\s+\S+\s+updating/.test(seen)) {
                    killed = true;
                    kill("SIGKILL");
                }
            },
        });
        expect(killed, `the fan-out was reached: ${up.stdout}`).toBe(true);
        expect(up.code).not.toBe(0);
        const allowed = new Set([keyA.fingerprint, keyB.fingerprint]);
        for (const h of held()) expect(allowed.has(h ?? ""), `holds ${h}`).toBe(true);
        expect(stack.sb.anthropic.key(keyA.id)?.status, "A is not revoked by an interrupted run").toBe("active");
    }, STEP);

    it("the next up refuses the stack; the runbook's recovery (restore a cut-off checkpoint, pulumi cancel) frees it", async () => {
        const blocked = await stack.up();
        expect(blocked.code).not.toBe(0);
        const why = blocked.stderr + blocked.stdout;
        // Two ways a killed run leaves a local file backend, both seen with the real CLI: the stack's lock file,
        // and a checkpoint cut off mid-write ("failed to load checkpoint: EOF"). The backend keeps the previous
        // checkpoint as <stack>.json.bak: the runbook restores it (README, Troubleshooting).
        expect(why).toMatch(/locked|failed to load checkpoint/i);
        if (/failed to load checkpoint/.test(why)) {
            const stacksDir = join(stack.session.backendDir, ".pulumi", "stacks", "anthropic-key-rotation");
            const files = readdirSync(stacksDir).map((f) => `${f} ${statSync(join(stacksDir, f)).size} bytes`);
            const backup = join(stacksDir, `${stack.stack}.json.bak`);
            expect(existsSync(backup) && statSync(backup).size > 0, `a non-empty backup among ${files.join(", ")}`).toBe(true);
            copyFileSync(backup, join(stacksDir, `${stack.stack}.json`));
        }
        const cancel = await stack.run(["cancel", "--yes"]);
        expect(cancel.code, cancel.stderr + cancel.stdout).toBe(0);
    }, STEP);

    it("refresh reads what the consumers hold, and up converges: every consumer on B, A deactivated", async () => {
        const refresh = await stack.refresh();
        expect(refresh.code, refresh.stderr + refresh.stdout).toBe(0);
        const up = await stack.up();
        expect(up.code, up.stderr + up.stdout).toBe(0);
        expect(new Set(held())).toEqual(new Set([fingerprint(keyB.value)]));
        expect(stack.sb.anthropic.key(keyA.id)?.status).toBe("inactive");
        expect(await stack.leaks([keyA.value, keyB.value])).toEqual([]);
    }, STEP);
});
