#!/usr/bin/env ts-node
/**
 * `npm run -s audit-trail -- --from <runner log> [--into audit/rotations.jsonl] [--body <file>] [--run-url <url>]`:
 * appends the audit lines a rotation wrote on this runner to the committed trail (merge.ts). Prints
 * `added=<n>` on stdout (for $GITHUB_OUTPUT) and everything else on stderr. Exit 0 done (n may be 0), 1 refused
 * (nothing written), 2 usage error.
 */
import { existsSync, readFileSync, writeFileSync } from "fs";
import { AuditTrailError, mergeAuditTrail, pullRequestBody } from "./merge";

const USAGE = "usage: npm run -s audit-trail -- --from <runner audit log> [--into audit/rotations.jsonl] [--body <pull request body file>] [--run-url <url>]";

export function runAuditTrail(argv: readonly string[], io: { stdout: (t: string) => void; stderr: (t: string) => void }): number {
    const options: Record<string, string> = {};
    for (let i = 0; i < argv.length; i += 2) {
        const flag = argv[i]!;
        const value = argv[i + 1];
        if (!["--from", "--into", "--body", "--run-url"].includes(flag) || value === undefined) {
            io.stderr(`audit-trail: ${value === undefined ? `${flag} needs a value` : `unknown option ${flag}`}\n${USAGE}\n`);
            return 2;
        }
        options[flag.slice(2)] = value;
    }
    if (!options.from) {
        io.stderr(`audit-trail: --from is required\n${USAGE}\n`);
        return 2;
    }
    const into = options.into ?? "audit/rotations.jsonl";
    const runner = existsSync(options.from) ? readFileSync(options.from, "utf8") : "";
    const committed = existsSync(into) ? readFileSync(into, "utf8") : "";
    try {
        const { text, added } = mergeAuditTrail(committed, runner);
        if (added.length) writeFileSync(into, text);
        if (options.body) writeFileSync(options.body, pullRequestBody(added, options["run-url"]));
        io.stderr(`audit-trail: ${added.length} new line${added.length === 1 ? "" : "s"} appended to ${into}${added.length ? `: ${added.map((a) => a.action).join(", ")}` : ""}\n`);
        io.stdout(`added=${added.length}\n`);
        return 0;
    } catch (err) {
        if (!(err instanceof AuditTrailError)) throw err;
        io.stderr(`${err.message}\n`);
        return 1;
    }
}

if (require.main === module) {
    process.exitCode = runAuditTrail(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });
}
