/**
 * github-prod-secret-scope (mandatory) and github-prod-secret-scope-acknowledged (advisory): a prod key reaches
 * GitHub Actions only through an environment secret or a selected organization secret; an existing wider secret
 * is acknowledged with `legacyScope: true` on its target, read from the stack config the engine passes in
 * PULUMI_CONFIG. Before these policies a plain repository secret or a `private` organization secret holding the
 * prod key passed without a word.
 */
import * as path from "path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { validateAcknowledgedGithubScope, validateGithubScope, scopeAcknowledgements, GITHUB_ACKNOWLEDGED_SCOPE_POLICY, GITHUB_PROD_SCOPE_POLICY } from "../rules";
import { collector, githubEnvSecret, githubOrgSecret, githubRepoSecret, KEYS, leaksSecret, Res, resourceArgs, toAnalyzerResource } from "./support/fixtures";
import { PolicyPackHandle, startPolicyPack } from "../../offline/harness/policyAnalyzer";

const PACK_DIR = path.resolve(__dirname, "..");
const NS = "anthropic-key-rotation";
const saved = { stack: process.env.PULUMI_STACK, config: process.env.PULUMI_CONFIG, nodeStack: process.env.PULUMI_NODEJS_STACK };

/** The stack config as the engine passes it: every value as text, objects as JSON. */
function engineConfig(github: unknown[], extra: Record<string, string> = {}): Record<string, string> {
    return { [`${NS}:apiKey`]: KEYS.prod, [`${NS}:targets`]: JSON.stringify({ github }), ...extra };
}
function setStack(stack: string, config?: Record<string, string>): void {
    delete process.env.PULUMI_NODEJS_STACK;
    process.env.PULUMI_STACK = stack;
    if (config) process.env.PULUMI_CONFIG = JSON.stringify(config);
    else delete process.env.PULUMI_CONFIG;
}
afterEach(() => {
    for (const [k, v] of [["PULUMI_STACK", saved.stack], ["PULUMI_CONFIG", saved.config], ["PULUMI_NODEJS_STACK", saved.nodeStack]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
});

function verdicts(r: Res, config: object = {}): { mandatory: string[]; advisory: string[] } {
    const mandatory = collector();
    const advisory = collector();
    validateGithubScope(resourceArgs(r, config), mandatory.report);
    validateAcknowledgedGithubScope(resourceArgs(r, config), advisory.report);
    for (const m of [...mandatory.messages, ...advisory.messages]) expect(leaksSecret(m), m).toBe(false);
    return { mandatory: mandatory.messages, advisory: advisory.messages };
}

const selectedOrg = () => githubOrgSecret({ visibility: "selected", selectedRepositoryIds: [812345678] });

describe("github-prod-secret-scope in a prod stack", () => {
    it.each<[string, () => Res]>([
        ["an environment secret", () => githubEnvSecret()],
        ["a selected organization secret", selectedOrg],
    ])("%s passes", (_, make) => {
        setStack("prod");
        expect(verdicts(make())).toEqual({ mandatory: [], advisory: [] });
    });

    it("a plain repository secret is a mandatory violation that names the repository, the secret and every fix", () => {
        setStack("prod");
        const { mandatory, advisory } = verdicts(githubRepoSecret());
        expect(advisory).toEqual([]);
        expect(mandatory).toHaveLength(1);
        expect(mandatory[0]).toMatch(/the prod key is in a plain repository secret \(agents ANTHROPIC_API_KEY\), which every workflow of that repository can read on any branch/);
        expect(mandatory[0]).toMatch(/Fix: make it an environment secret of a protected GitHub environment .* visibility: selected and selectedRepositoryIds; .*workload identity federation/);
        expect(mandatory[0]).toMatch(/acknowledged with legacyScope: true on its targets\.github entry/);
    });

    it.each([
        ["private", /visibility private, which hands it to every private repository of the organisation/],
        ["all", /visibility all, which hands it to every repository of the organisation/],
    ])("an organization secret with visibility %s is a mandatory violation", (visibility, message) => {
        setStack("prod");
        const { mandatory } = verdicts(githubOrgSecret({ visibility }));
        expect(mandatory.join("\n")).toMatch(message);
    });

    it("a selected organization secret without repository ids is not scoped", () => {
        setStack("prod");
        expect(verdicts(githubOrgSecret({ visibility: "selected", selectedRepositoryIds: [] })).mandatory).toHaveLength(1);
    });

    it("an acknowledged repository secret (legacyScope in the stack config) is an advisory only, matched by name without the owner", () => {
        setStack("prod", engineConfig([{ repository: "raxx-app/agents", secretName: "ANTHROPIC_API_KEY", legacyScope: true }]));
        const { mandatory, advisory } = verdicts(githubRepoSecret());
        expect(mandatory).toEqual([]);
        expect(advisory).toHaveLength(1);
        expect(advisory[0]).toMatch(/acknowledged with legacyScope, but the prod key is in a plain repository secret \(agents ANTHROPIC_API_KEY\).*then remove legacyScope/);
    });

    it("an acknowledgement covers only its own secret: another repository, another name or a new target stays mandatory", () => {
        setStack("prod", engineConfig([{ repository: "raxx-app/agents", secretName: "ANTHROPIC_API_KEY", legacyScope: true }, { repository: "raxx-app/api", legacyScope: false }]));
        expect(verdicts(githubRepoSecret({ repository: "api" })).mandatory).toHaveLength(1);
        expect(verdicts(githubRepoSecret({ secretName: "ANTHROPIC_API_KEY_AGENTS" })).mandatory).toHaveLength(1);
        expect(verdicts(githubOrgSecret({ visibility: "private" })).mandatory).toHaveLength(1);
    });

    it("an acknowledged private organization secret is an advisory", () => {
        setStack("prod", engineConfig([{ organization: "raxx-app", visibility: "private", secretName: "ANTHROPIC_API_KEY", legacyScope: true }]));
        const { mandatory, advisory } = verdicts(githubOrgSecret({ visibility: "private" }));
        expect(mandatory).toEqual([]);
        expect(advisory[0]).toMatch(/acknowledged with legacyScope, but the prod key is in an organization secret \(ANTHROPIC_API_KEY\) with visibility private/);
    });

    it("the stack's environment config decides, not only the stack name; other environments are not governed unless configured", () => {
        setStack("live", { [`${NS}:environment`]: "production" });
        expect(verdicts(githubRepoSecret()).mandatory).toHaveLength(1);
        setStack("staging");
        expect(verdicts(githubRepoSecret())).toEqual({ mandatory: [], advisory: [] });
        expect(verdicts(githubRepoSecret(), { environments: ["prod", "staging"] }).mandatory).toHaveLength(1);
    });

    it("a preview that does not know the visibility or the repository yet says nothing", () => {
        setStack("prod");
        const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        expect(verdicts(githubOrgSecret({ visibility: unknown }))).toEqual({ mandatory: [], advisory: [] });
        expect(verdicts(githubRepoSecret({ repository: unknown }))).toEqual({ mandatory: [], advisory: [] });
    });
});

describe("scopeAcknowledgements", () => {
    it("reads only legacyScope entries of anthropic-key-rotation:targets; a missing or broken config acknowledges nothing", () => {
        const acks = scopeAcknowledgements({
            PULUMI_CONFIG: JSON.stringify(
                engineConfig([
                    { repository: "raxx-app/agents", legacyScope: true },
                    { repository: "raxx-app/api", environment: "production", legacyScope: true },
                    { organization: "raxx-app", secretName: "anthropic_api_key_org", legacyScope: true },
                    { repository: "raxx-app/evals" },
                ]),
            ),
        });
        expect([...acks.repositorySecrets]).toEqual(["agents|ANTHROPIC_API_KEY"]);
        expect([...acks.organizationSecrets]).toEqual(["ANTHROPIC_API_KEY_ORG"]);
        expect(scopeAcknowledgements({}).repositorySecrets.size).toBe(0);
        expect(scopeAcknowledgements({ PULUMI_CONFIG: "{not json" }).repositorySecrets.size).toBe(0);
        expect(scopeAcknowledgements({ PULUMI_CONFIG: JSON.stringify({ [`${NS}:targets`]: "[1" }) }).repositorySecrets.size).toBe(0);
    });
});

describe("through the real analyzer, with the stack config in PULUMI_CONFIG as the engine passes it", () => {
    let pack: PolicyPackHandle;
    beforeAll(async () => {
        pack = await startPolicyPack(PACK_DIR, {
            stack: "prod",
            stackConfig: engineConfig([{ repository: "raxx-app/agents", secretName: "ANTHROPIC_API_KEY", legacyScope: true }, { repository: "raxx-app/api", secretName: "ANTHROPIC_API_KEY" }]),
        });
    });
    afterAll(async () => {
        await pack?.stop();
    });

    const scopeDiagnostics = async (r: Res) =>
        (await pack.analyze(toAnalyzerResource(r, [r], "prod"))).diagnostics
            .filter((d) => d.policyName === GITHUB_PROD_SCOPE_POLICY || d.policyName === GITHUB_ACKNOWLEDGED_SCOPE_POLICY)
            .map((d) => [d.policyName, d.enforcementLevel]);

    it("the acknowledged secret gets the advisory, a new plain repository secret the mandatory violation, a scoped one nothing", async () => {
        expect(await scopeDiagnostics(githubRepoSecret())).toEqual([[GITHUB_ACKNOWLEDGED_SCOPE_POLICY, "advisory"]]);
        expect(await scopeDiagnostics(githubRepoSecret({ repository: "api" }, "github-api"))).toEqual([[GITHUB_PROD_SCOPE_POLICY, "mandatory"]]);
        expect(await scopeDiagnostics(githubEnvSecret())).toEqual([]);
        expect(await scopeDiagnostics(selectedOrg())).toEqual([]);
    });
});
