import { existsSync, readFileSync } from "fs";
import { join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExposureReport } from "../../components/exposure/exposureTypes";
import { AnthropicEmulator, EmulatedKey } from "../../offline/emulators/anthropicEmulator";
import { makeAdminKey } from "../../offline/emulators/keys";
import { scanForLeaks } from "../support/leakScan";
import { NOW, NS, projectDir, removeDir, runInProcess, stackYaml } from "./helpers";
import { stringify, parse } from "yaml";

/** `npm run status -- --exposure`: by key id and by stack, flags and exit codes, the file, a missing or refused admin key. */

const anthropic = new AnthropicEmulator();
let adminKey: string;
let leaked: EmulatedKey;
let dir: string;

beforeAll(async () => {
    await anthropic.start();
    anthropic.now = () => NOW.getTime();
    adminKey = anthropic.addAdminKey(makeAdminKey());
    leaked = anthropic.addKey();
    // Office-hours traffic, and Opus at 03:00 UTC today: two flags (model, business hours), a spike too (no baseline before).
    anthropic.scriptTraffic(leaked.id, (m) => (m >= NOW.getTime() - 30 * 3_600_000 && new Date(m).getUTCHours() >= 9 && new Date(m).getUTCHours() < 11 ? 1 : 0));
    anthropic.modelUsage.script(leaked.id, "claude-opus-4-1-20250805", (m) => (m === Date.parse("2026-11-23T03:05:00Z") ? 4 : 0));
    const withEmergency = (id: string, extra: Record<string, unknown> = {}) => {
        const doc = parse(stackYaml({ keyName: "raxx-prod-agents-2026-11-01", environment: "prod" })) as { config: Record<string, unknown> };
        doc.config[`${NS}:emergency`] = { compromisedKey: id };
        doc.config[`${NS}:endpoints`] = { anthropic: anthropic.url };
        for (const [k, v] of Object.entries(extra)) doc.config[`${NS}:${k}`] = v;
        return stringify(doc);
    };
    dir = projectDir({
        prod: withEmergency(leaked.id),
        staging: withEmergency("sha256:0123456789ab"),
        dev: withEmergency(leaked.id, { exposure: { allowedModels: ["claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805"], businessHours: { start: 0, end: 24 }, spikeFactor: 5 } }),
    });
});
afterAll(async () => {
    await anthropic.stop();
    removeDir(dir);
});

const env = () => ({ ANTHROPIC_ADMIN_API_KEY: adminKey });

describe("npm run status -- --exposure", () => {
    it("by key id: the report, its flags, exit 2, and the file under audit/", async () => {
        const r = await runInProcess(["--exposure", leaked.id, "--dir", dir, "--anthropic-url", anthropic.url], { env: env() });
        expect(r.stderr).toBe("");
        expect(r.code).toBe(2);
        expect(r.stdout).toContain(`Exposure report for ${leaked.id}: 2026-11-21T12:00:00.000Z – 2026-11-23T12:00:00.000Z (48 h)`);
        expect(r.stdout).toContain("claude-opus-4-1-20250805  [NOT ALLOWED]: 4 requests");
        expect(r.stdout).toMatch(/- model-not-allowed: /);
        expect(r.stdout).toMatch(/- outside-business-hours: .*\[2026-11-23T03:00:00.000Z\]/);
        const file = join(dir, "audit", `exposure-${leaked.id}-2026-11-23.json`);
        expect(existsSync(file)).toBe(true);
        const report = JSON.parse(readFileSync(file, "utf8")) as ExposureReport;
        expect(report.keyId).toBe(leaked.id);
        expect(report.byHour.length).toBeGreaterThan(0);
        expect(scanForLeaks([{ name: "stdout", text: r.stdout }, { name: "file", text: readFileSync(file, "utf8") }], [leaked.value, adminKey])).toEqual([]);
    });

    it("by stack: its emergency.compromisedKey, its endpoint, and its exposure settings (--json, --hours)", async () => {
        const r = await runInProcess(["--exposure", "dev", "--dir", dir, "--json", "--hours", "24"], { env: env() });
        expect(r.code, r.stderr).toBe(2);
        const report = JSON.parse(r.stdout) as ExposureReport & { file: string };
        expect(report).toMatchObject({ status: "ready", keyId: leaked.id, window: { hours: 24, start: "2026-11-22T12:00:00.000Z" }, settings: { spikeFactor: 5 } });
        // Opus and every hour are allowed in dev: only the spike (no usage in the week before) is left.
        expect(report.flags.map((f) => f.kind)).toEqual(["usage-spike"]);
        expect(report.byModel.map((m) => m.model)).toEqual(["claude-opus-4-1-20250805", "claude-sonnet-4-5-20250929"]);
        const prod = await runInProcess(["--exposure", "prod", "--dir", dir, "--json"], { env: env() });
        expect(prod.code).toBe(2);
        expect((JSON.parse(prod.stdout) as ExposureReport).flags.map((f) => f.kind)).toEqual(["model-not-allowed", "outside-business-hours", "usage-spike"]);
    });

    it("a stack naming the leaked key by fingerprint only, or an unknown name: a usage error that says what to pass", async () => {
        const fp = await runInProcess(["--exposure", "staging", "--dir", dir], { env: env() });
        expect(fp.code).toBe(1);
        expect(fp.stderr).toContain("emergency.compromisedKey is the fingerprint sha256:0123456789ab");
        const unknown = await runInProcess(["--exposure", "nope", "--dir", dir], { env: env() });
        expect(unknown.code).toBe(1);
        expect(unknown.stderr).toContain("neither a key id (apikey_…) nor a stack of this project (stacks: dev, prod, staging)");
        expect((await runInProcess(["--exposure", leaked.id, "--hours", "500", "--dir", dir], { env: env() })).stderr).toContain("--hours must be a whole number from 1 to 168");
    });

    it("admin key missing or refused: unavailable, exit 1, the key never printed", async () => {
        const missing = await runInProcess(["--exposure", "prod", "--dir", dir], { env: {} });
        expect(missing.code).toBe(1);
        expect(missing.stderr).toContain("exposure report unavailable: ANTHROPIC_ADMIN_API_KEY is not set");
        const wrong = makeAdminKey();
        const refused = await runInProcess(["--exposure", "prod", "--dir", dir], { env: { ANTHROPIC_ADMIN_API_KEY: wrong } });
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/exposure report unavailable: GET .* answered HTTP 401/);
        expect(scanForLeaks([{ name: "stderr", text: refused.stderr + refused.stdout }], [wrong])).toEqual([]);
    });
});
