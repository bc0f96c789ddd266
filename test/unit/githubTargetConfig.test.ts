import { describe, expect, it } from "vitest";
import { ConfigError, ConfigSource, loadRotationConfig } from "../../components/config";
import { githubTargetSchema } from "../../components/config/schema";
import { makeApiKey } from "../../offline/emulators/keys";

/**
 * GitHub scopes in the stack config: an organization secret says which repositories may read the key. Before
 * this change `visibility` defaulted to `private` (every private repository of the organisation), `selected`
 * without ids was accepted, and ids next to `private`/`all` were silently ignored.
 */

const NOW = new Date("2026-11-23T12:00:00Z");
const K = (path: string) => `anthropic-key-rotation:targets.github${path}`;

function source(github: unknown[]): ConfigSource {
    const text: Record<string, string> = { apiKey: makeApiKey(), keyName: "raxx-prod-agents-2026-11-23", targets: JSON.stringify({ github }) };
    return { stack: "prod", now: NOW, get: (k) => text[k], keys: () => Object.keys(text), isSecret: (k) => k === "apiKey" };
}
function problemsOf(github: unknown[]): { key: string; message: string; fix: string }[] {
    try {
        loadRotationConfig(source(github));
    } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return [...(err as ConfigError).problems];
    }
    throw new Error("expected a ConfigError");
}

describe("organization secrets: an explicit, narrow visibility", () => {
    it("visibility is required, with the fix that names selected and the repository ids", () => {
        expect(problemsOf([{ organization: "raxx-app" }])).toEqual([
            {
                key: K("[0].visibility"),
                message: "is required for an organization secret: it decides which repositories can read the key",
                fix: expect.stringMatching(/^set visibility: selected with selectedRepositoryIds \(GitHub's numeric repository ids: gh api repos\/<owner>\/<repo> --jq \.id\); private hands the key to every private repository/),
            },
        ]);
    });

    it("selected needs at least one repository id", () => {
        for (const ids of [undefined, []]) {
            const problems = problemsOf([{ organization: "raxx-app", visibility: "selected", ...(ids ? { selectedRepositoryIds: ids } : {}) }]);
            expect(problems).toEqual([
                { key: K("[0].selectedRepositoryIds"), message: "is required with visibility: selected: the repositories that may read the secret", fix: expect.stringMatching(/^list them: selectedRepositoryIds: \[123456789\]/) },
            ]);
        }
    });

    it.each(["private", "all"])("repository ids with visibility %s are refused, not silently ignored", (visibility) => {
        const [problem] = problemsOf([{ organization: "raxx-app", visibility, selectedRepositoryIds: [1] }]);
        expect(problem!.key).toBe(K("[0].selectedRepositoryIds"));
        expect(problem!.message).toMatch(new RegExp(`^only applies to visibility: selected; with visibility: ${visibility} GitHub ignores it`));
        expect(problem!.fix).toBe("set visibility: selected to limit the secret to these repositories, or remove selectedRepositoryIds");
    });

    it("an unknown visibility names the allowed ones", () => {
        expect(problemsOf([{ organization: "raxx-app", visibility: "public" }])[0]).toMatchObject({ key: K("[0].visibility"), message: "must be selected, private or all" });
    });

    it("every GitHub problem is listed at once, each against the field the operator wrote", () => {
        const problems = problemsOf([{ organization: "a" }, { organization: "b", visibility: "selected" }, { repository: "raxx-app/x", visibility: "private" }, "agents"]);
        expect(problems.map((p) => p.key)).toEqual([K("[0].visibility"), K("[1].selectedRepositoryIds"), K("[2]"), K("[3]")]);
        expect(problems[2]!.message).toBe("has unknown field visibility");
        expect(problems[3]).toMatchObject({ message: "is not a GitHub target", fix: expect.stringMatching(/\{ organization, visibility: selected, selectedRepositoryIds, secretName \}/) });
    });

    it("explicit visibilities parse, and selected keeps its ids", () => {
        const cfg = loadRotationConfig(source([{ organization: "raxx-app", visibility: "selected", selectedRepositoryIds: [812345678] }, { organization: "raxx-ops", visibility: "private" }]));
        expect(cfg.targets.github).toEqual([
            { organization: "raxx-app", visibility: "selected", selectedRepositoryIds: [812345678], secretName: "ANTHROPIC_API_KEY", removeOnDelete: false },
            { organization: "raxx-ops", visibility: "private", secretName: "ANTHROPIC_API_KEY", removeOnDelete: false },
        ]);
    });
});

describe("legacyScope: the acknowledgement of an existing wide secret", () => {
    it("is accepted on a plain repository secret and on a private/all organization secret", () => {
        const cfg = loadRotationConfig(source([{ repository: "raxx-app/agents", legacyScope: true }, { organization: "raxx-app", visibility: "all", legacyScope: true }]));
        expect(cfg.targets.github.map((t) => t.legacyScope)).toEqual([true, true]);
    });

    it("is refused where the secret is already scoped", () => {
        const problems = problemsOf([
            { repository: "raxx-app/api", environment: "production", legacyScope: true },
            { organization: "raxx-app", visibility: "selected", selectedRepositoryIds: [1], legacyScope: true },
        ]);
        expect(problems.map((p) => [p.key, p.message])).toEqual([
            [K("[0].legacyScope"), "does not apply to an environment secret, which is already scoped to its environment"],
            [K("[1].legacyScope"), "does not apply to a selected organization secret, which is already scoped to its repositories"],
        ]);
        for (const p of problems) expect(p.fix).toMatch(/^remove legacyScope/);
    });
});

describe("githubTargetSchema on its own", () => {
    it("still parses repository and environment secrets with their defaults", () => {
        expect(githubTargetSchema.parse({ repository: "raxx-app/agents" })).toEqual({ repository: "raxx-app/agents", secretName: "ANTHROPIC_API_KEY", removeOnDelete: false });
        expect(githubTargetSchema.safeParse({ organization: "raxx-app" }).success).toBe(false);
    });
});
