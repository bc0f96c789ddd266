#!/usr/bin/env ts-node
/**
 * `npm run rehearse [-- --json] [-- --harness]`: a full rotation of the `sandbox` stack against loopback
 * emulators of every service: adopt key A, preview the rotation to key B with the policy pack, roll it out
 * with the policy pack. Real `pulumi` when it is on PATH, the engine-free harness otherwise (or with
 * --harness). Prints a report (fingerprints only, never a key); exit 0 when the rehearsal passed, 1 when it
 * failed (the report names the failing step), 2 on a usage error.
 */
import { redact } from "../../components/domain/keyFormat";
import { renderRehearsal } from "./render";
import { runRehearsal } from "./run";
import { makeStyle, wantsColor } from "../shared/terminal";

const USAGE = `usage: npm run rehearse [-- --json] [-- --harness]

Rehearses a whole rotation of the sandbox stack against local emulators (nothing leaves 127.0.0.1):
adopt key A, preview A → B with the policy pack, then roll B out with the policy pack.

  --json      print one JSON document (the report) and nothing else on stdout
              (npm prints its own banner on stdout: use \`npm run -s rehearse -- --json\` to pipe it)
  --harness   use the engine-free harness even when a Pulumi CLI is on PATH
  -h, --help  this text

Exit status: 0 rehearsal passed, 1 rehearsal failed (the report names the failing step), 2 usage error.
`;

async function main(argv: readonly string[]): Promise<number> {
    const known = new Set(["--json", "--harness", "--help", "-h"]);
    const unknown = argv.filter((a) => !known.has(a));
    if (argv.includes("--help") || argv.includes("-h")) {
        process.stdout.write(USAGE);
        return 0;
    }
    if (unknown.length > 0) {
        process.stderr.write(`rehearse: unknown option ${unknown.join(" ")}\n\n${USAGE}`);
        return 2;
    }
    const json = argv.includes("--json");
    const showProgress = !json || process.stderr.isTTY === true;
    const report = await runRehearsal({
        forceHarness: argv.includes("--harness"),
        // The clock starts with the process, so the total includes compiling and loading this script.
        startedAt: performance.timeOrigin,
        onProgress: showProgress ? (line) => process.stderr.write(`${line}\n`) : undefined,
    });
    if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(renderRehearsal(report, makeStyle(wantsColor(process.stdout, process.env))));
    return report.ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
    (code) => {
        process.exitCode = code;
    },
    (err: unknown) => {
        process.stderr.write(`rehearse: the rehearsal could not run: ${redact(err instanceof Error ? err.message : String(err))}\n`);
        process.exitCode = 1;
    },
);
