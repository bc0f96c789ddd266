import { redact } from "../domain/keyFormat";

/**
 * A warning the operator sees in `pulumi up` output (redacted with the given secrets; never a value). Pulumi is
 * loaded at run time, inside the provider host, so nothing of it is captured when the provider is serialized.
 */
export function operatorWarning(message: string, secrets: readonly string[] = []): void {
    const text = redact(message, secrets);
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded at run time, never serialized
        const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
        void pulumi.log.warn(text);
    } catch {
        console.warn(text);
    }
}
