import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { checkAdminKey } from "../../components/preflight/adminCheck";
import { checkGithub, githubApiRoot } from "../../components/preflight/githubCheck";
import { checkHeroku } from "../../components/preflight/herokuCheck";
import { checkInfisical } from "../../components/preflight/infisicalCheck";
import type { CheckResult } from "../../components/preflight/problem";
import { makeAdminKey, makeApiKey } from "../../offline/emulators/keys";
import { APPS, contextOf, envOf, locationOf, PROJECT, REPOSITORY, secretsOf, Services, startServices, stopServices, writes } from "./support";

/**
 * Each preflight check against its emulator: what passes, and every failure an operator meets (a rejected or
 * missing credential, a target it cannot see), each named by credential, target, answer and fix, with no
 * credential value in it and nothing written anywhere.
 */

let s: Services;
beforeAll(async () => {
    s = await startServices();
});
afterAll(() => stopServices(s));
beforeEach(() => {
    for (const server of [s.heroku.server, s.infisical.server, s.github.server, s.anthropic.server]) server.clearFaults();
});

const [owner, repository] = REPOSITORY.split("/") as [string, string];
const repoScope = { kind: "repository" as const, owner, repository };

function expectClean(result: CheckResult): void {
    const text = JSON.stringify(result);
    for (const secret of secretsOf(s)) expect(text.includes(secret), "a credential leaked into a problem").toBe(false);
    expect(text).not.toMatch(/sk-ant-/);
    expect(writes(s)).toEqual([]);
}

describe("Heroku: GET /account, then GET /apps/{app} for each target", () => {
    it("passes with a valid token and visible apps", async () => {
        const result = await checkHeroku(s.heroku.url, [...APPS], contextOf(envOf(s)));
        expect(result.problems).toEqual([]);
        expect(result.passed).toHaveLength(1 + APPS.length);
        expect(s.heroku.calls("GET", "/account").length).toBeGreaterThan(0);
    });

    it("a rejected token (401) is one problem naming HEROKU_API_KEY and the fix", async () => {
        const result = await checkHeroku(s.heroku.url, [...APPS], contextOf(envOf(s, { HEROKU_API_KEY: "HRKU-revoked-token-000000" })));
        expect(result.problems).toHaveLength(1);
        expect(result.problems[0]).toMatchObject({ credential: "HEROKU_API_KEY", target: expect.stringContaining("heroku account") });
        expect(result.problems[0]!.answer).toMatch(/^HTTP 401 unauthorized "Invalid credentials provided\."/);
        expect(result.problems[0]!.fix).toMatch(/heroku authorizations:create/);
        expectClean(result);
    });

    it("an app that does not exist (404) and one the user may not see (403) are a problem each", async () => {
        s.heroku.seedApp("raxx-forbidden").forbidden = true;
        const result = await checkHeroku(s.heroku.url, ["raxx-api-prod", "raxx-missing", "raxx-forbidden"], contextOf(envOf(s)));
        expect(result.problems.map((p) => [p.target.split(" (")[0], p.answer.split(" ").slice(0, 3).join(" ")])).toEqual([
            ["heroku app raxx-missing", "HTTP 404 not_found"],
            ["heroku app raxx-forbidden", "HTTP 403 forbidden"],
        ]);
        expect(result.problems[0]!.fix).toMatch(/check the app name in targets\.heroku/);
        expect(result.problems[1]!.fix).toMatch(/collaborator/);
        expectClean(result);
    });

    it("a missing HEROKU_API_KEY is a problem without any call", async () => {
        const before = s.heroku.server.requests.length;
        const result = await checkHeroku(s.heroku.url, [...APPS], contextOf(envOf(s, { HEROKU_API_KEY: undefined })));
        expect(result.problems).toEqual([expect.objectContaining({ credential: "HEROKU_API_KEY", answer: "not set in the environment of pulumi" })]);
        expect(s.heroku.server.requests.length).toBe(before);
    });

    it("needs nothing when the run has no Heroku target", async () => {
        expect(await checkHeroku(s.heroku.url, [], contextOf(envOf(s, { HEROKU_API_KEY: undefined })))).toEqual({ passed: [], problems: [] });
    });
});

