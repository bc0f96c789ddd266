/** Platform naming rules for the places the key lands. */

/** The variable or secret name a consumer reads the key from unless its target says otherwise. */
export const DEFAULT_SECRET_NAME = "ANTHROPIC_API_KEY";

export const HEROKU_VAR_PATTERN = /^\w+$/;

/** Why a Heroku config var name is unusable, or undefined when it is fine. */
export function herokuVarNameProblem(name: string): string | undefined {
    if (!HEROKU_VAR_PATTERN.test(name)) return "Heroku config var names contain only letters, digits and '_' (^\\w+$)";
    if (name.toUpperCase().startsWith("HEROKU_")) return "names starting with HEROKU_ are reserved by Heroku";
    if (name.includes("__")) return "Heroku advises against '__' in config var names";
    return undefined;
}

/** Why a GitHub Actions secret name is unusable, or undefined when it is fine. */
export function githubSecretNameProblem(name: string): string | undefined {
    if (name.length === 0) return "the name is empty";
    if (!/^[A-Za-z0-9_]+$/.test(name)) return "GitHub secret names contain only letters, digits and '_'";
    if (/^[0-9]/.test(name)) return "GitHub secret names must not start with a digit";
    if (name.toUpperCase().startsWith("GITHUB_")) return "GitHub secret names must not start with GITHUB_";
    return undefined;
}

/** The house convention for the variable or secret that carries the key: ANTHROPIC_API_KEY or ANTHROPIC_API_KEY_<ENV>. */
export const DEFAULT_SECRET_NAME_CONVENTION = "^ANTHROPIC_API_KEY(_[A-Z0-9]+)*$";

export function followsNameConvention(name: string, convention: string = DEFAULT_SECRET_NAME_CONVENTION): boolean {
    return new RegExp(convention).test(name);
}
