import { mkdtempSync, readFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { fingerprint } from "../../components/domain/fingerprint";
import { redact } from "../../components/domain/keyFormat";
import { Sandbox, SANDBOX_STACK } from "../../offline/harness/sandbox";
import { PROJECT_ROOT } from "../../offline/harness/providerHost";
import { policies, POLICY_PACK_NAME } from "../../policies/rules";
import { locatePulumi } from "../toolchain/locate";
import { cliRunner } from "./cliRunner";
import { harnessRunner } from "./harnessRunner";
import { auditLines, consumerWrites, disturbedApps, healthHits, holdings, releaseCounts, revocationFacts, sandboxTargets } from "./observe";
import { buildReport } from "./report";
import type { RehearsalFacts, RehearsalReport } from "./reportTypes";
import type { Phase, PhaseResult, PhaseRunner } from "./types";

/**
 * A full rotation of the sandbox stack, as an operator runs it: key A is in place (adopted), key B is
 * created in the "Console", previewed with policies, then rolled out with policies. Every external API is a
 * loopback emulator; nothing leaves 127.0.0.1.
 */

export interface RehearsalOptions {
    /** Use the harness even when a Pulumi CLI is on PATH. */
    readonly forceHarness?: boolean;
    readonly env?: NodeJS.ProcessEnv;
    /** When the clock started (epoch ms); defaults to now. The script passes its own process start. */
    readonly startedAt?: number;
    /**
     * Health-check time limit for the rehearsal's checks, seconds (default: the sandbox stack file's). Tests on a
     * loaded machine raise it: the check's time limit is not what they judge.
     */
    readonly healthTimeoutSeconds?: number;
    /** Progress lines while the runs go (the report comes at the end). */
    readonly onProgress?: (line: string) => void;
}

function policyCatalog(): RehearsalFacts["policyCatalog"] {
    const rules: { policies: readonly { name: string; enforcementLevel?: string }[]; POLICY_PACK_NAME: string } = { policies, POLICY_PACK_NAME };
    const version = (JSON.parse(readFileSync(join(PROJECT_ROOT, "policies", "package.json"), "utf8")) as { version: string }).version;
    return { pack: rules.POLICY_PACK_NAME, version, policies: rules.policies.map((p) => ({ name: p.name, level: p.enforcementLevel ?? "advisory" })) };
}

/** Every string in the value, redacted: key-shaped runs and the given secrets become [REDACTED]. */
function deepRedact<T>(value: T, secrets: readonly string[]): T {
    return JSON.parse(JSON.stringify(value), (_k, v: unknown) => (typeof v === "string" ? redact(v, secrets) : v)) as T;
}

export async function runRehearsal(options: RehearsalOptions = {}): Promise<RehearsalReport> {
    const env = options.env ?? process.env;
    const progress = options.onProgress ?? (() => undefined);
    const started = options.startedAt ?? Date.now();
    const dir = mkdtempSync(join(tmpdir(), "akr-rehearse-"));
    const auditFile = join(dir, "audit", "rotations.jsonl");
    const sb = await Sandbox.start();
    const secrets = [sb.adminKey, sb.heroku.token, sb.infisical.clientSecret, sb.github.token];
    const phases: PhaseResult[] = [];
    const writesByPhase: Partial<Record<Phase, number>> = {};
    let runner: PhaseRunner | undefined;
    let setupError: string | undefined;
    const notes: string[] = [];
    try {
        const healthChecks = options.healthTimeoutSeconds === undefined ? undefined : (sb.config().healthChecks as Record<string, unknown>[]).map((c) => ({ ...c, timeoutSeconds: options.healthTimeoutSeconds }));
        const config = { auditLog: auditFile, ...(healthChecks ? { healthChecks } : {}) };
        const cli = options.forceHarness ? undefined : locatePulumi(env);
        const pulumi = cli ? (cli.source === "toolchain" ? `${cli.manifest.binDir}/pulumi (npm run toolchain, v${cli.manifest.pulumiVersion})` : `${cli.binDir}/pulumi (${cli.version})`) : undefined;
        try {
            runner = cli ? await cliRunner(sb, dir, config, cli) : harnessRunner(sb, dir, config);
        } catch (err) {
            setupError = (err as Error).message;
        }
        notes.push(
            pulumi
                ? `Pulumi CLI found at ${pulumi}: real pulumi preview/up with a local file backend (step times from the event log, 1 s resolution).`
                : options.forceHarness
                  ? "--harness given: the engine-free harness ran the rotation."
                  : "No Pulumi CLI found (neither `npm run toolchain`'s nor one on PATH): the engine-free harness ran the rotation. With the CLI, the same command runs real `pulumi preview`/`up`.",
        );
        const keyA = sb.createKey();
        const keyB = sb.createKey();
        secrets.push(keyA.value, keyB.value);
        const targets = sandboxTargets(sb.stackFile);
        const apps = targets.heroku.map((h) => h.app);
        let releasesDuringRotation: Record<string, number> = {};
        let rotateStart = 0;
        const plan: { phase: Phase; key: string; label: string; preview: boolean; policies: boolean }[] = [
            { phase: "adopt", key: keyA.value, label: `pulumi up with key A ${fingerprint(keyA.value)} (adopt)`, preview: false, policies: false },
            { phase: "preview", key: keyB.value, label: `pulumi preview --policy-pack policies with key B ${fingerprint(keyB.value)}`, preview: true, policies: true },
            { phase: "rotate", key: keyB.value, label: `pulumi up --policy-pack policies with key B ${fingerprint(keyB.value)}`, preview: false, policies: true },
        ];
        for (const step of plan) {
            if (!runner) break;
            progress(`▸ ${step.label} …`);
            const writes = consumerWrites(sb);
            const releases = releaseCounts(sb, apps);
            if (step.phase === "rotate") rotateStart = Date.now();
            const result = await runner.run(step.phase, step.key, { preview: step.preview, policies: step.policies });
            phases.push(result);
            writesByPhase[step.phase] = consumerWrites(sb) - writes;
            if (step.phase === "rotate") {
                const after = releaseCounts(sb, apps);
                releasesDuringRotation = Object.fromEntries(apps.map((a) => [a, after[a]! - releases[a]!]));
            }
            progress(`  ${result.ok ? "done" : "FAILED"} in ${(result.durationMs / 1000).toFixed(1)} s`);
            if (!result.ok) break;
        }
        const facts: RehearsalFacts = {
            mode: runner?.mode ?? "harness",
            engine: runner?.engine ?? "",
            stack: SANDBOX_STACK,
            keyName: sb.keyName(),
            startedAt: started,
            totalMs: Date.now() - started,
            keys: { old: fingerprint(keyA.value), new: fingerprint(keyB.value) },
            phases,
            writesByPhase,
            ...(setupError ? { setupError } : {}),
            holdings: holdings(sb, targets),
            releasesDuringRotation,
            disturbedApps: disturbedApps(sb, apps),
            healthHits: healthHits(sb),
            revocation: rotateStart ? revocationFacts(sb, keyA, keyB, rotateStart) : undefined,
            auditFile,
            auditLines: auditLines(auditFile),
            policyCatalog: policyCatalog(),
            notes,
        };
        const report = buildReport(facts);
        return sealReport(report, secrets, phases.map((p) => p.output));
    } finally {
        await runner?.dispose().catch(() => undefined);
        await sb.stop();
    }
}

/**
 * The last line of defence: the report and every run's output are scanned for the keys, the sandbox's
 * credentials and any key-shaped text. A find fails the rehearsal (as a check) and is redacted.
 */
export function sealReport(report: RehearsalReport, secrets: readonly string[], outputs: readonly string[]): RehearsalReport {
    const marker = ["sk", "ant", ""].join("-");
    const texts = [JSON.stringify(report), ...outputs];
    const leaked = texts.some((t) => t.includes(marker) || secrets.some((s) => s.length >= 8 && t.includes(s)));
    const check = {
        name: "no key in any output",
        ok: !leaked,
        detail: leaked ? "a key or credential appeared in the report or a run's output (redacted here)" : "report and every run's stdout/stderr scanned",
    };
    const sealed: RehearsalReport = { ...report, checks: [...report.checks, check], ok: report.ok && !leaked };
    if (leaked && !sealed.failure) Object.assign(sealed, { failure: { phase: "rotate", step: "leak scan", message: check.detail } });
    return deepRedact(sealed, secrets);
}
