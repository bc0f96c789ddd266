import * as pulumi from "@pulumi/pulumi";
import { ConfigSource, CONFIG_NAMESPACE } from "./loadConfig";

interface RuntimeStateInternals {
    getStore(): { config: Record<string, string | undefined> };
}

/** Where the Node.js language host puts the list of secret config keys for the program. */
export const SECRET_KEYS_VARIABLE = "PULUMI_CONFIG_SECRET_KEYS";

/**
 * Whether a config key is a secret, from the text of PULUMI_CONFIG_SECRET_KEYS as the runtime holds it.
 *
 * The Node.js language host (every CLI since v3.3, 2021) always sends a JSON list of the stack's secret keys,
 * `[]` when there are none: an empty list means "no key is secret", so a key missing from it is plaintext. The
 * runtime stores `""` when no list arrived at all (a language host older than v3.3, or a program run outside the
 * engine, e.g. under mocks): then nobody told us, and the answer is undefined (unknown), not a false "plaintext"
 * alarm. Text that is not a JSON list of strings is also unknown.
 */
export function isSecretConfigKey(secretKeysText: string | undefined, fullKey: string): boolean | undefined {
    if (secretKeysText === undefined || secretKeysText.trim() === "") return undefined;
    let parsed: unknown;
    try {
        parsed = JSON.parse(secretKeysText);
    } catch {
        return undefined;
    }
    if (!Array.isArray(parsed) || !parsed.every((k): k is string => typeof k === "string")) return undefined;
    return parsed.includes(fullKey);
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
            // Read from the runtime's store, where the SDK keeps the host's variable (and setAllConfig writes it).
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const state = require("@pulumi/pulumi/runtime/state") as RuntimeStateInternals;
            return isSecretConfigKey(state.getStore().config[SECRET_KEYS_VARIABLE], `${prefix}${key}`);
        },
    };
}
