import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { keyValidationProvider } from "../../components/anthropic/keyValidationProvider";
import { fingerprint } from "../../components/domain/fingerprint";
import { AnthropicEmulator, EmulatedKey } from "../../offline/emulators/anthropicEmulator";
import { makeAdminKey, makeApiKey } from "../../offline/emulators/keys";
import { addRotationKey, expectNoLeak, expectValidationError, inputsFor, KEY_DATE, KEY_NAME, outputsWithoutKey, useFastRetries } from "./support";

useFastRetries();
const provider = keyValidationProvider;
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const emulator = new AnthropicEmulator();
let key: EmulatedKey;

beforeAll(async () => {
    await emulator.start();
});
afterAll(async () => {
    await emulator.stop();
});
beforeEach(() => {
    delete process.env.ANTHROPIC_ADMIN_API_KEY;
    key = addRotationKey(emulator);
});
afterEach(() => {
    emulator.clearFaults();
});

/** Inputs as the program registers them (no defaults filled in). */
function registered(apiKey: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { apiKey, keyName: KEY_NAME, environment: "prod", createdAt: KEY_DATE, fingerprint: fingerprint(apiKey), ...extra };
}

describe("check (offline)", () => {
    it("fills the defaults and accepts good inputs", async () => {
        const before = emulator.server.requests.length;
        const res = await provider.check!({}, registered(key.value));
        expect(res.failures).toEqual([]);
        expect(res.inputs).toMatchObject({
            mode: "messages", model: "claude-haiku-4-5", maxTokens: 10, maxRetrySeconds: 60, baseUrl: "https://api.anthropic.com",
            apiKey: key.value, fingerprint: key.fingerprint,
        });
        expect(emulator.server.requests.length).toBe(before);
    });

    it.each([
        ["an admin key", () => makeAdminKey(), "Admin API key"],
        ["a truncated key", () => makeApiKey().slice(0, 90), "108 characters"],
        ["a key with a trailing newline", () => `${makeApiKey()}\n`, "line break"],
        ["another vendor's key", () => "sk-proj-" + "a".repeat(100), "prefix"],
        ["an empty value", () => "", "empty"],
    ])("rejects %s on apiKey, without echoing it", async (_label, make, reason) => {
        const value = make();
        const res = await provider.check!({}, { ...registered(value), fingerprint: "sha256:000000000000" });
        const failure = res.failures!.find((f) => f.property === "apiKey");
        expect(failure?.reason).toContain(reason);
        expectNoLeak(value.length > 8 ? [value.trim()] : [], res.failures);
    });

    it("rejects a fingerprint that does not belong to the key", async () => {
        const res = await provider.check!({}, { ...registered(key.value), fingerprint: fingerprint(makeApiKey()) });
        expect(res.failures).toEqual([{ property: "fingerprint", reason: expect.stringContaining("does not belong to apiKey") }]);
    });

    it("rejects a createdAt that is not the name's date, bad modes, maxTokens, baseUrl, keyId and limits", async () => {
        const res = await provider.check!(
            {},
            registered(key.value, {
                createdAt: "2026-11-22",
                mode: "chat",
                maxTokens: 0,
                maxRetrySeconds: 900,
                baseUrl: "ftp://example.com",
                keyId: "key-1",
                minimumLimits: { requestsPerMinute: -1, tokensPerDay: 5 },
            }),
        );
        const props = res.failures!.map((f) => f.property).sort();
        expect(props).toEqual(["baseUrl", "createdAt", "keyId", "maxRetrySeconds", "maxTokens", "minimumLimits.requestsPerMinute", "minimumLimits.tokensPerDay", "mode"].sort());
        expect(res.failures!.find((f) => f.property === "createdAt")!.reason).toContain(`must be the date at the end of keyName ("${KEY_NAME}")`);
    });

    it("tolerates values not known yet (preview)", async () => {
        const res = await provider.check!({}, { ...registered(key.value), apiKey: UNKNOWN, fingerprint: UNKNOWN, workspace: UNKNOWN });
        expect(res.failures).toEqual([]);
    });
});

