import * as pulumi from "@pulumi/pulumi";
import { AnthropicKey } from "./components/AnthropicKey";
import { ConfigError, loadRotationConfig, RotationConfig } from "./components/config";
import { pulumiConfigSource } from "./components/config/pulumiSource";
import { redactSdkDebugLog } from "./components/dynamic/sdkDebugRedaction";

// Before anything is registered: the SDK's debug log echoes resource outputs, secrets included (see the module).
redactSdkDebugLog(pulumi.log);

/**
 * One AnthropicKey per stack. The whole stack config is checked before any resource is registered, so bad
 * input stops `pulumi preview` / `up` with one message listing every problem, and nothing is written.
 */
function loadConfigOrStop(): RotationConfig {
    try {
        return loadRotationConfig(pulumiConfigSource());
    } catch (err) {
        // RunError prints the message alone, without a stack trace; ConfigError messages never hold a secret.
        if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
        throw err;
    }
}

const config = loadConfigOrStop();
for (const notice of config.notices) void pulumi.log.warn(notice);

const { apiKey, notices: _notices, notifications, ...settings } = config;
const key = new AnthropicKey(config.environment, {
    ...settings,
    apiKey: pulumi.secret(apiKey),
    // The webhook URLs carry tokens: secret from here on, and only when some are configured.
    notifications: notifications.length > 0 ? pulumi.secret(notifications.map((w) => ({ format: w.format, url: w.url }))) : undefined,
    githubOwner: new pulumi.Config("github").get("owner"),
    // Only whether it is set (never its value): the preflight cannot read a token kept in stack config.
    githubTokenInConfig: Object.keys(pulumi.runtime.allConfig()).includes("github:token"),
});

// Safe outputs only: names, dates and fingerprints. Nothing here is secret.
export const environment = key.environment;
export const keyName = key.keyName;
export const fingerprint = key.fingerprint;
export const createdAt = key.createdAt;
export const ageDays = key.ageDays;
export const maxAgeDays = key.maxAgeDays;
export const dueDate = key.dueDate;
export const daysLeft = key.daysLeft;
export const targets = key.targets;
export const revocation = key.revocation.summary;
export const audit = key.audit.record;
/** Emergency only: what the compromised key did in the last hours (counts only), or why that is not known; null otherwise. */
export const exposure = key.exposure;
