/**
 * What the preflight checks, as plain values: the targets of the run resolved to the places each credential must
 * reach. The program builds them from the stack config (credentialPreflight.ts); the provider receives them as its
 * inputs. No credential and no key here: only names, URLs and the key's fingerprint.
 */

/** A GitHub Actions secret scope whose public key is fetched: what the provider needs before it can write. */
export type GithubScope =
    | { readonly kind: "repository"; readonly owner: string; readonly repository: string }
    | { readonly kind: "environment"; readonly owner: string; readonly repository: string; readonly environment: string }
    | { readonly kind: "organization"; readonly organization: string };

export interface InfisicalLocation {
    readonly projectId: string;
    readonly environment: string;
    readonly secretPath: string;
    readonly secretName: string;
    /** The Infisical site root. */
    readonly siteUrl: string;
}

export interface PreflightInputs {
    /** The key being rotated, by fingerprint: a new key re-runs the preflight. */
    readonly fingerprint: string;
    readonly heroku: { readonly apiUrl: string; readonly apps: readonly string[] };
    readonly infisical: readonly InfisicalLocation[];
    /** `baseUrl`: `endpoints.github`, or undefined for github.com. */
    readonly github: {
        readonly baseUrl?: string;
        readonly scopes: readonly GithubScope[];
        readonly unresolved: readonly string[];
        /** The token is kept in `github:token` stack config, which the preflight cannot read. */
        readonly tokenInConfig?: boolean;
    };
    /** `required`: the run cannot finish without ANTHROPIC_ADMIN_API_KEY (revocation: deactivate). */
    readonly admin: { readonly baseUrl: string; readonly required: boolean };
}

/** Inputs whose change makes the last verdict stale. */
export const PREFLIGHT_INPUTS: readonly (keyof PreflightInputs)[] = ["fingerprint", "heroku", "infisical", "github", "admin"];

/** `owner/repo environment prod` etc.: how a scope is named in messages and outputs. */
export function describeScope(scope: GithubScope): string {
    if (scope.kind === "organization") return `github organization ${scope.organization}`;
    const repo = `github repository ${scope.owner}/${scope.repository}`;
    return scope.kind === "environment" ? `${repo} environment ${scope.environment}` : repo;
}

/** One entry per scope: several secrets in one repository need its public key once. */
export function uniqueScopes(scopes: readonly GithubScope[]): GithubScope[] {
    const seen = new Map<string, GithubScope>();
    for (const s of scopes) seen.set(describeScope(s), s);
    return [...seen.values()];
}

type Props = Record<string, unknown>;

const str = (v: unknown): string => (typeof v === "string" ? v : "");
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Props => (v && typeof v === "object" && !Array.isArray(v) ? (v as Props) : {});

function scopeOf(raw: unknown): GithubScope | undefined {
    const s = obj(raw);
    if (s.kind === "organization" && str(s.organization)) return { kind: "organization", organization: str(s.organization) };
    if (s.kind === "repository" && str(s.owner) && str(s.repository)) return { kind: "repository", owner: str(s.owner), repository: str(s.repository) };
    if (s.kind === "environment" && str(s.owner) && str(s.repository) && str(s.environment)) {
        return { kind: "environment", owner: str(s.owner), repository: str(s.repository), environment: str(s.environment) };
    }
    return undefined;
}

/** The typed inputs from the provider's property bag (check has vouched for their shape). */
export function preflightInputsOf(props: Props): PreflightInputs {
    const heroku = obj(props.heroku);
    const github = obj(props.github);
    const admin = obj(props.admin);
    return {
        fingerprint: str(props.fingerprint),
        heroku: { apiUrl: str(heroku.apiUrl), apps: list(heroku.apps).map(str).filter(Boolean) },
        infisical: list(props.infisical).map((raw) => {
            const l = obj(raw);
            return { projectId: str(l.projectId), environment: str(l.environment), secretPath: str(l.secretPath) || "/", secretName: str(l.secretName), siteUrl: str(l.siteUrl) };
        }),
        github: {
            ...(str(github.baseUrl) ? { baseUrl: str(github.baseUrl) } : {}),
            scopes: list(github.scopes).map(scopeOf).filter((s): s is GithubScope => s !== undefined),
            unresolved: list(github.unresolved).map(str).filter(Boolean),
            tokenInConfig: github.tokenInConfig === true,
        },
        admin: { baseUrl: str(admin.baseUrl), required: admin.required === true },
    };
}

/** Why the property bag is not a preflight's inputs, one entry per property; empty when it is. */
export function inputProblems(props: Props, isUnknown: (v: unknown) => boolean): { property: string; reason: string }[] {
    const out: { property: string; reason: string }[] = [];
    const known = (v: unknown) => !isUnknown(v);
    if (known(props.fingerprint) && !/^sha256:[0-9a-f]{12}$/.test(str(props.fingerprint))) out.push({ property: "fingerprint", reason: "must look like sha256:<12 hex digits>" });
    const heroku = obj(props.heroku);
    if (known(props.heroku) && (!str(heroku.apiUrl) || !Array.isArray(heroku.apps))) out.push({ property: "heroku", reason: "must be { apiUrl, apps: [...] }" });
    if (known(props.infisical)) {
        list(props.infisical).forEach((raw, i) => {
            const l = obj(raw);
            for (const k of ["projectId", "environment", "secretName", "siteUrl"]) if (!str(l[k])) out.push({ property: `infisical[${i}].${k}`, reason: "is required" });
        });
    }
    const github = obj(props.github);
    if (known(props.github)) {
        list(github.scopes).forEach((raw, i) => {
            if (!scopeOf(raw)) out.push({ property: `github.scopes[${i}]`, reason: "must be a repository, environment or organization scope" });
        });
    }
    const admin = obj(props.admin);
    if (known(props.admin) && (!str(admin.baseUrl) || typeof admin.required !== "boolean")) out.push({ property: "admin", reason: "must be { baseUrl, required }" });
    return out;
}
