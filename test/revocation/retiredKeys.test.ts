import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fingerprint } from "../../components/domain/fingerprint";
import { previousKeyRevocationProvider as p } from "../../components/revocation/previousKeyRevocationProvider";
import { mergeRetired, retiredKeysOf } from "../../components/revocation/retiredKeys";
import { AnthropicEmulator, EmulatedKey } from "../../offline/emulators/anthropicEmulator";
import { makeAdminKey, makeApiKey } from "../../offline/emulators/keys";
import { auditLines, caught, expectErrorClean, expectNoLeaks, tempAuditContext, useFastRetries } from "../audit/support";

/**
 * PreviousKeyRevocation with the KeyLedger's retired keys: every key replaced since the last proven
 * revocation must end dead, or the run fails naming each one that is not.
 */

const anthropic = new AnthropicEmulator();
const savedEnv = { ...process.env };
let adminKey: string;
let a: EmulatedKey;
let b: EmulatedKey;
let c: EmulatedKey;

beforeAll(() => anthropic.start());
afterAll(() => anthropic.stop());
beforeEach(() => {
    useFastRetries();
    process.env.PULUMI_ACTOR = "ops@raxx.app";
    anthropic.clearFaults();
    adminKey = anthropic.addAdminKey(makeAdminKey());
    process.env.ANTHROPIC_ADMIN_API_KEY = adminKey;
    a = anthropic.addKey({ name: "raxx-prod-agents-2026-05-01" });
    b = anthropic.addKey({ name: "raxx-prod-agents-2026-08-01" });
    c = anthropic.addKey({ name: "raxx-prod-agents-2026-11-01" });
});
afterEach(() => {
    process.env = { ...savedEnv };
});

const secrets = () => [a.value, b.value, c.value, adminKey];
const retired = (...keys: EmulatedKey[]) => keys.map((k) => ({ fingerprint: k.fingerprint, keyId: k.id, since: "2026-11-01T00:00:00.000Z", value: k.value }));

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
        retiredKeys: [],
        ...extra,
    };
}

/** State of the revocation resource after a successful run with `key` (what the engine keeps). */
async function stateWith(key: EmulatedKey, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return (await p.create(inputs(key, extra))).outs;
}

describe("retiredKeysOf / mergeRetired", () => {
    it("drops malformed entries and entries whose value does not match their fingerprint", () => {
        const other = makeApiKey();
        const list = retiredKeysOf([...retired(a), { fingerprint: fingerprint(other), value: a.value }, { value: b.value }, null, "x"]);
        expect(list.map((k) => k.fingerprint)).toEqual([a.fingerprint]);
    });

    it("one entry per key, without the current one; a known id and the earliest date win", () => {
        const [ka] = retiredKeysOf(retired(a));
        const merged = mergeRetired([[{ ...ka!, keyId: null, since: "2026-12-01T00:00:00.000Z" }], retiredKeys(b, c), [ka!]], c.fingerprint);
        expect(merged.map((k) => [k.fingerprint, k.keyId, k.since])).toEqual([
            [a.fingerprint, a.id, "2026-11-01T00:00:00.000Z"],
            [b.fingerprint, b.id, "2026-11-01T00:00:00.000Z"],
        ]);
    });
});

function retiredKeys(...keys: EmulatedKey[]) {
    return retiredKeysOf(retired(...keys));
}

