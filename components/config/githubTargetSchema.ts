import { z } from "zod";
import { DEFAULT_SECRET_NAME, githubSecretNameProblem } from "../domain/names";

/**
 * A GitHub Actions secret target: a repository secret, an environment secret (`environment`), or an
 * organization secret (`organization`). An organization secret's reach is always explicit: `visibility` has no
 * default (GitHub's `private` hands the key to every private repository of the organisation), `selected` needs
 * `selectedRepositoryIds`, and ids with any other visibility are refused rather than silently ignored.
 *
 * Rules that know their own fix put it in the issue's `params.fix` (loadConfig reports it with the field).
 */

const GITHUB_TARGET_SHAPES =
    "use { repository, secretName } for a repository secret, add environment for an environment secret, or { organization, visibility: selected, selectedRepositoryIds, secretName } for an organization secret";

export const ORGANIZATION_SECRET_VISIBILITIES = ["selected", "private", "all"] as const;
export type OrganizationSecretVisibility = (typeof ORGANIZATION_SECRET_VISIBILITIES)[number];

const REPOSITORY_ID_HINT = "GitHub's numeric repository ids: gh api repos/<owner>/<repo> --jq .id";

const secretName = z
    .string()
    .default(DEFAULT_SECRET_NAME)
    .superRefine((name, ctx) => {
        const problem = githubSecretNameProblem(name);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
    });

/** Delete the secret from GitHub on `pulumi destroy` or when the target is removed. Off by default, as for Heroku. */
const removeOnDelete = z.boolean().default(false);

/**
 * Acknowledges a secret that already exists with a wider scope than the prod rule allows (a plain repository
 * secret, or a private/all organization secret): the github-prod-secret-scope policy then reports an advisory
 * instead of stopping the run, until the secret is moved and the flag removed. Never set it on a new target.
 */
const legacyScope = z.boolean().optional();

const LEGACY_SCOPE_FIX = "remove legacyScope: it only acknowledges an existing plain repository secret or a private/all organization secret";

export const repositorySecretTargetSchema = z
    .strictObject({
        repository: z.string().regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)?$/, "a repository name, or owner/name"),
        environment: z.string().min(1).optional(),
        secretName,
        removeOnDelete,
        legacyScope,
    })
    .superRefine((t, ctx) => {
        if (t.legacyScope !== undefined && t.environment !== undefined) {
            ctx.addIssue({ code: "custom", path: ["legacyScope"], message: "does not apply to an environment secret, which is already scoped to its environment", params: { fix: LEGACY_SCOPE_FIX } });
        }
    });

const organizationFields = z
    .strictObject({
        organization: z.string().min(1),
        visibility: z.string().optional(),
        selectedRepositoryIds: z.array(z.number().int().positive()).optional(),
        secretName,
        removeOnDelete,
        legacyScope,
    })
    .superRefine((t, ctx) => {
        const issue = (path: string, message: string, fix: string) => ctx.addIssue({ code: "custom", path: [path], message, params: { fix } });
        if (t.visibility === undefined) {
            issue(
                "visibility",
                "is required for an organization secret: it decides which repositories can read the key",
                `set visibility: selected with selectedRepositoryIds (${REPOSITORY_ID_HINT}); private hands the key to every private repository of the organisation, all to every repository`,
            );
        } else if (!(ORGANIZATION_SECRET_VISIBILITIES as readonly string[]).includes(t.visibility)) {
            issue("visibility", "must be selected, private or all", `use visibility: selected with selectedRepositoryIds (${REPOSITORY_ID_HINT})`);
        } else if (t.visibility === "selected" && (t.selectedRepositoryIds === undefined || t.selectedRepositoryIds.length === 0)) {
            issue(
                "selectedRepositoryIds",
                "is required with visibility: selected: the repositories that may read the secret",
                `list them: selectedRepositoryIds: [123456789] (${REPOSITORY_ID_HINT})`,
            );
        } else if (t.visibility !== "selected" && t.selectedRepositoryIds !== undefined) {
            issue(
                "selectedRepositoryIds",
                `only applies to visibility: selected; with visibility: ${t.visibility} GitHub ignores it and every ${t.visibility === "all" ? "" : "private "}repository of the organisation can read the secret`,
                "set visibility: selected to limit the secret to these repositories, or remove selectedRepositoryIds",
            );
        }
        if (t.legacyScope !== undefined && t.visibility === "selected") {
            issue("legacyScope", "does not apply to a selected organization secret, which is already scoped to its repositories", LEGACY_SCOPE_FIX);
        }
    });

export const organizationSecretTargetSchema = organizationFields.transform((t) => ({ ...t, visibility: t.visibility as OrganizationSecretVisibility }));

export type RepositorySecretTarget = z.output<typeof repositorySecretTargetSchema>;
export type OrganizationSecretTarget = z.output<typeof organizationSecretTargetSchema>;

/**
 * Either kind, chosen by the presence of `organization`, so a mistake is reported against the kind the operator
 * meant (`targets.github[0].visibility: is required`) instead of a bare "is not a GitHub target".
 */
export const githubTargetSchema = z.unknown().transform((value, ctx): RepositorySecretTarget | OrganizationSecretTarget => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        ctx.addIssue({ code: "custom", message: "is not a GitHub target", params: { fix: GITHUB_TARGET_SHAPES } });
        return z.NEVER;
    }
    const isOrganization = "organization" in value;
    const result = isOrganization ? organizationSecretTargetSchema.safeParse(value, { reportInput: true }) : repositorySecretTargetSchema.safeParse(value, { reportInput: true });
    if (result.success) return result.data;
    for (const issue of result.error.issues) ctx.addIssue({ ...issue } as Parameters<typeof ctx.addIssue>[0]);
    return z.NEVER;
});
