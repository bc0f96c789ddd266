import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { keyLedgerProvider as p } from "../../components/revocation/keyLedgerProvider";
import { AnthropicEmulator, EmulatedKey } from "../../offline/emulators/anthropicEmulator";
import { expectNoLeaks, useFastRetries } from "../audit/support";

/** The KeyLedger provider: which keys stay on record until they are proven dead. */

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const anthropic = new AnthropicEmulator();
const savedEnv = { ...process.env };
let a: EmulatedKey;
let b: EmulatedKey;
let c: EmulatedKey;

beforeAll(() => anthropic.start());
afterAll(() => anthropic.stop());
beforeEach(() => {
    useFastRetries();
    anthropic.clearFaults();
    a = anthropic.addKey({ name: "raxx-prod-agents-2026-05-01" });
    b = anthropic.addKey({ name: "raxx-prod-agents-2026-08-01" });
    c = anthropic.addKey({ name: "raxx-prod-agents-2026-11-01" });
});
afterEach(() => {
    process.env = { ...savedEnv };
});

function inputs(key: EmulatedKey, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { apiKey: key.value, fingerprint: key.fingerprint, keyId: key.id, environment: "prod", baseUrl: anthropic.url, ...extra };
}

async function step(olds: Record<string, unknown>, key: EmulatedKey, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return (await p.update!("id", olds, inputs(key, extra))).outs!;
}

const fingerprints = (outs: Record<string, unknown>) => (outs.retired as { fingerprint: string }[]).map((k) => k.fingerprint);
const secrets = () => [a.value, b.value, c.value];

describe("KeyLedger", () => {
    it("create: nothing retired, a public id, no network", async () => {
        const before = anthropic.calls().length;
        const { id, outs } = await p.create(inputs(a));
        expect(id).toBe("prod-key-ledger");
        expect(outs).toMatchObject({ fingerprint: a.fingerprint, keyId: a.id, previousFingerprint: null, retired: [], retiredKeys: [], dropped: [] });
        expect(anthropic.calls().length).toBe(before);
    });

    it("a new key retires the one it replaces, with its Admin API id; values only in retiredKeys", async () => {
        const first = (await p.create(inputs(a))).outs;
        const outs = await step(first, b);
        expect(outs.previousFingerprint).toBe(a.fingerprint);
        expect(outs.retired).toEqual([{ fingerprint: a.fingerprint, keyId: a.id, since: expect.any(String), holders: [] }]);
        expect((outs.retiredKeys as { value: string }[])[0]!.value === a.value).toBe(true);
        const { retiredKeys: _secret, apiKey: _current, ...publicOutputs } = outs;
        expectNoLeaks({ outputs: JSON.stringify(publicOutputs) }, secrets());
    });

    it("keys from rotations that never completed accumulate, in the order they were replaced", async () => {
        const outs = await step(await step((await p.create(inputs(a))).outs, b), c);
        expect(fingerprints(outs)).toEqual([a.fingerprint, b.fingerprint]);
        expect(outs.previousFingerprint).toBe(b.fingerprint);
    });

    it("a retired key that answers 401 is proven dead and leaves the ledger", async () => {
        const withA = await step((await p.create(inputs(a))).outs, b);
        anthropic.setStatus(a.id, "inactive");
        const outs = await step(withA, c);
        expect(fingerprints(outs)).toEqual([b.fingerprint]);
        expect(outs.dropped).toEqual([{ fingerprint: a.fingerprint, keyId: a.id, since: expect.any(String), holders: [] }]);
        expect(JSON.stringify(outs.retiredKeys)).not.toContain(a.value);
    });

    it("a key that cannot be judged (outage) stays listed; the step never fails", async () => {
        const withA = await step((await p.create(inputs(a))).outs, b);
        anthropic.setStatus(a.id, "inactive");
        anthropic.failNext(503, { path: "/v1/models", times: 50 });
        const outs = await step(withA, c);
        expect(fingerprints(outs)).toEqual([a.fingerprint, b.fingerprint]);
    });

    it("a rollback takes the key it puts back out of the list, and retires the key it replaces", async () => {
        const withA = await step((await p.create(inputs(a))).outs, b);
        const outs = await step(withA, a);
        expect(fingerprints(outs)).toEqual([b.fingerprint]);
        expect(outs.fingerprint).toBe(a.fingerprint);
    });

    it("the same key with a newly known Admin API id: list unchanged, no probe", async () => {
        const withA = await step((await p.create(inputs(a))).outs, b, { keyId: null });
        const before = anthropic.calls().length;
        const outs = await step(withA, b);
        expect(anthropic.calls().length).toBe(before);
        expect(outs).toMatchObject({ keyId: b.id, previousFingerprint: a.fingerprint });
        expect(fingerprints(outs)).toEqual([a.fingerprint]);
    });

    it("diff: the key or its id changes; the same inputs do not; unknowns do", async () => {
        const olds = (await p.create(inputs(a))).outs;
        expect((await p.diff!("id", olds, inputs(a))).changes).toBe(false);
        expect((await p.diff!("id", olds, inputs(a, { baseUrl: `${anthropic.url}/` }))).changes).toBe(false);
        expect((await p.diff!("id", olds, inputs(b))).changes).toBe(true);
        expect((await p.diff!("id", olds, inputs(a, { keyId: null }))).changes).toBe(true);
        expect((await p.diff!("id", olds, inputs(a, { fingerprint: UNKNOWN }))).changes).toBe(true);
    });

    it("check: a mismatched fingerprint, a bad id or URL; unknowns pass; no key in any reason", async () => {
        expect((await p.check!({}, inputs(a))).failures).toEqual([]);
        const bad = await p.check!({}, inputs(a, { fingerprint: b.fingerprint, keyId: "key-1", baseUrl: "ftp://x" }));
        expect(bad.failures!.map((f) => f.property).sort()).toEqual(["baseUrl", "fingerprint", "keyId"]);
        expectNoLeaks({ failures: JSON.stringify(bad.failures) }, secrets());
        expect((await p.check!({}, inputs(a, { apiKey: UNKNOWN, fingerprint: UNKNOWN, keyId: UNKNOWN }))).failures).toEqual([]);
    });

    it("delete and read never call anything", async () => {
        const olds = await step((await p.create(inputs(a))).outs, b);
        const before = anthropic.calls().length;
        await p.delete!("id", olds);
        expect((await p.read!("id", olds)).props).toEqual(olds);
        expect(anthropic.calls().length).toBe(before);
    });
});