describe("Infisical: universal-auth login, then a read of each target's secret", () => {
    it("passes when the identity logs in and reaches the folder (the secret need not exist yet)", async () => {
        const result = await checkInfisical([locationOf(s)], contextOf(envOf(s)));
        expect(result.problems).toEqual([]);
        expect(result.passed).toEqual([expect.stringContaining(`project ${PROJECT}`)]);
    });

    it("a rejected client secret (login 401) is one problem for the site, however many targets", async () => {
        const result = await checkInfisical([locationOf(s), locationOf(s, { secretName: "OTHER_KEY" })], contextOf(envOf(s, { INFISICAL_CLIENT_SECRET: "0".repeat(64) })));
        expect(result.problems).toHaveLength(1);
        expect(result.problems[0]).toMatchObject({ credential: "INFISICAL_CLIENT_ID / INFISICAL_CLIENT_SECRET" });
        expect(result.problems[0]!.answer).toMatch(/HTTP 401/);
        expect(result.problems[0]!.fix).toMatch(/client secret/);
        expectClean(result);
    });

    it("a project or folder the identity cannot reach is a problem naming the target", async () => {
        const result = await checkInfisical([locationOf(s, { secretPath: "/missing-folder" })], contextOf(envOf(s)));
        expect(result.problems).toHaveLength(1);
        expect(result.problems[0]!.target).toContain("path /missing-folder");
        expect(result.problems[0]!.answer).toMatch(/HTTP 404/);
        expect(result.problems[0]!.fix).toMatch(/secretPath/);
        expectClean(result);
    });

    it("missing INFISICAL_CLIENT_SECRET is a problem without any call", async () => {
        const before = s.infisical.server.requests.length;
        const result = await checkInfisical([locationOf(s)], contextOf(envOf(s, { INFISICAL_CLIENT_SECRET: undefined })));
        expect(result.problems).toEqual([expect.objectContaining({ answer: "INFISICAL_CLIENT_SECRET is not set in the environment of pulumi" })]);
        expect(s.infisical.server.requests.length).toBe(before);
    });
});

