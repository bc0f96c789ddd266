import { spawnSync } from "child_process";
import { mkdtempSync, readFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { beforeAll, describe, expect, it } from "vitest";
import { makeAdminKey, makeApiKey } from "../../offline/emulators/keys";
import { PROJECT_ROOT } from "../../offline/harness/providerHost";
import { expectNoLeaks } from "../audit/support";

/** The resource classes as the program registers them (Pulumi mocks, in a ts-node child). */

const apiKey = makeApiKey();
const adminKey = makeAdminKey();
let result: { registrations: { type: string; name: string; inputs: Record<string, unknown> }[]; outputs: Record<string, unknown> };

beforeAll(() => {
    const out = join(mkdtempSync(join(tmpdir(), "akr-register-")), "out.json");
    const child = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", join(__dirname, "registerResources.ts"), out], {
        cwd: PROJECT_ROOT,
        env: {
            PATH: process.env.PATH ?? "",
            HOME: process.env.HOME ?? "",
            TS_NODE_PROJECT: join(PROJECT_ROOT, "tsconfig.json"),
            AKR_TEST_API_KEY: apiKey,
            ANTHROPIC_ADMIN_API_KEY: adminKey,
        },
        encoding: "utf8",
        timeout: 60_000,
    });
    if (child.status !== 0) throw new Error(`registration failed: ${child.stderr}`);
    expectNoLeaks({ stdout: child.stdout, stderr: child.stderr }, [apiKey, adminKey]);
    result = JSON.parse(readFileSync(out, "utf8"));
}, 90_000);

describe("HealthChecks, PreviousKeyRevocation and RotationAudit as registered", () => {
    it("use the documented type tokens", () => {
        expect(result.registrations.map((r) => r.type)).toEqual([
            "pulumi-nodejs:dynamic/health:HealthChecks",
            "pulumi-nodejs:dynamic/anthropic:PreviousKeyRevocation",
            "pulumi-nodejs:dynamic/audit:RotationAudit",
        ]);
    });

    it("expose their outputs (not clobbered by class-field emit)", () => {
        expect(result.outputs).toMatchObject({
            healthResults: [{ url: "https://h.example/health", ok: true }],
            healthCheckedAt: "2026-11-23T10:00:00Z",
            revocationResult: "no previous key",
            revocationSummary: { mode: "verify", result: "no previous key" },
            auditRecord: { action: "secret.rotate.completed" },
        });
        expect(result.outputs.revocationPrevious).toBeNull();
        expect(result.outputs.auditFingerprint).toMatch(/^sha256:[0-9a-f]{12}$/);
    });

    it("carry a serialized provider with no key, no admin key and no key prefix; only the revocation takes the key", () => {
        for (const r of result.registrations) expect(typeof r.inputs.__provider).toBe("string");
        const [health, revocation, audit] = result.registrations;
        // The key is registered as a secret (Pulumi's secret signature around the value).
        const wrapped = revocation!.inputs.apiKey as Record<string, unknown>;
        expect(wrapped["4dabf18193072939515e22adb298388d"]).toBe("1b47061264138c4ac30d75fd1eb44270");
        expect(wrapped.value === apiKey, "the secret holds the key").toBe(true);
        expectNoLeaks(
            {
                providers: result.registrations.map((r) => String(r.inputs.__provider)).join("\n"),
                healthInputs: JSON.stringify(health!.inputs),
                auditInputs: JSON.stringify(audit!.inputs),
            },
            [apiKey, adminKey],
        );
    });
});
