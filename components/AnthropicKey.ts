import * as pulumi from "@pulumi/pulumi";
import { KeyValidation } from "./anthropic/keyValidation";
import { releaseAfterValidation, validationReceipt } from "./anthropic/validationReceipt";
import type { AuditContext } from "./audit/auditLog";
import { RotationAudit } from "./audit/rotationAudit";
import { commandTargetLabel, createCommandTarget } from "./commands/commandTarget";
import type { RotationConfig } from "./config/loadConfig";
import { rotationStatus } from "./domain/rotationAge";
import { TYPE_ANTHROPIC_KEY } from "./domain/tokens";
import { createGithubSecret, GithubProviders, githubTargetLabel } from "./github/githubSecretTarget";
import { HealthChecks } from "./health/healthChecks";
import { HerokuConfigVars } from "./heroku/herokuConfigVars";
import { InfisicalSecret } from "./infisical/infisicalSecret";
import { CredentialPreflight } from "./preflight/credentialPreflight";
import { consumersOf } from "./revocation/consumers";
import { KeyLedger } from "./revocation/keyLedger";
import { PreviousKeyRevocation } from "./revocation/previousKeyRevocation";
import { ExposureReport } from "./exposure/exposureReport";
import type { ExposureSummary } from "./exposure/exposureTypes";
import type { Webhook } from "./notifications/webhooks";

