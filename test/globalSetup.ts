import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "fs";
import { dirname, join, relative } from "path";
import * as ts from "typescript";

/**
 * Before any suite runs: transpile the project to bin/ (tsconfig's outDir), file by file, the way ts-node's
 * transpile-only mode does in memory (types are checked by `tsc --noEmit` in `npm test`). The end-to-end suites
 * run the compiled program from bin/ — Pulumi runs a compiled JavaScript project as readily as TypeScript through
 * ts-node — which saves about 1.7 s of compilation per rehearsal. The preview tests and `npm run rehearse` still
 * go through ts-node exactly as `pulumi` does by default. The policy pack gets the same treatment for the
 * rehearsals (bin/policies, main index.js); the pack's own analyzer tests start the TypeScript pack with the
 * type check the engine performs.
 *
 * Several test runs can share this tree at once (a full run next to a targeted one): each file is replaced
 * atomically (written aside, then renamed over the old one) and only when it changed, so a rehearsal of one run
 * never loads a file another run's setup is halfway through writing.
 */
export default function setup(): void {
    const root = join(__dirname, "..");
    const configPath = join(root, "tsconfig.json");
    const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
    const parsed = ts.parseJsonConfigFileContent(config, ts.sys, root);
    const outDir = parsed.options.outDir ?? join(root, "bin");
    for (const file of parsed.fileNames) {
        const out = ts.transpileModule(readFileSync(file, "utf8"), { compilerOptions: parsed.options, fileName: file });
        const target = join(outDir, relative(root, file)).replace(/\.ts$/, ".js");
        writeIfChanged(target, out.outputText);
    }
    const pack = JSON.parse(readFileSync(join(root, "policies", "package.json"), "utf8")) as Record<string, unknown>;
    writeIfChanged(join(outDir, "policies", "package.json"), JSON.stringify({ ...pack, main: "index.js" }, null, 2));
    writeIfChanged(join(outDir, "policies", "PulumiPolicy.yaml"), readFileSync(join(root, "policies", "PulumiPolicy.yaml"), "utf8"));
    process.env.AKR_COMPILED_DIR = outDir;
}

/** Replaces the file in one step (rename), and only when its content differs. */
function writeIfChanged(target: string, text: string): void {
    if (existsSync(target) && readFileSync(target, "utf8") === text) return;
    mkdirSync(dirname(target), { recursive: true });
    const aside = `${target}.${process.pid}.tmp`;
    writeFileSync(aside, text);
    renameSync(aside, target);
}
