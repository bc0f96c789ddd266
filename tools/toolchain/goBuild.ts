/** Runs `go` for one wrapper module and turns its failures into messages that name the module. */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { MODULES_DIR } from "./cacheKey";
import { GoPart } from "./parts";

export class ToolchainError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ToolchainError";
    }
}

function goEnv(): NodeJS.ProcessEnv {
    // -mod=readonly: build exactly what the committed go.sum pins; never rewrite a wrapper module.
    return { ...process.env, GOFLAGS: "-mod=readonly", CGO_ENABLED: "0" };
}

function tail(text: string, lines: number): string {
    return text.trim().split("\n").slice(-lines).join("\n");
}

export function requireGo(): string {
    const result = spawnSync("go", ["env", "GOVERSION"], { encoding: "utf8" });
    if (result.error || result.status !== 0) {
        throw new ToolchainError(
            "toolchain: `go` was not found on PATH. Install Go 1.26 or newer (Debian: apt-get install golang-go, or " +
                "the toolchain from the Go module proxy) and run `npm run toolchain` again.",
        );
    }
    return result.stdout.trim();
}

/** Builds one part into `outFile` (written to a temporary name first, so a killed build leaves no binary). */
export function buildPart(part: GoPart, outFile: string): void {
    const moduleDir = path.join(MODULES_DIR, part.module);
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    const tmp = `${outFile}.partial-${process.pid}`;
    const args = [
        "build",
        "-trimpath",
        ...(part.buildTags && part.buildTags.length > 0 ? ["-tags", part.buildTags.join(",")] : []),
        "-ldflags",
        ["-s", "-w", ...part.ldflagsX.map((x) => `-X ${x}`)].join(" "),
        "-o",
        tmp,
        part.goPackage,
    ];
    const result = spawnSync("go", args, { cwd: moduleDir, env: goEnv(), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (result.error || result.status !== 0) {
        fs.rmSync(tmp, { force: true });
        const output = tail(`${result.stdout ?? ""}\n${result.stderr ?? ""}`, 15);
        const fetchFailed = /not available|403|404|410|unknown revision|invalid version|missing go.sum entry/.test(output);
        throw new ToolchainError(
            `toolchain: could not ${fetchFailed ? "fetch the modules for" : "build"} ${part.name} ${part.version} ` +
                `(package ${part.goPackage} in wrapper module tools/toolchain/modules/${part.module}):\n${output}`,
        );
    }
    fs.renameSync(tmp, outFile);
}

/** Downloads one module version into the module cache and returns its directory. */
export function downloadModule(module: string, version: string): string {
    const result = spawnSync("go", ["mod", "download", "-json", `${module}@${version}`], {
        cwd: path.join(MODULES_DIR, "pulumi"),
        env: { ...goEnv(), GOFLAGS: "-mod=mod" },
        encoding: "utf8",
    });
    const info = result.stdout ? (JSON.parse(result.stdout) as { Dir?: string; Error?: string }) : {};
    if (result.status !== 0 || !info.Dir) {
        throw new ToolchainError(`toolchain: could not fetch module ${module}@${version}: ${info.Error ?? tail(result.stderr, 5)}`);
    }
    return info.Dir;
}
