/**
 * Environment tokens and their aliases. The security policy (§9) knows three environments: prod, staging and
 * dev. Consumers name them in different ways (Heroku `raxx-api-prod`, GitHub environment `production`,
 * Infisical slug `prod`), so tokens are compared by canonical name.
 */
export const DEFAULT_ENVIRONMENT_ALIASES: Readonly<Record<string, readonly string[]>> = {
    prod: ["prod", "production", "prd"],
    staging: ["staging", "stage", "stg"],
    dev: ["dev", "development"],
};

export type EnvironmentAliases = Readonly<Record<string, readonly string[]>>;

/** The canonical name of an environment token, or undefined when the token names no known environment. */
export function knownEnvironment(token: string, aliases: EnvironmentAliases = DEFAULT_ENVIRONMENT_ALIASES): string | undefined {
    const t = token.toLowerCase();
    for (const [canonical, names] of Object.entries(aliases)) {
        if (canonical === t || names.includes(t)) return canonical;
    }
    return undefined;
}

/** The canonical name of an environment: its alias group, or the token itself when it is in none. */
export function canonicalEnvironment(token: string, aliases: EnvironmentAliases = DEFAULT_ENVIRONMENT_ALIASES): string {
    return knownEnvironment(token, aliases) ?? token.toLowerCase();
}

/**
 * The environments a free-form name points at: it is split into words at every character that is not a
 * letter or digit (`raxx-api-staging`, `ANTHROPIC_API_KEY_PROD`, `/anthropic/dev`), and each word is looked up.
 */
export function environmentsIn(text: string, aliases: EnvironmentAliases = DEFAULT_ENVIRONMENT_ALIASES): string[] {
    const found = new Set<string>();
    for (const word of text.toLowerCase().split(/[^a-z0-9]+/)) {
        if (!word) continue;
        const env = knownEnvironment(word, aliases);
        if (env) found.add(env);
    }
    return [...found];
}

