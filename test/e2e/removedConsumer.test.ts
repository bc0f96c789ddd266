import { readFileSync } from "fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { RehearsalRun } from "../../offline/harness/rehearsal";
import { Scenario } from "./scenario";

/**
 * Issue 13 §5 through real runs: removing a consumer from `targets` in the run that revokes the key it still
 * holds would break it silently (the engine drops the resource but leaves the value in the app). The run stops
 * before anything is revoked, naming the consumer; an acknowledgement lets it go ahead.
 */

type Key = ReturnType<Scenario["createKey"]>;

describe("a Heroku app removed from targets in the run that would revoke its key", () => {
    let sc: Scenario;
    let a: Key;
    let b: Key;
    let refused: RehearsalRun;
    let acknowledged: RehearsalRun;
    let statusAfterRefusal: string;
    const removed = "raxx-agents-sandbox";

    beforeAll(async () => {
        sc = await Scenario.start();
        const stack = parse(readFileSync(sc.sandbox.stackFile, "utf8")) as { config: Record<string, unknown> };
        const targets = stack.config["anthropic-key-rotation:targets"] as { heroku: { app: string }[] };
        const withoutAgents = { ...targets, heroku: targets.heroku.filter((h) => h.app !== removed) };
        a = sc.createKey();
        await sc.upOk(a.value);
        b = sc.createKey();
        refused = await sc.up(b.value, { config: { targets: withoutAgents } });
        statusAfterRefusal = sc.sandbox.anthropic.key(a.id)!.status;
        acknowledged = await sc.upOk(b.value, {
            config: { targets: withoutAgents, revocation: { mode: "deactivate", watchMinutes: 0, acknowledgeRemoved: [`heroku app ${removed}`] } },
        });
    }, 600_000);
    afterAll(() => sc?.stop());

    it("stops before revoking anything, naming the consumer, the key and the way out", () => {
        expect(refused.exitCode).not.toBe(0);
        expect(refused.error).toContain(`heroku app ${removed} still holds ${a.fingerprint}`);
        expect(refused.error).toContain(`pulumi config set --path 'revocation.acknowledgeRemoved[0]' 'heroku app ${removed}'`);
        expect(statusAfterRefusal).toBe("active");
        expect(sc.sandbox.heroku.configVars(removed).ANTHROPIC_API_KEY === a.value, "the removed app still holds the old key").toBe(true);
    });

    it("goes ahead once acknowledged: the old key is revoked, the removed app keeps its (now dead) copy", () => {
        expect(acknowledged.error).toBeUndefined();
        expect(sc.sandbox.anthropic.key(a.id)!.status).toBe("inactive");
        expect(sc.auditRecords().map((r) => [r.action, r.step ?? null])).toEqual([
            ["secret.rotate.completed", null],
            ["secret.rotate.failed", "revocation"],
            ["secret.rotate.completed", null],
        ]);
    });
});
