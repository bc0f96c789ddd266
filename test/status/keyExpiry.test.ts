import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnthropicEmulator } from "../../offline/emulators/anthropicEmulator";
import type { OrgKey } from "../../tools/status/adminKeys";
import { applyKeyExpiry } from "../../tools/status/keyExpiryDue";
import { stackRow, StackKeyRow } from "../../tools/status/stackInventory";
import { readStackFile } from "../../components/config/stackFile";
import { join } from "path";
import { NOW, projectDir, removeDir, runInProcess } from "./helpers";

/**
 * `npm run status`: the due date is the earlier of the age-based one and the key's own expiry (`expires_at`,
 * known with --live), and the report says which applies. Clock: 2026-11-23; prod key of 2026-11-01, 90 days:
 * age-based due date 2027-01-30.
 */

process.env.ANTHROPIC_KEY_ROTATION_RETRY_BASE_MS = "1";
process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_DELAY_MS = "5";
process.env.ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS = "30000";

const NAME = "raxx-prod-agents-2026-11-01";
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

function prodRow(): StackKeyRow {
    const dir = projectDir({ prod: { keyName: NAME } });
    dirs.push(dir);
    return stackRow(readStackFile(join(dir, "Pulumi.prod.yaml"), "prod"), "Pulumi.prod.yaml", NOW);
}

const key = (over: Partial<OrgKey>): OrgKey => ({ id: "apikey_01X", name: NAME, status: "active", createdAt: "2026-11-01T09:00:00Z", workspaceId: null, expiresAt: null, ...over });

describe("applyKeyExpiry", () => {
    it("keeps the age-based due date when the key expires later or never, and says so (dueBy max-age)", () => {
        const [later] = applyKeyExpiry([prodRow()], [key({ expiresAt: "2027-02-13T09:00:00Z" })], NOW);
        expect(later).toMatchObject({ dueDate: "2027-01-30", daysLeft: 68, verdict: "ok", dueBy: "max-age", ageDueDate: "2027-01-30", expiresAt: "2027-02-13T09:00:00Z" });
        const [never] = applyKeyExpiry([prodRow()], [key({})], NOW);
        expect(never).toMatchObject({ dueDate: "2027-01-30", dueBy: "max-age", expiresAt: null });
    });

    it("takes the expiry when it comes first (dueBy expiry), with its days left, verdict and a note", () => {
        const [row] = applyKeyExpiry([prodRow()], [key({ expiresAt: "2026-12-01T09:00:00Z" })], NOW);
        expect(row).toMatchObject({ dueDate: "2026-12-01", daysLeft: 8, verdict: "due-soon", dueBy: "expiry", ageDueDate: "2027-01-30" });
        expect(row!.notes.at(-1)).toContain("the key expires on 2026-12-01 (Admin API expires_at), before its max-age due date 2027-01-30");
    });

    it("leaves a row alone whose key is not in the organisation, and reads keyId before the name", () => {
        const row = prodRow();
        expect(applyKeyExpiry([row], [key({ name: "other" })], NOW)[0]).toBe(row);
        const byId = { ...row, keyId: "apikey_01ById" };
        const [applied] = applyKeyExpiry([byId], [key({ expiresAt: "2026-11-20T00:00:00Z" }), key({ id: "apikey_01ById", name: "renamed", expiresAt: "2026-12-10T00:00:00Z" })], NOW);
        expect(applied).toMatchObject({ dueDate: "2026-12-10", dueBy: "expiry" });
    });
});

describe("npm run status -- --live", () => {
    const emulator = new AnthropicEmulator();
    let adminKey: string;
    beforeAll(async () => {
        await emulator.start();
        adminKey = emulator.addAdminKey();
    });
    afterAll(async () => {
        await emulator.stop();
    });

    it("shows the expiry as the due date when it is earlier, in the table and in --json", async () => {
        emulator.addKey({ name: NAME, createdAt: "2026-11-01T09:00:00Z", expiresAt: "2026-12-01T09:00:00Z" });
        const dir = projectDir({ prod: { keyName: NAME } });
        dirs.push(dir);
        const args = ["--live", "--anthropic-url", emulator.url, "--dir", dir];
        const text = await runInProcess(args, { env: { ANTHROPIC_ADMIN_API_KEY: adminKey } });
        expect(text.code).toBe(0);
        expect(text.stdout).toMatch(/2026-12-01 \(key expires\)\s+8\s+due soon/);
        const json = await runInProcess([...args, "--json"], { env: { ANTHROPIC_ADMIN_API_KEY: adminKey } });
        const row = (JSON.parse(json.stdout) as { stacks: StackKeyRow[] }).stacks[0]!;
        expect(row).toMatchObject({ dueDate: "2026-12-01", dueBy: "expiry", ageDueDate: "2027-01-30", expiresAt: "2026-12-01T09:00:00Z" });
    });

    it("an expired key is overdue by its expiry, and the exit reason says so", async () => {
        const name = "raxx-prod-agents-2026-11-02";
        emulator.addKey({ name, createdAt: "2026-11-02T09:00:00Z", expiresAt: "2026-11-20T09:00:00Z" });
        const dir = projectDir({ prod: { keyName: name } });
        dirs.push(dir);
        const res = await runInProcess(["--live", "--anthropic-url", emulator.url, "--dir", dir], { env: { ANTHROPIC_ADMIN_API_KEY: adminKey } });
        expect(res.code).toBe(2);
        expect(res.stdout).toContain(`stack prod: key ${name} expired on 2026-11-20 (its Admin API expires_at, before its max-age due date 2027-01-31); rotate it now`);
        expect(res.stdout).not.toContain(adminKey);
    });

    it("offline, the age-based due date stands and no dueBy is claimed", async () => {
        const dir = projectDir({ prod: { keyName: NAME } });
        dirs.push(dir);
        const json = await runInProcess(["--json", "--dir", dir]);
        const row = (JSON.parse(json.stdout) as { stacks: StackKeyRow[] }).stacks[0]!;
        expect(row.dueDate).toBe("2027-01-30");
        expect(row.dueBy).toBeUndefined();
    });
});
