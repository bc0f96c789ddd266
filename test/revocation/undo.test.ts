import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { previousKeyRevocationProvider as p } from "../../components/revocation/previousKeyRevocationProvider";
import { AnthropicEmulator, EmulatedKey } from "../../offline/emulators/anthropicEmulator";
import { HealthEmulator, UNHEALTHY_BODY } from "../../offline/emulators/healthEmulator";
import { makeAdminKey } from "../../offline/emulators/keys";
import { auditLines, caught, expectErrorClean, expectNoLeaks, auditText, tempAuditContext, useFastRetries } from "../audit/support";

/**
 * PreviousKeyRevocation's undoable deactivation through the provider and the emulators: the watch window is a
 * few milliseconds (watchMinutes is a number of minutes; fractions are allowed), and every outcome asserted here
 * is decided by the health answers, never by how many polls fit in the window.
 */

const anthropic = new AnthropicEmulator();
const health = new HealthEmulator();
const savedEnv = { ...process.env };
let adminKey: string;
let a: EmulatedKey;
let b: EmulatedKey;
const listeners: (() => void)[] = [];

beforeAll(() => Promise.all([anthropic.start(), health.start()]));
afterAll(() => Promise.all([anthropic.stop(), health.stop()]));
beforeEach(() => {
    useFastRetries();
    process.env.PULUMI_ACTOR = "ops@raxx.app";
    anthropic.clearFaults();
    adminKey = anthropic.addAdminKey(makeAdminKey());
    process.env.ANTHROPIC_ADMIN_API_KEY = adminKey;
    a = anthropic.addKey({ name: "raxx-prod-agents-2026-08-01" });
    b = anthropic.addKey({ name: "raxx-prod-agents-2026-11-01" });
    health.healthy("/health");
});
afterEach(() => {
    process.env = { ...savedEnv };
    for (const off of listeners.splice(0)) off();
});

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
        healthChecks: [{ url: health.at("/health"), expect: "anthropic.ok == true" }],
        watchMinutes: 0.002,
        watchIntervalSeconds: 0.02,
        audit: tempAuditContext(key.fingerprint),
        ...extra,
    };
}

describe("deactivation that can be undone", () => {
    it("healthy consumers: the key stays inactive and the result says the health was watched", async () => {
        const olds = (await p.create(inputs(a))).outs;
        const { outs } = await p.update!("id", olds, inputs(b));
        expect(anthropic.key(a.id)!.status).toBe("inactive");
        expect(outs!.result).toMatch(/; health watched for \d+\.\d s after the deactivation \(\d+ polls? of 1 check\): all passed$/);
        expect(health.hits("/health")).toBeGreaterThanOrEqual(1);
    });

    it("a consumer that fails after the deactivation: the key is reactivated, secret.rotate.rolled_back is audited, the run fails", async () => {
        listeners.push(anthropic.onStatusChange((k, status) => {
            if (k.id === a.id && status === "inactive") health.script("/health", { status: 503, body: UNHEALTHY_BODY });
        }));
        const olds = (await p.create(inputs(a))).outs;
        const news = inputs(b);
        const err = await caught(() => p.update!("id", olds, news));
        expect(anthropic.key(a.id)!.status).toBe("active");
        expect(err.message).toContain("revocation: rolled back");
        expect(err.message).toContain(`${a.id} (${a.fingerprint}) is active again`);
        expectErrorClean(err, [a.value, b.value, adminKey]);
        const path = (news.audit as { path: string }).path;
        const line = auditLines(path).at(-1)!;
        expect(line).toMatchObject({
            action: "secret.rotate.rolled_back",
            step: "revocation",
            newFingerprint: b.fingerprint,
            revocation: { mode: "deactivate", result: "rolled back: keys reactivated", keys: [{ fingerprint: a.fingerprint, keyId: a.id, outcome: "reactivated" }] },
        });
        expect(line.reason).toContain("rolled back");
        expectNoLeaks({ audit: auditText(path) }, [a.value, b.value, adminKey]);
    });

    it("when the reactivation fails too: the message says the old key is dead and the new one is on every consumer", async () => {
        listeners.push(anthropic.onStatusChange((k, status) => {
            if (k.id !== a.id || status !== "inactive") return;
            health.script("/health", { status: 503, body: UNHEALTHY_BODY });
            anthropic.failNext(500, { method: "POST", path: `/v1/organizations/api_keys/${a.id}`, times: 50 });
        }));
        const olds = (await p.create(inputs(a))).outs;
        const news = inputs(b);
        const err = await caught(() => p.update!("id", olds, news));
        expect(anthropic.key(a.id)!.status).toBe("inactive");
        expect(err.message).toContain(`The old key ${a.fingerprint} is DEAD and this run could not bring it back; the new key ${b.fingerprint} is on every consumer in targets`);
        expect(auditLines((news.audit as { path: string }).path).at(-1)).toMatchObject({
            action: "secret.rotate.rolled_back",
            revocation: { result: "rollback failed: a key could not be reactivated", keys: [{ outcome: "reactivation failed" }] },
        });
    });

    it("when the admin key is refused for the reactivation: the message names ANTHROPIC_ADMIN_API_KEY, then says the old key is dead", async () => {
        listeners.push(anthropic.onStatusChange((k, status) => {
            if (k.id !== a.id || status !== "inactive") return;
            health.script("/health", { status: 503, body: UNHEALTHY_BODY });
            anthropic.failNext(401, { method: "POST", path: `/v1/organizations/api_keys/${a.id}`, times: 50 });
        }));
        const olds = (await p.create(inputs(a))).outs;
        const err = await caught(() => p.update!("id", olds, inputs(b)));
        expect(anthropic.key(a.id)!.status).toBe("inactive");
        expect(err.message).toMatch(new RegExp(`reactivating FAILED for ${a.id} \\(${a.fingerprint}\\): the Admin API rejected ANTHROPIC_ADMIN_API_KEY \\(HTTP 401 authentication_error, request id \\S+\\)\\. The old key ${a.fingerprint} is DEAD`));
        expectErrorClean(err, [a.value, b.value, adminKey]);
    });

    it("an emergency never reactivates the compromised key", async () => {
        health.script("/health", { status: 503, body: UNHEALTHY_BODY });
        const olds = (await p.create(inputs(a))).outs;
        const { outs } = await p.update!("id", olds, inputs(b, { emergency: true }));
        expect(outs!.result).toMatch(/not watched \(emergency/);
        expect(anthropic.key(a.id)!.status).toBe("inactive");
    });
});
