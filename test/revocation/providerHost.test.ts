import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync } from "fs";
import { tmpdir } from "os";
import { join, relative } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TYPE_ROTATION_AUDIT } from "../../components/audit/rotationAudit";
import { TYPE_HEALTH_CHECKS } from "../../components/health/healthChecks";
import { TYPE_PREVIOUS_KEY_REVOCATION } from "../../components/revocation/previousKeyRevocation";
import { HerokuApi } from "../../components/heroku/herokuApi";
import { AnthropicEmulator, EmulatedKey } from "../../offline/emulators/anthropicEmulator";
import { HealthEmulator } from "../../offline/emulators/healthEmulator";
import { HerokuEmulator } from "../../offline/emulators/herokuEmulator";
import { makeAdminKey } from "../../offline/emulators/keys";
import { PROJECT_ROOT, ProviderCallError, ProviderHost, urnOf } from "../../offline/harness/providerHost";
import { auditLines, auditText, expectNoLeaks } from "../audit/support";

/**
 * Our three providers as the engine runs them: serialized the way pulumi.dynamic.Resource does (in a ts-node
 * child, outside vitest), then driven through the REAL dynamic provider host over gRPC against the emulators.
 * Proves that the serialized texts work (no module-scope npm imports, no captured credentials), that
 * credentials are read from the host's environment at run time, and that a relative audit path is resolved
 * against the host's working directory (the project directory under pulumi, as here).
 */

const anthropic = new AnthropicEmulator();
const heroku = new HerokuEmulator();
const health = new HealthEmulator();
const adminKey = makeAdminKey();
const workDir = mkdtempSync(join(tmpdir(), "akr-host-"));
let texts: Record<string, { text: string; containsSecrets: boolean }>;
let host: ProviderHost;
let oldKey: EmulatedKey;
let newKey: EmulatedKey;

beforeAll(async () => {
    await Promise.all([anthropic.start(), heroku.start(), health.start()]);
    anthropic.addAdminKey(adminKey);
    oldKey = anthropic.addKey({ name: "raxx-prod-agents-2026-08-25" });
    newKey = anthropic.addKey({ name: "raxx-prod-agents-2026-11-23" });

    // Serialize with fake credentials in the environment: none may be captured.
    const out = join(workDir, "providers.json");
    const child = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", join(__dirname, "serializeProviders.ts"), out], {
        cwd: PROJECT_ROOT,
        env: {
            PATH: process.env.PATH ?? "",
            HOME: process.env.HOME ?? "",
            TS_NODE_PROJECT: join(PROJECT_ROOT, "tsconfig.json"),
            ANTHROPIC_ADMIN_API_KEY: adminKey,
            HEROKU_API_KEY: heroku.token,
        },
        encoding: "utf8",
        timeout: 60_000,
    });
    if (child.status !== 0) throw new Error(`serialization failed: ${child.stderr}`);
    texts = JSON.parse(readFileSync(out, "utf8"));

    // The engine starts the host in the project directory; npm modules required at run time resolve from there.
    host = await ProviderHost.start({
        cwd: PROJECT_ROOT,
        env: {
            PATH: process.env.PATH ?? "",
            HOME: process.env.HOME ?? "",
            ANTHROPIC_ADMIN_API_KEY: adminKey,
            HEROKU_API_KEY: heroku.token,
            PULUMI_ACTOR: "ops@raxx.app",
            ANTHROPIC_KEY_ROTATION_RETRY_BASE_MS: "5",
            ANTHROPIC_KEY_ROTATION_RETRY_MAX_DELAY_MS: "20",
            ANTHROPIC_KEY_ROTATION_RETRY_MAX_TOTAL_MS: "2000",
            ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS: "500",
        },
    });
}, 90_000);

afterAll(async () => {
    await host?.stop();
    await Promise.all([anthropic.stop(), heroku.stop(), health.stop()]);
});

/** A RELATIVE audit path (resolved against the host's working directory) that lands in the temp dir. */
const relativeAuditDir = relative(PROJECT_ROOT, join(workDir, "audit"));

function audit(fp: string) {
    return { path: join(relativeAuditDir, "rotations.jsonl"), environment: "prod", keyName: "raxx-prod-agents-2026-11-23", newFingerprint: fp, workspace: "default", emergency: false, stack: "prod" };
}

