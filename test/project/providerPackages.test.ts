import { existsSync, readdirSync, readFileSync } from "fs";
import { join } from "path";
import { describe, expect, it } from "vitest";

/**
 * The Node.js language host reports every installed `@pulumi/*` package whose package.json says
 * `"pulumi": {"resource": true}` as a plugin the program needs, at the version in `pulumi.version` (else the
 * package's own `version`), and the CLI installs exactly that plugin before every preview and update. A provider
 * SDK whose version does not name a released plugin (like the deprecated mis-publish `@pulumi/command@4.5.0`,
 * which asks for `resource-command v4.5.0`; pulumi-command never released a v4) stops every run of every stack
 * before its first resource. These checks read only what `npm ci` installed: no network.
 */

const ROOT = join(__dirname, "..", "..");

/** Versions the registry marks deprecated or that name no released plugin. Add to it when one is found. */
const KNOWN_BAD: Readonly<Record<string, readonly string[]>> = {
    "@pulumi/command": ["4.5.0"],
};

/** Plain semver, as plugin versions are written: no leading `v`, no range. */
const PLAIN_SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

interface PackageJson {
    readonly name: string;
    readonly version: string;
    readonly scripts?: Record<string, string>;
    readonly pulumi?: { readonly resource?: boolean; readonly name?: string; readonly version?: string };
    readonly dependencies?: Record<string, string>;
}

interface ProviderSdk {
    readonly dir: string;
    readonly pkg: PackageJson;
}

function readJson<T>(path: string): T {
    return JSON.parse(readFileSync(path, "utf8")) as T;
}

/** Every installed `@pulumi/*` package marked as a resource provider, in the root and the policy pack. */
function installedProviderSdks(): ProviderSdk[] {
    const found: ProviderSdk[] = [];
    for (const modules of [join(ROOT, "node_modules"), join(ROOT, "policies", "node_modules")]) {
        const scope = join(modules, "@pulumi");
        if (!existsSync(scope)) continue;
        for (const name of readdirSync(scope)) {
            const file = join(scope, name, "package.json");
            if (!existsSync(file)) continue;
            const pkg = readJson<PackageJson>(file);
            if (pkg.pulumi?.resource === true) found.push({ dir: join(scope, name), pkg });
        }
    }
    return found;
}

describe("installed @pulumi provider SDKs name a plugin the CLI can install", () => {
    const sdks = installedProviderSdks();
    const rootPackage = readJson<PackageJson>(join(ROOT, "package.json"));
    const lock = readJson<{ packages: Record<string, { version?: string }> }>(join(ROOT, "package-lock.json"));

    it("finds the provider SDKs the program uses", () => {
        expect(sdks.map((s) => s.pkg.name).sort()).toEqual(expect.arrayContaining(["@pulumi/command", "@pulumi/github"]));
    });

    it.each(installedProviderSdks().map((s) => [s.pkg.name, s] as const))("%s: plain semver, and pulumi.version equals the package version", (name, { pkg }) => {
        expect(pkg.version, `${name}: version "${pkg.version}" is not plain semver (a leading "v" is a mis-publish)`).toMatch(PLAIN_SEMVER);
        expect(pkg.pulumi?.version, `${name}: package.json has no pulumi.version, so the plugin version is not declared`).toBeDefined();
        expect(pkg.pulumi?.version, `${name}: pulumi.version names plugin ${pkg.pulumi?.version} but the package is ${pkg.version}`).toBe(pkg.version);
    });

    it.each(installedProviderSdks().map((s) => [s.pkg.name, s] as const))("%s: its install script asks for the same plugin version", (name, { pkg }) => {
        const install = pkg.scripts?.install;
        if (install === undefined) return;
        const asked = /install-pulumi-plugin\.js\s+resource\s+(\S+)\s+(\S+)/.exec(install);
        expect(asked, `${name}: unexpected install script ${install}`).not.toBeNull();
        expect(asked![1], `${name}: install script names plugin ${asked![1]}`).toBe(pkg.pulumi?.name);
        expect(asked![2], `${name}: install script asks for plugin ${asked![2]} but the package is ${pkg.version}`).toBe(pkg.version);
    });

    it.each(installedProviderSdks().map((s) => [s.pkg.name, s] as const))("%s: not a known deprecated or mis-published version", (name, { pkg }) => {
        const bad = KNOWN_BAD[name] ?? [];
        expect(bad, `${name}@${pkg.version} is deprecated or names no released plugin: move to a released version`).not.toContain(pkg.version.replace(/^v/, ""));
    });

    it.each(installedProviderSdks().map((s) => [s.pkg.name, s] as const))("%s: pinned exactly in package.json and package-lock.json", (name, { pkg }) => {
        const spec = rootPackage.dependencies?.[name];
        expect(spec, `${name} is installed but not a direct dependency in package.json`).toBeDefined();
        // A range would let `npm install` move to a version whose plugin cannot be built here (README, dependencies).
        expect(spec, `${name}: pin the exact version ("${pkg.version}"), not a range`).toBe(pkg.version);
        expect(lock.packages[`node_modules/${name}`]?.version, `${name}: package-lock.json disagrees; run npm install`).toBe(pkg.version);
    });

    it("the version checks reject the mis-published @pulumi/command 4.5.0", () => {
        const misPublished = { version: "v4.5.0", scripts: { install: "node scripts/install-pulumi-plugin.js resource command v4.5.0" } };
        expect(misPublished.version).not.toMatch(PLAIN_SEMVER);
        expect(KNOWN_BAD["@pulumi/command"]).toContain(misPublished.version.replace(/^v/, ""));
    });
});
