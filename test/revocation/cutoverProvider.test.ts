import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { previousKeyRevocationProvider as p } from "../../components/revocation/previousKeyRevocationProvider";
import { AnthropicEmulator, EmulatedKey } from "../../offline/emulators/anthropicEmulator";
import { makeAdminKey } from "../../offline/emulators/keys";
import { auditLines, auditText, caught, expectErrorClean, expectNoLeaks, tempAuditContext, useFastRetries } from "../audit/support";

/**
 * PreviousKeyRevocation asks the usage report before revoking. One look (maxWaitMinutes 0): every outcome here
 * is decided by the scripted traffic, not by time.
 */

const MIN = 60_000;
const anthropic = new AnthropicEmulator({ usageLagMs: 5 * MIN });
const savedEnv = { ...process.env };
let adminKey: string;
let a: EmulatedKey;
let b: EmulatedKey;

beforeAll(() => anthropic.start());
afterAll(() => anthropic.stop());
beforeEach(() => {
    useFastRetries();
    process.env.PULUMI_ACTOR = "ops@raxx.app";
    anthropic.usage.clearScripts();
    adminKey = anthropic.addAdminKey(makeAdminKey());
    process.env.ANTHROPIC_ADMIN_API_KEY = adminKey;
    a = anthropic.addKey({ name: "raxx-prod-agents-2026-08-01" });
    b = anthropic.addKey({ name: "raxx-prod-agents-2026-11-01" });
});
afterEach(() => {
    process.env = { ...savedEnv };
});

const cutover = { enabled: true, idleMinutes: 15, minNewKeyRequests: 1, maxWaitMinutes: 0, dataLagMinutes: 5, pollSeconds: 60 };

function inputs(key: EmulatedKey, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        apiKey: key.value,
        fingerprint: key.fingerprint,
        keyId: key.id,
        mode: "deactivate",
        emergency: false,
        baseUrl: anthropic.url,
        proofTimeoutSeconds: 2,
        proofIntervalSeconds: 0.05,
        audit: tempAuditContext(key.fingerprint),
        cutover,
        fanOutAt: new Date(Date.now() - 30 * MIN).toISOString(),
        ...extra,
    };
}