describe("diff (offline)", () => {
    const olds = () => ({ ...inputsFor(emulator, key.value), keyId: key.id, keyStatus: "active", validatedAt: "2026-11-23T10:00:00Z", validatedFingerprint: key.fingerprint });

    it("no change when nothing meaningful changed (the discovered keyId output does not count)", async () => {
        const before = emulator.server.requests.length;
        const d = await provider.diff!("id", olds(), { ...inputsFor(emulator, key.value), maxRetrySeconds: 30 });
        expect(d).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
        expect(emulator.server.requests.length).toBe(before);
    });

    it("a new key (fingerprint) is an in-place update, never a replacement", async () => {
        const next = makeApiKey();
        const d = await provider.diff!("id", olds(), inputsFor(emulator, next));
        expect(d.changes).toBe(true);
        expect(d.replaces).toEqual([]);
    });

    it.each([
        ["model", { model: "claude-sonnet-4-6" }],
        ["mode", { mode: "models" }],
        ["maxTokens", { maxTokens: 20 }],
        ["workspace", { workspace: "wrkspc_new" }],
        ["keyId (configured, different)", { keyId: "apikey_01Other" }],
        ["minimumLimits", { minimumLimits: { requestsPerMinute: 5 } }],
        ["an unknown value", { fingerprint: UNKNOWN }],
    ])("%s changes → update", async (_label, change) => {
        const d = await provider.diff!("id", olds(), { ...inputsFor(emulator, key.value), ...change });
        expect(d.changes).toBe(true);
    });

    it("state without a validation receipt (written before receipts existed) is validated once more", async () => {
        const { validatedFingerprint: _receipt, ...before } = olds();
        void _receipt;
        expect((await provider.diff!("id", before, inputsFor(emulator, key.value))).changes).toBe(true);
    });

    it("minimumLimits compare by value, not by key order", async () => {
        const a = { ...olds(), minimumLimits: { requestsPerMinute: 5, inputTokensPerMinute: 10 } };
        const d = await provider.diff!("id", a, { ...inputsFor(emulator, key.value), minimumLimits: { inputTokensPerMinute: 10, requestsPerMinute: 5 } });
        expect(d.changes).toBe(false);
    });
});

describe("update: the new key is validated and the previous key is checked (SOP step 1)", () => {
    async function createdWith(k: EmulatedKey) {
        const res = await provider.create(inputsFor(emulator, k.value));
        return res.outs as Record<string, unknown>;
    }

    it("previous key still valid → previousKeyValid true; the previous key is not in the outputs", async () => {
        const olds = await createdWith(key);
        const next = addRotationKey(emulator);
        const res = await provider.update!("id", olds, inputsFor(emulator, next.value));
        const outs = res.outs as Record<string, unknown>;
        expect(outs.previousKeyValid).toBe(true);
        expect(outs.previousFingerprint).toBe(key.fingerprint);
        expect(outs.fingerprint).toBe(next.fingerprint);
        expect(outs.apiKey).toBe(next.value);
        // The previous key is nowhere: apiKey holds the new key, and nothing else holds either key.
        expectNoLeak([key.value, next.value], outputsWithoutKey(outs));
        expect(JSON.stringify(outs)).not.toContain(key.value);
        // Ordering: new key validated first, then the previous key pinged.
        const seqNew = emulator.calls({ fingerprint: next.fingerprint }).at(-1)!.seq;
        const seqOld = emulator.calls({ fingerprint: key.fingerprint }).at(-1)!.seq;
        expect(seqOld).toBeGreaterThan(seqNew);
    });

    it("previous key already deactivated → previousKeyValid false, and the update still succeeds", async () => {
        const olds = await createdWith(key);
        emulator.setStatus(key.id, "inactive");
        const next = addRotationKey(emulator);
        const res = await provider.update!("id", olds, inputsFor(emulator, next.value));
        expect((res.outs as Record<string, unknown>).previousKeyValid).toBe(false);
    });

    it("previous key could not be judged (API failing for it) → previousKeyValid undefined, never a failure", async () => {
        const olds = await createdWith(key);
        emulator.setForcedError(key.value, { status: 503 });
        const next = addRotationKey(emulator);
        // No short budget: it would also bound the new key's validation, which a loaded machine can take longer
        // for. The 503s end after the attempts are spent (10, a few milliseconds apart).
        const res = await provider.update!("id", olds, inputsFor(emulator, next.value));
        const outs = res.outs as Record<string, unknown>;
        expect(outs.previousKeyValid).toBeUndefined();
        expect(outs.previousFingerprint).toBe(key.fingerprint);
    });

    it("the new key failing fails the update (by throwing), whatever the previous key", async () => {
        const olds = await createdWith(key);
        const bad = emulator.addKey({ status: "inactive" });
        const err = await expectValidationError(provider.update!("id", olds, inputsFor(emulator, bad.value)));
        expect(err.kind).toBe("key-rejected");
        expectNoLeak([key.value, bad.value], err);
    });

    it("an update with the same key (e.g. a model change) re-validates and pings no previous key", async () => {
        const olds = await createdWith(key);
        const before = emulator.calls({ fingerprint: key.fingerprint }).length;
        const res = await provider.update!("id", olds, inputsFor(emulator, key.value, { mode: "models" }));
        const outs = res.outs as Record<string, unknown>;
        expect(outs.previousKeyValid).toBeUndefined();
        expect(outs.previousFingerprint).toBeUndefined();
        expect(emulator.calls({ fingerprint: key.fingerprint }).length).toBe(before + 1);
    });
});

describe("read and delete make no calls", () => {
    it("read returns the state as is; delete does nothing", async () => {
        const before = emulator.server.requests.length;
        const props = { ...inputsFor(emulator, key.value), keyId: key.id };
        expect(await provider.read!("keyvalidation-1", props)).toEqual({ id: "keyvalidation-1", props });
        await provider.delete!("keyvalidation-1", props);
        expect(emulator.server.requests.length).toBe(before);
    });
});
