import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fingerprint } from "../../components/domain/fingerprint";
import { ANTHROPIC_ERROR_TYPES, AnthropicEmulator, partialKeyHintOf } from "../../offline/emulators/anthropicEmulator";

const emulator = new AnthropicEmulator();
let admin: string;

beforeAll(async () => {
    await emulator.start();
    admin = emulator.addAdminKey();
});
afterAll(async () => {
    await emulator.stop();
});
afterEach(() => {
    emulator.clearFaults();
    emulator.propagationDelayMs = 0;
    emulator.now = () => Date.now();
    emulator.acceptBearer = false;
});

async function call(method: string, path: string, key: string | undefined, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${emulator.url}${path}`, {
        method,
        headers: {
            "anthropic-version": "2023-06-01",
            "content-type": "application/json",
            ...(key !== undefined ? { "x-api-key": key } : {}),
            ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch {
        json = undefined;
    }
    return { status: res.status, headers: res.headers, json: json as Record<string, unknown> & { error?: { type: string; message: string; details?: unknown }; request_id?: string } };
}

const ping = { model: "claude-haiku-4-5", max_tokens: 10, messages: [{ role: "user", content: "ping" }] };

describe("Messages and Models", () => {
    it("a Messages call answers like the API: message body, request-id, rate-limit headers", async () => {
        const key = emulator.addKey({ limits: { requests: 50 } });
        const res = await call("POST", "/v1/messages", key.value, ping);
        expect(res.status).toBe(200);
        expect(res.json).toMatchObject({ type: "message", role: "assistant", model: "claude-haiku-4-5-20251001", usage: { input_tokens: expect.any(Number), output_tokens: 4 } });
        expect(res.json.id).toMatch(/^msg_01/);
        expect(res.headers.get("request-id")).toMatch(/^req_011/);
        expect(res.headers.get("anthropic-ratelimit-requests-limit")).toBe("50");
        expect(res.headers.get("anthropic-ratelimit-requests-remaining")).toBe("49");
        expect(res.headers.get("anthropic-ratelimit-input-tokens-reset")).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
        expect(res.headers.get("anthropic-ratelimit-output-tokens-limit")).toBe("400000");
    });

    it("stop_reason is max_tokens when max_tokens is tiny", async () => {
        const key = emulator.addKey();
        const res = await call("POST", "/v1/messages", key.value, { ...ping, max_tokens: 1 });
        expect(res.json).toMatchObject({ stop_reason: "max_tokens", usage: { output_tokens: 1 } });
    });

    it("models: retrieve by alias or id, 404 for unknown; list paginates", async () => {
        const key = emulator.addKey();
        expect((await call("GET", "/v1/models/claude-haiku-4-5", key.value)).json).toMatchObject({ type: "model", id: "claude-haiku-4-5-20251001" });
        const missing = await call("GET", "/v1/models/claude-1", key.value);
        expect(missing.status).toBe(404);
        expect(missing.json.error).toEqual({ type: "not_found_error", message: "model: claude-1" });
        const page1 = await call("GET", "/v1/models?limit=2", key.value);
        expect(page1.json).toMatchObject({ has_more: true, first_id: expect.any(String), last_id: expect.any(String) });
        const page2 = await call("GET", `/v1/models?limit=10&after_id=${page1.json.last_id}`, key.value);
        expect((page2.json.data as unknown[]).length).toBe(emulator.models.length - 2);
        expect(page2.json.has_more).toBe(false);
        // Models answers carry no rate-limit headers by default (unverified on the real API).
        expect(page1.headers.get("anthropic-ratelimit-requests-limit")).toBeNull();
    });

    it("validates the Messages body and the anthropic-version header", async () => {
        const key = emulator.addKey();
        expect((await call("POST", "/v1/messages", key.value, { model: "claude-haiku-4-5", messages: ping.messages })).status).toBe(400);
        expect((await call("POST", "/v1/messages", key.value, { ...ping, messages: [] })).status).toBe(400);
        const noVersion = await fetch(`${emulator.url}/v1/messages`, { method: "POST", headers: { "x-api-key": key.value, "content-type": "application/json" }, body: JSON.stringify(ping) });
        expect(noVersion.status).toBe(400);
        expect(((await noVersion.json()) as { error: { message: string } }).error.message).toContain("anthropic-version");
    });
});

describe("authentication", () => {
    it("unknown key: 401 authentication_error with the documented body and a request-id header", async () => {
        const res = await call("POST", "/v1/messages", "not-a-key", ping);
        expect(res.status).toBe(401);
        expect(res.json).toEqual({ type: "error", error: { type: "authentication_error", message: "invalid x-api-key" }, request_id: res.headers.get("request-id") });
    });

    it("no credential at all: 401", async () => {
        expect((await call("POST", "/v1/messages", undefined, ping)).status).toBe(401);
    });

    it("an API key as Authorization: Bearer is refused unless acceptBearer", async () => {
        const key = emulator.addKey();
        const bearer = await call("POST", "/v1/messages", undefined, ping, { authorization: `Bearer ${key.value}` });
        expect(bearer.status).toBe(401);
        emulator.acceptBearer = true;
        expect((await call("POST", "/v1/messages", undefined, ping, { authorization: `Bearer ${key.value}` })).status).toBe(200);
        const last = emulator.calls({ fingerprint: key.fingerprint }).at(-1)!;
        expect(last.via).toBe("bearer");
    });

    it("an admin key cannot call Messages; an API key cannot call the Admin API", async () => {
        const key = emulator.addKey();
        expect((await call("POST", "/v1/messages", admin, ping)).status).toBe(401);
        expect((await call("GET", "/v1/organizations/api_keys", key.value)).status).toBe(401);
    });

    it("deactivation through the Admin API makes the key answer 401 (immediately by default)", async () => {
        const key = emulator.addKey();
        const upd = await call("POST", `/v1/organizations/api_keys/${key.id}`, admin, { status: "inactive" });
        expect(upd.status).toBe(200);
        expect(upd.json).toMatchObject({ id: key.id, status: "inactive" });
        expect((await call("POST", "/v1/messages", key.value, ping)).status).toBe(401);
        expect((await call("GET", "/v1/models/claude-haiku-4-5", key.value)).status).toBe(401);
    });

    it("with a propagation delay the key keeps working for that long, while the Admin API already says inactive", async () => {
        // The delay runs on the emulator's clock, moved by hand: the calls may take as long as a loaded machine needs.
        let now = Date.now();
        emulator.now = () => now;
        emulator.propagationDelayMs = 150;
        const key = emulator.addKey();
        await call("POST", `/v1/organizations/api_keys/${key.id}`, admin, { status: "inactive" });
        expect((await call("GET", `/v1/organizations/api_keys/${key.id}`, admin)).json.status).toBe("inactive");
        expect((await call("POST", "/v1/messages", key.value, ping)).status).toBe(200);
        expect(emulator.key(key.id)).toMatchObject({ status: "inactive", authenticates: true });
        now += 149;
        expect((await call("POST", "/v1/messages", key.value, ping)).status).toBe(200);
        now += 1;
        expect((await call("POST", "/v1/messages", key.value, ping)).status).toBe(401);
        expect(emulator.key(key.id)!.authenticates).toBe(false);
    });

    it("reactivation and archiving; a bad status is a 400", async () => {
        const key = emulator.addKey({ status: "inactive" });
        expect((await call("POST", `/v1/organizations/api_keys/${key.id}`, admin, { status: "active" })).json.status).toBe("active");
        expect((await call("POST", "/v1/messages", key.value, ping)).status).toBe(200);
        expect((await call("POST", `/v1/organizations/api_keys/${key.id}`, admin, { status: "expired" })).status).toBe(400);
        expect((await call("POST", `/v1/organizations/api_keys/${key.id}`, admin, { status: "archived", name: "renamed-key" })).json).toMatchObject({ status: "archived", name: "renamed-key" });
        expect((await call("POST", "/v1/messages", key.value, ping)).status).toBe(401);
    });
});

describe("Admin API api_keys", () => {
    const org = new AnthropicEmulator();
    let orgAdmin: string;
    beforeAll(async () => {
        await org.start();
        orgAdmin = org.addAdminKey();
        org.addKeys(45, (i) => ({ createdAt: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(), workspaceId: i % 3 === 0 ? "wrkspc_A" : null, status: i % 5 === 0 ? "inactive" : "active" }));
        org.addKey({ organizationId: "org_other" });
    });
    afterAll(async () => {
        await org.stop();
    });
    const get = async (path: string) => {
        const res = await fetch(`${org.url}${path}`, { headers: { "x-api-key": orgAdmin, "anthropic-version": "2023-06-01" } });
        return { status: res.status, headers: res.headers, json: (await res.json()) as { data: { id: string; created_at: string; partial_key_hint: string; status: string; workspace_id: string | null; scope: unknown }[]; has_more: boolean; first_id: string | null; last_id: string | null } };
    };

    it("lists newest first, 20 by default, with has_more / first_id / last_id, and only its organisation's keys", async () => {
        const page = await get("/v1/organizations/api_keys");
        expect(page.json.data).toHaveLength(20);
        expect(page.json.has_more).toBe(true);
        expect(page.json.first_id).toBe(page.json.data[0]!.id);
        expect(page.json.last_id).toBe(page.json.data[19]!.id);
        expect(page.json.data[0]!.created_at > page.json.data[1]!.created_at).toBe(true);
        expect(page.headers.get("request-id")).toMatch(/^req_/);
        let all = page.json.data.length;
        let cursor = page.json.last_id;
        for (;;) {
            const next = await get(`/v1/organizations/api_keys?after_id=${cursor}`);
            all += next.json.data.length;
            if (!next.json.has_more) break;
            cursor = next.json.last_id;
        }
        expect(all).toBe(45);
    });

    it("before_id pages backwards; limit is 1..1000", async () => {
        const first = await get("/v1/organizations/api_keys?limit=10");
        const second = await get(`/v1/organizations/api_keys?limit=10&after_id=${first.json.last_id}`);
        const back = await get(`/v1/organizations/api_keys?limit=10&before_id=${second.json.first_id}`);
        expect(back.json.data.map((k) => k.id)).toEqual(first.json.data.map((k) => k.id));
        expect(back.json.has_more).toBe(false);
        expect((await get("/v1/organizations/api_keys?limit=0")).status).toBe(400);
        expect((await get("/v1/organizations/api_keys?limit=1001")).status).toBe(400);
        expect((await get("/v1/organizations/api_keys?limit=1000")).json.data).toHaveLength(45);
    });

    it("filters by status and workspace_id; records carry the documented fields", async () => {
        const inactive = await get("/v1/organizations/api_keys?limit=100&status=inactive");
        expect(inactive.json.data.every((k) => k.status === "inactive")).toBe(true);
        expect(inactive.json.data).toHaveLength(9);
        const ws = await get("/v1/organizations/api_keys?limit=100&workspace_id=wrkspc_A");
        expect(ws.json.data).toHaveLength(15);
        expect(ws.json.data[0]).toMatchObject({ type: "api_key", workspace_id: "wrkspc_A", scope: { type: "workspace", workspace_id: "wrkspc_A" }, expires_at: null });
    });

    it("partial_key_hint is the public prefix with three more characters, '...', and the last four", async () => {
        const key = org.addKey({ createdAt: "2030-01-01T00:00:00Z" });
        const newest = (await get("/v1/organizations/api_keys?limit=1")).json.data[0]!;
        expect(newest.id).toBe(key.id);
        expect(newest.partial_key_hint).toBe(partialKeyHintOf(key.value));
        expect(newest.partial_key_hint).toMatch(/^.{16}\.\.\..{4}$/);
        expect(key.value.startsWith(newest.partial_key_hint.split("...")[0]!)).toBe(true);
        expect(key.value.endsWith(newest.partial_key_hint.split("...")[1]!)).toBe(true);
    });

    it("retrieve: 404 for an unknown id and for another organisation's key", async () => {
        const other = org.allKeys().find((k) => k.organizationId === "org_other")!;
        expect((await get(`/v1/organizations/api_keys/${other.id}`)).status).toBe(404);
        expect((await get("/v1/organizations/api_keys/apikey_01Nope")).status).toBe(404);
    });
});

describe("faults and the call log", () => {
    it.each([400, 401, 402, 403, 404, 413, 429, 500, 529])("failNext(%i) answers an Anthropic-shaped error with request-id", async (status) => {
        const key = emulator.addKey();
        emulator.failNext(status, { path: "/v1/messages", headers: status === 429 ? { "retry-after": "7" } : undefined });
        const res = await call("POST", "/v1/messages", key.value, ping);
        expect(res.status).toBe(status);
        expect(res.json.type).toBe("error");
        expect(res.json.error!.type).toBe(ANTHROPIC_ERROR_TYPES[status]);
        expect(res.json.request_id).toBe(res.headers.get("request-id"));
        if (status === 429) expect(res.headers.get("retry-after")).toBe("7");
        expect((await call("POST", "/v1/messages", key.value, ping)).status).toBe(200); // once by default
    });

    it("errorCode goes to error.details.error_code", async () => {
        const key = emulator.addKey({ forceError: { status: 429, errorCode: "enforced_spend_limit_reached" } });
        const res = await call("POST", "/v1/messages", key.value, ping);
        expect(res.json.error).toMatchObject({ type: "rate_limit_error", details: { error_code: "enforced_spend_limit_reached" } });
    });

    it("calls() attributes each call to a key by fingerprint, faulted calls included, never by value", async () => {
        const key = emulator.addKey();
        emulator.failNext(529, { path: "/v1/messages" });
        await call("POST", "/v1/messages", key.value, ping);
        await call("POST", "/v1/messages", key.value, ping);
        await call("GET", "/v1/organizations/api_keys", admin);
        const mine = emulator.calls({ fingerprint: key.fingerprint });
        expect(mine.map((c) => c.outcome)).toEqual([529, 200]);
        expect(mine[0]).toMatchObject({ keyKind: "api", keyId: key.id, via: "x-api-key", version: "2023-06-01" });
        expect(emulator.calls({ fingerprint: fingerprint(admin) }).at(-1)).toMatchObject({ keyKind: "admin", path: "/v1/organizations/api_keys" });
        const log = JSON.stringify(emulator.calls());
        expect(log).not.toContain(key.value);
        expect(log).not.toContain(admin);
        expect(log).not.toContain(["sk", "ant", ""].join("-"));
    });

    it("ordering across calls is visible through seq", async () => {
        const a = emulator.addKey();
        const b = emulator.addKey();
        await call("POST", "/v1/messages", a.value, ping);
        await call("GET", "/v1/models/claude-haiku-4-5", b.value);
        expect(emulator.calls({ fingerprint: b.fingerprint })[0]!.seq).toBeGreaterThan(emulator.calls({ fingerprint: a.fingerprint })[0]!.seq);
    });
});
