/** Resource type tokens. Policies select on these, so they are public names: keep them stable. */
export const TYPE_ANTHROPIC_KEY = "anthropic-key-rotation:index:AnthropicKey";
export const TYPE_KEY_VALIDATION = "pulumi-nodejs:dynamic/anthropic:KeyValidation";
export const TYPE_HEROKU_CONFIG_VARS = "pulumi-nodejs:dynamic/heroku:ConfigVars";
export const TYPE_INFISICAL_SECRET = "pulumi-nodejs:dynamic/infisical:Secret";
export const TYPE_GITHUB_REPO_SECRET = "github:index/actionsSecret:ActionsSecret";
export const TYPE_GITHUB_ENV_SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret";
export const TYPE_GITHUB_ORG_SECRET = "github:index/actionsOrganizationSecret:ActionsOrganizationSecret";
export const TYPE_COMMAND = "command:local:Command";
/** The previous-key revocation step; it carries the current key as `apiKey` (components/revocation). */
export const TYPE_PREVIOUS_KEY_REVOCATION = "pulumi-nodejs:dynamic/anthropic:PreviousKeyRevocation";
/**
 * Every key that reached a consumer since the last proven revocation; it carries the current key as `apiKey`
 * (its retired keys are outputs only, handed to PreviousKeyRevocation as `retiredKeys`).
 */
export const TYPE_KEY_LEDGER = "pulumi-nodejs:dynamic/anthropic:KeyLedger";
/**
 * The credential preflight: after validation, before the first write, every credential the run needs is tried
 * read-only (components/preflight). Carries no key, only its fingerprint.
 */
export const TYPE_CREDENTIAL_PREFLIGHT = "pulumi-nodejs:dynamic/preflight:CredentialPreflight";

/**
 * The default provider of every dynamic resource. The engine hands it the program's whole stack config as its
 * inputs (so dynamic providers can read config), the encrypted `apiKey` included, kept secret in state like the
 * config value itself. It writes nothing anywhere: policies accept the key in exactly this one property.
 */
export const TYPE_DYNAMIC_PROVIDER = "pulumi:providers:pulumi-nodejs";
export const STACK_CONFIG_API_KEY = "anthropic-key-rotation:apiKey";

export const GITHUB_SECRET_TYPES: readonly string[] = [TYPE_GITHUB_REPO_SECRET, TYPE_GITHUB_ENV_SECRET, TYPE_GITHUB_ORG_SECRET];
