import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InfisicalClient, InfisicalClientOptions, InfisicalError, STEP_DELETE, STEP_LOGIN, STEP_READ, STEP_WRITE } from "../../components/infisical/infisicalClient";
import { InfisicalEmulator, INFISICAL_LOGIN_PATH } from "../../offline/emulators/infisicalEmulator";
import { makeApiKey } from "../../offline/emulators/keys";
import { caught, ENVIRONMENT, expectNamesTarget, expectNoSecrets, location, PROJECT, SECRET_NAME, secretsOf, startEmulator } from "./helpers";

/**
 * InfisicalClient drives the real @infisical/sdk against the loopback emulator: these tests prove the request
 * shapes the SDK sends, the create-or-update logic that keeps Infisical's history, and every failure path.
 * Our own bounds are passed as options (5xx retries in milliseconds); the SDK's built-in 429 / connection
 * retry waits about 1 s before its first retry, so tests that need one retry take about a second.
 */

const SECRET_PATH_RE = /^\/api\/v3\/secrets\/raw\//;

let emu: InfisicalEmulator;

function client(options: Partial<InfisicalClientOptions> = {}, retry: InfisicalClientOptions["retry"] = {}): InfisicalClient {
    return new InfisicalClient(emu.url, {
        env: { INFISICAL_CLIENT_ID: emu.clientId, INFISICAL_CLIENT_SECRET: emu.clientSecret },
        retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, maxTotalMs: 20_000, attemptTimeoutMs: 2_000, ...retry },
        ...options,
    });
}

async function infisicalError(fn: () => Promise<unknown>): Promise<InfisicalError> {
    const err = await caught(fn);
    expect(err).toBeInstanceOf(InfisicalError);
    return err as InfisicalError;
}

beforeEach(async () => {
    emu = await startEmulator();
});

afterEach(async () => {
    await emu.stop();
});

describe("what the SDK sends (verified against the emulator)", () => {
    it("logs in with JSON credentials, reads with query parameters, writes with JSON bodies and a bearer token", async () => {
        const key = makeApiKey();
        const result = await client().putSecret(location, key);
        expect(result).toEqual({ action: "created", version: 1 });

        const [login, get, post] = emu.requests;
        expect(login!.method).toBe("POST");
        expect(login!.path).toBe(INFISICAL_LOGIN_PATH);
        expect(login!.headers["content-type"]).toBe("application/json");
        expect(login!.json).toEqual({ clientId: emu.clientId, clientSecret: emu.clientSecret });

        expect(get!.method).toBe("GET");
        expect(get!.path).toBe(`/api/v3/secrets/raw/${SECRET_NAME}`);
        expect(get!.body).toBe("");
        expect(Object.fromEntries(get!.query)).toMatchObject({
            workspaceId: PROJECT,
            environment: ENVIRONMENT,
            secretPath: "/",
            type: "shared",
            expandSecretReferences: "false",
            viewSecretValue: "true",
        });
        expect(get!.headers.authorization).toBe(`Bearer ${emu.issuedTokens[0]}`);

        expect(post!.method).toBe("POST");
        expect(post!.path).toBe(`/api/v3/secrets/raw/${SECRET_NAME}`);
        expect(post!.headers["content-type"]).toBe("application/json");
        expect(post!.headers.authorization).toBe(`Bearer ${emu.issuedTokens[0]}`);
        expect(post!.query.toString()).toBe("");
        expect(post!.json).toEqual({ workspaceId: PROJECT, environment: ENVIRONMENT, secretPath: "/", type: "shared", secretValue: key });
        expect(emu.requests).toHaveLength(3);
    });

    it("updates with PATCH and deletes with DELETE carrying a JSON body", async () => {
        emu.seedSecret(location, makeApiKey());
        const c = client();
        await c.putSecret(location, makeApiKey());
        const patch = emu.calls("PATCH", SECRET_PATH_RE)[0]!;
        expect(patch.json).toMatchObject({ workspaceId: PROJECT, environment: ENVIRONMENT, secretPath: "/", type: "shared" });
        expect(typeof (patch.json as { secretValue?: unknown }).secretValue).toBe("string");

        expect(await c.deleteSecret(location)).toEqual({ deleted: true });
        const del = emu.calls("DELETE", SECRET_PATH_RE)[0]!;
        expect(del.headers["content-type"]).toBe("application/json");
        expect(del.json).toEqual({ workspaceId: PROJECT, environment: ENVIRONMENT, secretPath: "/", type: "shared" });
        // One login for the whole client.
        expect(emu.loginCalls()).toHaveLength(1);
    });
});