describe("GitHub: the Actions public key of each repository, environment and organization", () => {
    it("passes with a token that reaches every scope, fetching each scope's key once", async () => {
        const before = s.github.publicKeyFetches.get(`repo:${REPOSITORY}`) ?? 0;
        const scopes = [repoScope, repoScope, { kind: "environment" as const, owner, repository, environment: "production" }, { kind: "organization" as const, organization: owner }];
        const result = await checkGithub(s.github.url, scopes, [], contextOf(envOf(s)));
        expect(result.problems).toEqual([]);
        expect(result.passed).toHaveLength(3);
        expect(s.github.publicKeyFetches.get(`repo:${REPOSITORY}`)).toBe(before + 1);
        expect(s.github.server.requests.at(-1)!.path).toMatch(/^\/api\/v3\//);
    });

    it("a rejected token (401) is one problem naming GITHUB_TOKEN and every scope", async () => {
        const scopes = [repoScope, { kind: "environment" as const, owner, repository, environment: "production" }];
        const result = await checkGithub(s.github.url, scopes, [], contextOf(envOf(s, { GITHUB_TOKEN: "ghp_revoked00000000000000000000000000" })));
        expect(result.problems).toHaveLength(1);
        expect(result.problems[0]!.credential).toBe("GITHUB_TOKEN");
        expect(result.problems[0]!.target).toContain(`${REPOSITORY} environment production`);
        expect(result.problems[0]!.answer).toBe('HTTP 401 "Bad credentials"');
        expect(result.problems[0]!.fix).toMatch(/wrong, expired or revoked/);
        expectClean(result);
    });

    it("a repository the token cannot see (404) is a problem naming the repository", async () => {
        const result = await checkGithub(s.github.url, [repoScope, { kind: "repository", owner, repository: "not-there" }], [], contextOf(envOf(s)));
        expect(result.problems).toHaveLength(1);
        expect(result.problems[0]).toMatchObject({ credential: "GITHUB_TOKEN", target: `github repository ${owner}/not-there`, answer: 'HTTP 404 "Not Found"' });
        expect(result.problems[0]!.fix).toMatch(/does not exist or GITHUB_TOKEN cannot see it/);
        expectClean(result);
    });

    it("a token without the secrets permission (403) is told which permission to add", async () => {
        s.github.server.injectFault({ method: "GET", path: `/api/v3/repos/${REPOSITORY}/actions/secrets/public-key`, fault: { kind: "status", status: 403, body: { message: "Resource not accessible by personal access token" } } });
        const result = await checkGithub(s.github.url, [repoScope], [], contextOf(envOf(s)));
        expect(result.problems).toHaveLength(1);
        expect(result.problems[0]!.answer).toBe('HTTP 403 "Resource not accessible by personal access token"');
        expect(result.problems[0]!.fix).toMatch(/Secrets: read and write/);
    });

    it("a missing GITHUB_TOKEN, and a repository without an owner, are problems without any call", async () => {
        const before = s.github.server.requests.length;
        const result = await checkGithub(s.github.url, [repoScope], ["agents"], contextOf(envOf(s, { GITHUB_TOKEN: undefined })));
        expect(result.problems.map((p) => p.credential)).toEqual(["github:owner", "GITHUB_TOKEN"]);
        expect(s.github.server.requests.length).toBe(before);
    });

    it("cannot try a token kept in github:token stack config: a missing GITHUB_TOKEN is then no problem", async () => {
        const before = s.github.server.requests.length;
        const result = await checkGithub(s.github.url, [repoScope], [], contextOf(envOf(s, { GITHUB_TOKEN: undefined })), true);
        expect(result).toEqual({ passed: [], problems: [] });
        expect(s.github.server.requests.length).toBe(before);
    });

    it("talks to github.com's API as is, and to any other base URL under /api/v3 as the provider does", () => {
        expect(githubApiRoot(undefined)).toBe("https://api.github.com");
        expect(githubApiRoot("https://api.github.com/")).toBe("https://api.github.com");
        expect(githubApiRoot("https://ghe.example.com/")).toBe("https://ghe.example.com/api/v3");
        expect(githubApiRoot("https://ghe.example.com/api/v3/")).toBe("https://ghe.example.com/api/v3");
    });
});

describe("Anthropic Admin API: GET /v1/organizations/api_keys?limit=1", () => {
    it("passes with a working admin key", async () => {
        const result = await checkAdminKey(s.anthropic.url, true, contextOf(envOf(s)));
        expect(result.problems).toEqual([]);
        const [call] = s.anthropic.server.calls("GET", "/v1/organizations/api_keys").slice(-1);
        expect(call!.query.get("limit")).toBe("1");
    });

    it("a rejected admin key (401), or an API key in its place, is a problem naming ANTHROPIC_ADMIN_API_KEY", async () => {
        for (const wrong of [makeAdminKey(), makeApiKey()]) {
            const result = await checkAdminKey(s.anthropic.url, false, contextOf(envOf(s, { ANTHROPIC_ADMIN_API_KEY: wrong })));
            expect(result.problems).toHaveLength(1);
            expect(result.problems[0]).toMatchObject({ credential: "ANTHROPIC_ADMIN_API_KEY", answer: expect.stringMatching(/^HTTP 401 authentication_error/) });
            expect(result.problems[0]!.fix).toMatch(/active Admin API key/);
            expect(JSON.stringify(result).includes(wrong)).toBe(false);
            expectClean(result);
        }
    });

    it("missing is a problem only when the run deactivates the previous key", async () => {
        const env = envOf(s, { ANTHROPIC_ADMIN_API_KEY: undefined });
        expect((await checkAdminKey(s.anthropic.url, false, contextOf(env))).problems).toEqual([]);
        const required = await checkAdminKey(s.anthropic.url, true, contextOf(env));
        expect(required.problems).toEqual([expect.objectContaining({ credential: "ANTHROPIC_ADMIN_API_KEY", answer: expect.stringContaining("revocation is deactivate") })]);
    });
});
