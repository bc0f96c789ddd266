import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it, vi } from "vitest";
import { toApiKeyRecord } from "../../components/anthropic/keyRecord";
import { keyValidationProvider } from "../../components/anthropic/keyValidationProvider";
import { AnthropicEmulator, DEFAULT_WORKSPACE_ID, EmulatedKey, KeyOptions } from "../../offline/emulators/anthropicEmulator";
import { addRotationKey, expectNoLeak, expectValidationError, inputsFor, KEY_NAME, outputsWithoutKey, SERVICE_ACCOUNT, useFastRetries, WORKSPACE } from "./support";

/**
 * What the key's Admin API record says about its life, checked before fan-out (issue 14 §1): expiry against the
 * rotation policy's due date (2026-11-23 + 90 days = 2027-02-21; accepted 2027-02-28 … 2027-03-23), scope,
 * owner. Each check: a success and its failures, with messages that name the setting and the fix, never the key.
 */

useFastRetries();
const provider = keyValidationProvider;
const emulator = new AnthropicEmulator();
let adminKey: string;

beforeAll(async () => {
    await emulator.start();
    adminKey = emulator.addAdminKey();
});
afterAll(async () => {
    await emulator.stop();
});
beforeEach(() => {
    process.env.ANTHROPIC_ADMIN_API_KEY = adminKey;
});
afterEach(() => {
    delete process.env.ANTHROPIC_ADMIN_API_KEY;
    vi.restoreAllMocks();
});

async function create(key: EmulatedKey, overrides: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return (await provider.create(inputsFor(emulator, key.value, overrides))).outs as Record<string, unknown>;
}

async function failure(options: KeyOptions, overrides: Record<string, unknown> = {}) {
    const key = addRotationKey(emulator, options);
    const err = await expectValidationError(provider.create(inputsFor(emulator, key.value, overrides)));
    expectNoLeak([key.value, adminKey], err);
    expect(err.message).toContain("Nothing was propagated");
    return err;
}

