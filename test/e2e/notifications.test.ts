import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RehearsalRun } from "../../offline/harness/rehearsal";
import { deadWebhookUrl, WebhookEmulator } from "../../offline/emulators/webhookEmulator";
import { describeFinding, scanForLeaks } from "../support/leakScan";
import { PROCESSES_SETUP_MS } from "../support/timeouts";
import { Scenario } from "./scenario";

/**
 * Notifications through the real program, provider host and policy pack: the webhooks are secret stack config;
 * a completed rotation and a rotation that fails at Heroku each reach a Discord and a Slack webhook, a dead
 * webhook (nothing listening) fails neither run and is reported, and no key, webhook URL or token is in any
 * artifact of the runs.
 */
describe("notifications, end to end", () => {
    let sc: Scenario;
    let hooks: WebhookEmulator;
    let discord: string;
    let slack: string;
    let dead: string;
    let keys: string[];
    let completed: RehearsalRun;
    let failed: RehearsalRun;
    const FAULTED_APP = "raxx-api-sandbox";

    beforeAll(async () => {
        [sc, hooks] = await Promise.all([Scenario.start(), WebhookEmulator.start()]);
        discord = hooks.discordUrl("ops-discord");
        slack = hooks.slackUrl("ops-slack");
        dead = await deadWebhookUrl("discord");
        const secretConfig = { notifications: [{ format: "discord", url: discord }, { format: "slack", url: slack }, { format: "discord", url: dead }] };
        const keyA = sc.createKey();
        completed = await sc.up(keyA.value, { secretConfig, policies: true });
        const keyB = sc.createKey();
        sc.sandbox.heroku.server.injectFault({ method: "PATCH", path: `/apps/${FAULTED_APP}/config-vars`, times: 1000, fault: { kind: "status", status: 403, body: { id: "forbidden", message: "You do not have access to the app." } } });
        failed = await sc.up(keyB.value, { secretConfig });
        sc.sandbox.heroku.server.clearFaults();
        keys = [keyA.value, keyB.value];
    }, PROCESSES_SETUP_MS);
    afterAll(() => Promise.all([sc?.stop(), hooks?.stop()]));

    it("a completed rotation notifies both webhooks, and the dead one does not fail it", () => {
        expect(completed.error, `${completed.error}\n${completed.stderr}`).toBeUndefined();
        expect(completed.exitCode).toBe(0);
        const [d] = hooks.deliveredTo(discord);
        const [s] = hooks.deliveredTo(slack);
        expect(JSON.stringify(d!.body)).toMatch(/Rotated: Anthropic key for sandbox/);
        expect(JSON.stringify(s!.body)).toMatch(/Rotated: Anthropic key for sandbox/);
        const line = sc.auditRecords().find((r) => r.action === "secret.rotate.completed")!;
        expect(line.notifications!.map((n) => [n.format, n.outcome])).toEqual([["discord", "delivered"], ["slack", "delivered"], ["discord", "failed"]]);
        expect(line.notifications![2]!.host).toBe(new URL(dead).host);
        // The stack output is the same record.
        expect(JSON.stringify(completed.stackOutputs)).toContain('"outcome":"failed"');
    });

    it("the dead webhook is a warning in the run's output", () => {
        const output = [completed.stdout, completed.stderr, completed.providerHostStderr, ...sc.artifacts().map((a) => a.text)].join("\n");
        expect(output).toMatch(/notifications: the secret\.rotate\.completed notification did not reach 1 of 3 webhooks/);
    });

    it("a rotation that fails at Heroku notifies both webhooks with the step, the app and what to do", () => {
        expect(failed.exitCode).not.toBe(0);
        expect(failed.error).toMatch(/heroku/);
        const texts = [hooks.deliveredTo(discord), hooks.deliveredTo(slack)].map((list) => JSON.stringify(list.map((d) => d.body)));
        for (const text of texts) {
            expect(text).toMatch(/Rotation failed at heroku/);
            expect(text).toContain(`heroku app ${FAULTED_APP}`);
            expect(text).toMatch(/run pulumi up again/);
        }
        const line = sc.auditRecords().find((r) => r.action === "secret.rotate.failed")!;
        expect(line).toMatchObject({ step: "heroku" });
        expect(line.notifications!.map((n) => n.outcome)).toEqual(["delivered", "delivered", "failed"]);
    });

    it("no key, webhook URL or token in any artifact: outputs, state, audit, errors, provider texts, emulator logs", () => {
        const artifacts = sc.artifacts();
        const secrets = [...keys, discord, slack, dead, ...hooks.secrets(), new URL(dead).pathname, new URL(dead).pathname.split("/").pop()!];
        const findings = scanForLeaks(artifacts, secrets);
        expect(findings.map((f) => describeFinding(f, artifacts))).toEqual([]);
        expect(artifacts.some((a) => a.name === "state file")).toBe(true);
    });
});
