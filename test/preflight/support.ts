import { AnthropicEmulator } from "../../offline/emulators/anthropicEmulator";
import { GithubEmulator } from "../../offline/emulators/githubEmulator";
import { HerokuEmulator } from "../../offline/emulators/herokuEmulator";
import { InfisicalEmulator } from "../../offline/emulators/infisicalEmulator";
import { makeAdminKey } from "../../offline/emulators/keys";
import { HttpClient } from "../../components/http/httpClient";
import type { CheckContext } from "../../components/preflight/checkContext";
import type { InfisicalLocation, PreflightInputs } from "../../components/preflight/preflightInputs";

/** Every service the preflight reaches, emulated on loopback and seeded with one working target each. */
export interface Services {
    readonly heroku: HerokuEmulator;
    readonly infisical: InfisicalEmulator;
    readonly github: GithubEmulator;
    readonly anthropic: AnthropicEmulator;
    readonly adminKey: string;
}

export const APPS = ["raxx-api-prod", "raxx-agents-prod"] as const;
export const PROJECT = "6f1c2a9e-raxx-platform";
export const REPOSITORY = "raxx-app/agents";

export async function startServices(): Promise<Services> {
    const heroku = new HerokuEmulator();
    const infisical = new InfisicalEmulator({ projects: [PROJECT], environments: ["prod"] });
    const github = new GithubEmulator();
    const anthropic = new AnthropicEmulator();
    await Promise.all([heroku.start(), infisical.start(), github.start(), anthropic.start()]);
    for (const app of APPS) heroku.seedApp(app, { OTHER: "x" });
    infisical.addFolder(PROJECT, "prod", "/anthropic");
    github.addRepository(REPOSITORY);
    const adminKey = makeAdminKey();
    anthropic.addAdminKey(adminKey);
    return { heroku, infisical, github, anthropic, adminKey };
}

export async function stopServices(s: Services | undefined): Promise<void> {
    if (s) await Promise.all([s.heroku.stop(), s.infisical.stop(), s.github.stop(), s.anthropic.stop()]);
}

/** The credentials an operator exports, all valid; a test overrides one to break it. */
export function envOf(s: Services, overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
        HEROKU_API_KEY: s.heroku.token,
        INFISICAL_CLIENT_ID: s.infisical.clientId,
        INFISICAL_CLIENT_SECRET: s.infisical.clientSecret,
        GITHUB_TOKEN: s.github.token,
        ANTHROPIC_ADMIN_API_KEY: s.adminKey,
    };
    for (const [k, v] of Object.entries(overrides)) {
        if (v === undefined) delete env[k];
        else env[k] = v;
    }
    return env;
}

/** Fast, bounded retries: a 5xx is retried in milliseconds; 4xx answers are never retried. */
export function contextOf(env: NodeJS.ProcessEnv): CheckContext {
    return { env, http: new HttpClient({ retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20, maxTotalMs: 10_000, attemptTimeoutMs: 5_000 } }) };
}

export function locationOf(s: Services, overrides: Partial<InfisicalLocation> = {}): InfisicalLocation {
    return { projectId: PROJECT, environment: "prod", secretPath: "/anthropic", secretName: "ANTHROPIC_API_KEY", siteUrl: s.infisical.url, ...overrides };
}

/** A run's inputs reaching every service: two apps, one Infisical secret, a repository and an environment, the Admin API. */
export function inputsOf(s: Services, fingerprint = "sha256:0123456789ab"): PreflightInputs {
    const [owner, repository] = REPOSITORY.split("/") as [string, string];
    return {
        fingerprint,
        heroku: { apiUrl: s.heroku.url, apps: [...APPS] },
        infisical: [locationOf(s)],
        github: {
            baseUrl: s.github.url,
            scopes: [
                { kind: "repository", owner, repository },
                { kind: "environment", owner, repository, environment: "production" },
            ],
            unresolved: [],
        },
        admin: { baseUrl: s.anthropic.url, required: true },
    };
}

/** The credentials' values: none may appear in any message. */
export function secretsOf(s: Services): string[] {
    return [s.heroku.token, s.infisical.clientSecret, ...s.infisical.issuedTokens, s.github.token, s.adminKey];
}

/** Every request that could change something at any emulator. */
export function writes(s: Services): string[] {
    return [s.heroku.server, s.infisical.server, s.github.server, s.anthropic.server]
        .flatMap((server) => server.requests.map((r) => ({ name: server.name, method: r.method, path: r.path })))
        .filter((r) => r.method !== "GET" && !(r.name === "infisical" && r.path === "/api/v1/auth/universal-auth/login"))
        .map((r) => `${r.name} ${r.method} ${r.path}`);
}
