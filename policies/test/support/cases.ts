/**
 * The policy cases, shared by the plain-function tests and the real-analyzer tests so both prove the same
 * behaviour. `expect: []` means the policy must stay silent; otherwise every pattern must match one of the
 * policy's messages (and no other policy is constrained, except in the clean-stack case).
 */
import {
    fingerprint,
    TYPE_COMMAND,
    TYPE_GITHUB_ENV_SECRET,
    TYPE_GITHUB_ORG_SECRET,
    TYPE_GITHUB_REPO_SECRET,
    TYPE_HEROKU_CONFIG_VARS,
    TYPE_INFISICAL_SECRET,
    TYPE_KEY_VALIDATION,
} from "../../../components/domain";
import { ENVIRONMENT_ISOLATION_POLICY } from "../../rules/environmentIsolation";
import { GITHUB_SECRET_NAME_POLICY } from "../../rules/githubSecretName";
import { HEROKU_CONFIG_VAR_NAME_POLICY } from "../../rules/herokuConfigVarName";
import { KEY_NAME_POLICY } from "../../rules/keyName";
import { MAX_AGE_POLICY } from "../../rules/maxAge";
import { NO_PLAINTEXT_POLICY } from "../../rules/noPlaintext";
import { ROTATION_DUE_POLICY } from "../../rules/rotationDue";
import { VALIDATED_BEFORE_FANOUT_POLICY } from "../../rules/validatedBeforeFanout";
import { VALIDATION_COST_POLICY } from "../../rules/validationCost";
import {
    command,
    credentialPreflight,
    daysAgo,
    githubEnvSecret,
    githubOrgSecret,
    githubRepoSecret,
    herokuVars,
    infisicalSecret,
    keyValidation,
    KEYS,
    orphan,
    Res,
    revocation,
} from "./fixtures";
import { UNKNOWN_VALUE } from "../../../offline/harness/policyAnalyzer";

export interface ResourceCase {
    readonly title: string;
    readonly policy: string;
    readonly resource: Res;
    readonly expect: readonly RegExp[];
}

const kv = keyValidation;

/** A KeyValidation for environment `env`, `age` days old. */
function kvAged(age: number, env = "prod", over: Record<string, unknown> = {}): Res {
    const createdAt = daysAgo(age);
    return kv({ environment: env, createdAt, keyName: `raxx-${env}-agents-${createdAt}`, ...over });
}

