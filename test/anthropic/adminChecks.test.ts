import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ADMIN_CHECKS_SKIPPED } from "../../components/anthropic/adminChecks";
import { findApiKeyRecords, listOrganizationApiKeys, retrieveApiKey, updateApiKeyStatus } from "../../components/anthropic/adminApi";
import { keyValidationProvider } from "../../components/anthropic/keyValidationProvider";
import { fingerprint } from "../../components/domain/fingerprint";
import { AnthropicEmulator, DEFAULT_WORKSPACE_ID, EmulatedKey } from "../../offline/emulators/anthropicEmulator";
import { makeAdminKey, makeApiKey } from "../../offline/emulators/keys";
import {
    addRotationKey, expectNoLeak, expectValidationError, inputsFor, KEY_EXPIRES_AT, KEY_NAME, outputsWithoutKey, SERVICE_ACCOUNT, useFastRetries, WORKSPACE,
} from "./support";

useFastRetries();
const provider = keyValidationProvider;
const emulator = new AnthropicEmulator();
let adminKey: string;
let key: EmulatedKey;

beforeAll(async () => {
    await emulator.start();
    adminKey = emulator.addAdminKey();
});
afterAll(async () => {
    await emulator.stop();
});
beforeEach(() => {
    process.env.ANTHROPIC_ADMIN_API_KEY = adminKey;
    key = addRotationKey(emulator);
});
afterEach(() => {
    emulator.clearFaults();
    delete process.env.ANTHROPIC_ADMIN_API_KEY;
});

const ADMIN_LIST = "/v1/organizations/api_keys";
const secrets = () => [key.value, adminKey];

/** A second key sharing the first's hint: same first 16 and last 4 characters, different middle. */
function hintTwin(value: string): string {
    const other = makeApiKey();
    return value.slice(0, 16) + other.slice(16, -4) + value.slice(-4);
}

