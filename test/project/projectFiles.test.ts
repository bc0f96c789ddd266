import Ajv2020 from "ajv/dist/2020";
import { existsSync, readFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..", "..");
const SCHEMA = [join(ROOT, "..", "shared", "schemas", "pulumi-project.schema.json"), join(ROOT, "test", "project", "pulumi-project.schema.json")].find(existsSync)!;

describe("Pulumi.yaml", () => {
    const project = parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;

    it("is valid against the official project schema", () => {
        const ajv = new Ajv2020({ strict: false, allErrors: true });
        const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA, "utf8")));
        const ok = validate(project);
        expect(validate.errors ?? []).toEqual([]);
        expect(ok).toBe(true);
    });

    it("names the project, runs TypeScript on Node.js and defaults to the local file backend", () => {
        expect(project.name).toBe("anthropic-key-rotation");
        expect(project.runtime).toMatchObject({ name: "nodejs", options: { typescript: true } });
        expect((project.backend as { url: string }).url).toMatch(/^file:\/\//);
    });

    it("keeps ts-node and typescript available, as Pulumi needs them to run TypeScript", () => {
        const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string>; workspaces: string[] };
        expect(pkg.devDependencies["ts-node"]).toBeDefined();
        expect(pkg.devDependencies.typescript).toBeDefined();
        expect(pkg.workspaces).toContain("policies");
    });

    it("commits no key in any stack file", () => {
        for (const stack of ["prod", "staging"]) {
            const text = readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8");
            expect(text).not.toMatch(/sk-ant-/);
            expect(text).not.toMatch(/apiKey:\s*\S/);
        }
    });
});

describe(".ci/run", () => {
    it("installs with npm ci and runs exactly the README's test command", () => {
        const ci = readFileSync(join(ROOT, ".ci", "run"), "utf8");
        const readme = readFileSync(join(ROOT, "README.md"), "utf8");
        expect(ci).toMatch(/^npm ci\b/m);
        expect(ci).toMatch(/^npm test$/m);
        expect(readme).toContain("npm test");
        expect(readme).toContain("npm ci");
    });
});
