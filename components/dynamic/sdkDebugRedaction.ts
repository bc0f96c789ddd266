/**
 * Redacts the Pulumi Node.js SDK's own debug log in the program process.
 *
 * The SDK logs every RegisterResource response at debug level (`RegisterResource RPC finished: …; resp: …`),
 * and that response holds the resource's outputs with secret values in plaintext. The engine records debug
 * messages in `--event-log` files and prints them with `--debug` / `-v`, so any secret output (the key ledger's
 * retired keys, a provider's token) would reach a log. The real-engine leak scan found exactly that. This
 * wraps the SDK's `log.debug` so every debug message first goes through the project's redactor: Anthropic keys
 * by their shape, and the credentials the run holds by value.
 */
import { redact } from "../domain/keyFormat";

/** Environment variables holding credentials a debug message must never show. */
export const CREDENTIAL_VARIABLES = [
    "ANTHROPIC_ADMIN_API_KEY",
    "HEROKU_API_KEY",
    "GITHUB_TOKEN",
    "INFISICAL_CLIENT_SECRET",
    "INFISICAL_TOKEN",
    "PULUMI_CONFIG_PASSPHRASE",
] as const;

type DebugFn = (msg: string, ...rest: never[]) => Promise<void>;

interface LogModule {
    debug: DebugFn;
}

const WRAPPED = Symbol.for("anthropic-key-rotation.redacted-debug");

/** Wraps `logModule.debug` (the SDK's `@pulumi/pulumi/log` exports) once; later calls are no-ops. */
export function redactSdkDebugLog(logModule: LogModule, env: NodeJS.ProcessEnv = process.env): void {
    const current = logModule.debug as DebugFn & { [WRAPPED]?: true };
    if (current[WRAPPED]) return;
    const secrets = CREDENTIAL_VARIABLES.map((name) => env[name]).filter((v): v is string => typeof v === "string" && v.length >= 8);
    const wrapped: DebugFn & { [WRAPPED]?: true } = (msg, ...rest) => current.call(logModule, redact(String(msg), secrets), ...rest);
    wrapped[WRAPPED] = true;
    logModule.debug = wrapped;
}