describe("with ANTHROPIC_ADMIN_API_KEY", () => {
    it("passes when status, name, workspace and date match; outputs keyId and keyStatus", async () => {
        const res = await provider.create(inputsFor(emulator, key.value, { workspace: WORKSPACE }));
        const outs = res.outs as Record<string, unknown>;
        expect(outs.keyId).toBe(key.id);
        expect(outs.keyId).toMatch(/^apikey_/);
        expect(outs.keyStatus).toBe("active");
        expect(outs.adminChecks).toBe(
            `passed: ${key.id} is active, named "${KEY_NAME}", in workspace "${WORKSPACE}", created 2026-11-23, expires 2027-03-07, owned by service account ${SERVICE_ACCOUNT}`,
        );
        expect(outs.expiresAt).toBe(KEY_EXPIRES_AT);
        expect(outs.keyOwner).toBe(`service account ${SERVICE_ACCOUNT}`);
        expect(outs.adminAdvisories).toBeUndefined();
        // The admin key is only ever sent to the Admin API.
        const adminFp = fingerprint(adminKey);
        expect(emulator.calls({ fingerprint: adminFp }).every((c) => c.path.startsWith("/v1/organizations/"))).toBe(true);
        expect(emulator.calls({ fingerprint: adminFp }).length).toBeGreaterThan(0);
        expectNoLeak(secrets(), outputsWithoutKey(outs));
    });

    it("without a configured workspace, reports the key's workspace but does not compare it", async () => {
        const res = await provider.create(inputsFor(emulator, key.value));
        expect((res.outs as Record<string, unknown>).adminChecks).toContain(`in workspace "${WORKSPACE}" (not configured, so not compared)`);
    });

    it("name mismatch: both names side by side (a different key was pasted)", async () => {
        const other = emulator.addKey({ name: "raxx-staging-agents-2026-11-23", createdAt: "2026-11-23T08:00:00Z", workspaceId: WORKSPACE });
        const err = await expectValidationError(provider.create(inputsFor(emulator, other.value)));
        expect(err.kind).toBe("admin-mismatch");
        expect(err.message).toContain(`name: config keyName "${KEY_NAME}" | Console name "raxx-staging-agents-2026-11-23"`);
        expect(err.message).toContain("Nothing was propagated");
        expectNoLeak([other.value, adminKey], err);
    });

    it("wrong workspace: both workspaces side by side (billing to the wrong cost centre)", async () => {
        const err = await expectValidationError(provider.create(inputsFor(emulator, key.value, { workspace: "wrkspc_01Finance" })));
        expect(err.kind).toBe("admin-mismatch");
        expect(err.message).toContain(`workspace: config workspace "wrkspc_01Finance" | the key's workspace "${WORKSPACE}"`);
        expect(err.message).toContain("wrong cost centre");
        expectNoLeak(secrets(), err);
    });

    it("a default-workspace key when a workspace is configured: scope names the default workspace's real id", async () => {
        const k = addRotationKey(emulator, { workspaceId: null });
        const err = await expectValidationError(provider.create(inputsFor(emulator, k.value, { workspace: WORKSPACE })));
        expect(err.message).toContain(`workspace: config workspace "${WORKSPACE}" | the key's workspace "${DEFAULT_WORKSPACE_ID}"`);
    });

    it("inactive key: refused, even while the deactivation has not yet reached authentication", async () => {
        emulator.propagationDelayMs = 60_000;
        try {
            emulator.setStatus(key.id, "inactive");
            expect(emulator.key(key.id)!.authenticates).toBe(true); // the ping still passes…
            const err = await expectValidationError(provider.create(inputsFor(emulator, key.value)));
            expect(err.kind).toBe("admin-inactive"); // …the Admin API record does not
            expect(err.message).toContain(`the Admin API reports the key ${key.id} as inactive`);
            expect(err.message).toContain(`status: expected "active" | Admin API: "inactive"`);
            expect(err.message).toContain("rollback");
            expect(emulator.messageCalls(key.fingerprint)).toHaveLength(1);
            expectNoLeak(secrets(), err);
        } finally {
            emulator.propagationDelayMs = 0;
        }
    });

    it.each(["archived", "expired"] as const)("%s key: refused", async (status) => {
        emulator.propagationDelayMs = 60_000;
        try {
            emulator.setStatus(key.id, status);
            const err = await expectValidationError(provider.create(inputsFor(emulator, key.value)));
            expect(err.kind).toBe("admin-inactive");
            expect(err.message).toContain(`Admin API: "${status}"`);
        } finally {
            emulator.propagationDelayMs = 0;
        }
    });

    it("date mismatch: the name's date and created_at side by side", async () => {
        const old = addRotationKey(emulator, { createdAt: "2026-08-20T12:00:00Z" });
        const err = await expectValidationError(provider.create(inputsFor(emulator, old.value)));
        expect(err.kind).toBe("admin-mismatch");
        expect(err.message).toContain("created: the name's date 2026-11-23 | Admin API created_at 2026-08-20 (more than 1 day apart)");
    });

    it("a created_at one day off (time zones) passes", async () => {
        const late = addRotationKey(emulator, { createdAt: "2026-11-24T01:30:00Z" });
        const res = await provider.create(inputsFor(emulator, late.value));
        expect((res.outs as Record<string, unknown>).keyId).toBe(late.id);
    });

    it("several mismatches are reported together", async () => {
        const k = emulator.addKey({ name: "other-prod-agents-2026-01-01", createdAt: "2026-01-01T00:00:00Z", workspaceId: "wrkspc_X" });
        const err = await expectValidationError(provider.create(inputsFor(emulator, k.value, { workspace: WORKSPACE })));
        expect(err.message).toContain("name: config keyName");
        expect(err.message).toContain("workspace: config workspace");
        expect(err.message).toContain("created: the name's date");
    });

    it("ambiguous hint: two keys share it → asks for an explicit keyId, listing the candidates", async () => {
        const twin = addRotationKey(emulator, { value: hintTwin(key.value), name: "raxx-prod-batch-2026-11-23" });
        expect(twin.partialKeyHint).toBe(key.partialKeyHint);
        const err = await expectValidationError(provider.create(inputsFor(emulator, key.value)));
        expect(err.kind).toBe("admin-ambiguous-hint");
        expect(err.message).toContain("2 API keys share the new key's hint");
        expect(err.message).toContain(`candidate: ${key.id} named "${KEY_NAME}"`);
        expect(err.message).toContain(`candidate: ${twin.id} named "raxx-prod-batch-2026-11-23"`);
        expect(err.message).toContain("pulumi config set keyId apikey_… -s <stack>");
        expectNoLeak([key.value, twin.value, adminKey], err);
        // The hint itself is never printed (it carries the key's public prefix).
        expect(err.message).not.toContain(key.partialKeyHint);
    });

    it("an explicit keyId resolves the ambiguity (retrieve, not list)", async () => {
        addRotationKey(emulator, { value: hintTwin(key.value) });
        const before = emulator.calls({ path: ADMIN_LIST }).length;
        const res = await provider.create(inputsFor(emulator, key.value, { keyId: key.id }));
        expect((res.outs as Record<string, unknown>).keyId).toBe(key.id);
        expect(emulator.calls({ path: ADMIN_LIST }).length).toBe(before);
        expect(emulator.calls({ method: "GET", path: `/v1/organizations/api_keys/${key.id}` })).toHaveLength(1);
    });

    it("a keyId that names a different key is refused", async () => {
        const other = emulator.addKey({ name: "someone-else-prod-x-2026-11-23" });
        const err = await expectValidationError(provider.create(inputsFor(emulator, key.value, { keyId: other.id })));
        expect(err.kind).toBe("admin-key-id-mismatch");
        expect(err.message).toContain(`keyId ${other.id} (Console name "someone-else-prod-x-2026-11-23") is a different key`);
    });

    it("an unknown keyId is reported", async () => {
        const err = await expectValidationError(provider.create(inputsFor(emulator, key.value, { keyId: "apikey_01DoesNotExist" })));
        expect(err.kind).toBe("admin-key-not-found");
        expect(err.message).toContain("keyId apikey_01DoesNotExist is not a key of the admin key's organisation");
    });

    it("a key of another organisation than the admin key's is reported", async () => {
        const foreign = addRotationKey(emulator, { organizationId: "org_other" });
        const err = await expectValidationError(provider.create(inputsFor(emulator, foreign.value)));
        expect(err.kind).toBe("admin-key-not-found");
        expect(err.message).toMatch(/none of the \d+ API keys of the admin key's organisation \(1 page\) has the new key's hint/);
        expect(err.message).toContain("belongs to another organisation than ANTHROPIC_ADMIN_API_KEY");
        expectNoLeak([foreign.value, adminKey], err);
    });

    it("the admin key rejected (401) fails with what to do, and the admin key never appears", async () => {
        process.env.ANTHROPIC_ADMIN_API_KEY = makeAdminKey(); // well-formed, unknown to the organisation
        const err = await expectValidationError(provider.create(inputsFor(emulator, key.value)));
        expect(err.kind).toBe("admin-key-rejected");
        expect(err.message).toContain("the Admin API rejected ANTHROPIC_ADMIN_API_KEY");
        expect(err.message).toContain("unset ANTHROPIC_ADMIN_API_KEY to skip these checks");
        expectNoLeak([key.value, process.env.ANTHROPIC_ADMIN_API_KEY], err);
    });

    it("Admin API 529 is retried like the ping", async () => {
        emulator.failNext(529, { method: "GET", path: ADMIN_LIST });
        const res = await provider.create(inputsFor(emulator, key.value));
        expect((res.outs as Record<string, unknown>).keyStatus).toBe("active");
        expect(emulator.calls({ path: ADMIN_LIST }).slice(-2).map((c) => c.outcome)).toEqual([529, 200]);
    });

    it("the key itself failing its ping is reported before any Admin API call", async () => {
        const before = emulator.calls({ path: /^\/v1\/organizations\// }).length;
        emulator.setForcedError(key.value, { status: 403 });
        const err = await expectValidationError(provider.create(inputsFor(emulator, key.value)));
        expect(err.kind).toBe("permission-denied");
        expect(emulator.calls({ path: /^\/v1\/organizations\// }).length).toBe(before);
    });
});

describe("more than one page of keys", () => {
    const big = new AnthropicEmulator();
    let bigAdmin: string;
    let target: EmulatedKey;

    beforeAll(async () => {
        await big.start();
        bigAdmin = big.addAdminKey();
        // 2,500 keys; the new key is the OLDEST, so it is on the last page (listing is newest first).
        target = big.addKey({ name: KEY_NAME, createdAt: "2026-11-23T00:30:00Z", workspaceId: WORKSPACE, expiresAt: KEY_EXPIRES_AT });
        big.addKeys(2499, (i) => ({ createdAt: new Date(Date.UTC(2026, 10, 23, 1, 0, i)).toISOString() }));
    });
    afterAll(async () => {
        await big.stop();
    });

    it("follows every page (limit 1000, after_id) to find the key", async () => {
        process.env.ANTHROPIC_ADMIN_API_KEY = bigAdmin;
        const res = await provider.create(inputsFor(big, target.value));
        expect((res.outs as Record<string, unknown>).keyId).toBe(target.id);
        const pages = big.calls({ method: "GET", path: ADMIN_LIST });
        expect(pages).toHaveLength(3);
        expect(pages[0]!.query).toBe("limit=1000");
        expect(pages[1]!.query).toMatch(/^limit=1000&after_id=apikey_/);
        expect(pages[2]!.query).toMatch(/^limit=1000&after_id=apikey_/);
    });

    it("listOrganizationApiKeys returns all 2,500 records, in 3 pages", async () => {
        const { keys, pages } = await listOrganizationApiKeys({ adminKey: bigAdmin, baseUrl: big.url, maxRetrySeconds: 5 });
        expect(pages).toBe(3);
        expect(keys).toHaveLength(2500);
        expect(new Set(keys.map((k) => k.id)).size).toBe(2500);
        const found = await findApiKeyRecords({ adminKey: bigAdmin, baseUrl: big.url, maxRetrySeconds: 5 }, target.value);
        expect(found.matches.map((m) => m.id)).toEqual([target.id]);
    });
});

describe("without ANTHROPIC_ADMIN_API_KEY", () => {
    it("says once, in the adminChecks output, that the checks were skipped and why they matter", async () => {
        delete process.env.ANTHROPIC_ADMIN_API_KEY;
        const before = emulator.calls({ path: /^\/v1\/organizations\// }).length;
        const res = await provider.create(inputsFor(emulator, key.value, { workspace: "wrkspc_wrong" }));
        const outs = res.outs as Record<string, unknown>;
        expect(outs.adminChecks).toBe(ADMIN_CHECKS_SKIPPED);
        expect(ADMIN_CHECKS_SKIPPED).toMatch(/^skipped: ANTHROPIC_ADMIN_API_KEY not set — name, workspace and status were not verified/);
        expect(outs.keyStatus).toBeUndefined();
        expect(outs.keyId).toBeUndefined();
        expect(emulator.calls({ path: /^\/v1\/organizations\// }).length).toBe(before);
    });

    it("passes a configured keyId through as the keyId output", async () => {
        delete process.env.ANTHROPIC_ADMIN_API_KEY;
        const res = await provider.create(inputsFor(emulator, key.value, { keyId: key.id }));
        expect((res.outs as Record<string, unknown>).keyId).toBe(key.id);
    });
});

describe("Admin API client (reused by revocation)", () => {
    it("retrieve and update: deactivation makes the key answer 401", async () => {
        const opts = { adminKey, baseUrl: emulator.url, maxRetrySeconds: 5 };
        expect((await retrieveApiKey(opts, key.id)).status).toBe("active");
        const updated = await updateApiKeyStatus(opts, key.id, "inactive");
        expect(updated).toMatchObject({ id: key.id, status: "inactive", workspaceId: WORKSPACE, name: KEY_NAME });
        expect(emulator.key(key.id)!.authenticates).toBe(false);
        const err = await expectValidationError(provider.create(inputsFor(emulator, key.value)));
        expect(err.kind).toBe("key-rejected");
    });
});
