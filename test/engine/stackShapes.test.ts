/**
 * The committed prod and staging stack shapes through the real CLI against the emulators (seeded with each
 * stack's own apps, repositories and Infisical project; endpoints and health URLs pointed at 127.0.0.1), and
 * a planted mandatory policy violation that must stop both the preview and the update before any write.
 */
import { afterEach, describe, expect, it } from "vitest";
import { readFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";
import { addDays, formatIsoDate, utcToday } from "../../components/domain/dates";
import { maxAgeDaysFor } from "../../components/domain/rotationAge";
import { fingerprint } from "../../components/domain/fingerprint";
import { HEALTH_PATH, Sandbox } from "../../offline/harness/sandbox";
import { PROJECT_ROOT } from "../../offline/harness/providerHost";
import { consumerWrites } from "../../tools/rehearse/observe";
import { EngineStack, realEngineAvailability, requireCli } from "./realEngine";

const { cli, required } = realEngineAvailability();
// Generous: a real `pulumi up` takes 1–4 minutes on a loaded two-core machine; the limit only stops a hang.
const STEP = 900_000;

interface StackTargets {
    infisical?: { projectId: string; environment: string; secretPath?: string; secretName?: string }[];
    heroku?: { app: string; vars: string[] }[];
    github?: { repository: string; environment?: string; secretName: string }[];
    commands?: { name: string }[];
}

function stackConfig(stack: string): Record<string, unknown> {
    return (parse(readFileSync(join(PROJECT_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> }).config;
}

/** Seeds the emulators with what a committed stack file names, and returns the overrides that point it there. */
function seedFor(sb: Sandbox, stack: string, date = sb.today): { overrides: Record<string, unknown>; targets: StackTargets; keyName: string; workspace: string } {
    const config = stackConfig(stack);
    const targets = config["anthropic-key-rotation:targets"] as StackTargets;
    for (const h of targets.heroku ?? []) sb.heroku.seedApp(h.app, { OTHER: "kept" });
    for (const g of targets.github ?? []) sb.github.addRepository(g.repository.includes("/") ? g.repository : `raxx-app/${g.repository}`);
    for (const i of targets.infisical ?? []) {
        sb.infisical.addProject(i.projectId, [i.environment]);
        if (i.secretPath && i.secretPath !== "/") sb.infisical.addFolder(i.projectId, i.environment, i.secretPath);
    }
    const keyName = `raxx-${stack}-agents-${date}`;
    const checks = (config["anthropic-key-rotation:healthChecks"] as { url: string }[]).map((c) => ({ ...c, url: sb.health.at(HEALTH_PATH), timeoutSeconds: 300, intervalSeconds: 1 }));
    return {
        overrides: { keyName, healthChecks: checks },
        targets,
        keyName,
        workspace: config["anthropic-key-rotation:workspace"] as string,
    };
}

describe.runIf(cli !== undefined || required)("real engine: the committed stack shapes", () => {
    let stack: EngineStack | undefined;
    afterEach(async () => {
        await stack?.dispose();
        stack = undefined;
    });

    it("prod: preview with the policy pack writes nothing; up puts the key on every prod consumer", async () => {
        stack = await EngineStack.start(requireCli(cli), { stack: "prod" });
        const seeded = seedFor(stack.sb, "prod");
        stack.setConfig(seeded.overrides);
        // As a prod key is created in the Console: owned by a service account, expiring two weeks after its
        // rotation is due (validation.requireExpiry is mandatory for prod).
        const expiresAt = addDays(utcToday(), maxAgeDaysFor("prod") + 14).toISOString();
        const key = stack.sb.createKey({ name: seeded.keyName, workspaceId: seeded.workspace, expiresAt, principal: { type: "service_account", id: "svac_01RaxxProdRotation" } });
        await stack.setKey(key.value);

        const preview = await stack.preview(stack.policyArgs());
        expect(preview.code, preview.stderr + preview.stdout).toBe(0);
        expect(consumerWrites(stack.sb)).toBe(0);

        const up = await stack.up(stack.policyArgs());
        expect(up.code, up.stderr + up.stdout).toBe(0);
        for (const h of seeded.targets.heroku ?? []) {
            for (const v of h.vars) expect(fingerprint(stack.sb.heroku.configVars(h.app)[v] ?? ""), `${h.app} ${v}`).toBe(key.fingerprint);
            expect(stack.sb.heroku.configVars(h.app).OTHER).toBe("kept");
        }
        for (const g of seeded.targets.github ?? []) {
            const scope = g.environment ? `env:${g.repository}:${g.environment}` : `repo:${g.repository}`;
            expect(fingerprint(stack.sb.github.secret(scope, g.secretName)?.value ?? ""), `${scope} ${g.secretName}`).toBe(key.fingerprint);
        }
        expect(await stack.leaks([key.value])).toEqual([]);
        expect(stack.guard.attempts).toEqual([]);
    }, STEP);

    const commandUnavailable = cli?.source === "toolchain" ? cli.manifest.unavailable.find((p) => p.name === "pulumi-resource-command") : undefined;

    it("staging without its command target: preview with the policy pack writes nothing and passes", async () => {
        stack = await EngineStack.start(requireCli(cli), { stack: "staging" });
        const seeded = seedFor(stack.sb, "staging");
        stack.setConfig({ ...seeded.overrides, targets: { ...seeded.targets, commands: [] } });
        const key = stack.sb.createKey({ name: seeded.keyName, workspaceId: seeded.workspace });
        await stack.setKey(key.value);
        const preview = await stack.preview(stack.policyArgs());
        expect(preview.code, preview.stderr + preview.stdout).toBe(0);
        expect(consumerWrites(stack.sb)).toBe(0);
    }, STEP);

    it.skipIf(commandUnavailable !== undefined)(
        `staging with its command target runs the command with the key in its environment only${commandUnavailable ? ` (skipped: ${commandUnavailable.name} ${commandUnavailable.version} cannot be built here)` : ""}`,
        async () => {
            stack = await EngineStack.start(requireCli(cli), { stack: "staging" });
            const seeded = seedFor(stack.sb, "staging");
            stack.setConfig({
                ...seeded.overrides,
                targets: { ...seeded.targets, commands: [{ name: "probe", create: `printf '%s' "$ANTHROPIC_API_KEY" | sha256sum > ${join(stack.dir, "probe.txt")}` }] },
            });
            const key = stack.sb.createKey({ name: seeded.keyName, workspaceId: seeded.workspace });
            await stack.setKey(key.value);
            const up = await stack.up();
            expect(up.code, up.stderr + up.stdout).toBe(0);
            expect(readFileSync(join(stack.dir, "probe.txt"), "utf8")).toContain(key.fingerprint.replace("sha256:", "").slice(0, 12));
        },
        STEP,
    );

    it("a planted mandatory violation (a key past its maximum age) fails the preview and stops the update before any write", async () => {
        stack = await EngineStack.start(requireCli(cli));
        const old = new Date(Date.now() - 200 * 86_400_000);
        const keyName = stack.sb.keyName(formatIsoDate(old));
        stack.setConfig({ keyName });
        const key = stack.sb.createKey({ name: keyName });
        await stack.setKey(key.value);

        const preview = await stack.preview(stack.policyArgs());
        expect(preview.code).not.toBe(0);
        expect(preview.stdout + preview.stderr).toContain("anthropic-key-max-age");
        expect(preview.stdout + preview.stderr).toMatch(/mandatory/);

        const up = await stack.up(stack.policyArgs());
        expect(up.code).not.toBe(0);
        expect(up.stdout + up.stderr).toContain("anthropic-key-max-age");
        expect(consumerWrites(stack.sb)).toBe(0);
        expect(stack.sb.anthropic.calls({ fingerprint: key.fingerprint }).length, "not even the validation call").toBe(0);
    }, STEP);
});
