import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fingerprint } from "../../components/domain/fingerprint";
import type { RehearsalRun } from "../../offline/harness/rehearsal";
import { describeFinding, scanForLeaks } from "../support/leakScan";
import { PROCESSES_SETUP_MS } from "../support/timeouts";
import { Scenario } from "./scenario";

/**
 * The credential preflight through the real program and provider host (issue 15 §4): with a Heroku token that
 * Heroku rejects, the run stops after validation and before the first write, so no consumer holds the new key
 * (no split fleet), and the error names the credential, the target, Heroku's answer and the fix. A preview makes
 * no preflight call; the same rotation with the token fixed goes through.
 */
describe("a rejected credential stops the rotation before anything is written", () => {
    const BAD_HEROKU_TOKEN = "HRKU-preflight-revoked-0000000000000000000000";
    let sc: Scenario;
    let key: ReturnType<Scenario["createKey"]>;
    let preview: RehearsalRun;
    let failed: RehearsalRun;
    let fixed: RehearsalRun;
    let requestsAfterFailure: { emulator: string; method: string; path: string }[];
    let requestsAfterPreview: { emulator: string; method: string; path: string }[];

    beforeAll(async () => {
        sc = await Scenario.start();
        key = sc.createKey();
        preview = await sc.up(key.value, { preview: true });
        requestsAfterPreview = sc.sandbox.servers.flatMap((s) => s.requests.map((r) => ({ emulator: s.name, method: r.method, path: r.path })));
        failed = await sc.up(key.value, { env: { HEROKU_API_KEY: BAD_HEROKU_TOKEN } });
        requestsAfterFailure = sc.sandbox.servers.flatMap((s) => s.requests.map((r) => ({ emulator: s.name, method: r.method, path: r.path })));
        fixed = await sc.up(key.value);
    }, PROCESSES_SETUP_MS);
    afterAll(() => sc?.stop());

    it("makes no preflight call in a preview", () => {
        expect(preview.error, preview.stderr).toBeUndefined();
        const preflight = preview.steps.filter((s) => s.type.endsWith("preflight:CredentialPreflight"));
        expect(preflight.map((s) => s.op)).toEqual(["create"]);
        expect(requestsAfterPreview.filter((r) => r.emulator !== "anthropic")).toEqual([]);
    });

    it("fails at the preflight with one error naming HEROKU_API_KEY, the target, Heroku's answer and the fix", () => {
        expect(failed.exitCode).not.toBe(0);
        expect(failed.error).toMatch(/preflight: 1 problem with the credentials this run needs; nothing was written anywhere/);
        expect(failed.error).toMatch(/HEROKU_API_KEY → heroku account \(http:\/\/127\.0\.0\.1:\d+\/account\): HTTP 401 unauthorized "Invalid credentials provided\."/);
        expect(failed.error).toMatch(/Fix: .*heroku authorizations:create/);
    });

    it("writes nothing at any emulator: no Infisical write, no Heroku PATCH, no GitHub PUT, no deactivation", () => {
        expect(requestsAfterFailure.filter((r) => r.method !== "GET" && !(r.emulator === "infisical" && r.path === "/api/v1/auth/universal-auth/login"))).toEqual([
            // The new key's validation ping, and nothing else.
            ...requestsAfterFailure.filter((r) => r.emulator === "anthropic" && r.method === "POST" && r.path === "/v1/messages"),
        ]);
        expect(requestsAfterFailure.filter((r) => r.emulator === "github" && r.method === "PUT")).toEqual([]);
        expect(requestsAfterFailure.filter((r) => r.emulator === "heroku" && r.method === "PATCH")).toEqual([]);
        expect(requestsAfterFailure.filter((r) => r.emulator === "infisical" && r.path.startsWith("/api/v3/secrets") && r.method !== "GET")).toEqual([]);
        const written = failed.steps.filter((s) => !s.type.startsWith("pulumi:providers:") && /infisical|heroku|github|command|HealthChecks|PreviousKeyRevocation|RotationAudit/.test(s.type));
        expect(written).toEqual([]);
        // The preflight did read: the account with the rejected token.
        expect(requestsAfterFailure.some((r) => r.emulator === "heroku" && r.path === "/account")).toBe(true);
        sc.expectUnrelatedVarsIntact();
    });

    it("records the failure in the audit log with step preflight, then the fixed run completes", () => {
        const records = sc.auditRecords();
        expect(records.map((r) => [r.action, r.step ?? null])).toEqual([
            ["secret.rotate.failed", "preflight"],
            ["secret.rotate.completed", null],
        ]);
        expect(records[0]).toMatchObject({ newFingerprint: fingerprint(key.value) });
        expect(fixed.error, fixed.stderr).toBeUndefined();
        sc.expectConsumersHold(key.value);
    });

    it("leaks no key, credential or key prefix in anything the runs produced", () => {
        const artifacts = sc.artifacts();
        const sb = sc.sandbox;
        const secrets = [key.value, sb.adminKey, sb.heroku.token, BAD_HEROKU_TOKEN, sb.infisical.clientSecret, ...sb.infisical.issuedTokens, sb.github.token];
        expect(scanForLeaks(artifacts, secrets).map((f) => describeFinding(f, artifacts))).toEqual([]);
    });
});
