import { join } from "path";
import { rehearse } from "../../offline/harness/rehearsal";
import { Sandbox, SANDBOX_STACK } from "../../offline/harness/sandbox";
import type { PhaseRunner } from "./types";

/**
 * Runs each phase through the engine-free harness: the real program under ts-node, every dynamic resource
 * through the real dynamic provider host, policies through the real policy pack, against the emulators.
 * Native-provider resources (GitHub secrets, commands) are recorded with the inputs the engine would send.
 */
export function harnessRunner(sb: Sandbox, dir: string, config: Readonly<Record<string, unknown>>): PhaseRunner {
    const statePath = join(dir, "state.json");
    return {
        mode: "harness",
        engine: "real program (ts-node), real dynamic provider host and policy pack, emulated services",
        async run(phase, key, { preview, policies }) {
            const startedAt = Date.now();
            const run = await rehearse({
                stack: SANDBOX_STACK,
                apiKey: key,
                config: sb.config(config),
                providerEnv: sb.providerEnv(),
                preview,
                statePath,
                policyPack: policies ? "policies" : undefined,
            });
            return {
                phase,
                runner: "harness",
                ok: run.exitCode === 0 && !run.error,
                ...(run.error || run.exitCode !== 0 ? { error: run.error ?? `the program runner exited with ${run.exitCode}` } : {}),
                startedAt,
                durationMs: Date.now() - startedAt,
                steps: run.steps,
                resources: run.registrations,
                stackOutputs: run.stackOutputs,
                policyDiagnostics: run.policyDiagnostics,
                withPolicies: policies,
                output: `${run.stdout}${run.stderr}`,
            };
        },
        async dispose() {},
    };
}