describe("serialized providers in the real dynamic provider host", () => {
    it("serialize without secrets, without key-shaped text and without captured credentials", () => {
        for (const [name, t] of Object.entries(texts)) {
            expect(t.containsSecrets, `${name} captured a secret`).toBe(false);
            expect(t.text.length).toBeGreaterThan(1000);
        }
        expectNoLeaks(Object.fromEntries(Object.entries(texts).map(([k, v]) => [k, v.text])), [adminKey, heroku.token, oldKey.value, newKey.value]);
    });

    it("run a whole rotation: revocation (deactivate + 401 proof), Heroku release wait + health, audit line", async () => {
        const revUrn = urnOf(TYPE_PREVIOUS_KEY_REVOCATION, "prod-revocation", "prod");
        const healthUrn = urnOf(TYPE_HEALTH_CHECKS, "prod-health", "prod");
        const auditUrn = urnOf(TYPE_ROTATION_AUDIT, "prod-audit", "prod");
        const rev = (key: EmulatedKey) => ({
            __provider: texts.revocation!.text,
            apiKey: key.value,
            fingerprint: key.fingerprint,
            keyId: key.id,
            mode: "deactivate",
            emergency: false,
            baseUrl: anthropic.url,
            proofTimeoutSeconds: 5,
            proofIntervalSeconds: 0.05,
            audit: audit(key.fingerprint),
        });

        // First run with the old key: nothing to revoke.
        const created = await host.create(revUrn, (await host.check(revUrn, {}, rev(oldKey))).inputs);
        expect(created.properties.result).toBe("no previous key");

        // Rotation: the new key is written to Heroku (one release), health passes, then the old key goes.
        heroku.seedApp("raxx-api-prod", { ANTHROPIC_API_KEY: oldKey.value }, 4);
        heroku.app("raxx-api-prod").releasePlan = ["pending", "succeeded"];
        await new HerokuApi({ apiUrl: heroku.url, env: { HEROKU_API_KEY: heroku.token } }).patchConfigVars("raxx-api-prod", { ANTHROPIC_API_KEY: newKey.value });
        health.unhealthyThenHealthy("/api/agents/health", 2);
        const healthInputs = {
            __provider: texts.health!.text,
            checks: [{ url: health.at("/api/agents/health"), expect: "anthropic.ok == true", timeoutSeconds: 5, intervalSeconds: 0.05 }],
            herokuReleases: [{ app: "raxx-api-prod", apiUrl: heroku.url, releaseVersion: heroku.latestVersion("raxx-api-prod"), releaseCreated: true }],
            releaseIntervalSeconds: 0.02,
            fingerprint: newKey.fingerprint,
            audit: audit(newKey.fingerprint),
        };
        const checked = await host.check(healthUrn, {}, healthInputs);
        expect(checked.failures).toEqual([]);
        const healthOut = await host.create(healthUrn, checked.inputs);
        expect(healthOut.properties.results).toEqual([{ url: health.at("/api/agents/health"), ok: true, status: 200, attempts: 3, seconds: expect.any(Number) }]);

        const news = (await host.check(revUrn, created.properties, rev(newKey))).inputs;
        expect((await host.diff("prev", revUrn, created.properties, news)).changes).toBe("some");
        const updated = await host.update("prev", revUrn, created.properties, news);
        expect(anthropic.key(oldKey.id)!.status).toBe("inactive");
        expect(updated.properties.result).toMatch(new RegExp(`^deactivated ${oldKey.id}; 401 proven after`));
        expect(updated.properties.apiKey).toBe(newKey.value);
        expect(JSON.stringify(updated.properties)).not.toContain(oldKey.value);

        const auditInputs = {
            __provider: texts.audit!.text,
            audit: audit(newKey.fingerprint),
            targets: [{ kind: "heroku", target: "heroku app raxx-api-prod (ANTHROPIC_API_KEY)", fingerprint: newKey.fingerprint }],
            health: healthOut.properties.results,
            revocation: updated.properties.summary,
            previousFingerprint: updated.properties.previousFingerprint,
        };
        const auditOut = await host.create(auditUrn, (await host.check(auditUrn, {}, auditInputs)).inputs);
        const file = join(workDir, "audit", "rotations.jsonl");
        const lines = auditLines(file);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatchObject({
            action: "secret.rotate.completed",
            actor: "ops@raxx.app",
            oldFingerprint: oldKey.fingerprint,
            newFingerprint: newKey.fingerprint,
            revocation: { mode: "deactivate", result: expect.stringMatching(/^deactivated/) },
        });
        expect(auditOut.properties.record).toEqual(lines[0]);

        expectNoLeaks(
            {
                audit: auditText(file),
                hostStdout: host.stdout,
                hostStderr: host.stderr,
                healthOutputs: JSON.stringify(healthOut.properties),
                auditOutputs: JSON.stringify(auditOut.properties),
                revocationResult: String(updated.properties.result),
            },
            [oldKey.value, newKey.value, adminKey, heroku.token],
        );
    });

    it("a failing health check fails the gRPC call with the URL and leaves a failed audit line", async () => {
        const healthUrn = urnOf(TYPE_HEALTH_CHECKS, "prod-health-bad", "prod");
        health.script("/down", { status: 503, body: { anthropic: { ok: false } } });
        const inputs = {
            __provider: texts.health!.text,
            checks: [{ url: health.at("/down"), expect: "anthropic.ok == true", timeoutSeconds: 0.3, intervalSeconds: 0.05 }],
            fingerprint: newKey.fingerprint,
            audit: { ...audit(newKey.fingerprint), path: join(relativeAuditDir, "failures.jsonl") },
        };
        let err: unknown;
        try {
            await host.create(healthUrn, (await host.check(healthUrn, {}, inputs)).inputs);
        } catch (e) {
            err = e;
        }
        expect(err).toBeInstanceOf(ProviderCallError);
        expect((err as Error).message).toContain(`${health.at("/down")} did not pass within 0.3 s`);
        expect((err as Error).message).toContain("last answer HTTP 503");
        const [line] = auditLines(join(workDir, "audit", "failures.jsonl"));
        expect(line).toMatchObject({ action: "secret.rotate.failed", step: "health" });
    });
    it("error classes keep their messages inside the host: a refusal, and an audit line refused for key material", async () => {
        const revUrn = urnOf(TYPE_PREVIOUS_KEY_REVOCATION, "prod-revocation-refusal", "prod");
        const a = anthropic.addKey({ name: "raxx-prod-agents-2026-05-01" });
        const b = anthropic.addKey({ name: "raxx-prod-agents-2026-06-01" });
        const bystander = anthropic.addKey({ name: "raxx-prod-batch-2026-06-01" });
        const base = { __provider: texts.revocation!.text, mode: "deactivate", emergency: false, baseUrl: anthropic.url, proofTimeoutSeconds: 1, proofIntervalSeconds: 0.05 };
        const created = await host.create(revUrn, { ...base, apiKey: a.value, fingerprint: a.fingerprint, keyId: a.id, audit: audit(a.fingerprint) });
        const olds = { ...created.properties, keyId: bystander.id };
        let refusal: unknown;
        try {
            await host.update("prev", revUrn, olds, { ...base, apiKey: b.value, fingerprint: b.fingerprint, keyId: b.id, audit: audit(b.fingerprint) });
        } catch (e) {
            refusal = e;
        }
        expect((refusal as Error).message).toContain(`refused to deactivate ${bystander.id}`);
        expect(anthropic.key(bystander.id)!.status).toBe("active");

        // A key in an audit field (check would refuse it; sent straight to create here): the health failure
        // still names the URL, and says why no audit line was written.
        const healthUrn = urnOf(TYPE_HEALTH_CHECKS, "prod-health-leaky", "prod");
        health.script("/down2", { status: 503, body: {} });
        let err: unknown;
        try {
            await host.create(healthUrn, {
                __provider: texts.health!.text,
                checks: [{ url: health.at("/down2"), timeoutSeconds: 0.2, intervalSeconds: 0.05 }],
                fingerprint: b.fingerprint,
                audit: { ...audit(b.fingerprint), keyName: `oops-${b.value}` },
            });
        } catch (e) {
            err = e;
        }
        expect((err as Error).message).toContain(`${health.at("/down2")} did not pass`);
        expect((err as Error).message).toContain("(the audit line could not be written: audit log: refused to write a line because field(s) keyName contain(s) key material");
        expectNoLeaks({ error: (err as Error).message, refusal: (refusal as Error).message, stderr: host.stderr }, [a.value, b.value, adminKey]);
    });
    it("errors thrown by shared modules (Heroku release failure, a hanging URL) keep their text inside the host", async () => {
        heroku.seedApp("raxx-failing", { ANTHROPIC_API_KEY: oldKey.value }, 2);
        heroku.app("raxx-failing").releasePlan = ["failed"];
        await new HerokuApi({ apiUrl: heroku.url, env: { HEROKU_API_KEY: heroku.token } }).patchConfigVars("raxx-failing", { ANTHROPIC_API_KEY: newKey.value });
        const version = heroku.latestVersion("raxx-failing");
        const run = async (name: string, props: Record<string, unknown>) => {
            try {
                await host.create(urnOf(TYPE_HEALTH_CHECKS, name, "prod"), { __provider: texts.health!.text, fingerprint: newKey.fingerprint, audit: audit(newKey.fingerprint), ...props });
            } catch (e) {
                return (e as Error).message;
            }
            throw new Error("expected a failure");
        };
        const release = await run("prod-health-release", {
            checks: [],
            herokuReleases: [{ app: "raxx-failing", apiUrl: heroku.url, releaseVersion: version, releaseCreated: true }],
            releaseIntervalSeconds: 0.02,
        });
        expect(release).toContain(`heroku app raxx-failing: release v${version}`);
        expect(release).toContain("failed");
        expect(release).not.toContain("[object Object]");
        health.script("/hang", { hang: true });
        const hang = await run("prod-health-hang", { checks: [{ url: health.at("/hang"), timeoutSeconds: 0.8, intervalSeconds: 0.05 }] });
        expect(hang).toMatch(/last attempt got no answer: .*timed out/);
        expect(hang).not.toContain("[object Object]");
        expectNoLeaks({ release, hang }, [oldKey.value, newKey.value, heroku.token]);
    });
});