describe("create or update, keeping Infisical's history", () => {
    it("creates version 1, then updates to version 2 with both values in the history", async () => {
        const first = makeApiKey();
        const second = makeApiKey();
        expect(await client().putSecret(location, first)).toEqual({ action: "created", version: 1 });
        expect(await client().putSecret(location, second)).toEqual({ action: "updated", version: 2 });
        expect(emu.history(location).map((v) => [v.version, v.value, v.by])).toEqual([
            [1, first, "create"],
            [2, second, "update"],
        ]);
        expect(emu.calls("DELETE")).toHaveLength(0);
    });

    it("writes nothing when Infisical already holds exactly this value", async () => {
        const key = makeApiKey();
        emu.seedSecret(location, key);
        expect(await client().putSecret(location, key)).toEqual({ action: "unchanged", version: 1 });
        expect(emu.calls("POST", SECRET_PATH_RE)).toHaveLength(0);
        expect(emu.calls("PATCH")).toHaveLength(0);
    });

    it("falls back to update when the create answers 400 'already exist' (created by someone else meanwhile)", async () => {
        emu.seedSecret(location, makeApiKey());
        // Our read does not see it (as if it was created just after), so the client tries to create it.
        emu.injectFault({
            method: "GET",
            path: `/api/v3/secrets/raw/${SECRET_NAME}`,
            fault: { kind: "status", status: 404, body: { reqId: "r", statusCode: 404, error: "NotFound", message: `Secret with name '${SECRET_NAME}' not found` } },
        });
        const key = makeApiKey();
        expect(await client().putSecret(location, key)).toEqual({ action: "updated", version: 2 });
        expect(emu.calls("POST", SECRET_PATH_RE).map((r) => r.outcome)).toEqual([400]);
        expect(emu.calls("PATCH").map((r) => r.outcome)).toEqual([200]);
        expect(emu.currentValue(location)).toBe(key);
    });

    it("writes into an existing folder path", async () => {
        emu.addFolder(PROJECT, ENVIRONMENT, "/backend/anthropic");
        const where = { ...location, secretPath: "/backend/anthropic" };
        const key = makeApiKey();
        expect(await client().putSecret(where, key)).toEqual({ action: "created", version: 1 });
        expect(emu.currentValue(where)).toBe(key);
        expect(emu.currentValue(location)).toBeUndefined();
    });

    it("reads the value and version, or undefined when the secret does not exist", async () => {
        expect(await client().getSecret(location)).toBeUndefined();
        const key = makeApiKey();
        emu.seedSecret(location, makeApiKey());
        emu.seedSecret(location, key);
        expect(await client().getSecret(location)).toEqual({ value: key, version: 2, hidden: false });
    });

    it("treats a hidden value (no read-value permission) as unknown and writes anyway", async () => {
        const key = makeApiKey();
        emu.seedSecret(location, key);
        emu.hideValues = true;
        expect(await client().getSecret(location)).toEqual({ value: "<hidden-by-infisical>", version: 1, hidden: true });
        expect(await client().putSecret(location, key)).toEqual({ action: "updated", version: 2 });
    });

    it("deletes, and reports an already missing secret as not deleted", async () => {
        emu.seedSecret(location, makeApiKey());
        expect(await client().deleteSecret(location)).toEqual({ deleted: true });
        expect(emu.secret(location)).toBeUndefined();
        expect(emu.history(location)).toHaveLength(1);
        expect(await client().deleteSecret(location)).toEqual({ deleted: false });
    });
});

