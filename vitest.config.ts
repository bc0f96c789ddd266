import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts", "policies/test/**/*.test.ts"],
        environment: "node",
        globalSetup: ["test/globalSetup.ts"],
        pool: "forks",
        // vitest defaults to (cores - 1) workers: one on a 2-core machine. Many suites wait on child processes,
        // sockets and retry back-offs rather than the CPU, so three workers keep both cores busy.
        maxWorkers: 3,
        // Suites that start the real provider host or policy analyzer spawn Node processes: give them room. Most of
        // that work is in hooks (a suite's rehearsals run once, in beforeAll): their limit only stops a hang, so it
        // is far above what a loaded machine needs (test/support/timeouts.ts: 60 s hooks timed out at load 13–18
        // on two cores). Hooks and tests that run several rehearsals set PROCESSES_SETUP_MS from there.
        testTimeout: 60_000,
        hookTimeout: 30 * 60_000,
        reporters: ["default"],
    },
});
