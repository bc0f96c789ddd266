import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUDIT_ACTION_ROLLED_BACK } from "../../components/audit/auditLog";
import { auditedStep } from "../../components/audit/auditedStep";
import { auditedFailure } from "../../components/audit/notifyingAudit";
import { rotationAuditProvider } from "../../components/audit/rotationAuditProvider";
import { fingerprint } from "../../components/domain/fingerprint";
import { makeApiKey } from "../../offline/emulators/keys";
import { deadWebhookUrl, WebhookEmulator } from "../../offline/emulators/webhookEmulator";
import { auditLines, auditText, tempAuditContext, useFastRetries } from "../audit/support";
import { describeFinding, scanForLeaks } from "../support/leakScan";

/**
 * The notification goes out where the audit line is written: the RotationAudit provider (completed), auditedStep
 * (a failed step) and auditedFailure (a revocation that failed or was rolled back). A webhook that fails never
 * changes the step's outcome; it is in the line's `notifications` and nowhere is its URL.
 */

describe("notifications from the audit line", () => {
    let hooks: WebhookEmulator;
    let dead: string;
    const key = makeApiKey();
    beforeAll(async () => {
        useFastRetries();
        hooks = await WebhookEmulator.start();
        dead = await deadWebhookUrl("slack");
    });
    afterAll(() => hooks?.stop());

    const leakFree = (texts: Record<string, string>) => {
        const artifacts = Object.entries(texts).map(([name, text]) => ({ name, text }));
        const findings = scanForLeaks(artifacts, [key, dead, new URL(dead).pathname, ...hooks.secrets()]);
        expect(findings.map((f) => describeFinding(f, artifacts))).toEqual([]);
    };

    it("completed: each webhook is told, the line records each outcome, and the outputs keep no webhook", async () => {
        const discord = hooks.discordUrl("completed");
        const context = tempAuditContext(fingerprint(key));
        const created = await rotationAuditProvider.create!({
            audit: context,
            targets: [{ kind: "heroku", target: "heroku app raxx-api-prod (ANTHROPIC_API_KEY)", fingerprint: fingerprint(key) }],
            notifications: [{ format: "discord", url: discord }, { format: "slack", url: dead }],
        });
        const [line] = auditLines(context.path);
        expect(line!.action).toBe("secret.rotate.completed");
        expect(line!.notifications).toEqual([
            { format: "discord", host: new URL(discord).host, outcome: "delivered", attempts: 1 },
            expect.objectContaining({ format: "slack", host: new URL(dead).host, outcome: "failed", detail: expect.stringMatching(/did not answer/) }),
        ]);
        expect(created.outs.record).toEqual(line);
        expect(created.outs).not.toHaveProperty("notifications");
        const [delivery] = hooks.deliveredTo(discord);
        expect(JSON.stringify(delivery!.body)).toContain(fingerprint(key));
        leakFree({ audit: auditText(context.path), outs: JSON.stringify(created.outs) });
    });

    it("without notifications the line is as it always was (no notifications field)", async () => {
        const context = tempAuditContext(fingerprint(key));
        await rotationAuditProvider.create!({ audit: context, targets: [] });
        expect(auditLines(context.path)[0]).not.toHaveProperty("notifications");
    });

    it("failed step: the step's own error is thrown unchanged, the webhook hears step, target and what to do", async () => {
        const slack = hooks.slackUrl("failed");
        const context = tempAuditContext(fingerprint(key));
        const error = await auditedStep(
            context,
            "heroku",
            [key],
            async () => {
                throw new Error("heroku config vars: heroku app raxx-api-prod answered 403; fix HEROKU_API_KEY and run pulumi up again");
            },
            { notifications: [{ format: "slack", url: slack }, { format: "slack", url: dead }], target: "heroku app raxx-api-prod" },
        ).catch((e: unknown) => e as Error);
        expect(error.message).toBe("heroku config vars: heroku app raxx-api-prod answered 403; fix HEROKU_API_KEY and run pulumi up again");
        const [line] = auditLines(context.path);
        expect(line).toMatchObject({ action: "secret.rotate.failed", step: "heroku" });
        expect(line!.notifications!.map((n) => n.outcome)).toEqual(["delivered", "failed"]);
        const text = JSON.stringify(hooks.deliveredTo(slack)[0]!.body);
        for (const s of ["Rotation failed at heroku", "heroku app raxx-api-prod", "fix HEROKU_API_KEY"]) expect(text).toContain(s);
        leakFree({ audit: auditText(context.path), error: error.message });
    });

    it("revocation rolled back: the line is secret.rotate.rolled_back and the webhook says the keys were reactivated", async () => {
        const discord = hooks.discordUrl("rolled-back");
        const context = tempAuditContext(fingerprint(key));
        const err = await auditedFailure(
            context,
            "revocation",
            "revocation: a consumer failed its health check after the deactivation; the keys were reactivated",
            { revocation: { mode: "deactivate", result: "rolled back: keys reactivated" } },
            [key],
            { notifications: [{ format: "discord", url: discord }] },
            AUDIT_ACTION_ROLLED_BACK,
        );
        expect(err.message).toMatch(/keys were reactivated/);
        expect(auditLines(context.path)[0]).toMatchObject({ action: "secret.rotate.rolled_back", notifications: [{ outcome: "delivered" }] });
        expect(JSON.stringify(hooks.deliveredTo(discord)[0]!.body)).toContain("Revocation rolled back");
    });

    it("a webhook URL that reached an error message is redacted from the line, the message and the notification", async () => {
        const discord = hooks.discordUrl("redacted");
        const context = tempAuditContext(fingerprint(key));
        const err = await auditedFailure(context, "health", `health: posted to ${discord} by mistake`, {}, [key], { notifications: [{ format: "discord", url: discord }] });
        leakFree({ audit: auditText(context.path), error: err.message, delivered: JSON.stringify(hooks.deliveredTo(discord)) });
        expect(err.message).toContain("[REDACTED]");
    });
});
