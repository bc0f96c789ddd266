import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import type { GithubTarget } from "../config/schema";
import { keepGithubTokenInPlugin } from "./tokenStaysInPlugin";

/**
 * GitHub Actions secrets through @pulumi/github: repository, environment and organization secrets. The
 * provider seals the value with the repository's or organization's public key (libsodium sealed box)
 * before it leaves the machine. The value goes in `plaintextValue` (@pulumi/github 6.12.1, the version whose
 * provider plugin can be built here, has no `value`); it is a secret input, and a secret output through
 * additionalSecretOutputs (which the SDK also sets for it).
 *
 * Like Heroku and Infisical targets, a secret is left in place when its resource is deleted (`pulumi destroy`,
 * a target removed from the config, a replacement) unless the target sets `removeOnDelete: true`: deleting the
 * key a consumer runs on is an outage.
 *
 * Credentials: the github provider plugin reads `GITHUB_TOKEN` (or `github:token`) at run time. We never pass a
 * token, and the program drops `GITHUB_TOKEN` from its own environment before constructing a provider, because
 * the SDK would otherwise copy it into the provider's inputs (see tokenStaysInPlugin.ts).
 */

export interface GithubSecretTargetArgs {
    readonly target: GithubTarget;
    readonly apiKey: pulumi.Input<string>;
    /** `github:owner` from stack config, used when `repository` has no `owner/` prefix. */
    readonly defaultOwner?: string;
    /** API base URL for GitHub Enterprise Server or an emulator (`endpoints.github`). */
    readonly baseUrl?: string;
}

/** A human label for the target, used in outputs and the audit. */
export function githubTargetLabel(target: GithubTarget): string {
    if ("organization" in target) return `github org ${target.organization} secret ${target.secretName} (${target.visibility})`;
    const env = target.environment ? ` environment ${target.environment}` : "";
    return `github ${target.repository}${env} secret ${target.secretName}`;
}

/** The owner a target lives under, or undefined when the stack's `github:owner` applies. */
export function githubOwnerOf(target: GithubTarget): string | undefined {
    if ("organization" in target) return target.organization;
    const slash = target.repository.indexOf("/");
    return slash > 0 ? target.repository.slice(0, slash) : undefined;
}

function repositoryName(repository: string): string {
    const slash = repository.indexOf("/");
    return slash > 0 ? repository.slice(slash + 1) : repository;
}

/**
 * One explicit provider per owner, so `owner/repo` targets under different owners work in one stack.
 * Only non-secret settings are set; the token comes from the environment at run time.
 */
export class GithubProviders {
    private readonly providers = new Map<string, github.Provider>();

    constructor(
        private readonly namePrefix: string,
        private readonly parent: pulumi.Resource,
        private readonly baseUrl?: string,
    ) {}

    forOwner(owner: string | undefined): github.Provider | undefined {
        if (owner === undefined && this.baseUrl === undefined) return undefined; // the default provider (github:owner)
        const key = owner ?? "";
        let provider = this.providers.get(key);
        if (!provider) {
            keepGithubTokenInPlugin();
            provider = new github.Provider(
                `${this.namePrefix}-github${owner ? `-${owner}` : ""}`,
                { owner, baseUrl: this.baseUrl },
                { parent: this.parent },
            );
            this.providers.set(key, provider);
        }
        return provider;
    }
}

export function createGithubSecret(
    name: string,
    args: GithubSecretTargetArgs,
    providers: GithubProviders,
    opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource {
    const { target } = args;
    const provider = providers.forOwner(githubOwnerOf(target));
    const options: pulumi.CustomResourceOptions = {
        ...opts,
        provider,
        additionalSecretOutputs: [...(opts.additionalSecretOutputs ?? []), "plaintextValue"],
        retainOnDelete: target.removeOnDelete !== true,
    };
    const plaintextValue = pulumi.secret(args.apiKey);
    if ("organization" in target) {
        return new github.ActionsOrganizationSecret(
            name,
            {
                secretName: target.secretName,
                visibility: target.visibility,
                selectedRepositoryIds: target.visibility === "selected" ? target.selectedRepositoryIds : undefined,
                plaintextValue,
            },
            options,
        );
    }
    if (target.environment) {
        return new github.ActionsEnvironmentSecret(
            name,
            { repository: repositoryName(target.repository), environment: target.environment, secretName: target.secretName, plaintextValue },
            options,
        );
    }
    return new github.ActionsSecret(name, { repository: repositoryName(target.repository), secretName: target.secretName, plaintextValue }, options);
}