describe("credentials and tokens", () => {
    it("names both variables when credentials are missing, before any request", async () => {
        const key = makeApiKey();
        const err = await infisicalError(() => client({ env: { INFISICAL_CLIENT_ID: "id-only" } }).putSecret(location, key));
        expect(err.kind).toBe("credentials");
        expect(err.message).toContain("INFISICAL_CLIENT_SECRET is not set");
        expect(err.message).toContain("INFISICAL_CLIENT_ID");
        expect(err.message.startsWith(`${STEP_LOGIN} failed for `)).toBe(true);
        const none = await infisicalError(() => client({ env: {} }).getSecret(location));
        expect(none.message).toContain("INFISICAL_CLIENT_ID and INFISICAL_CLIENT_SECRET are not set");
        expect(emu.requests).toHaveLength(0);
        expectNoSecrets(err, [key]);
    });

    it("reads credentials at call time and trims a pasted newline", async () => {
        const env: NodeJS.ProcessEnv = {};
        const c = client({ env });
        env.INFISICAL_CLIENT_ID = `${emu.clientId}\n`;
        env.INFISICAL_CLIENT_SECRET = ` ${emu.clientSecret}\n`;
        expect(await c.getSecret(location)).toBeUndefined();
    });

    it("reports a bad login (401) with the fix, without echoing the client secret", async () => {
        const wrongSecret = "wrong-client-secret-0123456789abcdef";
        const key = makeApiKey();
        const err = await infisicalError(() =>
            client({ env: { INFISICAL_CLIENT_ID: emu.clientId, INFISICAL_CLIENT_SECRET: wrongSecret } }).putSecret(location, key),
        );
        expect(err.kind).toBe("login");
        expect(err.status).toBe(401);
        expectNamesTarget(err, STEP_LOGIN);
        expect(err.message).toContain("HTTP 401: Invalid credentials");
        expect(err.message).toContain("INFISICAL_CLIENT_SECRET");
        expect(emu.loginCalls()).toHaveLength(1); // 401 is not retried
        expect(emu.secretCalls()).toHaveLength(0);
        expectNoSecrets(err, [wrongSecret, key, emu.clientSecret]);
    });

    it("logs in again once when the token expires mid-run (Infisical answers 403 TokenError) and completes the write", async () => {
        emu.seedSecret(location, makeApiKey());
        const c = client();
        // Logged in earlier in a long run...
        await c.getSecret(location);
        // ...and the token expires between the write's GET and its PATCH.
        emu.expireTokensAfterCalls(1);
        const key = makeApiKey();
        expect(await c.putSecret(location, key)).toEqual({ action: "updated", version: 2 });
        expect(emu.calls("PATCH").map((r) => r.outcome)).toEqual([403, 200]);
        expect(emu.loginCalls()).toHaveLength(2);
        expect(emu.currentValue(location)).toBe(key);
    });

    it("fails clearly when every token is refused (403 TokenError), after one renewal, leaking no token", async () => {
        emu.tokenTtlSeconds = 0; // every token is already expired
        const key = makeApiKey();
        const err = await infisicalError(() => client().putSecret(location, key));
        expect(err.kind).toBe("forbidden");
        expect(err.status).toBe(403);
        expectNamesTarget(err, STEP_WRITE);
        expect(err.message).toContain("HTTP 403: Your token has expired");
        expect(err.message).toContain("Infisical answers 403 TokenError, not 401");
        expect(err.message).toContain("Machine Identities");
        expect(emu.loginCalls()).toHaveLength(2);
        expect(emu.issuedTokens).toHaveLength(2);
        expectNoSecrets(err, secretsOf(emu, key));
    });

    it("explains a 403 PermissionDenied as missing access to the project/environment", async () => {
        emu.denyAccess(PROJECT, ENVIRONMENT);
        const key = makeApiKey();
        const err = await infisicalError(() => client().putSecret(location, key));
        expect(err.kind).toBe("forbidden");
        expect(err.message).toContain("You are not allowed to readValue on secrets");
        expect(err.message).toMatch(/: the machine identity has no access to project 6f1c2a4e-8b3d-4f5e-9a7b-0c1d2e3f4a5b/);
        expectNoSecrets(err, secretsOf(emu, key));
    });
});