describe("proof of cut-over before the revocation", () => {
    it("proven: the old key quiet for 15 minutes before the lag, the new key in use: deactivated, evidence in outputs and audit", async () => {
        const t0 = Date.now();
        anthropic.scriptTraffic(a.id, (m) => (m < t0 - 40 * MIN ? 30 : 0));
        anthropic.scriptTraffic(b.id, (m) => (m >= t0 - 28 * MIN ? 6 : 0));
        const olds = (await p.create(inputs(a))).outs;
        const { outs } = await p.update!("id", olds, inputs(b));
        expect(anthropic.key(a.id)!.status).toBe("inactive");
        expect(outs!.result).toContain("cut-over proven by the usage report (no request with the old key for the 15 minutes before");
        expect(outs!.cutoverEvidence).toMatchObject({
            decision: "proven",
            source: "analytics",
            keys: [
                { fingerprint: a.fingerprint, keyId: a.id, role: "old", requests: 0 },
                { fingerprint: b.fingerprint, keyId: b.id, role: "new" },
            ],
        });
        expect(outs!.summary.cutover.decision).toBe("proven");
        expectNoLeaks({ outputs: JSON.stringify({ ...outs, apiKey: undefined }) }, [a.value, b.value, adminKey]);
    });

    it("not proven: the old key still has traffic — nothing deactivated, the message names it and what that means, the audit keeps the evidence", async () => {
        anthropic.scriptTraffic(a.id, () => 9);
        anthropic.scriptTraffic(b.id, () => 4);
        const olds = (await p.create(inputs(a))).outs;
        const news = inputs(b);
        const err = await caught(() => p.update!("id", olds, news));
        expect(anthropic.key(a.id)!.status).toBe("active");
        expect(err.message).toContain("revocation: nothing was deactivated — the usage report does not prove the cut-over after 0 min (1 look)");
        expect(err.message).toContain(`${a.fingerprint} (${a.id}) served 135 request(s) in the idle window, last in the minute of`);
        expect(err.message).toContain("a consumer that is not in targets (or one that did not restart) still uses the old key");
        expectErrorClean(err, [a.value, b.value, adminKey]);
        const path = (news.audit as { path: string }).path;
        expect(auditLines(path)[0]).toMatchObject({
            action: "secret.rotate.failed",
            step: "revocation",
            revocation: { result: "failed: cut-over not proven", cutover: { decision: "not proven", keys: [{ keyId: a.id, role: "old", requests: 135 }, { keyId: b.id, role: "new" }] } },
        });
        expectNoLeaks({ audit: auditText(path) }, [a.value, b.value, adminKey]);
    });

    it("an admin key the usage report rejects: nothing deactivated, the message says to fix ANTHROPIC_ADMIN_API_KEY, not to wait for the Admin API", async () => {
        const olds = (await p.create(inputs(a))).outs;
        const rejected = makeAdminKey();
        process.env.ANTHROPIC_ADMIN_API_KEY = rejected;
        const news = inputs(b);
        const err = await caught(() => p.update!("id", olds, news));
        expect(anthropic.key(a.id)!.status).toBe("active");
        expect(anthropic.server.calls("POST", `/v1/organizations/api_keys/${a.id}`)).toEqual([]);
        expect(err.message).toContain("revocation: nothing was deactivated — the usage report does not prove the cut-over");
        expect(err.message).toContain("the Admin API refused ANTHROPIC_ADMIN_API_KEY (GET /v1/organizations/analytics/usage answered HTTP 401 authentication_error");
        expect(err.message).toContain("ANTHROPIC_ADMIN_API_KEY was rejected: set it to an active Admin API key");
        expect(err.message).toContain(`Every consumer in targets already has the new key ${b.fingerprint}`);
        expect(err.message).not.toContain("once the Admin API answers");
        expect(err.message).not.toContain("cutover: false");
        expectErrorClean(err, [a.value, b.value, adminKey, rejected]);
        expect(auditLines((news.audit as { path: string }).path)[0]).toMatchObject({
            action: "secret.rotate.failed",
            step: "revocation",
            revocation: { result: "failed: cut-over not proven", cutover: { decision: "not proven", adminKeyRefused: 401 } },
        });
    });

    it("verify: a proven cut-over tells the operator that revoking in the Console is safe", async () => {
        anthropic.scriptTraffic(b.id, () => 4);
        const olds = (await p.create(inputs(a, { mode: "verify" }))).outs;
        const err = await caught(() => p.update!("id", olds, inputs(b, { mode: "verify" })));
        expect(err.message).toContain(`the previous key (${a.fingerprint}) still works`);
        expect(err.message).toMatch(/Usage report: no request with the old key .*; revoking is safe\.$/);
    });

    it("skipped, and said so: in an emergency, without the admin key, when off", async () => {
        const olds = (await p.create(inputs(a))).outs;
        const emergency = await p.update!("id", olds, inputs(b, { emergency: true, compromisedKey: a.fingerprint }));
        expect(emergency.outs!.result).toContain("cut-over not checked (emergency: the compromised key dies first)");
        const c = anthropic.addKey();
        const off = await p.update!("id", (await p.create(inputs(b))).outs, inputs(c, { cutover: { ...cutover, enabled: false } }));
        expect(off.outs!.cutoverEvidence).toMatchObject({ decision: "skipped", reason: "cutover is off (cutover: false)" });
        delete process.env.ANTHROPIC_ADMIN_API_KEY;
        const d = anthropic.addKey();
        const verifyOlds = (await p.create(inputs(c, { mode: "verify" }))).outs;
        anthropic.setStatus(c.id, "inactive");
        const noAdmin = await p.update!("id", verifyOlds, inputs(d, { mode: "verify" }));
        expect(noAdmin.outs!.result).toContain("cut-over not checked (ANTHROPIC_ADMIN_API_KEY is not set: the usage report needs an Admin API key)");
    });
});
