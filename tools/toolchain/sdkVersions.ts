/**
 * The provider plugins must be the versions the npm SDKs ask for: the Node.js language host reports every
 * installed `@pulumi/*` package with `"pulumi": {"resource": true}` as a required plugin at its own version.
 */
import * as fs from "fs";
import * as path from "path";

interface LockFile {
    packages: Record<string, { version?: string }>;
}

export function lockedVersion(repoRoot: string, npmPackage: string): string | undefined {
    const lock = JSON.parse(fs.readFileSync(path.join(repoRoot, "package-lock.json"), "utf8")) as LockFile;
    return lock.packages[`node_modules/${npmPackage}`]?.version;
}

export interface VersionMismatch {
    readonly npmPackage: string;
    readonly locked: string | undefined;
    readonly plugin: string;
}

export function providerMismatches(
    repoRoot: string,
    parts: readonly { npmSdk?: string; version: string }[],
): VersionMismatch[] {
    return parts
        .filter((p): p is { npmSdk: string; version: string } => p.npmSdk !== undefined)
        .map((p) => ({ npmPackage: p.npmSdk, locked: lockedVersion(repoRoot, p.npmSdk), plugin: p.version }))
        .filter((m) => m.locked !== m.plugin);
}