describe("deactivate every key replaced since the last proven revocation", () => {
    it("the state's previous key and the ledger's keys are all deactivated and proven dead; the current key is untouched", async () => {
        const olds = await stateWith(a);
        const { outs } = await p.update!("id", olds, inputs(c, { retiredKeys: retired(a, b), replacedFingerprint: b.fingerprint }));
        expect(anthropic.key(a.id)!.status).toBe("inactive");
        expect(anthropic.key(b.id)!.status).toBe("inactive");
        expect(anthropic.key(c.id)!.status).toBe("active");
        expect(outs!.keys).toEqual([
            { fingerprint: a.fingerprint, keyId: a.id, outcome: "deactivated", provedAt: expect.any(String) },
            { fingerprint: b.fingerprint, keyId: b.id, outcome: "deactivated", provedAt: expect.any(String) },
        ]);
        expect(outs!.result).toMatch(new RegExp(`^deactivated ${a.id} \\(${a.fingerprint}\\), deactivated ${b.id} \\(${b.fingerprint}\\); 401 proven for all 2 keys after`));
        expect(outs!.summary).toMatchObject({ mode: "deactivate", keys: outs!.keys });
        expect(outs!.retiredFingerprints).toEqual([a.fingerprint, b.fingerprint].sort());
        const { apiKey: _current, ...publicOutputs } = outs!;
        expectNoLeaks({ outputs: JSON.stringify(publicOutputs) }, secrets());
    });

    it("handles what it can, then fails listing each key that is not proven dead, and audits it", async () => {
        const stranger = makeApiKey();
        const olds = await stateWith(a);
        const news = inputs(c, { retiredKeys: [...retired(b), { fingerprint: fingerprint(stranger), keyId: null, since: "2026-11-01T00:00:00.000Z", value: stranger }], replacedFingerprint: b.fingerprint });
        const err = await caught(() => p.update!("id", olds, news));
        expect(err.message).toContain("1 of the 3 keys replaced since the last proven revocation could not be proven dead");
        expect(err.message).toContain(`the previous key ${fingerprint(stranger)} is not among the`);
        expect(err.message).toContain(`deactivated ${a.id} (${a.fingerprint}), 401 proven`);
        expect(err.message).toContain(`deactivated ${b.id} (${b.fingerprint}), 401 proven`);
        expectErrorClean(err, [...secrets(), stranger]);
        expect(anthropic.key(a.id)!.status).toBe("inactive");
        expect(anthropic.key(b.id)!.status).toBe("inactive");
        const line = auditLines((news.audit as { path: string }).path)[0]!;
        expect(line).toMatchObject({ action: "secret.rotate.failed", step: "revocation", oldFingerprint: b.fingerprint, newFingerprint: c.fingerprint });
        // The engine keeps the old state: the next run handles the rest without deactivating twice.
        const updatesBefore = anthropic.calls({ method: "POST", path: /^\/v1\/organizations\/api_keys\// }).length;
        const again = await p.update!("id", olds, inputs(c, { retiredKeys: retired(b) }));
        expect(again.outs!.keys.map((k: { outcome: string }) => k.outcome)).toEqual(["already inactive", "already inactive"]);
        expect(anthropic.calls({ method: "POST", path: /^\/v1\/organizations\/api_keys\// }).length).toBe(updatesBefore);
    });

    it("same key, and every listed key already proven dead: nothing to do; a newly listed key is handled", async () => {
        const done = (await p.update!("id", await stateWith(a), inputs(b, { retiredKeys: retired(a) }))).outs!;
        const before = anthropic.calls().length;
        const same = (await p.update!("id", done, inputs(b, { retiredKeys: retired(a) }))).outs!;
        expect(anthropic.calls().length).toBe(before);
        expect(same.result).toBe(done.result);
        expect((await p.diff!("id", done, inputs(b, { retiredKeys: retired(a), audit: done.audit }))).changes).toBe(false);
        expect((await p.diff!("id", done, inputs(b, { retiredKeys: retired(a, c), audit: done.audit }))).changes).toBe(true);
    });
});

describe("verify every key", () => {
    it("fails listing each key that still works, and the ones already dead", async () => {
        anthropic.setStatus(a.id, "inactive");
        const err = await caught(() => p.update!("id", stateWithSync(), inputs(c, { mode: "verify", retiredKeys: retired(a, b) })));
        expect(err.message).toContain("1 of the 2 keys replaced since the last proven revocation is not proven dead");
        expect(err.message).toContain(`${b.fingerprint} (${b.id}): still works (GET /v1/models answered HTTP 200`);
        expect(err.message).toContain(`Already dead (401): ${a.fingerprint} (${a.id})`);
        expect(err.message).toContain("Revoke each key that still works in the Console (Settings → Keys) and run `pulumi up` again");
        expectErrorClean(err, secrets());
        anthropic.setStatus(b.id, "inactive");
        const { outs } = await p.update!("id", stateWithSync(), inputs(c, { mode: "verify", retiredKeys: retired(a, b) }));
        expect(outs!.result).toMatch(/^verified: all 2 keys replaced since the last proven revocation answer 401/);
    });

    function stateWithSync(): Record<string, unknown> {
        // A state whose own key is the current one: only the ledger's keys are to be proven dead.
        return { apiKey: c.value, fingerprint: c.fingerprint, keyId: c.id, mode: "verify", keys: [], retiredFingerprints: [] };
    }
});

describe("none lists every key it leaves alive", () => {
    it("skips them all, by fingerprint and id", async () => {
        const { outs } = await p.update!("id", await stateWith(a), inputs(c, { mode: "none", retiredKeys: retired(a, b) }));
        expect(outs!.result).toContain(`2 keys replaced since the last proven revocation were left as they are (${a.fingerprint} (${a.id}), ${b.fingerprint} (${b.id}))`);
        expect(outs!.keys.map((k: { outcome: string }) => k.outcome)).toEqual(["left active", "left active"]);
        expect(anthropic.key(a.id)!.status).toBe("active");
    });
});

describe("emergency names the compromised key", () => {
    it("refuses, before any call, when the compromised key is not being replaced (a setting left over)", async () => {
        const news = inputs(c, { emergency: true, compromisedKey: a.fingerprint, retiredKeys: retired(b), audit: tempAuditContext(c.fingerprint, { emergency: true }) });
        const olds = await stateWith(b);
        const before = anthropic.calls({ path: /^\/v1\/organizations\// }).length;
        const err = await caught(() => p.update!("id", olds, news));
        expect(err.message).toContain(`refused: emergency.compromisedKey (${a.fingerprint}) is not among the keys this rotation replaces (${b.fingerprint} (${b.id}))`);
        expect(err.message).toContain("pulumi config rm emergency");
        expect(anthropic.calls({ path: /^\/v1\/organizations\// }).length).toBe(before);
        expect(anthropic.key(b.id)!.status).toBe("active");
        expect(auditLines((news.audit as { path: string }).path)[0]).toMatchObject({ action: "secret.rotate.failed", emergency: true, step: "revocation" });
    });

    it("refuses when it names the new key", async () => {
        const olds = await stateWith(b);
        const err = await caught(() => p.update!("id", olds, inputs(c, { emergency: true, compromisedKey: c.fingerprint, retiredKeys: retired(b) })));
        expect(err.message).toContain(`is the NEW key ${c.fingerprint}`);
        expect(anthropic.key(b.id)!.status).toBe("active");
    });

    it("acts when the compromised key is among them (by fingerprint or Admin API id)", async () => {
        const { outs } = await p.update!("id", await stateWith(a), inputs(c, { emergency: true, compromisedKey: b.id, retiredKeys: retired(a, b) }));
        expect(outs!.result).toMatch(/\(emergency\); 401 proven for all 2 keys/);
        expect(outs!.compromisedKey).toBe(b.id);
        expect(anthropic.key(b.id)!.status).toBe("inactive");
    });

    it("check refuses a compromisedKey that is neither a fingerprint nor a key id, without echoing it", async () => {
        const res = await p.check!({}, inputs(c, { compromisedKey: a.value }));
        expect(res.failures!.map((f) => f.property)).toEqual(["compromisedKey"]);
        expectNoLeaks({ failures: JSON.stringify(res.failures) }, secrets());
    });
});

describe("a consumer removed from targets that still holds a key being revoked", () => {
    const api = { id: "heroku app raxx-api-prod", removeOnDelete: false };
    const worker = { id: "heroku app raxx-worker-prod", removeOnDelete: false };
    const heldBy = (key: EmulatedKey, ...holders: { id: string; removeOnDelete: boolean }[]) => retired(key).map((k) => ({ ...k, holders }));

    it("stops the run before anything is revoked, naming the consumer and the key, and saying how to acknowledge it", async () => {
        const olds = await stateWith(a);
        const news = inputs(b, { retiredKeys: heldBy(a, api, worker), consumers: [api] });
        const updates = () => anthropic.calls({ method: "POST", path: /^\/v1\/organizations\/api_keys\// }).length;
        const before = updates();
        const err = await caught(() => p.update!("id", olds, news));
        expect(err.message).toContain("refused: a consumer removed from targets still holds a key this run would revoke");
        expect(err.message).toContain(`heroku app raxx-worker-prod still holds ${a.fingerprint} (${a.id})`);
        expect(err.message).toContain("pulumi config set --path 'revocation.acknowledgeRemoved[0]' 'heroku app raxx-worker-prod'");
        expect(anthropic.key(a.id)!.status).toBe("active");
        expect(updates()).toBe(before);
        expect(auditLines((news.audit as { path: string }).path)[0]).toMatchObject({ action: "secret.rotate.failed", step: "revocation" });
    });

    it("goes ahead when the consumer was removed with removeOnDelete, or is acknowledged", async () => {
        const viaRemove = await p.update!("id", await stateWith(a), inputs(b, { retiredKeys: heldBy(a, api, { ...worker, removeOnDelete: true }), consumers: [api] }));
        expect(viaRemove.outs!.keys.map((k: { outcome: string }) => k.outcome)).toEqual(["deactivated"]);
        const viaAck = await p.update!("id", await stateWith(b), inputs(c, { retiredKeys: heldBy(b, api, worker), consumers: [api], acknowledgedRemovals: [worker.id] }));
        expect(viaAck.outs!.keys.map((k: { outcome: string }) => k.outcome)).toEqual(["deactivated"]);
    });

    it("does not hold back an emergency, nor matter with revocation none", async () => {
        const emergency = await p.update!("id", await stateWith(a), inputs(c, { emergency: true, compromisedKey: a.fingerprint, retiredKeys: heldBy(a, worker), consumers: [api] }));
        expect(anthropic.key(a.id)!.status).toBe("inactive");
        expect(emergency.outs!.result).toMatch(/\(emergency\)/);
        const none = await p.update!("id", await stateWith(b), inputs(c, { mode: "none", retiredKeys: heldBy(b, worker), consumers: [api] }));
        expect(none.outs!.result).toMatch(/^skipped/);
    });
});
