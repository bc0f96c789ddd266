/**
 * Which GitHub secrets of the stack are acknowledged as existing with a wider scope than the prod rule allows
 * (`legacyScope: true` on their `targets.github` entry), read from the stack config the engine hands the pack in
 * PULUMI_CONFIG (pkg/resource/plugin/analyzer_plugin.go sets it for every policy pack). That config also holds
 * the decrypted key: only `anthropic-key-rotation:targets` is parsed, and nothing from it is ever echoed but the
 * repository and secret names the resource itself carries.
 */
import { DEFAULT_SECRET_NAME } from "../../components/domain";
import { CONFIG_NAMESPACE } from "./common";

export interface ScopeAcknowledgements {
    /** `<repository name>|<SECRET NAME>` of acknowledged plain repository secrets (repository without its owner). */
    readonly repositorySecrets: ReadonlySet<string>;
    /** Upper-cased names of acknowledged organization secrets. */
    readonly organizationSecrets: ReadonlySet<string>;
}

export const NO_ACKNOWLEDGEMENTS: ScopeAcknowledgements = { repositorySecrets: new Set(), organizationSecrets: new Set() };

export function repositorySecretKey(repository: string, secretName: string): string {
    const slash = repository.indexOf("/");
    return `${(slash > 0 ? repository.slice(slash + 1) : repository).toLowerCase()}|${secretName.toUpperCase()}`;
}

export function scopeAcknowledgements(env: NodeJS.ProcessEnv = process.env): ScopeAcknowledgements {
    const raw = env.PULUMI_CONFIG;
    if (!raw) return NO_ACKNOWLEDGEMENTS;
    let targets: unknown;
    try {
        const config = JSON.parse(raw) as Record<string, unknown>;
        const value = config[`${CONFIG_NAMESPACE}:targets`];
        targets = typeof value === "string" ? JSON.parse(value) : value;
    } catch {
        return NO_ACKNOWLEDGEMENTS;
    }
    const github = typeof targets === "object" && targets !== null ? (targets as Record<string, unknown>).github : undefined;
    if (!Array.isArray(github)) return NO_ACKNOWLEDGEMENTS;
    const repositorySecrets = new Set<string>();
    const organizationSecrets = new Set<string>();
    for (const entry of github) {
        if (typeof entry !== "object" || entry === null) continue;
        const t = entry as Record<string, unknown>;
        if (t.legacyScope !== true) continue;
        const secretName = typeof t.secretName === "string" ? t.secretName : DEFAULT_SECRET_NAME;
        if (typeof t.organization === "string") organizationSecrets.add(secretName.toUpperCase());
        else if (typeof t.repository === "string" && t.environment === undefined) repositorySecrets.add(repositorySecretKey(t.repository, secretName));
    }
    return { repositorySecrets, organizationSecrets };
}
