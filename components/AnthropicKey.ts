import * as pulumi from "@pulumi/pulumi";
import { KeyValidation } from "./anthropic/keyValidation";
import { commandTargetLabel, createCommandTarget } from "./commands/commandTarget";
import type { RotationConfig } from "./config/loadConfig";
import { rotationStatus } from "./domain/rotationAge";
import { TYPE_ANTHROPIC_KEY } from "./domain/tokens";
import { createGithubSecret, GithubProviders, githubTargetLabel } from "./github/githubSecretTarget";
import { HerokuConfigVars } from "./heroku/herokuConfigVars";
import { InfisicalSecret } from "./infisical/infisicalSecret";

/** Everything the component needs: the parsed stack config, with the key as a secret Input. */
export interface AnthropicKeyArgs extends Omit<RotationConfig, "apiKey" | "notices" | "stack"> {
    /** The new key. Must be a secret Output (`pulumi.secret`); it is wrapped again defensively. */
    readonly apiKey: pulumi.Input<string>;
    /** `github:owner` from stack config, for repository targets without an `owner/` prefix. */
    readonly githubOwner?: string;
    /** Evaluation time for age and due date (tests fix it). */
    readonly now?: Date;
}

/** One consumer that receives the key, as shown in stack outputs: never the key, only its fingerprint. */
export interface TargetSummary {
    readonly kind: "infisical" | "heroku" | "github" | "command";
    readonly target: string;
    readonly fingerprint: string;
}

/**
 * `anthropic-key-rotation:index:AnthropicKey`: one environment's Anthropic API key and every consumer of it.
 *
 * Order (each arrow is a dependency the engine enforces):
 *   KeyValidation → Infisical (system of record) → Heroku, GitHub, commands (in parallel)
 * so nothing is written anywhere until the key has been proven to work.
 */
export class AnthropicKey extends pulumi.ComponentResource {
    public readonly environment: pulumi.Output<string>;
    public readonly keyName: pulumi.Output<string>;
    public readonly fingerprint: pulumi.Output<string>;
    public readonly createdAt: pulumi.Output<string>;
    public readonly ageDays: pulumi.Output<number>;
    public readonly maxAgeDays: pulumi.Output<number>;
    public readonly dueDate: pulumi.Output<string>;
    public readonly daysLeft: pulumi.Output<number>;
    public readonly targets: pulumi.Output<TargetSummary[]>;
    public readonly validation: KeyValidation;

    constructor(name: string, args: AnthropicKeyArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPE_ANTHROPIC_KEY, name, {}, opts);
        const child = { parent: this };
        const apiKey = pulumi.secret(args.apiKey);
        const fingerprint = args.fingerprint;
        const endpoints = args.endpoints;

        // 1. Prove the key works before anything is written anywhere.
        this.validation = new KeyValidation(
            `${name}-validation`,
            {
                apiKey,
                keyName: args.keyName,
                environment: args.environment,
                createdAt: args.parsedName.date,
                fingerprint,
                mode: args.validation.mode,
                model: args.validation.model,
                maxTokens: args.validation.maxTokens,
                maxRetrySeconds: args.validation.maxRetrySeconds,
                minimumLimits: args.validation.minimumLimits,
                workspace: args.workspace,
                keyId: args.keyId,
                baseUrl: endpoints.anthropic,
            },
            child,
        );
        const afterValidation: pulumi.Resource[] = [this.validation];
        const summaries: TargetSummary[] = [];

        // 2. The system of record first, so Infisical's history holds every key that ever reached a consumer.
        const records = args.targets.infisical.map((t, i) => {
            summaries.push({ kind: "infisical", target: `infisical ${t.projectId}/${t.environment}${t.secretPath} ${t.secretName}`, fingerprint });
            return new InfisicalSecret(
                `${name}-infisical-${i}`,
                {
                    projectId: t.projectId,
                    environment: t.environment,
                    secretPath: t.secretPath,
                    secretName: t.secretName,
                    siteUrl: t.siteUrl ?? endpoints.infisical,
                    apiKey,
                    fingerprint,
                },
                { ...child, dependsOn: afterValidation },
            );
        });
        const afterRecord: pulumi.Resource[] = [...afterValidation, ...records];

        // 3. Every other consumer, in parallel.
        const heroku = args.targets.heroku.map((t) => {
            summaries.push({ kind: "heroku", target: `heroku app ${t.app} (${t.vars.join(", ")})`, fingerprint });
            return new HerokuConfigVars(
                `${name}-heroku-${t.app}`,
                { app: t.app, vars: t.vars, apiKey, fingerprint, apiUrl: endpoints.heroku, removeOnDelete: t.removeOnDelete },
                { ...child, dependsOn: afterRecord },
            );
        });
        const providers = new GithubProviders(name, this, endpoints.github);
        const githubSecrets = args.targets.github.map((t, i) => {
            summaries.push({ kind: "github", target: githubTargetLabel(t), fingerprint });
            return createGithubSecret(`${name}-github-${i}`, { target: t, apiKey, defaultOwner: args.githubOwner, baseUrl: endpoints.github }, providers, {
                ...child,
                dependsOn: afterRecord,
            });
        });
        const commands = args.targets.commands.map((t) => {
            summaries.push({ kind: "command", target: commandTargetLabel(t), fingerprint });
            return createCommandTarget(`${name}-command-${t.name}`, { target: t, apiKey, fingerprint }, { ...child, dependsOn: afterRecord });
        });
        void heroku;
        void githubSecrets;
        void commands;

        const status = rotationStatus(args.parsedName.date, args.maxAgeDays, args.now);
        this.environment = pulumi.output(args.environment);
        this.keyName = pulumi.output(args.keyName);
        this.fingerprint = pulumi.output(fingerprint);
        this.createdAt = pulumi.output(status.createdAt);
        this.ageDays = pulumi.output(status.ageDays);
        this.maxAgeDays = pulumi.output(status.maxAgeDays);
        this.dueDate = pulumi.output(status.dueDate);
        this.daysLeft = pulumi.output(status.daysLeft);
        this.targets = pulumi.output(summaries);
        this.registerOutputs({
            environment: this.environment,
            keyName: this.keyName,
            fingerprint: this.fingerprint,
            createdAt: this.createdAt,
            ageDays: this.ageDays,
            dueDate: this.dueDate,
            daysLeft: this.daysLeft,
            targets: this.targets,
        });
    }
}
