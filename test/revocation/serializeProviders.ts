/**
 * Child-process entry (run with ts-node, as Pulumi runs the program): serializes our three dynamic providers
 * exactly as `pulumi.dynamic.Resource` does (`serializeFunction(() => provider, { allowSecrets: true })`) and
 * writes their texts as JSON to the file named by argv[2]. Outside vitest on purpose (its module transform
 * breaks closure serialization). Credentials present in this process's environment must NOT end up in the
 * texts: the caller sets fake ones and scans for them.
 */
import { writeFileSync } from "fs";
import { rotationAuditProvider } from "../../components/audit/rotationAuditProvider";
import { healthChecksProvider } from "../../components/health/healthChecksProvider";
import { keyLedgerProvider } from "../../components/revocation/keyLedgerProvider";
import { previousKeyRevocationProvider } from "../../components/revocation/previousKeyRevocationProvider";

/* eslint-disable @typescript-eslint/no-require-imports */
const { serializeFunction } = require("@pulumi/pulumi/runtime/closure/serializeClosure") as {
    serializeFunction(f: () => unknown, args: { allowSecrets: boolean }): Promise<{ text: string; containsSecrets: boolean }>;
};

async function main(): Promise<void> {
    const out: Record<string, { text: string; containsSecrets: boolean }> = {};
    for (const [name, provider] of Object.entries({
        audit: rotationAuditProvider,
        health: healthChecksProvider,
        revocation: previousKeyRevocationProvider,
        ledger: keyLedgerProvider,
    })) {
        out[name] = await serializeFunction(() => provider, { allowSecrets: true });
    }
    writeFileSync(process.argv[2]!, JSON.stringify(out));
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