export const RESOURCE_CASES: readonly ResourceCase[] = [
    // anthropic-key-name
    { title: "a conforming name passes", policy: KEY_NAME_POLICY, resource: kv(), expect: [] },
    { title: "a hyphenated project passes", policy: KEY_NAME_POLICY, resource: kv({ keyName: `agentic-base-prod-translation-${daysAgo(3)}` }), expect: [] },
    { title: "a name that is not the convention fails", policy: KEY_NAME_POLICY, resource: kv({ keyName: "my-key" }), expect: [/"my-key": it has too few parts/, /Fix: name the key/] },
    {
        title: "the name of another environment's key fails",
        policy: KEY_NAME_POLICY,
        resource: kv({ keyName: `raxx-staging-agents-${daysAgo(3)}` }),
        expect: [/the name's environment is "staging" but this stack's environment is "prod"/, /every environment has its own key/],
    },
    { title: "an impossible date fails", policy: KEY_NAME_POLICY, resource: kv({ keyName: "raxx-prod-agents-2026-02-30" }), expect: [/2026-02-30 is not a real calendar date/] },
    { title: "a future date fails", policy: KEY_NAME_POLICY, resource: kv({ keyName: `raxx-prod-agents-${daysAgo(-30)}` }), expect: [/is in the future/] },
    { title: "a missing name fails", policy: KEY_NAME_POLICY, resource: kv({ keyName: undefined }), expect: [/the `keyName` input is missing/] },
    {
        title: "a key pasted as the name fails without echoing it",
        policy: KEY_NAME_POLICY,
        resource: kv({ keyName: KEYS.prodNext }),
        expect: [/`keyName` input holds an Anthropic key value/],
    },

    // anthropic-key-max-age
    { title: "a 10-day-old prod key passes", policy: MAX_AGE_POLICY, resource: kvAged(10), expect: [] },
    { title: "a prod key on its 90th day passes", policy: MAX_AGE_POLICY, resource: kvAged(90), expect: [] },
    {
        title: "a 91-day-old prod key fails",
        policy: MAX_AGE_POLICY,
        resource: kvAged(91),
        expect: [/the prod key "raxx-prod-agents-[\d-]+" is 91 days old/, /the maximum for prod is 90 days/, /1 day\(s\) ago/, /Fix: rotate it now/],
    },
    { title: "a 300-day-old dev key passes (dev allows 365)", policy: MAX_AGE_POLICY, resource: kvAged(300, "dev"), expect: [] },
    { title: "a 366-day-old dev key fails", policy: MAX_AGE_POLICY, resource: kvAged(366, "dev"), expect: [/the maximum for dev is 365 days/] },
    {
        title: "createdAt older than the name's date counts",
        policy: MAX_AGE_POLICY,
        resource: kv({ createdAt: daysAgo(120), keyName: `raxx-prod-agents-${daysAgo(10)}` }),
        expect: [/is 120 days old \(created [\d-]+, the earlier of createdAt/],
    },
    {
        title: "a key whose age cannot be determined fails",
        policy: MAX_AGE_POLICY,
        resource: kv({ createdAt: undefined, keyName: "my-key" }),
        expect: [/neither `createdAt` nor the date at the end of `keyName` is a real YYYY-MM-DD date/],
    },

    // anthropic-key-rotation-due
    { title: "30 days left: no reminder", policy: ROTATION_DUE_POLICY, resource: kvAged(60), expect: [] },
    {
        title: "10 days left: a reminder",
        policy: ROTATION_DUE_POLICY,
        resource: kvAged(80),
        expect: [/^(?!.*URGENT).*reaches its 90-day limit on [\d-]+ — 10 day\(s\) left/m, /schedule the rotation/],
    },
    { title: "5 days left: an urgent reminder", policy: ROTATION_DUE_POLICY, resource: kvAged(85), expect: [/URGENT: .* — 5 day\(s\) left/, /rotate it this week/] },
    { title: "the last day: an urgent reminder", policy: ROTATION_DUE_POLICY, resource: kvAged(90), expect: [/URGENT: .*today is its last day/] },
    { title: "overdue: left to anthropic-key-max-age", policy: ROTATION_DUE_POLICY, resource: kvAged(100), expect: [] },

    // anthropic-key-no-plaintext
    { title: "the KeyValidation's apiKey may carry the key", policy: NO_PLAINTEXT_POLICY, resource: kv(), expect: [] },
    { title: "the Heroku apiKey may carry the key", policy: NO_PLAINTEXT_POLICY, resource: herokuVars(), expect: [] },
    { title: "the Infisical apiKey may carry the key", policy: NO_PLAINTEXT_POLICY, resource: infisicalSecret(), expect: [] },
    { title: "a GitHub repository secret's value may carry the key", policy: NO_PLAINTEXT_POLICY, resource: githubRepoSecret(), expect: [] },
    { title: "a GitHub repository secret's plaintextValue may carry the key", policy: NO_PLAINTEXT_POLICY, resource: githubRepoSecret({ value: undefined, plaintextValue: KEYS.prod }), expect: [] },
    { title: "a GitHub environment secret's value may carry the key", policy: NO_PLAINTEXT_POLICY, resource: githubEnvSecret(), expect: [] },
    { title: "a GitHub organization secret's value may carry the key", policy: NO_PLAINTEXT_POLICY, resource: githubOrgSecret(), expect: [] },
    { title: "the revocation step's apiKey may carry the key", policy: NO_PLAINTEXT_POLICY, resource: revocation(), expect: [] },
    { title: "a command's environment may carry the key", policy: NO_PLAINTEXT_POLICY, resource: command(), expect: [] },
    {
        title: "the key in a command's argv fails",
        policy: NO_PLAINTEXT_POLICY,
        resource: command({ create: `fly secrets set ANTHROPIC_API_KEY=${KEYS.prod} --app raxx-agents-prod` }),
        expect: [/property `create` contains an Anthropic key in plaintext/, /pass the key in the command's `environment`/],
    },
    {
        title: "the key in a description fails",
        policy: NO_PLAINTEXT_POLICY,
        resource: herokuVars({ description: `rotated to ${KEYS.prod} today` }),
        expect: [/property `description` contains an Anthropic key/, /only `apiKey` may carry it/],
    },
    {
        title: "the key nested in another property fails",
        policy: NO_PLAINTEXT_POLICY,
        resource: command({ triggers: ["sha256:abc", { note: KEYS.prod }] }),
        expect: [/property `triggers\[1\]\.note` contains an Anthropic key/],
    },
    {
        title: "an Admin API key in a secret-carrying input fails",
        policy: NO_PLAINTEXT_POLICY,
        resource: herokuVars({ apiKey: KEYS.admin }),
        expect: [/`apiKey` carries an Anthropic Admin API key/],
    },

    // anthropic-key-validation-cost
    { title: "claude-haiku-4-5 with 10 tokens passes", policy: VALIDATION_COST_POLICY, resource: kv(), expect: [] },
    { title: "a dated haiku snapshot passes", policy: VALIDATION_COST_POLICY, resource: kv({ model: "claude-haiku-4-5-20251001", maxTokens: 1 }), expect: [] },
    { title: "models mode costs nothing", policy: VALIDATION_COST_POLICY, resource: kv({ mode: "models", model: "claude-opus-4-1", maxTokens: 4096 }), expect: [] },
    { title: "an expensive model warns", policy: VALIDATION_COST_POLICY, resource: kv({ model: "claude-opus-4-1" }), expect: [/`model` "claude-opus-4-1", which is not among the cheapest models/] },
    { title: "a large max_tokens warns", policy: VALIDATION_COST_POLICY, resource: kv({ maxTokens: 1024 }), expect: [/asks for `maxTokens` 1024; a validation ping needs at most 10/] },

    // github-secret-name
    { title: "ANTHROPIC_API_KEY passes", policy: GITHUB_SECRET_NAME_POLICY, resource: githubRepoSecret(), expect: [] },
    { title: "ANTHROPIC_API_KEY_PROD passes", policy: GITHUB_SECRET_NAME_POLICY, resource: githubEnvSecret(), expect: [] },
    { title: "an organization secret passes", policy: GITHUB_SECRET_NAME_POLICY, resource: githubOrgSecret(), expect: [] },
    { title: "a GITHUB_ prefix fails", policy: GITHUB_SECRET_NAME_POLICY, resource: githubRepoSecret({ secretName: "GITHUB_ANTHROPIC_API_KEY" }), expect: [/must not start with GITHUB_/] },
    { title: "a hyphen fails", policy: GITHUB_SECRET_NAME_POLICY, resource: githubRepoSecret({ secretName: "ANTHROPIC-API-KEY" }), expect: [/contain only letters, digits and '_'/] },
    { title: "a leading digit fails", policy: GITHUB_SECRET_NAME_POLICY, resource: githubOrgSecret({ secretName: "1ANTHROPIC_API_KEY" }), expect: [/must not start with a digit/] },
    {
        title: "a name off the convention fails",
        policy: GITHUB_SECRET_NAME_POLICY,
        resource: githubEnvSecret({ secretName: "CLAUDE_KEY" }),
        expect: [/"CLAUDE_KEY" does not follow the naming convention/, /ANTHROPIC_API_KEY_<ENV>/],
    },
    { title: "a secret that does not carry the key is not held to the convention", policy: GITHUB_SECRET_NAME_POLICY, resource: githubRepoSecret({ secretName: "NPM_TOKEN", value: "npm_abc" }), expect: [] },

    // heroku-config-var-name
    { title: "ANTHROPIC_API_KEY passes", policy: HEROKU_CONFIG_VAR_NAME_POLICY, resource: herokuVars(), expect: [] },
    { title: "ANTHROPIC_API_KEY_AGENTS passes", policy: HEROKU_CONFIG_VAR_NAME_POLICY, resource: herokuVars({ vars: ["ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY_AGENTS"] }), expect: [] },
    { title: "a HEROKU_ prefix fails", policy: HEROKU_CONFIG_VAR_NAME_POLICY, resource: herokuVars({ vars: ["HEROKU_ANTHROPIC_KEY"] }), expect: [/reserved by Heroku/] },
    { title: "a hyphen fails", policy: HEROKU_CONFIG_VAR_NAME_POLICY, resource: herokuVars({ vars: ["ANTHROPIC-API-KEY"] }), expect: [/`vars\[0\]` "ANTHROPIC-API-KEY" is not a valid Heroku config var name/] },
    { title: "a name off the convention fails", policy: HEROKU_CONFIG_VAR_NAME_POLICY, resource: herokuVars({ vars: ["ANTHROPIC_API_KEY", "CLAUDE_KEY"] }), expect: [/`vars\[1\]` "CLAUDE_KEY" does not follow the naming convention/] },
    { title: "no vars fails", policy: HEROKU_CONFIG_VAR_NAME_POLICY, resource: herokuVars({ vars: [] }), expect: [/names no config var/] },
];

/** A GitHub secret whose value is not known yet (computed during preview). */
export function unknownValueSecret(): Res {
    return githubRepoSecret({ value: UNKNOWN_VALUE }, "github-agents");
}

/**
 * anthropic-key-validated-before-fanout and anthropic-key-environment-isolation are resource policies: each
 * resource is judged on its own inputs and parent, before the engine writes it.
 */
export const FANOUT_AND_ISOLATION_CASES: readonly ResourceCase[] = [
    // The credential preflight carries the key's fingerprint only: no policy has anything to say about it…
    { title: "the credential preflight (fingerprint, no key) passes", policy: VALIDATED_BEFORE_FANOUT_POLICY, resource: credentialPreflight(), expect: [] },
    { title: "the credential preflight passes the isolation rule", policy: ENVIRONMENT_ISOLATION_POLICY, resource: credentialPreflight(), expect: [] },
    { title: "the credential preflight passes no-plaintext", policy: NO_PLAINTEXT_POLICY, resource: credentialPreflight(), expect: [] },
    // …and a key that found its way into it is a leak like anywhere else: it is no property built to carry one.
    {
        title: "a key in the credential preflight's inputs fails no-plaintext",
        policy: NO_PLAINTEXT_POLICY,
        resource: credentialPreflight({ heroku: { apiUrl: "https://api.heroku.com", apps: [KEYS.prod] } }),
        expect: [/property `heroku\.apps\[0\]` contains an Anthropic key in plaintext/, /this resource type may not carry it at all/],
    },
    // anthropic-key-validated-before-fanout
    { title: "a Heroku target with the receipt of the key it carries passes", policy: VALIDATED_BEFORE_FANOUT_POLICY, resource: herokuVars(), expect: [] },
    { title: "an Infisical secret with the receipt of the key it carries passes", policy: VALIDATED_BEFORE_FANOUT_POLICY, resource: infisicalSecret(), expect: [] },
    {
        title: "a Heroku target without a receipt fails",
        policy: VALIDATED_BEFORE_FANOUT_POLICY,
        resource: herokuVars({ validatedFingerprint: undefined }),
        expect: [/"heroku-raxx-api-prod" carries key sha256:[0-9a-f]{12} without a validation receipt for it \(no validatedFingerprint/, /could be written before that key is proven to work/],
    },
    {
        title: "an Infisical secret whose receipt is for another key fails",
        policy: VALIDATED_BEFORE_FANOUT_POLICY,
        resource: infisicalSecret({ validatedFingerprint: fingerprint(KEYS.prodNext) }),
        expect: [/the key validated is sha256:[0-9a-f]{12}, but this consumer would receive sha256:[0-9a-f]{12}/],
    },
    {
        title: "a receipt not known yet (a preview that re-validates) passes: the engine checks again before the write",
        policy: VALIDATED_BEFORE_FANOUT_POLICY,
        resource: herokuVars({ validatedFingerprint: UNKNOWN_VALUE }),
        expect: [],
    },
    {
        title: "a key not known yet without a receipt fails",
        policy: VALIDATED_BEFORE_FANOUT_POLICY,
        resource: infisicalSecret({ apiKey: UNKNOWN_VALUE, fingerprint: UNKNOWN_VALUE, validatedFingerprint: undefined }),
        expect: [/carries a key \(not known until the update\) without a validation receipt/],
    },
    {
        title: "a target whose fingerprint input is not the key it carries fails",
        policy: VALIDATED_BEFORE_FANOUT_POLICY,
        resource: herokuVars({ fingerprint: fingerprint(KEYS.prodNext) }),
        expect: [/its `fingerprint` input \(sha256:[0-9a-f]{12}\) is not the fingerprint of the key it carries/],
    },
    { title: "a GitHub secret of the AnthropicKey component passes", policy: VALIDATED_BEFORE_FANOUT_POLICY, resource: githubRepoSecret(), expect: [] },
    { title: "a command of the AnthropicKey component passes", policy: VALIDATED_BEFORE_FANOUT_POLICY, resource: command(), expect: [] },
    {
        title: "a GitHub secret created outside an AnthropicKey component fails",
        policy: VALIDATED_BEFORE_FANOUT_POLICY,
        resource: orphan(githubRepoSecret()),
        expect: [/"github-agents" carries key sha256:[0-9a-f]{12} but does not belong to an AnthropicKey component/, /could be written before that key is proven to work/],
    },
    {
        title: "a command created outside an AnthropicKey component fails",
        policy: VALIDATED_BEFORE_FANOUT_POLICY,
        resource: orphan(command()),
        expect: [/"fly-agents-prod" carries key sha256:[0-9a-f]{12} but does not belong to an AnthropicKey component/],
    },
    {
        title: "the revocation step outside an AnthropicKey component fails too",
        policy: VALIDATED_BEFORE_FANOUT_POLICY,
        resource: orphan(revocation()),
        expect: [/"prod-revocation" carries key sha256:[0-9a-f]{12} but does not belong to an AnthropicKey component/],
    },
    { title: "a value unknown during preview passes inside the component", policy: VALIDATED_BEFORE_FANOUT_POLICY, resource: unknownValueSecret(), expect: [] },
    {
        title: "a value unknown during preview fails outside the component",
        policy: VALIDATED_BEFORE_FANOUT_POLICY,
        resource: orphan(unknownValueSecret()),
        expect: [/"github-agents" carries a key \(not known until the update\) but does not belong to an AnthropicKey component/],
    },
    {
        title: "a validation whose fingerprint input is not its key's fails",
        policy: VALIDATED_BEFORE_FANOUT_POLICY,
        resource: keyValidation({ fingerprint: "sha256:000000000000" }),
        expect: [/its `fingerprint` input \(sha256:000000000000\) is not the fingerprint of the key it validates/],
    },
    { title: "a resource that carries no key is not concerned", policy: VALIDATED_BEFORE_FANOUT_POLICY, resource: orphan(githubRepoSecret({ secretName: "NPM_TOKEN", value: "npm_abc" })), expect: [] },

    // anthropic-key-environment-isolation (prod stack)
    { title: "a prod KeyValidation in the prod stack passes", policy: ENVIRONMENT_ISOLATION_POLICY, resource: keyValidation(), expect: [] },
    { title: "a prod Heroku app in the prod stack passes", policy: ENVIRONMENT_ISOLATION_POLICY, resource: herokuVars(), expect: [] },
    {
        title: "a staging Heroku app in the prod stack fails",
        policy: ENVIRONMENT_ISOLATION_POLICY,
        resource: herokuVars({ app: "raxx-api-staging" }, "heroku-raxx-api-staging"),
        expect: [/in the prod stack, its Heroku app \(`app`\) "raxx-api-staging" points at the staging environment/],
    },
    {
        title: "a staging GitHub environment in the prod stack fails",
        policy: ENVIRONMENT_ISOLATION_POLICY,
        resource: githubEnvSecret({ environment: "staging", secretName: "ANTHROPIC_API_KEY" }),
        expect: [/GitHub environment \(`environment`\) "staging" points at the staging environment/],
    },
    {
        title: "a dev Infisical environment in the prod stack fails",
        policy: ENVIRONMENT_ISOLATION_POLICY,
        resource: infisicalSecret({ environment: "development" }),
        expect: [/Infisical environment slug \(`environment`\) "development" points at the dev environment/],
    },
    {
        title: "a staging secret name in the prod stack fails",
        policy: ENVIRONMENT_ISOLATION_POLICY,
        resource: githubRepoSecret({ secretName: "ANTHROPIC_API_KEY_STAGING" }),
        expect: [/GitHub secret name \(`secretName`\) "ANTHROPIC_API_KEY_STAGING" points at the staging environment/],
    },
    {
        title: "a command that targets the staging app fails",
        policy: ENVIRONMENT_ISOLATION_POLICY,
        resource: command({ create: `printf 'ANTHROPIC_API_KEY=%s\\n' "$ANTHROPIC_API_KEY" | fly secrets import --app raxx-agents-staging` }),
        expect: [/command \(`create`\) .* points at the staging environment/],
    },
    { title: "a repository name is not checked by default", policy: ENVIRONMENT_ISOLATION_POLICY, resource: githubRepoSecret({ repository: "api-staging-tools" }), expect: [] },
    {
        title: "a staging key validated in the prod stack fails, before it is even validated",
        policy: ENVIRONMENT_ISOLATION_POLICY,
        resource: keyValidation({ apiKey: KEYS.staging, environment: "staging", keyName: `raxx-staging-agents-${daysAgo(3)}`, createdAt: daysAgo(3) }, "staging-key-validation"),
        expect: [/it validates a staging key, but the stack name \("prod", the environment when none is configured\) says this stack is prod/, /one stack carries one environment's key/],
    },
    {
        title: "the prod key validated for staging in the prod stack fails (a key is never shared between environments)",
        policy: ENVIRONMENT_ISOLATION_POLICY,
        resource: keyValidation({ environment: "staging", keyName: `raxx-staging-agents-${daysAgo(3)}` }, "staging-key-validation"),
        expect: [/it validates a staging key, but .* says this stack is prod/, /keys are never shared between environments/],
    },
];

/** Resource cases that need the stack to be called "staging" (PULUMI_STACK=staging). */
export const STAGING_RESOURCE_CASES: readonly ResourceCase[] = [
    {
        title: "a prod KeyValidation in the staging stack fails the name policy",
        policy: KEY_NAME_POLICY,
        resource: kv(),
        expect: [/the `environment` input is "prod" but this is the "staging" stack/],
    },
    {
        title: "a prod key run through the staging stack fails isolation at its KeyValidation",
        policy: ENVIRONMENT_ISOLATION_POLICY,
        resource: kv(),
        expect: [/it validates a prod key, but the stack name \("staging", the environment when none is configured\) says this stack is staging/],
    },
    {
        title: "a prod Heroku app in the staging stack fails isolation",
        policy: ENVIRONMENT_ISOLATION_POLICY,
        resource: herokuVars(),
        expect: [/in the staging stack, its Heroku app \(`app`\) "raxx-api-prod" points at the prod environment/],
    },
];

export const ALL_TYPES = [
    TYPE_KEY_VALIDATION,
    TYPE_HEROKU_CONFIG_VARS,
    TYPE_INFISICAL_SECRET,
    TYPE_GITHUB_REPO_SECRET,
    TYPE_GITHUB_ENV_SECRET,
    TYPE_GITHUB_ORG_SECRET,
    TYPE_COMMAND,
];