/** Everything the component needs: the parsed stack config, with the key as a secret Input. */
export interface AnthropicKeyArgs extends Omit<RotationConfig, "apiKey" | "notices" | "notifications"> {
    /** The new key. Must be a secret Output (`pulumi.secret`); it is wrapped again defensively. */
    readonly apiKey: pulumi.Input<string>;
    /**
     * The chat webhooks (config `notifications`), as a secret Output (their URLs carry tokens); wrapped again
     * defensively. Every resource that writes an audit line gets it as a secret input and notifies from there.
     */
    readonly notifications?: pulumi.Input<Webhook[]>;
    /** `github:owner` from stack config, for repository targets without an `owner/` prefix. */
    readonly githubOwner?: string;
    /** Whether the GitHub token is kept in `github:token` stack config rather than GITHUB_TOKEN (the value is never passed). */
    readonly githubTokenInConfig?: boolean;
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
 *   KeyValidation → KeyLedger, CredentialPreflight (in parallel) → Infisical (system of record)
 *     → Heroku, GitHub, commands (in parallel)
 *     → HealthChecks (Heroku releases, then every health URL) → PreviousKeyRevocation → RotationAudit
 * so nothing is written anywhere until the key has been proven to work and every credential the run needs has
 * answered a read-only call, and the previous key is revoked only once every consumer is healthy on the new one.
 * In an emergency the compromised previous key is revoked right after validation, before any fan-out (and
 * without waiting for the preflight: the leaked key dies even if a consumer's credential is broken), accepting
 * downtime:
 *   KeyValidation → KeyLedger → PreviousKeyRevocation → Infisical (after the preflight too) → … → RotationAudit
 * and, once the leaked key is deactivated, in parallel with the fan-out, its ExposureReport (what it did in the
 * last hours; never fails the rotation), which the RotationAudit records.
 * The KeyLedger records every key that reached a consumer; the revocation must see each of them dead.
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
    public readonly ledger: KeyLedger;
    public readonly preflight: CredentialPreflight;
    public readonly revocation: PreviousKeyRevocation;
    public readonly audit: RotationAudit;
    /** Emergency only: the compromised key's exposure report (summary), else null. */
    public readonly exposure: pulumi.Output<ExposureSummary | null>;

    constructor(name: string, args: AnthropicKeyArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPE_ANTHROPIC_KEY, name, {}, opts);
        const child = { parent: this };
        const apiKey = pulumi.secret(args.apiKey);
        const fingerprint = args.fingerprint;
        const endpoints = args.endpoints;

        const audit: AuditContext = {
            path: args.auditLog,
            environment: args.environment,
            keyName: args.keyName,
            newFingerprint: fingerprint,
            workspace: args.workspace ?? "default",
            emergency: args.emergency,
            ...(args.compromisedKey ? { compromisedKey: args.compromisedKey } : {}),
            stack: args.stack,
            secretName: "ANTHROPIC_API_KEY",
        };
        // Absent when none is configured, so stacks without notifications keep their inputs as they were.
        const notifications = args.notifications === undefined ? undefined : pulumi.secret(args.notifications);

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
                // The key's expiry is judged against the rotation policy (keyLifecycleChecks.ts).
                maxAgeDays: args.maxAgeDays,
                requireExpiry: args.validation.requireExpiry,
                workspace: args.workspace,
                keyId: args.keyId,
                baseUrl: endpoints.anthropic,
                audit,
                notifications,
            },
            child,
        );
        // 1b. On record before any consumer is written: every key that reaches a consumer stays listed until
        //     it is proven dead, whatever fails later in this run.
        const keyHolders = consumersOf(args.targets, args.githubOwner);
        this.ledger = new KeyLedger(
            `${name}-key-ledger`,
            { apiKey, fingerprint, keyId: this.validation.keyId, environment: args.environment, baseUrl: endpoints.anthropic, consumers: keyHolders },
            { ...child, dependsOn: [this.validation] },
        );
        const revocationArgs = {
            apiKey,
            fingerprint,
            keyId: this.validation.keyId,
            retiredKeys: this.ledger.retiredKeys,
            replacedFingerprint: this.ledger.previousFingerprint,
            // A consumer removed from targets that still holds a key to revoke stops the run, unless acknowledged.
            consumers: keyHolders,
            acknowledgedRemovals: [...args.acknowledgeRemoved],
            // Proof from the usage report that the old keys are idle and the new one in use, before revoking.
            cutover: args.cutover,
            fanOutAt: this.ledger.since,
            mode: args.revocation,
            emergency: args.emergency,
            compromisedKey: args.compromisedKey,
            // After a deactivation, the consumers' health is watched; a failure reactivates the keys.
            healthChecks: args.healthChecks.map((c) => ({ url: c.url, ...(c.expect ? { expect: c.expect } : {}) })),
            watchMinutes: args.revocationWatch.minutes,
            watchIntervalSeconds: args.revocationWatch.intervalSeconds,
            baseUrl: endpoints.anthropic,
            audit,
            notifications,
        };
        const summaries: TargetSummary[] = [];
        // Consumers take the key's receipt, or the key released with it, from the validation's output: none can
        // be written before the validation passed, nor with another key (components/anthropic/validationReceipt.ts).
        const receipt = validationReceipt(this.validation, fingerprint, `${name}-validation`);
        const releasedKey = releaseAfterValidation(apiKey, receipt);

        // Emergency: the previous key is compromised, so it dies first, before anything else is written.
        const emergencyRevocation = args.emergency
            ? new PreviousKeyRevocation(`${name}-previous-key`, revocationArgs, { ...child, dependsOn: [this.validation, this.ledger] })
            : undefined;
        const afterValidation: pulumi.Resource[] = [this.validation, this.ledger, ...(emergencyRevocation ? [emergencyRevocation] : [])];

        // 1c. Every credential the run needs, tried read-only before the first write (the Infisical write waits for it).
        this.preflight = new CredentialPreflight(
            `${name}-preflight`,
            { fingerprint, targets: args.targets, endpoints, githubOwner: args.githubOwner, githubTokenInConfig: args.githubTokenInConfig, revocation: args.revocation, audit, notifications },
            { ...child, dependsOn: [this.validation] },
        );
        const beforeFirstWrite: pulumi.Resource[] = [...afterValidation, this.preflight];

        // 2. The system of record first, so Infisical's history holds every key that ever reached a consumer.
        const records = args.targets.infisical.map((t) => {
            summaries.push({ kind: "infisical", target: `infisical ${t.projectId}/${t.environment}${t.secretPath} ${t.secretName}`, fingerprint });
            return new InfisicalSecret(
                `${name}-infisical-${slug(`${t.projectId}-${t.environment}${t.secretPath}-${t.secretName}`)}`,
                {
                    projectId: t.projectId,
                    environment: t.environment,
                    secretPath: t.secretPath,
                    secretName: t.secretName,
                    siteUrl: t.siteUrl ?? endpoints.infisical,
                    removeOnDelete: t.removeOnDelete,
                    apiKey,
                    fingerprint,
                    validatedFingerprint: receipt,
                    audit,
                    notifications,
                },
                { ...child, dependsOn: beforeFirstWrite },
            );
        });
        // Without an Infisical target the fan-out waits for the preflight itself.
        const afterRecord: pulumi.Resource[] = [...beforeFirstWrite, ...records];

        // 3. Every other consumer, in parallel.
        const heroku = args.targets.heroku.map((t) => {
            summaries.push({ kind: "heroku", target: `heroku app ${t.app} (${t.vars.join(", ")})`, fingerprint });
            return new HerokuConfigVars(
                `${name}-heroku-${t.app}`,
                { app: t.app, vars: t.vars, apiKey, fingerprint, validatedFingerprint: receipt, apiUrl: endpoints.heroku, removeOnDelete: t.removeOnDelete, audit, notifications },
                { ...child, dependsOn: afterRecord },
            );
        });
        const providers = new GithubProviders(name, this, endpoints.github);
        const githubSecrets = args.targets.github.map((t) => {
            summaries.push({ kind: "github", target: githubTargetLabel(t), fingerprint });
            const where = "organization" in t ? `org-${t.organization}` : `${t.repository}${t.environment ? `-env-${t.environment}` : ""}`;
            return createGithubSecret(`${name}-github-${slug(`${where}-${t.secretName}`)}`, { target: t, apiKey: releasedKey, defaultOwner: args.githubOwner, baseUrl: endpoints.github }, providers, {
                ...child,
                dependsOn: afterRecord,
            });
        });
        const commands = args.targets.commands.map((t) => {
            summaries.push({ kind: "command", target: commandTargetLabel(t), fingerprint });
            return createCommandTarget(`${name}-command-${t.name}`, { target: t, apiKey: releasedKey, fingerprint }, { ...child, dependsOn: afterRecord });
        });
        const consumers: pulumi.Resource[] = [...records, ...heroku, ...githubSecrets, ...commands];

        // 4. Every consumer healthy on the new key: Heroku releases first, then the health URLs.
        const health =
            args.healthChecks.length > 0 || heroku.length > 0
                ? new HealthChecks(
                      `${name}-health`,
                      {
                          checks: args.healthChecks,
                          herokuReleases: heroku.map((h) =>
                              pulumi.all([h.app, h.apiUrl, h.releaseVersion, h.releaseCreated]).apply(([app, apiUrl, releaseVersion, releaseCreated]) => ({
                                  app,
                                  apiUrl,
                                  releaseVersion,
                                  releaseCreated,
                              })),
                          ),
                          fingerprint,
                          audit,
                          notifications,
                      },
                      { ...child, dependsOn: [...afterValidation, ...consumers] },
                  )
                : undefined;
        const afterHealth: pulumi.Resource[] = [...afterValidation, ...consumers, ...(health ? [health] : [])];

        // 5. Only now is the previous key revoked (and proven dead) — unless that already happened up front.
        this.revocation =
            emergencyRevocation ?? new PreviousKeyRevocation(`${name}-previous-key`, revocationArgs, { ...child, dependsOn: afterHealth });

        // 5b. Emergency: what the leaked key did, read only once it is dead (never delaying the kill), never failing the run.
        const exposure =
            emergencyRevocation && args.compromisedKey
                ? new ExposureReport(
                      `${name}-exposure`,
                      { compromisedKey: args.compromisedKey, revokedKeys: emergencyRevocation.keys, fingerprint, settings: args.exposure, baseUrl: endpoints.anthropic, audit, notifications },
                      { ...child, dependsOn: [emergencyRevocation] },
                  )
                : undefined;

        // 6. One audit line per rotation; its record is also a stack output.
        this.audit = new RotationAudit(
            `${name}-audit`,
            {
                audit,
                targets: summaries.map((t) => ({ kind: t.kind, target: t.target, fingerprint: t.fingerprint })),
                health: health ? health.results : [],
                revocation: this.revocation.summary,
                // The key the consumers held before this rotation (not merely the last one revoked).
                previousFingerprint: this.ledger.previousFingerprint,
                exposure: exposure?.summary,
                notifications,
            },
            { ...child, dependsOn: [...afterHealth, this.revocation, ...(exposure ? [exposure] : [])] },
        );

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
        this.exposure = exposure ? exposure.summary : pulumi.output(null);
        this.registerOutputs({
            environment: this.environment,
            keyName: this.keyName,
            fingerprint: this.fingerprint,
            createdAt: this.createdAt,
            ageDays: this.ageDays,
            dueDate: this.dueDate,
            daysLeft: this.daysLeft,
            targets: this.targets,
            audit: this.audit.record,
            exposure: this.exposure,
        });
    }
}

/**
 * A resource name part from a target's identity. Names come from what a target is, never its position in the
 * config, so reordering or removing one target never renames (and so replaces) the others.
 */
function slug(text: string): string {
    return text.replace(/[^A-Za-z0-9_]+/g, "-").replace(/^-+|-+$/g, "");
}
