/**
 * The assembled toolchain's description, written as `toolchain.json` in its bin directory. Tests, `npm run
 * rehearse` and `npm run bench` read it to find the CLI and the provider binaries to install into a private
 * PULUMI_HOME.
 */
import * as fs from "fs";
import * as path from "path";

export interface ProviderBinary {
    readonly name: string;
    readonly version: string;
    /** Absolute path of the provider binary (not on PATH; installed with `pulumi plugin install --file`). */
    readonly path: string;
}

export interface MissingPart {
    readonly name: string;
    readonly version: string;
    readonly reason: string;
}

export interface ToolchainManifest {
    readonly schema: 1;
    /** Holds `pulumi`, the bundled Node.js language host and the dynamic-provider shim. Put it first on PATH. */
    readonly binDir: string;
    readonly pulumiVersion: string;
    readonly languageHostVersion: string;
    readonly providers: readonly ProviderBinary[];
    /** Parts this machine cannot build, with the reason: suites that need them must say so, not fail. */
    readonly unavailable: readonly MissingPart[];
}

export const MANIFEST_FILE = "toolchain.json";

export function writeManifest(manifest: ToolchainManifest): void {
    fs.writeFileSync(path.join(manifest.binDir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + "\n");
}

/** Reads and checks a manifest; undefined when the directory holds none or any binary it names is missing. */
export function readManifest(binDir: string): ToolchainManifest | undefined {
    const file = path.join(binDir, MANIFEST_FILE);
    if (!fs.existsSync(file)) return undefined;
    const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as ToolchainManifest;
    if (manifest.schema !== 1) return undefined;
    const binaries = [path.join(binDir, "pulumi"), ...manifest.providers.map((p) => p.path)];
    return binaries.every((b) => fs.existsSync(b)) ? manifest : undefined;
}
