import * as pulumi from "@pulumi/pulumi";
import { ConfigSource, CONFIG_NAMESPACE } from "./loadConfig";

interface RuntimeConfigInternals {
    isConfigSecret(key: string): boolean;
}
interface RuntimeStateInternals {
    getStore(): { config: Record<string, string | undefined> };
}

/**
 * The stack config as the Pulumi engine hands it to the program. Values are read as text (objects and lists
 * arrive as JSON); the key is wrapped in `pulumi.secret` by the caller the moment it is validated.
 */
export function pulumiConfigSource(): ConfigSource {
    const config = new pulumi.Config(CONFIG_NAMESPACE);
    const prefix = `${CONFIG_NAMESPACE}:`;
    return {
        stack: pulumi.getStack(),
        get: (key) => config.get(key),
        keys: () =>
            Object.keys(pulumi.runtime.allConfig())
                .filter((k) => k.startsWith(prefix))
                .map((k) => k.slice(prefix.length)),
        isSecret: (key) => {
            // The engine lists secret keys for the program (PULUMI_CONFIG_SECRET_KEYS). Older CLIs don't; then
            // "unknown" rather than a false "plaintext" alarm.
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const state = require("@pulumi/pulumi/runtime/state") as RuntimeStateInternals;
            if (state.getStore().config["PULUMI_CONFIG_SECRET_KEYS"] === undefined) return undefined;
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const runtimeConfig = require("@pulumi/pulumi/runtime/config") as RuntimeConfigInternals;
            return runtimeConfig.isConfigSecret(`${prefix}${key}`);
        },
    };
}