describe("errors from Infisical", () => {
    it("404 for an unknown project: names the project and how to find its ID", async () => {
        const where = { ...location, projectId: "no-such-project" };
        const key = makeApiKey();
        const err = await infisicalError(() => client().putSecret(where, key));
        expect(err.kind).toBe("not-found");
        expect(err.status).toBe(404);
        expectNamesTarget(err, STEP_WRITE, { projectId: "no-such-project" });
        expect(err.message).toContain("Project with ID 'no-such-project' not found");
        expect(err.message).toContain("Project Settings");
        // The GET's 404 is about the project, not the secret: no create is attempted.
        expect(emu.calls("POST", SECRET_PATH_RE)).toHaveLength(0);
        expectNoSecrets(err, secretsOf(emu, key));
    });

    it("404 for a missing folder or environment on read is an error, not 'absent'", async () => {
        const err = await infisicalError(() => client().getSecret({ ...location, secretPath: "/nope" }));
        expect(err.kind).toBe("not-found");
        expectNamesTarget(err, STEP_READ, { secretPath: "/nope" });
        expect(err.message).toContain("Folder with path '/nope' in environment with slug 'prod' not found");
        const env = await infisicalError(() => client().getSecret({ ...location, environment: "Production" }));
        expect(env.message).toContain("environment slug (e.g. prod, not Production)");
    });

    it("422 ValidationFailure (Infisical sends the issues as an array; the SDK keeps only the status)", async () => {
        const where = { ...location, secretName: "BAD NAME" };
        const key = makeApiKey();
        const err = await infisicalError(() => client().putSecret(where, key));
        expect(err.kind).toBe("validation");
        expect(err.status).toBe(422);
        expectNamesTarget(err, STEP_WRITE, { secretName: "BAD NAME" });
        expect(err.message).toContain("HTTP 422 ValidationFailure");
        expect(emu.calls("POST", SECRET_PATH_RE).map((r) => r.outcome)).toEqual([422]);
        expectNoSecrets(err, secretsOf(emu, key));
    });

    it("422 with a string message keeps a redacted, readable detail", async () => {
        const key = makeApiKey();
        emu.injectFault({
            method: "POST",
            path: SECRET_PATH_RE.source,
            fault: { kind: "status", status: 422, body: { reqId: "r1", statusCode: 422, error: "ValidationFailure", message: `secretValue ${key} is invalid` } },
        });
        const err = await infisicalError(() => client().putSecret(location, key));
        expect(err.kind).toBe("validation");
        expect(err.message).toContain("secretValue [REDACTED] is invalid");
        expectNoSecrets(err, secretsOf(emu, key));
    });

    it("400 other than 'already exists' is reported, not retried", async () => {
        const key = makeApiKey();
        emu.injectFault({
            method: "PATCH",
            fault: { kind: "status", status: 400, body: { reqId: "r", statusCode: 400, error: "BadRequest", message: "Cannot update rotated secret name or value" } },
        });
        emu.seedSecret(location, makeApiKey());
        const err = await infisicalError(() => client().putSecret(location, key));
        expect(err.kind).toBe("bad-request");
        expect(err.message).toContain("Cannot update rotated secret name or value");
        expect(emu.calls("PATCH")).toHaveLength(1);
    });

    it("a 5xx is retried by this client (the SDK does not), then succeeds", async () => {
        emu.serverError({ status: 503, times: 1, method: "GET" });
        const key = makeApiKey();
        expect(await client().putSecret(location, key)).toEqual({ action: "created", version: 1 });
        expect(emu.calls("GET").map((r) => r.outcome)).toEqual([503, 404]);
    });

    it("a persistent 5xx fails after the policy's attempts, naming the target", async () => {
        emu.serverError({ status: 500, times: 100 });
        const key = makeApiKey();
        const started = Date.now();
        const err = await infisicalError(() => client().putSecret(location, key));
        expect(Date.now() - started).toBeLessThan(1_000);
        expect(err.kind).toBe("server");
        expect(err.status).toBe(500);
        expectNamesTarget(err, STEP_WRITE);
        expect(err.message).toContain("Infisical answered HTTP 500 (Something went wrong) while reading the current secret, 3 times in a row");
        expect(emu.secretCalls()).toHaveLength(3);
        expectNoSecrets(err, secretsOf(emu, key));
    });

    it("a 5xx on login is retried too", async () => {
        emu.serverError({ status: 502, times: 1, path: INFISICAL_LOGIN_PATH });
        expect(await client().getSecret(location)).toBeUndefined();
        expect(emu.loginCalls().map((r) => r.outcome)).toEqual([502, 200]);
    });
});

