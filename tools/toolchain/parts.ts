/**
 * The parts of the real Pulumi toolchain this project builds from Go modules, and the ones it cannot.
 *
 * Each buildable part is a small wrapper module under `modules/` (go.mod, go.sum and, for the GitHub provider, a
 * tiny main.go). Versions are pinned there; the provider versions must equal the npm SDK versions in
 * package-lock.json (checked by `npm run toolchain` and by test/toolchain).
 */

/** Where a built binary goes in the assembled toolchain. */
export type PartRole =
    /** The CLI itself, first on PATH. */
    | "cli"
    /** Bundled next to the CLI: the engine finds it beside the resolved `pulumi` binary. */
    | "bundled"
    /** A resource provider, installed into PULUMI_HOME with `pulumi plugin install --file`, never put on PATH. */
    | "provider";

export interface GoPart {
    readonly name: string;
    readonly role: PartRole;
    /** Folder under tools/toolchain/modules. */
    readonly module: string;
    /** The Go package to build, relative to the wrapper module (a module path or "."). */
    readonly goPackage: string;
    /** The binary's file name. */
    readonly binary: string;
    /** The version it reports; for providers, the plugin version it is installed under. */
    readonly version: string;
    /** `-X` settings for the linker. */
    readonly ldflagsX: readonly string[];
    readonly buildTags?: readonly string[];
    /** For providers: the npm SDK whose version must equal `version`. */
    readonly npmSdk?: string;
}

/** A part that cannot be built on this machine, with the reason and what was tried. */
export interface UnavailablePart {
    readonly name: string;
    readonly role: PartRole;
    readonly version: string;
    readonly npmSdk?: string;
    readonly reason: string;
}

export const PULUMI_VERSION = "3.274.1";
/** The newest Node.js language host the module proxy serves (see modules/language-nodejs/go.mod). */
export const LANGUAGE_HOST_VERSION = "3.68.0";
export const GITHUB_PROVIDER_VERSION = "6.12.1";
export const COMMAND_PROVIDER_VERSION = "1.2.1";

export const GO_PARTS: readonly GoPart[] = [
    {
        name: "pulumi",
        role: "cli",
        module: "pulumi",
        goPackage: "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
        binary: "pulumi",
        version: PULUMI_VERSION,
        ldflagsX: [`github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${PULUMI_VERSION}`],
        buildTags: ["osusergo", "grpcnotrace"],
    },
    {
        name: "pulumi-language-nodejs-host",
        role: "bundled",
        module: "language-nodejs",
        goPackage: "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs",
        // Started by the front below, which takes the name the engine looks for.
        binary: `pulumi-language-nodejs-${LANGUAGE_HOST_VERSION}`,
        version: LANGUAGE_HOST_VERSION,
        ldflagsX: [`github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${LANGUAGE_HOST_VERSION}`],
    },
    {
        // The v3.68.0 host lacks RunPlugin, which the v3.274 engine uses to start Node.js policy packs: this
        // small front (modules/pulumi/languageshim) forwards every other RPC to the real host and runs policy
        // packs itself.
        name: "pulumi-language-nodejs",
        role: "bundled",
        module: "pulumi",
        goPackage: "./languageshim",
        binary: "pulumi-language-nodejs",
        version: LANGUAGE_HOST_VERSION,
        ldflagsX: [],
    },
    {
        name: "pulumi-resource-github",
        role: "provider",
        module: "provider-github",
        goPackage: ".",
        binary: "pulumi-resource-github",
        version: GITHUB_PROVIDER_VERSION,
        ldflagsX: [`main.Version=${GITHUB_PROVIDER_VERSION}`],
        npmSdk: "@pulumi/github",
    },
];

export const UNAVAILABLE_PARTS: readonly UnavailablePart[] = [
    {
        name: "pulumi-resource-command",
        role: "provider",
        version: COMMAND_PROVIDER_VERSION,
        npmSdk: "@pulumi/command",
        reason:
            "the Go module proxy serves no version of github.com/pulumi/pulumi-command/provider (its commits are " +
            "untagged; the pseudo-versions of the v1.2.1, sdk/v1.2.1, v1.2.0, v1.1.3, v1.1.0 and v1.0.1 commits " +
            "were each refused with 'This module version is not available'). Command targets therefore run only " +
            "through the rehearsal harness (recorded, not executed) on this machine.",
    },
];

/** The dynamic-provider shim the engine starts for `pulumi-nodejs:dynamic:Resource`, copied from sdk/v3. */
export const DYNAMIC_PROVIDER_SHIM = {
    module: "github.com/pulumi/pulumi/sdk/v3",
    version: `v${PULUMI_VERSION}`,
    file: "nodejs/dist/pulumi-resource-pulumi-nodejs",
    binary: "pulumi-resource-pulumi-nodejs",
} as const;