describe("expiry against the rotation policy's due date", () => {
    it("passes when the key expires between due + 7 and due + 30 days; expiresAt is an output", async () => {
        const key = addRotationKey(emulator, { expiresAt: "2027-03-12T00:00:00Z" });
        const outs = await create(key);
        expect(outs.expiresAt).toBe("2027-03-12T00:00:00Z");
        expect(outs.adminChecks).toContain("expires 2027-03-12");
        expect(outs.adminAdvisories).toBeUndefined();
    });

    it("a key expiring before due + 7 days fails with both dates, whatever requireExpiry says", async () => {
        for (const requireExpiry of ["mandatory", "advisory"]) {
            const err = await failure({ expiresAt: "2026-12-23T09:15:00Z" }, { requireExpiry });
            expect(err.kind).toBe("admin-expiry");
            expect(err.message).toContain("the key's expiry (expires 2026-12-23");
            expect(err.message).toContain("expiry: the key expires on 2026-12-23 (Admin API expires_at) | the rotation policy's next due date is 2027-02-21 (keyName's date 2026-11-23 + maxAgeDays 90)");
            expect(err.message).toContain("until 2027-02-28");
            expect(err.message).toContain("custom expiry between 2027-02-28 and 2027-03-23");
            expect(err.message).toContain("or lower maxAgeDays to 23 or less");
        }
    });

    it("the same key passes when maxAgeDays makes it due early enough", async () => {
        const key = addRotationKey(emulator, { expiresAt: "2026-12-23T09:15:00Z" });
        expect((await create(key, { maxAgeDays: 23 })).expiresAt).toBe("2026-12-23T09:15:00Z");
    });

    it("mandatory: a key that never expires fails, naming validation.requireExpiry and both fixes", async () => {
        const err = await failure({ expiresAt: null });
        expect(err.kind).toBe("admin-expiry");
        expect(err.message).toContain("expiry: the key never expires (Admin API expires_at null) | validation.requireExpiry is mandatory for prod");
        expect(err.message).toContain("custom expiry between 2027-02-28 and 2027-03-23 (e.g. 2027-03-12)");
        expect(err.message).toContain("pulumi config set --path validation.requireExpiry advisory -s <stack>");
    });

    it("mandatory: a key that expires long after its maximum age fails", async () => {
        const err = await failure({ expiresAt: "2027-11-23T09:15:00Z" });
        expect(err.message).toContain("expiry: the key expires on 2027-11-23, more than 30 days after its due date 2027-02-21");
        expect(err.message).toContain("validation.requireExpiry is mandatory for prod");
    });

    it("advisory: the same keys pass with a warning in adminAdvisories and in the pulumi up output", async () => {
        const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
        const never = addRotationKey(emulator, { expiresAt: null });
        const outs = await create(never, { requireExpiry: "advisory" });
        expect(outs.expiresAt).toBeNull();
        expect(outs.adminChecks).toContain("never expires");
        expect(outs.adminChecks).toContain("1 advisory (see adminAdvisories)");
        const [advisory, ...rest] = outs.adminAdvisories as string[];
        expect(rest).toEqual([]);
        expect(advisory).toContain("expiry: the key never expires (Admin API expires_at null), so its expiry is no backstop for a forgotten rotation (validation.requireExpiry is advisory for prod)");
        expect(advisory).toContain("pulumi config set --path validation.requireExpiry mandatory -s <stack>");
        const late = addRotationKey(emulator, { expiresAt: "2027-11-23T09:15:00Z" });
        expect(((await create(late, { requireExpiry: "advisory" })).adminAdvisories as string[])[0]).toContain("more than 30 days after its due date");
        // Without the engine, the warning goes to the console (redacted: never the key).
        const warned = warn.mock.calls.map((c) => String(c[0]));
        expect(warned.some((w) => w.includes(`Key validation advisory for "${KEY_NAME}": expiry: the key never expires`))).toBe(true);
        expectNoLeak([never.value, late.value, adminKey], warned.join("\n"), outputsWithoutKey(outs));
    });

    it("without requireExpiry (older state), prod defaults to mandatory and staging to advisory", async () => {
        const { requireExpiry: _r, maxAgeDays: _m, ...prodInputs } = inputsFor(emulator, addRotationKey(emulator, { expiresAt: null }).value);
        expect((await expectValidationError(provider.create(prodInputs))).kind).toBe("admin-expiry");
        vi.spyOn(console, "warn").mockImplementation(() => undefined);
        const staging = addRotationKey(emulator, { name: "raxx-staging-agents-2026-11-23", expiresAt: null, principal: null });
        const { requireExpiry: _s, maxAgeDays: _n, ...stagingInputs } = inputsFor(emulator, staging.value, { keyName: "raxx-staging-agents-2026-11-23", environment: "staging" });
        const outs = (await provider.create(stagingInputs)).outs as Record<string, unknown>;
        expect((outs.adminAdvisories as string[])[0]).toContain("validation.requireExpiry is advisory for staging");
    });

    it("check refuses a requireExpiry or maxAgeDays it does not know, naming the setting", async () => {
        const key = addRotationKey(emulator);
        const res = await provider.check!({}, inputsFor(emulator, key.value, { requireExpiry: "always", maxAgeDays: 0 }));
        expect(res.failures).toEqual([
            { property: "maxAgeDays", reason: expect.stringContaining("positive whole number of days") },
            { property: "requireExpiry", reason: "must be mandatory or advisory (validation.requireExpiry)" },
        ]);
    });
});

