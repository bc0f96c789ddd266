import { readFileSync } from "fs";
import { parse } from "yaml";
import { ConfigSource, CONFIG_NAMESPACE } from "./loadConfig";

/** A stack file's config for this project, as Pulumi would hand it to the program (values as text). */
export interface StackFileConfig {
    readonly stack: string;
    /** Short key → raw text (objects and lists as JSON text). Secure values are absent. */
    readonly values: Readonly<Record<string, string>>;
    /** Short keys whose values are encrypted (`secure:`) in the file. */
    readonly secureKeys: readonly string[];
    /** Config of other namespaces (e.g. `github:owner`), as text. */
    readonly foreign: Readonly<Record<string, string>>;
}

export function readStackFile(path: string, stack: string): StackFileConfig {
    const doc = (parse(readFileSync(path, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    const values: Record<string, string> = {};
    const foreign: Record<string, string> = {};
    const secureKeys: string[] = [];
    for (const [fullKey, value] of Object.entries(doc.config ?? {})) {
        // A value with an encrypted part (`pulumi config set --secret --path 'notifications[0].url'`) is secret as a whole.
        const isSecure = holdsSecure(value);
        const text = typeof value === "string" ? value : JSON.stringify(value);
        const prefix = `${CONFIG_NAMESPACE}:`;
        if (fullKey.startsWith(prefix)) {
            const short = fullKey.slice(prefix.length);
            if (isSecure) secureKeys.push(short);
            else values[short] = text;
        } else if (!isSecure) {
            foreign[fullKey] = text;
        }
    }
    return { stack, values, secureKeys, foreign };
}

/** Whether a stack file value is `{ secure: … }` or holds one anywhere inside it. */
function holdsSecure(value: unknown): boolean {
    if (typeof value !== "object" || value === null) return false;
    if (!Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value) return true;
    return Object.values(value).some(holdsSecure);
}

/** A ConfigSource over a stack file plus values supplied out of band (the decrypted key, in tests and rehearsals). */
export function stackFileSource(file: StackFileConfig, extra: Readonly<Record<string, string>> = {}, now?: Date): ConfigSource {
    const merged: Record<string, string> = { ...file.values, ...extra };
    return {
        stack: file.stack,
        now,
        get: (k) => merged[k],
        keys: () => [...new Set([...Object.keys(merged), ...file.secureKeys])],
        isSecret: (k) => (k in extra || file.secureKeys.includes(k) ? true : k in file.values ? false : undefined),
    };
}
