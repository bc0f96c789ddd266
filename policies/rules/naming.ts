/** The naming convention shared by github-secret-name and heroku-config-var-name. */
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { DEFAULT_SECRET_NAME_CONVENTION } from "../../components/domain";

export const CONVENTION: PolicyConfigJSONSchema = {
    type: "string",
    format: "regex",
    minLength: 1,
    description: "Regular expression the name must match. Default: ANTHROPIC_API_KEY, optionally followed by _<WORD> parts (ANTHROPIC_API_KEY_PROD).",
    default: DEFAULT_SECRET_NAME_CONVENTION,
};

export function conventionFix(convention: string): string {
    return convention === DEFAULT_SECRET_NAME_CONVENTION
        ? "use ANTHROPIC_API_KEY, or ANTHROPIC_API_KEY_<ENV> (e.g. ANTHROPIC_API_KEY_STAGING)"
        : `use a name matching ${convention}`;
}