describe("rate limits, timeouts and dropped connections", () => {
    it("429 with retry-after: the SDK retries on its own schedule (about 1 s, not the 30 s asked), once, and the write completes", async () => {
        emu.rateLimit({ times: 1, method: "GET", retryAfterSeconds: 30 });
        const started = Date.now();
        const key = makeApiKey();
        expect(await client().putSecret(location, key)).toEqual({ action: "created", version: 1 });
        expect(Date.now() - started).toBeLessThan(5_000);
        // Exactly one extra attempt: our layer adds no retries of its own on top of the SDK's.
        expect(emu.calls("GET").map((r) => r.outcome)).toEqual([429, 404]);
    });

    it("429 without retry-after: same, one SDK retry", async () => {
        emu.rateLimit({ times: 1, method: "POST", path: SECRET_PATH_RE.source, retryAfterSeconds: null });
        const key = makeApiKey();
        expect(await client().putSecret(location, key)).toEqual({ action: "created", version: 1 });
        expect(emu.calls("POST", SECRET_PATH_RE).map((r) => r.outcome)).toEqual([429, 200]);
        expect(emu.history(location)).toHaveLength(1);
    });

    it("persistent 429 is bounded by the operation's total time, with a clear error", async () => {
        emu.rateLimit({ times: 100, retryAfterSeconds: 30 });
        const key = makeApiKey();
        const started = Date.now();
        const err = await infisicalError(() => client({}, { maxTotalMs: 1_500 }).putSecret(location, key));
        const elapsed = Date.now() - started;
        expect(elapsed).toBeGreaterThanOrEqual(1_400);
        expect(elapsed).toBeLessThan(2_500);
        expect(err.kind).toBe("deadline");
        expectNamesTarget(err, STEP_WRITE);
        expect(err.message).toContain("no result within 1.5 s");
        expect(err.message).toContain("while reading the current secret");
        expect(err.message).toContain("ANTHROPIC_KEY_ROTATION_RETRY_MAX_TOTAL_MS");
        expect(emu.calls("PATCH")).toHaveLength(0);
        expect(emu.calls("POST", SECRET_PATH_RE)).toHaveLength(0);
        expectNoSecrets(err, secretsOf(emu, key));
    });

    it("a server that never answers: bounded by the total time, then a clear error", async () => {
        emu.injectFault({ method: "GET", fault: { kind: "hang" }, times: 100 });
        const key = makeApiKey();
        const started = Date.now();
        const err = await infisicalError(() => client({}, { maxTotalMs: 1_000 }).putSecret(location, key));
        expect(Date.now() - started).toBeLessThan(2_000);
        expect(err.kind).toBe("deadline");
        expectNamesTarget(err, STEP_WRITE);
        expect(err.message).toContain("unreachable, rate limiting or very slow");
        expect(err.message).toContain("while reading the current secret");
        expect(err.message).not.toContain("a write still in flight");
        expectNoSecrets(err, secretsOf(emu, key));
    });

    it("a write that never answers: the error says it may still land", async () => {
        emu.injectFault({ method: "POST", path: SECRET_PATH_RE.source, fault: { kind: "hang" }, times: 100 });
        const key = makeApiKey();
        const err = await infisicalError(() => client({}, { maxTotalMs: 800 }).putSecret(location, key));
        expect(err.kind).toBe("deadline");
        expect(err.message).toContain("while creating the secret");
        expect(err.message).toContain("a write still in flight may land later; the next run converges on it");
        expectNoSecrets(err, secretsOf(emu, key));
    });

    it("one hung attempt: the SDK's attempt timeout (lowered to the policy's) fires and its retry succeeds", async () => {
        emu.injectFault({ method: "GET", fault: { kind: "hang" }, times: 1 });
        const started = Date.now();
        const key = makeApiKey();
        expect(await client({}, { attemptTimeoutMs: 300 }).putSecret(location, key)).toEqual({ action: "created", version: 1 });
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(emu.calls("GET").map((r) => r.outcome)).toEqual(["hung", 404]);
    });

    it("one dropped connection: the SDK retries it and the write completes", async () => {
        emu.injectFault({ method: "POST", path: SECRET_PATH_RE.source, fault: { kind: "drop" }, times: 1 });
        const key = makeApiKey();
        expect(await client().putSecret(location, key)).toEqual({ action: "created", version: 1 });
        expect(emu.calls("POST", SECRET_PATH_RE).map((r) => r.outcome)).toEqual(["dropped", 200]);
    });

    it("dropped connections on every attempt: bounded, then a clear error naming the target", async () => {
        emu.injectFault({ fault: { kind: "drop" }, times: 100, path: SECRET_PATH_RE.source });
        const key = makeApiKey();
        const started = Date.now();
        const err = await infisicalError(() => client({}, { maxTotalMs: 1_200 }).deleteSecret(location));
        expect(Date.now() - started).toBeLessThan(2_200);
        expect(err.kind).toBe("deadline");
        expectNamesTarget(err, STEP_DELETE);
        expect(err.message).toContain("while deleting the secret");
        expectNoSecrets(err, secretsOf(emu, key));
    });
});
