import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fingerprint } from "../../components/domain/fingerprint";
import { previousKeyRevocationProvider as p, RESULT_NO_PREVIOUS_KEY } from "../../components/revocation/previousKeyRevocationProvider";
import { AnthropicEmulator, EmulatedKey } from "../../offline/emulators/anthropicEmulator";
import { makeAdminKey, makeApiKey } from "../../offline/emulators/keys";
import { auditLines, auditText, caught, expectErrorClean, expectNoLeaks, tempAuditContext, useFastRetries } from "../audit/support";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const anthropic = new AnthropicEmulator();
const savedEnv = { ...process.env };
let adminKey: string;
let oldKey: EmulatedKey;
let newKey: EmulatedKey;

beforeAll(async () => {
    await anthropic.start();
});
afterAll(async () => {
    await anthropic.stop();
});
beforeEach(() => {
    useFastRetries();
    process.env.PULUMI_ACTOR = "ops@raxx.app";
    anthropic.clearFaults();
    anthropic.server.requests.length = 0;
    anthropic.propagationDelayMs = 0;
    adminKey = anthropic.addAdminKey(makeAdminKey());
    process.env.ANTHROPIC_ADMIN_API_KEY = adminKey;
    oldKey = anthropic.addKey({ name: "raxx-prod-agents-2026-08-25" });
    newKey = anthropic.addKey({ name: "raxx-prod-agents-2026-11-23" });
});
afterEach(() => {
    process.env = { ...savedEnv };
});

const secrets = () => [oldKey.value, newKey.value, adminKey];

function inputs(key: EmulatedKey, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        apiKey: key.value,
        fingerprint: key.fingerprint,
        keyId: key.id,
        mode: "verify",
        emergency: false,
        baseUrl: anthropic.url,
        proofTimeoutSeconds: 2,
        proofIntervalSeconds: 0.05,
        audit: tempAuditContext(key.fingerprint),
        ...extra,
    };
}

/** State after a first run with `key`, as the engine holds it (the outputs of create). */
async function stateWith(key: EmulatedKey, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const { outs } = await p.create(inputs(key, extra));
    return outs;
}

