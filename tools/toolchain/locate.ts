/**
 * Finds a usable Pulumi CLI for the real-engine suite, `npm run rehearse` and `npm run bench`: the toolchain this
 * checkout's wrapper modules describe (built by `npm run toolchain`), else a `pulumi` on PATH.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { binDirFor, cacheRoot } from "./cacheKey";
import { ToolchainManifest, readManifest } from "./manifest";

export type LocatedCli =
    | { readonly source: "toolchain"; readonly manifest: ToolchainManifest }
    | { readonly source: "path"; readonly binDir: string; readonly version: string };

function onPath(name: string, searchPath: string): string | undefined {
    for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
        const candidate = path.join(dir, name);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            return candidate;
        } catch {
            /* not here */
        }
    }
    return undefined;
}

export function locatePulumi(env: NodeJS.ProcessEnv = process.env): LocatedCli | undefined {
    const manifest = readManifest(binDirFor(cacheRoot(env)));
    if (manifest) return { source: "toolchain", manifest };
    const binary = onPath("pulumi", env.PATH ?? "");
    if (!binary) return undefined;
    const version = spawnSync(binary, ["version"], { encoding: "utf8", env: { ...env, PULUMI_SKIP_UPDATE_CHECK: "true" } });
    if (version.status !== 0) return undefined;
    return { source: "path", binDir: path.dirname(binary), version: version.stdout.trim() };
}

export const ENABLE_HINT =
    "real-engine suite skipped: no Pulumi CLI found. Run `npm run toolchain` (needs Go; builds the CLI and plugins " +
    "from Go modules, tens of minutes cold, seconds when cached) or put `pulumi` on PATH.";
