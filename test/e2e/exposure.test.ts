import { existsSync, readFileSync } from "fs";
import { join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExposureReport, ExposureSummary } from "../../components/exposure/exposureTypes";
import type { RehearsalRun } from "../../offline/harness/rehearsal";
import { WebhookEmulator } from "../../offline/emulators/webhookEmulator";
import { describeFinding, scanForLeaks } from "../support/leakScan";
import { PROCESSES_SETUP_MS } from "../support/timeouts";
import { Scenario } from "./scenario";

/** An emergency rotation through the real program and provider host: the leaked key dies first, then its exposure report. */

const OPUS = "claude-opus-4-1-20250805";

describe("emergency rotation: the exposure report of the leaked key", () => {
    let sc: Scenario;
    let keyA: ReturnType<Scenario["createKey"]>;
    let keyB: ReturnType<Scenario["createKey"]>;
    let run: RehearsalRun;
    let callsBefore: number;
    let hooks: WebhookEmulator;
    let slack: string;

    beforeAll(async () => {
        [sc, hooks] = await Promise.all([Scenario.start(), WebhookEmulator.start()]);
        slack = hooks.slackUrl("security");
        keyA = sc.createKey();
        await sc.upOk(keyA.value);
        // Someone else uses the leaked key: Opus, a burst two hours ago.
        const burst = Math.floor((Date.now() - 2 * 3_600_000) / 60_000) * 60_000;
        sc.sandbox.anthropic.modelUsage.script(keyA.id, OPUS, (m) => (m === burst ? 40 : 0));
        callsBefore = sc.sandbox.anthropic.server.requests.length;
        keyB = sc.createKey();
        run = await sc.upOk(keyB.value, {
            config: { emergency: { compromisedKey: keyA.fingerprint }, revocation: "deactivate" },
            secretConfig: { notifications: [{ format: "slack", url: slack }] },
        });
    }, PROCESSES_SETUP_MS);
    afterAll(() => Promise.all([sc?.stop(), hooks?.stop()]));

    it("asks for the usage only after the leaked key was deactivated, and completes the rotation", () => {
        const calls = sc.sandbox.anthropic.server.requests.slice(callsBefore);
        const deactivation = calls.findIndex((r) => r.method === "POST" && r.path.startsWith("/v1/organizations/api_keys/apikey_"));
        const usage = calls.findIndex((r) => r.path === "/v1/organizations/analytics/usage" && new URLSearchParams(r.query).get("time_bucket_width") === "1h");
        expect(deactivation).toBeGreaterThanOrEqual(0);
        expect(usage).toBeGreaterThan(deactivation);
        expect(sc.sandbox.anthropic.key(keyA.id)?.status).toBe("inactive");
        sc.expectConsumersHold(keyB.value);
    });

    it("records the report in the audit line, the stack output and a file next to the audit log", () => {
        const last = sc.auditRecords().at(-1)!;
        expect(last).toMatchObject({ action: "secret.rotate.completed", emergency: true });
        const summary = last.exposure as ExposureSummary;
        expect(summary).toMatchObject({ status: "ready", keyId: keyA.id, window: { hours: 48 } });
        if (summary.status !== "ready") return;
        expect(summary.flags.map((f) => f.kind)).toContain("model-not-allowed");
        expect(summary.byModel.find((m) => m.model === OPUS)).toMatchObject({ requests: 40 });
        expect(run.stackOutputs.exposure).toEqual(summary);
        const file = join(sc.dir, "audit", `exposure-${keyA.id}-${summary.generatedAt.slice(0, 10)}.json`);
        expect(summary.file).toBe(file);
        const report = JSON.parse(readFileSync(file, "utf8")) as ExposureReport;
        expect(report.byHour.some((h) => h.models.some((m) => m.model === OPUS))).toBe(true);
    });

    it("tells the webhooks the report is ready: the key's id and fingerprint, the flags, the file; never a key or the webhook's token", () => {
        const bodies = hooks.deliveredTo(slack).map((d) => JSON.stringify(d.body));
        const ready = bodies.filter((b) => b.includes("Exposure report ready"));
        expect(ready, bodies.join("\n")).toHaveLength(1);
        expect(ready[0]).toContain(keyA.id);
        expect(ready[0]).toContain(keyA.fingerprint);
        expect(ready[0]).toMatch(/claude-opus|model/i);
        expect(ready[0]).toContain(`exposure-${keyA.id}`);
        const outputs = JSON.stringify(run.stackOutputs);
        expect(outputs).not.toContain(new URL(slack).pathname);
    });

    it("leaves no key material in output, state, audit, the report file or the emulator logs", () => {
        const file = (sc.auditRecords().at(-1)!.exposure as { file?: string }).file;
        const artifacts = [...sc.artifacts(), ...(file && existsSync(file) ? [{ name: "exposure file", text: readFileSync(file, "utf8") }] : [])];
        const leaks = scanForLeaks(artifacts, [keyA.value, keyB.value, sc.sandbox.adminKey, sc.sandbox.heroku.token, ...hooks.secrets()]);
        expect(leaks.map((f) => describeFinding(f, artifacts))).toEqual([]);
    });
});