function probes(key: EmulatedKey) {
    return anthropic.calls({ method: "GET", path: "/v1/models", fingerprint: key.fingerprint });
}
function adminUpdates() {
    return anthropic.calls({ method: "POST", path: /^\/v1\/organizations\/api_keys\// });
}

describe("PreviousKeyRevocation: first run", () => {
    it("create has no previous key: no call, result 'no previous key', outputs hold only the current key", async () => {
        const before = anthropic.calls().length;
        const { id, outs } = await p.create(inputs(newKey, { mode: "deactivate" }));
        expect(anthropic.calls().length).toBe(before);
        expect(id).toBe("prod-previous-key");
        expect(id).not.toContain(newKey.value);
        expect(outs).toMatchObject({
            apiKey: newKey.value,
            fingerprint: newKey.fingerprint,
            keyId: newKey.id,
            mode: "deactivate",
            previousFingerprint: null,
            previousKeyId: null,
            result: RESULT_NO_PREVIOUS_KEY,
            provedAt: null,
            summary: { mode: "deactivate", result: RESULT_NO_PREVIOUS_KEY },
        });
    });
});

describe("PreviousKeyRevocation: verify", () => {
    it("fails while the previous key still answers, with the Console instruction, and audits the failure", async () => {
        const olds = await stateWith(oldKey);
        const news = inputs(newKey);
        const err = await caught(() => p.update!("id", olds, news));
        expect(err.message).toContain(`the previous key (${oldKey.fingerprint}) still works`);
        expect(err.message).toContain("revoke it in the Console (Settings → Keys) and run `pulumi up` again");
        expect(err.message).toContain("HTTP 200");
        expectErrorClean(err, secrets());
        expect(probes(oldKey)).toHaveLength(1);
        expect(probes(oldKey)[0]!.via).toBe("x-api-key");
        expect(adminUpdates()).toHaveLength(0);
        const lines = auditLines((news.audit as { path: string }).path);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatchObject({
            action: "secret.rotate.failed",
            step: "revocation",
            oldFingerprint: oldKey.fingerprint,
            newFingerprint: newKey.fingerprint,
            revocation: { mode: "verify", result: "failed" },
        });
        expectNoLeaks({ audit: auditText((news.audit as { path: string }).path) }, secrets());
    });

    it("succeeds once the previous key was revoked in the Console; the previous value leaves the outputs", async () => {
        const olds = await stateWith(oldKey);
        anthropic.setStatus(oldKey.id, "inactive");
        const { outs } = await p.update!("id", olds, inputs(newKey));
        expect(outs).toMatchObject({
            apiKey: newKey.value,
            fingerprint: newKey.fingerprint,
            previousFingerprint: oldKey.fingerprint,
            previousKeyId: oldKey.id,
            provedAt: expect.any(String),
        });
        expect(outs!.result).toMatch(new RegExp(`^verified: the previous key ${oldKey.fingerprint} answers 401`));
        expect(JSON.stringify(outs)).not.toContain(oldKey.value);
        expect(adminUpdates()).toHaveLength(0);
    });

    it("a 403 (key still authenticates) counts as alive; a 5xx is 'could not prove'", async () => {
        const olds = await stateWith(oldKey);
        anthropic.setForcedError(oldKey.id, { status: 403 });
        const alive = await caught(() => p.update!("id", olds, inputs(newKey)));
        expect(alive.message).toMatch(/still works \(GET \/v1\/models answered HTTP 403 permission_error/);
        anthropic.setForcedError(oldKey.id, undefined);
        anthropic.failNext(503, { path: "/v1/models", times: 10 });
        const unknown = await caught(() => p.update!("id", olds, inputs(newKey)));
        expect(unknown.message).toMatch(/could not prove that the previous key \(sha256:[0-9a-f]{12}\) is revoked: .*HTTP 503/);
        expectErrorClean(unknown, secrets());
    });

    it("no answer at all is 'could not prove', without leaking", async () => {
        const olds = await stateWith(oldKey);
        anthropic.injectFault({ path: "/v1/models", fault: { kind: "drop" }, times: 10 });
        const err = await caught(() => p.update!("id", olds, inputs(newKey)));
        expect(err.message).toMatch(/could not prove .*did not answer/);
        expectErrorClean(err, secrets());
    });
});

describe("PreviousKeyRevocation: deactivate", () => {
    it("deactivates the previous key by its recorded id, then proves 401", async () => {
        const olds = await stateWith(oldKey, { mode: "deactivate" });
        const { outs } = await p.update!("id", olds, inputs(newKey, { mode: "deactivate" }));
        expect(anthropic.key(oldKey.id)!.status).toBe("inactive");
        expect(anthropic.key(newKey.id)!.status).toBe("active");
        const updates = adminUpdates();
        expect(updates).toHaveLength(1);
        expect(updates[0]!.path).toBe(`/v1/organizations/api_keys/${oldKey.id}`);
        expect(updates[0]!.keyKind).toBe("admin");
        // Then the cut-over proof and the watch: neither here (not asked for, no health checks), and the result says so.
        expect(outs!.result).toMatch(new RegExp(`^deactivated ${oldKey.id}; 401 proven after \\d+\\.\\d s; cut-over not checked \\(cutover is off .*\\); health not watched \\(no healthChecks configured`));
        expect(outs).toMatchObject({ previousFingerprint: oldKey.fingerprint, previousKeyId: oldKey.id, apiKey: newKey.value });
        expect(JSON.stringify(outs)).not.toContain(oldKey.value);
        // The proof came after the deactivation.
        const proof = probes(oldKey);
        expect(proof.length).toBeGreaterThanOrEqual(1);
        expect(proof[proof.length - 1]!.outcome).toBe(401);
        expect(proof[0]!.seq).toBeGreaterThan(updates[0]!.seq);
    });

    it("keeps probing while the deactivation propagates, within proofTimeoutSeconds", async () => {
        anthropic.propagationDelayMs = 400;
        const olds = await stateWith(oldKey, { mode: "deactivate" });
        const { outs } = await p.update!("id", olds, inputs(newKey, { mode: "deactivate" }));
        const proof = probes(oldKey);
        expect(proof.length).toBeGreaterThan(2);
        expect(proof.slice(0, -1).every((c) => c.outcome === 200)).toBe(true);
        expect(proof[proof.length - 1]!.outcome).toBe(401);
        expect(outs!.result).toMatch(/401 proven after 0\.[4-9] s|401 proven after [1-2]\.\d s/);
    });

    it("gives up after proofTimeoutSeconds with 'may still be propagating', and a re-run does not deactivate twice", async () => {
        anthropic.propagationDelayMs = 60_000;
        const olds = await stateWith(oldKey, { mode: "deactivate" });
        const news = inputs(newKey, { mode: "deactivate", proofTimeoutSeconds: 0.3 });
        const err = await caught(() => p.update!("id", olds, news));
        expect(err.message).toContain(`deactivated ${oldKey.id} (previous key ${oldKey.fingerprint}), but the key still did not answer 401`);
        expect(err.message).toContain("may still be propagating");
        expectErrorClean(err, secrets());
        expect(auditLines((news.audit as { path: string }).path)[0]).toMatchObject({ action: "secret.rotate.failed", step: "revocation" });
        // The engine kept the old state; the next `pulumi up` retries from it.
        anthropic.propagationDelayMs = 0;
        const { outs } = await p.update!("id", olds, news);
        expect(outs!.result).toMatch(new RegExp(`^${oldKey.id} was already inactive; 401 proven`));
        expect(adminUpdates()).toHaveLength(1);
    });

    it("finds the previous key by its partial hint when no id was recorded", async () => {
        const olds = await stateWith(oldKey, { mode: "deactivate", keyId: undefined });
        expect(olds.keyId).toBeNull();
        const { outs } = await p.update!("id", olds, inputs(newKey, { mode: "deactivate" }));
        expect(anthropic.key(oldKey.id)!.status).toBe("inactive");
        expect(outs!.previousKeyId).toBe(oldKey.id);
        expect(anthropic.calls({ method: "GET", path: "/v1/organizations/api_keys" }).length).toBeGreaterThanOrEqual(1);
    });

    it("without ANTHROPIC_ADMIN_API_KEY: a clear error, no Admin API call, the key untouched", async () => {
        delete process.env.ANTHROPIC_ADMIN_API_KEY;
        const olds = await stateWith(oldKey, { mode: "deactivate" });
        const news = inputs(newKey, { mode: "deactivate" });
        const err = await caught(() => p.update!("id", olds, news));
        expect(err.message).toContain("revocation is deactivate but ANTHROPIC_ADMIN_API_KEY is not set");
        expect(err.message).toContain(`previous key ${oldKey.fingerprint}`);
        expect(err.message).toMatch(/Console → Settings → Admin keys/);
        expect(anthropic.calls({ path: /^\/v1\/organizations\// })).toHaveLength(0);
        expect(anthropic.key(oldKey.id)!.status).toBe("active");
        expect(auditLines((news.audit as { path: string }).path)).toHaveLength(1);
    });

    it("a rejected admin key is named as the problem", async () => {
        process.env.ANTHROPIC_ADMIN_API_KEY = makeAdminKey();
        const olds = await stateWith(oldKey, { mode: "deactivate" });
        const err = await caught(() => p.update!("id", olds, inputs(newKey, { mode: "deactivate" })));
        expect(err.message).toMatch(/HTTP 401 authentication_error.*ANTHROPIC_ADMIN_API_KEY was rejected/);
        expectErrorClean(err, [...secrets(), process.env.ANTHROPIC_ADMIN_API_KEY!]);
        expect(anthropic.key(oldKey.id)!.status).toBe("active");
    });

    it("refuses a recorded id whose hint is not the previous key's (never deactivates the wrong key)", async () => {
        const bystander = anthropic.addKey({ name: "raxx-prod-batch-2026-10-01" });
        const olds = { ...(await stateWith(oldKey, { mode: "deactivate" })), keyId: bystander.id };
        const err = await caught(() => p.update!("id", olds, inputs(newKey, { mode: "deactivate" })));
        expect(err.message).toContain(`refused to deactivate ${bystander.id}`);
        expect(anthropic.key(bystander.id)!.status).toBe("active");
        expect(adminUpdates()).toHaveLength(0);
    });

    it("refuses when the previous and the current key share a recorded id", async () => {
        const olds = { ...(await stateWith(oldKey, { mode: "deactivate" })), keyId: newKey.id };
        const err = await caught(() => p.update!("id", olds, inputs(newKey, { mode: "deactivate" })));
        expect(err.message).toMatch(/refused to deactivate .*recorded for both the previous key/);
        expect(anthropic.key(newKey.id)!.status).toBe("active");
    });

    it("a previous key unknown to the admin key's organisation is a clear failure", async () => {
        const stranger = makeApiKey();
        const olds = { ...(await stateWith(oldKey, { mode: "deactivate" })), apiKey: stranger, fingerprint: fingerprint(stranger), keyId: null };
        const err = await caught(() => p.update!("id", olds, inputs(newKey, { mode: "deactivate" })));
        expect(err.message).toMatch(/is not among the \d+ API keys the Admin API lists/);
        expectErrorClean(err, [...secrets(), stranger]);
    });
});

describe("PreviousKeyRevocation: none, same key, check and diff", () => {
    it("none skips: no call, 'skipped' result, the previous value dropped", async () => {
        const olds = await stateWith(oldKey, { mode: "none" });
        const before = anthropic.calls().length;
        const { outs } = await p.update!("id", olds, inputs(newKey, { mode: "none" }));
        expect(anthropic.calls().length).toBe(before);
        expect(outs!.result).toMatch(/^skipped: revocation is none/);
        expect(outs!.previousFingerprint).toBe(oldKey.fingerprint);
        expect(JSON.stringify(outs)).not.toContain(oldKey.value);
    });

    it("the same key again (a setting changed) never revokes anything and keeps the last result", async () => {
        const olds = { ...(await stateWith(newKey)), result: "verified: earlier", previousFingerprint: oldKey.fingerprint };
        const before = anthropic.calls().length;
        const { outs } = await p.update!("id", olds, inputs(newKey, { mode: "deactivate" }));
        expect(anthropic.calls().length).toBe(before);
        expect(outs).toMatchObject({ result: "verified: earlier", previousFingerprint: oldKey.fingerprint, mode: "deactivate" });
    });

    it("emergency is recorded in the outputs, the result and the failed audit line", async () => {
        const olds = await stateWith(oldKey, { mode: "deactivate", emergency: true });
        const { outs } = await p.update!("id", olds, inputs(newKey, { mode: "deactivate", emergency: true }));
        expect(outs).toMatchObject({ emergency: true });
        expect(outs!.result).toMatch(/^deactivated apikey_\w+ \(emergency\); 401 proven/);
        const verifyOlds = await stateWith(newKey, { emergency: true });
        const third = anthropic.addKey();
        const news = inputs(third, { emergency: true, audit: tempAuditContext(third.fingerprint, { emergency: true }) });
        const err = await caught(() => p.update!("id", verifyOlds, news));
        expect(err.message).toContain("EMERGENCY: the leaked key is still live");
        expect(auditLines((news.audit as { path: string }).path)[0]).toMatchObject({ emergency: true, step: "revocation" });
    });

    it("check: mismatched fingerprint, bad mode, emergency without revocation, bad keyId/baseUrl; unknowns pass", async () => {
        const good = inputs(newKey);
        expect((await p.check!({}, good)).failures).toEqual([]);
        const bad = await p.check!({}, { ...good, fingerprint: oldKey.fingerprint, mode: "revoke", keyId: "key-1", baseUrl: "ftp://x", proofTimeoutSeconds: -1 });
        expect(bad.failures!.map((f) => f.property).sort()).toEqual(["baseUrl", "fingerprint", "keyId", "mode", "proofTimeoutSeconds"]);
        const emergencyNone = await p.check!({}, { ...good, mode: "none", emergency: true });
        expect(emergencyNone.failures![0]!.reason).toMatch(/emergency rotation needs revocation deactivate/);
        expect(JSON.stringify(bad.failures)).not.toContain(newKey.value);
        expect((await p.check!({}, { ...good, apiKey: UNKNOWN, fingerprint: UNKNOWN, keyId: UNKNOWN, audit: UNKNOWN })).failures).toEqual([]);
        // Whitespace around the key is trimmed (a pasted newline).
        const trimmed = await p.check!({}, { ...good, apiKey: `${newKey.value}\n` });
        expect(trimmed.failures).toEqual([]);
        expect(trimmed.inputs.apiKey).toBe(newKey.value);
        expect((await p.check!({}, { ...good, mode: undefined })).inputs.mode).toBe("verify");
    });

    it("diff is offline: a new or unknown fingerprint or a changed setting is a change; the same inputs are not", async () => {
        const olds = await stateWith(oldKey);
        const before = anthropic.calls().length;
        expect((await p.diff!("id", olds, inputs(oldKey, { audit: olds.audit }))).changes).toBe(false);
        expect((await p.diff!("id", olds, inputs(newKey, { audit: olds.audit }))).changes).toBe(true);
        expect((await p.diff!("id", olds, { ...inputs(oldKey, { audit: olds.audit }), fingerprint: UNKNOWN })).changes).toBe(true);
        expect((await p.diff!("id", olds, inputs(oldKey, { audit: olds.audit, mode: "deactivate" }))).changes).toBe(true);
        expect((await p.diff!("id", olds, inputs(newKey))).replaces).toEqual([]);
        expect(anthropic.calls().length).toBe(before);
    });

    it("diff compares settings with their defaults applied and objects whatever their key order", async () => {
        const minimal = { apiKey: oldKey.value, fingerprint: oldKey.fingerprint, mode: "verify", baseUrl: `${anthropic.url}/`, audit: tempAuditContext(oldKey.fingerprint) };
        const { outs } = await p.create(minimal);
        expect(outs).toMatchObject({ proofTimeoutSeconds: 60, proofIntervalSeconds: 2, keyId: null, baseUrl: anthropic.url });
        expect((await p.diff!("id", outs, minimal)).changes).toBe(false);
        const reordered = Object.fromEntries(Object.entries(minimal.audit).reverse());
        expect((await p.diff!("id", outs, { ...minimal, audit: reordered })).changes).toBe(false);
        expect((await p.diff!("id", outs, { ...minimal, proofTimeoutSeconds: 120 })).changes).toBe(true);
        expect((await p.diff!("id", outs, { ...minimal, keyId: oldKey.id })).changes).toBe(true);
    });

    it("read and delete never call the API (destroy never revokes the current key)", async () => {
        const olds = await stateWith(oldKey);
        const before = anthropic.calls().length;
        expect((await p.read!("id", olds)).props).toEqual(olds);
        await p.delete!("id", olds);
        expect(anthropic.calls().length).toBe(before);
        expect(anthropic.key(oldKey.id)!.status).toBe("active");
    });
});

describe("probeKey classification", () => {
    it("401 is dead; 2xx/402/403 alive; 404/429/5xx/no answer prove nothing", async () => {
        const { probeKey } = await import("../../components/revocation/keyProof");
        const key = anthropic.addKey();
        expect((await probeKey(key.value, { baseUrl: anthropic.url })).kind).toBe("alive");
        anthropic.setForcedError(key.id, { status: 402 });
        expect((await probeKey(key.value, { baseUrl: anthropic.url })).kind).toBe("alive");
        anthropic.setForcedError(key.id, { status: 429, headers: { "retry-after": "0" } });
        expect(await probeKey(key.value, { baseUrl: anthropic.url })).toMatchObject({ kind: "unknown", status: 429 });
        anthropic.setForcedError(key.id, undefined);
        expect(await probeKey(key.value, { baseUrl: `${anthropic.url}/wrong-prefix` })).toMatchObject({ kind: "unknown", status: 404 });
        anthropic.setStatus(key.id, "inactive");
        expect(await probeKey(key.value, { baseUrl: anthropic.url })).toMatchObject({ kind: "dead", status: 401, requestId: expect.stringMatching(/^req_/) });
        const unknown = await probeKey(key.value, { baseUrl: "http://127.0.0.1:1" });
        expect(unknown).toMatchObject({ kind: "unknown", status: null });
        expect(JSON.stringify(unknown)).not.toContain(key.value);
    });
});