describe("scope", () => {
    it("a workspace key in the configured workspace passes", async () => {
        const outs = await create(addRotationKey(emulator), { workspace: WORKSPACE });
        expect(outs.adminChecks).toContain(`in workspace "${WORKSPACE}"`);
    });

    it("an organization-scoped key where a workspace is configured fails and says why (billing)", async () => {
        const err = await failure({ scope: "organization", workspaceId: null }, { workspace: WORKSPACE });
        expect(err.kind).toBe("admin-mismatch");
        expect(err.message).toContain(`scope: config workspace "${WORKSPACE}" | the key is organization-scoped (Admin API scope.type "organization", no workspace)`);
        expect(err.message).toContain(`billed to the organisation, not to workspace "${WORKSPACE}"'s cost centre`);
        expect(err.message).toContain("pulumi config rm workspace -s <stack>");
        expect(err.message).not.toContain("workspace: config workspace");
    });

    it("an organization-scoped key without a configured workspace passes and is reported as such", async () => {
        const outs = await create(addRotationKey(emulator, { scope: "organization", workspaceId: null }));
        expect(outs.adminChecks).toContain("in organization scope (not configured, so not compared)");
    });

    it("the record reads scope first and falls back to the deprecated workspace_id", () => {
        expect(toApiKeyRecord({ scope: { type: "workspace", workspace_id: "wrkspc_B" }, workspace_id: null })).toMatchObject({ scope: "workspace", workspaceId: "wrkspc_B" });
        expect(toApiKeyRecord({ scope: { type: "workspace", workspace_id: "wrkspc_B" }, workspace_id: "wrkspc_Stale" }).workspaceId).toBe("wrkspc_B");
        expect(toApiKeyRecord({ scope: { type: "organization" }, workspace_id: "wrkspc_Stale" })).toMatchObject({ scope: "organization", workspaceId: null });
        expect(toApiKeyRecord({ workspace_id: "wrkspc_A" })).toMatchObject({ scope: "workspace", workspaceId: "wrkspc_A" });
        expect(toApiKeyRecord({})).toMatchObject({ scope: "unknown", workspaceId: null, principal: null, createdBy: null, expiresAt: null });
    });

    it("the emulator shows the default workspace's real id in scope and null in the deprecated field", async () => {
        const key = addRotationKey(emulator, { workspaceId: null });
        const res = await fetch(`${emulator.url}/v1/organizations/api_keys/${key.id}`, { headers: { "x-api-key": adminKey, "anthropic-version": "2023-06-01" } });
        expect(await res.json()).toMatchObject({
            type: "api_key",
            scope: { type: "workspace", workspace_id: DEFAULT_WORKSPACE_ID },
            workspace_id: null,
            expires_at: "2027-03-07T09:15:00Z",
            created_by: { id: "user_01RaxxOperator", type: "user" },
            principal: { type: "service_account_actor", service_account_id: SERVICE_ACCOUNT },
        });
    });
});

describe("owner (principal, else created_by)", () => {
    it("a prod key of a service account: reported, no advisory", async () => {
        const outs = await create(addRotationKey(emulator));
        expect(outs.keyOwner).toBe(`service account ${SERVICE_ACCOUNT}`);
        expect(outs.adminAdvisories).toBeUndefined();
    });

    it("a prod key bound to a person's account: an advisory, not a failure", async () => {
        vi.spyOn(console, "warn").mockImplementation(() => undefined);
        const outs = await create(addRotationKey(emulator, { principal: { type: "user", id: "user_01Alice" } }));
        expect(outs.keyOwner).toBe("user user_01Alice");
        expect((outs.adminAdvisories as string[])[0]).toContain("owner: the prod key belongs to a person's account (user user_01Alice), not a service account");
        expect((outs.adminAdvisories as string[])[0]).toContain("Console → Settings → Service accounts");
    });

    it("without a principal the creator counts; a person's key outside prod gets no advisory", async () => {
        vi.spyOn(console, "warn").mockImplementation(() => undefined);
        const prod = await create(addRotationKey(emulator, { principal: null }));
        expect(prod.keyOwner).toBe("user user_01RaxxOperator (creator; the key has no principal)");
        expect((prod.adminAdvisories as string[])[0]).toContain("owner: the prod key belongs to a person's account");
        const staging = addRotationKey(emulator, { name: "raxx-staging-agents-2026-11-23", principal: null });
        const outs = await create(staging, { keyName: "raxx-staging-agents-2026-11-23", environment: "staging", requireExpiry: "advisory" });
        expect(outs.adminAdvisories).toBeUndefined();
    });

    it("neither recorded: said so, no advisory", async () => {
        const outs = await create(addRotationKey(emulator, { principal: null, createdBy: null }));
        expect(outs.keyOwner).toBe("not recorded (no principal, no created_by)");
        expect(outs.adminAdvisories).toBeUndefined();
    });
});
