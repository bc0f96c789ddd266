#!/usr/bin/env ts-node
/**
 * `npm run status [-- --json] [-- --live] [-- --now YYYY-MM-DD]`: the rotation status of every stack's
 * Anthropic key, from the Pulumi.<stack>.yaml files alone (no Pulumi CLI, no credentials), and with
 * --live the monthly key audit of the whole organisation through the Admin API.
 * Exit 0: all within policy; 1: usage or configuration error; 2: a key is overdue (see --help).
 */
import { redact } from "../../components/domain/keyFormat";
import { runStatus } from "./run";

runStatus(process.argv.slice(2), {
    cwd: process.cwd(),
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
}).then(
    (code) => {
        process.exitCode = code;
    },
    (err: unknown) => {
        // Unexpected failures only; every expected one is reported by runStatus. Never print a stack trace
        // that could quote a value: the message alone, redacted.
        process.stderr.write(`status: unexpected error: ${redact(err instanceof Error ? err.message : String(err), [process.env.ANTHROPIC_ADMIN_API_KEY ?? ""])}\n`);
        process.exitCode = 1;
    },
);
