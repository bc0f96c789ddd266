import Ajv2020 from "ajv/dist/2020";
import { existsSync, readdirSync, readFileSync } from "fs";
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

    it("declares no scalar config type for keys that take an object form (the real CLI refuses the value before the program runs)", () => {
        const declared = (project.config ?? {}) as Record<string, { type?: string } | string | number | boolean>;
        for (const key of ["anthropic-key-rotation:revocation", "anthropic-key-rotation:emergency", "anthropic-key-rotation:validation", "anthropic-key-rotation:targets"]) {
            const d = declared[key];
            const type = typeof d === "object" && d !== null ? d.type : d === undefined ? undefined : typeof d;
            expect(type, `${key} is declared with type ${String(type)} in Pulumi.yaml`).toBeUndefined();
        }
    });

    it("the default file backend creates its own directory on a fresh machine (?create_dir=true; the file backend does not otherwise)", () => {
        const url = new URL((project.backend as { url: string }).url.replace("file://~", "file:///home-of-account"));
        expect(url.protocol).toBe("file:");
        expect(url.searchParams.get("create_dir")).toBe("true");
        const readme = readFileSync(join(ROOT, "README.md"), "utf8");
        expect(readme).toContain((project.backend as { url: string }).url);
    });

    it("keeps ts-node and typescript available, as Pulumi needs them to run TypeScript", () => {
        const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string>; workspaces: string[] };
        expect(pkg.devDependencies["ts-node"]).toBeDefined();
        expect(pkg.devDependencies.typescript).toBeDefined();
        expect(pkg.workspaces).toContain("policies");
    });

    it("commits no key in any stack file: apiKey is absent or encrypted (`secure:`), never plaintext", () => {
        const stackFiles = readdirSync(ROOT).filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f));
        expect(stackFiles).toEqual(expect.arrayContaining(["Pulumi.prod.yaml", "Pulumi.staging.yaml"]));
        for (const file of stackFiles) {
            const text = readFileSync(join(ROOT, file), "utf8");
            expect(text, file).not.toMatch(/sk-ant-/);
            expect(plaintextApiKeyProblem(text), file).toBeUndefined();
        }
    });
});

describe("the stack-file key check", () => {
    // Exactly what `pulumi config set --secret apiKey` writes: the key on one line, `secure:` on the next.
    const encrypted =
        "encryptionsalt: v1:c2FsdA==:v1:bm9uY2U=:dGFn\nconfig:\n  anthropic-key-rotation:apiKey:\n    secure: v1:Zm9vYmFy:YmF6cXV4\n  anthropic-key-rotation:keyName: raxx-prod-agents-2026-11-23\n";

    it("accepts the encrypted value the README tells operators to commit", () => {
        expect(plaintextApiKeyProblem(encrypted)).toBeUndefined();
        expect(plaintextApiKeyProblem("config:\n  anthropic-key-rotation:keyName: raxx-prod-agents-2026-11-23\n")).toBeUndefined();
    });

    it.each([
        ["a plaintext string", "config:\n  anthropic-key-rotation:apiKey: not-encrypted\n"],
        ["a plaintext block scalar", "config:\n  anthropic-key-rotation:apiKey: |\n    not-encrypted\n"],
        ["an object that is not just `secure:`", "config:\n  anthropic-key-rotation:apiKey:\n    secure: v1:abc\n    value: not-encrypted\n"],
        ["an empty secure value", "config:\n  anthropic-key-rotation:apiKey:\n    secure: \"\"\n"],
        ["an encrypted value without the encryptionsalt to decrypt it", "config:\n  anthropic-key-rotation:apiKey:\n    secure: v1:Zm9vYmFy:YmF6cXV4\n"],
    ])("rejects %s", (_title, text) => {
        expect(plaintextApiKeyProblem(text)).toMatch(/anthropic-key-rotation:apiKey/);
    });
});

/**
 * Why a stack file's apiKey is not safe to commit or cannot be decrypted, or undefined: absent, or exactly
 * `{ secure: <ciphertext> }` in a file that names how to decrypt it (`encryptionsalt:` for the passphrase provider,
 * written by `pulumi stack init`; `secretsprovider:`/`encryptedkey:` for a KMS or Pulumi Cloud).
 */
function plaintextApiKeyProblem(text: string): string | undefined {
    const doc = (parse(text) ?? {}) as { config?: Record<string, unknown>; encryptionsalt?: unknown; secretsprovider?: unknown };
    const key = "anthropic-key-rotation:apiKey";
    if (!doc.config || !(key in doc.config)) return undefined;
    const value = doc.config[key];
    const isEncrypted =
        typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && typeof (value as { secure?: unknown }).secure === "string" && (value as { secure: string }).secure.length > 0;
    if (!isEncrypted) return `${key} is stored in plaintext: pulumi config rm apiKey, then pulumi config set --secret apiKey`;
    if (doc.encryptionsalt === undefined && doc.secretsprovider === undefined) {
        return `${key} is encrypted but the file has no encryptionsalt (or secretsprovider): commit the line pulumi stack init added`;
    }
    return undefined;
}

describe("npm test", () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

    it("type-checks the program's tsconfig and the policy pack's (the one the CLI loads the pack with), then runs vitest", () => {
        const steps = scripts.test!.split("&&").map((s) => s.trim());
        expect(steps).toContain("tsc -p tsconfig.json --noEmit");
        expect(steps).toContain("tsc -p policies/tsconfig.json --noEmit");
        expect(steps.at(-1)).toBe("vitest run");
    });

    it("the policy pack's tsconfig is the one the CLI uses: policies/tsconfig.json covering the pack's sources", () => {
        const tsconfig = JSON.parse(readFileSync(join(ROOT, "policies", "tsconfig.json"), "utf8")) as { include: string[]; compilerOptions: { strict?: boolean } };
        expect(tsconfig.include).toEqual(expect.arrayContaining(["index.ts"]));
        expect(tsconfig.compilerOptions.strict).toBe(true);
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
