/**
 * Cache keys for built binaries: a hash of everything that decides what a wrapper module builds (its go.mod,
 * go.sum and Go sources, the package, the linker flags and tags). A second `npm run toolchain` with unchanged
 * wrappers finds every binary and builds nothing.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GO_PARTS, GoPart, DYNAMIC_PROVIDER_SHIM } from "./parts";

/** Bumped when the way binaries are built or laid out changes. */
const LAYOUT_VERSION = "1";

export const MODULES_DIR = path.join(__dirname, "modules");

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
    if (env.AKR_TOOLCHAIN_CACHE) return path.resolve(env.AKR_TOOLCHAIN_CACHE);
    const base = env.XDG_CACHE_HOME ? env.XDG_CACHE_HOME : path.join(os.homedir(), ".cache");
    return path.join(base, "anthropic-key-rotation", "toolchain");
}

/** go.mod, go.sum and every .go file of a wrapper module, relative paths, sorted. */
function moduleFiles(dir: string, prefix = ""): string[] {
    const files: string[] = [];
    for (const entry of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
        const rel = path.join(prefix, entry.name);
        if (entry.isDirectory()) files.push(...moduleFiles(dir, rel));
        else if (entry.name === "go.mod" || entry.name === "go.sum" || entry.name.endsWith(".go")) files.push(rel);
    }
    return files.sort();
}

export function partKey(part: GoPart): string {
    const hash = crypto.createHash("sha256");
    hash.update(`layout ${LAYOUT_VERSION}\n`);
    hash.update(JSON.stringify({ goPackage: part.goPackage, ldflagsX: part.ldflagsX, tags: part.buildTags ?? [] }));
    const dir = path.join(MODULES_DIR, part.module);
    for (const file of moduleFiles(dir)) {
        hash.update(`\n${file}\n`);
        hash.update(fs.readFileSync(path.join(dir, file)));
    }
    return hash.digest("hex").slice(0, 16);
}

/** The key of the assembled toolchain: every part's key plus the shim's version. */
export function toolchainKey(parts: readonly GoPart[] = GO_PARTS): string {
    const hash = crypto.createHash("sha256");
    hash.update(`layout ${LAYOUT_VERSION}\n${DYNAMIC_PROVIDER_SHIM.module}@${DYNAMIC_PROVIDER_SHIM.version}\n`);
    for (const part of parts) hash.update(`${part.name} ${part.version} ${partKey(part)}\n`);
    return hash.digest("hex").slice(0, 16);
}

export function partDir(root: string, part: GoPart): string {
    return path.join(root, "parts", `${part.name}-${part.version}-${partKey(part)}`);
}

export function binDirFor(root: string): string {
    return path.join(root, `bin-${toolchainKey()}`);
}
