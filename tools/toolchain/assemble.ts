/**
 * Builds (or finds in the cache) every buildable part and assembles one bin directory with a manifest.
 */
import * as fs from "fs";
import * as path from "path";
import { binDirFor, cacheRoot, partDir } from "./cacheKey";
import { buildPart, downloadModule, requireGo, ToolchainError } from "./goBuild";
import { ToolchainManifest, readManifest, writeManifest } from "./manifest";
import { DYNAMIC_PROVIDER_SHIM, GO_PARTS, LANGUAGE_HOST_VERSION, PULUMI_VERSION, UNAVAILABLE_PARTS } from "./parts";
import { providerMismatches } from "./sdkVersions";

export interface AssembleOptions {
    readonly repoRoot: string;
    readonly env?: NodeJS.ProcessEnv;
    /** Progress lines (stderr in the CLI). */
    readonly log: (line: string) => void;
}

export interface AssembleResult {
    readonly manifest: ToolchainManifest;
    readonly built: readonly { name: string; seconds: number }[];
    readonly cached: readonly string[];
}

/** Hard-links a file into place (the engine resolves bundled plugins beside the real `pulumi` file), or copies. */
function place(from: string, to: string): void {
    fs.rmSync(to, { force: true });
    try {
        fs.linkSync(from, to);
    } catch {
        fs.copyFileSync(from, to);
    }
    fs.chmodSync(to, 0o755);
}

export function assembleToolchain(options: AssembleOptions): AssembleResult {
    const mismatches = providerMismatches(options.repoRoot, GO_PARTS);
    if (mismatches.length > 0) {
        throw new ToolchainError(
            mismatches
                .map((m) => `toolchain: ${m.npmPackage} is ${m.locked ?? "not installed"} in package-lock.json but the plugin wrapper builds ${m.plugin}; pin the SDK to ${m.plugin} or move the wrapper module`)
                .join("\n"),
        );
    }
    const root = cacheRoot(options.env);
    const binDir = binDirFor(root);
    const existing = readManifest(binDir);
    if (existing) return { manifest: existing, built: [], cached: GO_PARTS.map((p) => p.name) };

    const goVersion = requireGo();
    options.log(`toolchain: ${goVersion}, cache ${root}`);
    const built: { name: string; seconds: number }[] = [];
    const cached: string[] = [];
    const binaryOf = new Map<string, string>();
    for (const part of GO_PARTS) {
        const file = path.join(partDir(root, part), part.binary);
        if (fs.existsSync(file)) {
            cached.push(part.name);
        } else {
            options.log(`toolchain: building ${part.name} ${part.version} (tools/toolchain/modules/${part.module}) …`);
            const started = Date.now();
            buildPart(part, file);
            const seconds = (Date.now() - started) / 1000;
            built.push({ name: part.name, seconds });
            options.log(`toolchain: built ${part.name} in ${seconds.toFixed(0)} s`);
        }
        binaryOf.set(part.name, file);
    }

    const staging = `${binDir}.partial-${process.pid}`;
    fs.rmSync(staging, { recursive: true, force: true });
    fs.mkdirSync(path.join(staging, "providers"), { recursive: true });
    const providers: { name: string; version: string; path: string }[] = [];
    for (const part of GO_PARTS) {
        const from = binaryOf.get(part.name) as string;
        if (part.role === "provider") {
            place(from, path.join(staging, "providers", part.binary));
            providers.push({ name: part.binary.replace(/^pulumi-resource-/, ""), version: part.version, path: path.join(binDir, "providers", part.binary) });
        } else {
            place(from, path.join(staging, part.binary));
        }
    }
    const sdkDir = downloadModule(DYNAMIC_PROVIDER_SHIM.module, DYNAMIC_PROVIDER_SHIM.version);
    // Module zips drop the executable bit: copy the shim and make it executable again.
    fs.copyFileSync(path.join(sdkDir, DYNAMIC_PROVIDER_SHIM.file), path.join(staging, DYNAMIC_PROVIDER_SHIM.binary));
    fs.chmodSync(path.join(staging, DYNAMIC_PROVIDER_SHIM.binary), 0o755);

    fs.rmSync(binDir, { recursive: true, force: true });
    fs.renameSync(staging, binDir);
    const manifest: ToolchainManifest = {
        schema: 1,
        binDir,
        pulumiVersion: PULUMI_VERSION,
        languageHostVersion: LANGUAGE_HOST_VERSION,
        providers,
        unavailable: UNAVAILABLE_PARTS.map((p) => ({ name: p.name, version: p.version, reason: p.reason })),
    };
    writeManifest(manifest);
    return { manifest, built, cached };
}
