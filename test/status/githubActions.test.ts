import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { githubActionsConsumers } from "../../tools/status/githubActionsConsumers";
import { CIPHERTEXT, NS, projectDir, removeDir, ROOT, runInProcess } from "./helpers";

/**
 * `npm run status` flags every GitHub Actions consumer: each could authenticate with Anthropic's workload
 * identity federation and drop the static key. Before this change the report said nothing about them.
 */

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

function stack(keyName: string, github: unknown[]): string {
    return stringify({
        config: { [`${NS}:apiKey`]: { secure: CIPHERTEXT }, [`${NS}:keyName`]: keyName, [`${NS}:targets`]: { github }, "github:owner": "raxx-app" },
    });
}

describe("GitHub Actions consumers in npm run status", () => {
    it("--json lists each with its kind, scope and the workload identity federation flag; stacks without any have none", async () => {
        const dir = projectDir({
            prod: stack("raxx-prod-agents-2026-11-01", [
                { repository: "agents", legacyScope: true },
                { repository: "raxx-app/api", environment: "production", secretName: "ANTHROPIC_API_KEY_PROD" },
                { organization: "raxx-app", visibility: "selected", selectedRepositoryIds: [812345678] },
            ]),
            staging: stack("raxx-staging-agents-2026-11-01", []),
        });
        dirs.push(dir);
        const { code, stdout } = await runInProcess(["--json", "--dir", dir]);
        expect(code).toBe(0);
        const rows = JSON.parse(stdout).stacks as { stack: string; githubActions?: unknown[] }[];
        expect(rows.find((r) => r.stack === "prod")!.githubActions).toEqual([
            { target: "raxx-app/agents secret ANTHROPIC_API_KEY", kind: "repository secret", legacyScope: true, workloadIdentityFederation: "possible" },
            { target: "raxx-app/api environment production secret ANTHROPIC_API_KEY_PROD", kind: "environment secret", workloadIdentityFederation: "possible" },
            { target: "org raxx-app secret ANTHROPIC_API_KEY", kind: "organization secret", visibility: "selected", workloadIdentityFederation: "possible" },
        ]);
        expect(rows.find((r) => r.stack === "staging")).not.toHaveProperty("githubActions");
    });

    it("the text report of the committed stacks has a section naming them and the way out", async () => {
        const { code, stdout } = await runInProcess(["--now", "2026-11-23", "--dir", ROOT]);
        expect(code).toBe(0);
        const section = stdout.slice(stdout.indexOf("GitHub Actions consumers"));
        expect(section).toMatch(/^GitHub Actions consumers \(each could drop the static key with Anthropic's workload identity federation; README, GitHub scopes\):/);
        expect(section).toMatch(/\n  prod: raxx-app\/agents secret ANTHROPIC_API_KEY \(repository secret, legacyScope\); raxx-app\/api environment production secret ANTHROPIC_API_KEY_PROD \(environment secret\)\n/);
        expect(section).toMatch(/\n  staging: raxx-app\/agents environment staging secret ANTHROPIC_API_KEY_STAGING \(environment secret\)\n/);
    });

    it("ignores what is not a GitHub target list", () => {
        expect(githubActionsConsumers(undefined, "o")).toEqual([]);
        expect(githubActionsConsumers("not json", "o")).toEqual([]);
        expect(githubActionsConsumers(JSON.stringify({ github: [{ organization: "o" }, 3] }), "o")).toEqual([]);
    });
});
