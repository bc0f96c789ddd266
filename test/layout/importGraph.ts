import { existsSync, readdirSync, readFileSync, statSync } from "fs";
import { dirname, join, relative, resolve, sep } from "path";
import * as ts from "typescript";

/**
 * The project's own import graph: every TypeScript file (outside node_modules and bin/) and the project files
 * it imports through a relative specifier — `import`/`export … from`, `import type`, `require(…)` and
 * `import(…)`, lazy ones included. Paths are relative to the project root with "/" separators.
 */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

const SKIPPED_DIRS = new Set(["node_modules", "bin", ".git"]);

export function projectTypeScriptFiles(root: string, dir = root): string[] {
    const files: string[] = [];
    for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) {
            if (!SKIPPED_DIRS.has(name)) files.push(...projectTypeScriptFiles(root, path));
        } else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) {
            files.push(toPosix(relative(root, path)));
        }
    }
    return files.sort();
}

/** The relative specifiers a source text imports, in order (type-only and lazy imports included). */
export function relativeSpecifiers(source: string): string[] {
    const info = ts.preProcessFile(source, true, true);
    return info.importedFiles.map((f) => f.fileName).filter((s) => s.startsWith("./") || s.startsWith("../"));
}

export function buildImportGraph(root: string): ImportGraph {
    const graph = new Map<string, string[]>();
    for (const file of projectTypeScriptFiles(root)) {
        const from = join(root, file);
        const targets = relativeSpecifiers(readFileSync(from, "utf8"))
            .map((spec) => resolveProjectFile(resolve(dirname(from), spec)))
            .filter((t): t is string => t !== undefined)
            .map((t) => toPosix(relative(root, t)));
        graph.set(file, [...new Set(targets)]);
    }
    return graph;
}

function resolveProjectFile(base: string): string | undefined {
    return [`${base}.ts`, join(base, "index.ts"), base].find((c) => c.endsWith(".ts") && existsSync(c));
}

/** Imports of a test tree (e.g. "test/") from a file outside it: what ships must not depend on what only tests. */
export function importsIntoTestTree(graph: ImportGraph, testTree: string): string[] {
    const inside = (file: string) => file.startsWith(testTree);
    const found: string[] = [];
    for (const [file, targets] of graph) {
        if (inside(file)) continue;
        for (const target of targets) if (inside(target)) found.push(`${file} imports ${target}`);
    }
    return found;
}

/** Every import circle (a strongly connected component of more than one file, or a file importing itself). */
export function importCircles(graph: ImportGraph): string[][] {
    // Tarjan's algorithm, iterative over files in sorted order for stable output.
    let counter = 0;
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const circles: string[][] = [];
    const visit = (file: string): void => {
        index.set(file, counter);
        low.set(file, counter++);
        stack.push(file);
        onStack.add(file);
        for (const next of graph.get(file) ?? []) {
            if (!index.has(next)) {
                visit(next);
                low.set(file, Math.min(low.get(file)!, low.get(next)!));
            } else if (onStack.has(next)) {
                low.set(file, Math.min(low.get(file)!, index.get(next)!));
            }
        }
        if (low.get(file) === index.get(file)) {
            const component: string[] = [];
            let member: string;
            do {
                member = stack.pop()!;
                onStack.delete(member);
                component.push(member);
            } while (member !== file);
            if (component.length > 1 || (graph.get(file) ?? []).includes(file)) circles.push(component.sort());
        }
    };
    for (const file of [...graph.keys()].sort()) if (!index.has(file)) visit(file);
    return circles;
}

function toPosix(path: string): string {
    return path.split(sep).join("/");
}
