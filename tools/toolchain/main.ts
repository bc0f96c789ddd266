/**
 * `npm run toolchain`: builds, or finds already built, the real Pulumi CLI, its Node.js language host, the
 * dynamic-provider shim and the GitHub provider plugin from Go modules, and prints the bin directory.
 *
 *   npm run -s toolchain            prints the bin directory on stdout (progress on stderr)
 *   npm run -s toolchain -- --json  prints the manifest
 *
 * Exit codes: 0 ready, 1 a part could not be fetched or built (the message names its module), 2 wrong option.
 */
import * as path from "path";
import { assembleToolchain } from "./assemble";
import { ToolchainError } from "./goBuild";

function main(argv: readonly string[]): number {
    const unknown = argv.filter((a) => a !== "--json");
    if (unknown.length > 0) {
        process.stderr.write(`toolchain: unknown option ${unknown.join(" ")} (only --json)\n`);
        return 2;
    }
    const started = Date.now();
    try {
        const result = assembleToolchain({
            repoRoot: path.resolve(__dirname, "..", ".."),
            log: (line) => process.stderr.write(`${line}\n`),
        });
        const { manifest } = result;
        for (const missing of manifest.unavailable) {
            process.stderr.write(`toolchain: ${missing.name} ${missing.version} not built: ${missing.reason}\n`);
        }
        const verb = result.built.length === 0 ? "found in cache" : `built ${result.built.map((b) => b.name).join(", ")}`;
        process.stderr.write(`toolchain: pulumi v${manifest.pulumiVersion} ready (${verb}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
        process.stdout.write(argv.includes("--json") ? `${JSON.stringify(manifest, null, 2)}\n` : `${manifest.binDir}\n`);
        return 0;
    } catch (error) {
        if (error instanceof ToolchainError) {
            process.stderr.write(`${error.message}\n`);
            return 1;
        }
        throw error;
    }
}

process.exitCode = main(process.argv.slice(2));
