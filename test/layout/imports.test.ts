import { join } from "path";
import { describe, expect, it } from "vitest";
import { buildImportGraph, ImportGraph, importCircles, importsIntoTestTree, relativeSpecifiers } from "./importGraph";

/** Layers: each one may import itself and the ones after its name, never what is built on top of it. */
const LAYERS: readonly { readonly files: string; readonly mayImport: readonly string[] }[] = [
    { files: "components/", mayImport: ["components/"] },
    { files: "index.ts", mayImport: ["components/"] },
    { files: "policies/", mayImport: ["policies/", "components/"] },
    { files: "offline/", mayImport: ["offline/", "components/"] },
    { files: "tools/", mayImport: ["tools/", "offline/", "components/", "policies/"] },
];

/**
 * The layout's import rules (docs/architecture.md, "Layout"): what ships — the program in components/, the
 * operator tools in tools/, the offline stand-ins in offline/, the policy pack — never imports from a test
 * tree (test/, policies/test/), and no two modules import each other, directly or through others. The
 * program does not depend on the tools or the stand-ins, and the stand-ins do not depend on the tools.
 */

const ROOT = join(__dirname, "..", "..");
const TEST_TREES = ["test/", "policies/test/"];

describe("import rules of the layout", () => {
    const graph = buildImportGraph(ROOT);

    it("reads the whole project: the program, the tools, the offline stand-ins, the pack and the tests", () => {
        for (const file of ["index.ts", "tools/status/main.ts", "tools/rehearse/main.ts", "tools/bench/main.ts", "offline/harness/sandbox.ts", "policies/index.ts", "test/layout/imports.test.ts"]) {
            expect(graph.has(file), file).toBe(true);
        }
        expect(graph.get("tools/rehearse/report.ts")).toContain("tools/rehearse/checks.ts");
    });

    it.each(TEST_TREES)("nothing outside %s imports from it", (tree) => {
        expect(importsIntoTestTree(graph, tree)).toEqual([]);
    });

    it.each(LAYERS)("$files imports only from $mayImport", ({ files, mayImport }) => {
        const isTest = (f: string) => TEST_TREES.some((t) => f.startsWith(t));
        const wrong: string[] = [];
        for (const [file, targets] of graph) {
            if (!file.startsWith(files) || isTest(file)) continue;
            for (const t of targets) if (!isTest(t) && !mayImport.some((m) => t.startsWith(m))) wrong.push(`${file} imports ${t}`);
        }
        expect(wrong).toEqual([]);
    });

    it("has no import circles", () => {
        expect(importCircles(graph)).toEqual([]);
    });
});

describe("the rule checks themselves", () => {
    const graphOf = (edges: Record<string, string[]>): ImportGraph => new Map(Object.entries(edges));

    it("see static, type-only, re-exported, required and dynamically imported files", () => {
        const source = [
            'import { a } from "./a";',
            'import type { B } from "../b";',
            'export { c } from "./c";',
            'const d = require("./d");',
            'const e = await import("./e");',
            'import { readFileSync } from "fs";',
            'import * as pulumi from "@pulumi/pulumi";',
        ].join("\n");
        expect(relativeSpecifiers(source)).toEqual(["./a", "../b", "./c", "./d", "./e"]);
    });

    it("report a file outside test/ that imports from test/, and allow test/ to import anything", () => {
        const graph = graphOf({
            "tools/rehearse/run.ts": ["test/support/keys.ts", "offline/harness/sandbox.ts"],
            "test/e2e/rotation.test.ts": ["offline/harness/sandbox.ts", "test/support/errors.ts"],
            "policies/test/support/fixtures.ts": ["test/support/keys.ts"],
        });
        expect(importsIntoTestTree(graph, "test/")).toEqual([
            "tools/rehearse/run.ts imports test/support/keys.ts",
            "policies/test/support/fixtures.ts imports test/support/keys.ts",
        ]);
    });

    it("report two modules that import each other, a longer circle, and a file that imports itself", () => {
        const graph = graphOf({
            "tools/rehearse/report.ts": ["tools/rehearse/checks.ts", "tools/rehearse/types.ts"],
            "tools/rehearse/checks.ts": ["tools/rehearse/report.ts"],
            "tools/rehearse/types.ts": [],
            "a.ts": ["b.ts"],
            "b.ts": ["c.ts"],
            "c.ts": ["a.ts"],
            "self.ts": ["self.ts"],
        });
        expect(importCircles(graph)).toEqual([["a.ts", "b.ts", "c.ts"], ["self.ts"], ["tools/rehearse/checks.ts", "tools/rehearse/report.ts"]]);
    });
});