describe("KeyLedger: which consumers held each key", () => {
    const api = { id: "heroku app raxx-api-prod", removeOnDelete: false };
    const worker = { id: "heroku app raxx-worker-prod", removeOnDelete: false };

    it("a consumer removed while the key is current stays one of its holders; the retired key carries them", async () => {
        const first = (await p.create(inputs(a, { consumers: [api, worker] }))).outs;
        expect(first.holders).toEqual([api, worker]);
        const removed = await step(first, a, { consumers: [api] });
        expect(removed.holders).toEqual([api, worker]);
        const rotated = await step(removed, b, { consumers: [api] });
        expect(rotated.holders).toEqual([api]);
        expect((rotated.retired as { holders: unknown[] }[])[0]!.holders).toEqual([api, worker]);
    });

    it("the latest settings of a consumer win (removeOnDelete set before it was removed)", async () => {
        const first = (await p.create(inputs(a, { consumers: [api, worker] }))).outs;
        const flagged = await step(first, a, { consumers: [api, { ...worker, removeOnDelete: true }] });
        const removed = await step(flagged, a, { consumers: [api] });
        expect(removed.holders).toEqual([api, { ...worker, removeOnDelete: true }]);
    });

    it("diff: a change of consumers is a change", async () => {
        const olds = (await p.create(inputs(a, { consumers: [api] }))).outs;
        expect((await p.diff!("id", olds, inputs(a, { consumers: [api] }))).changes).toBe(false);
        expect((await p.diff!("id", olds, inputs(a, { consumers: [api, worker] }))).changes).toBe(true);
    });
});
