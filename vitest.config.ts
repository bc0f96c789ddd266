import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts", "policies/test/**/*.test.ts"],
        environment: "node",
        globalSetup: ["test/globalSetup.ts"],
        pool: "forks",
        // Suites that start the real provider host or policy analyzer spawn Node processes: give them room.
        testTimeout: 60_000,
        hookTimeout: 60_000,
        reporters: ["default"],
    },
});
