#!/usr/bin/env ts-node
/**
 * `npm run bench [-- --sizes 1,10,50] [-- --json]`: rehearsed rotations with 1, 10 and 50 Heroku apps plus as
 * many GitHub secrets, every emulated API call taking 100 ms. Prints total time, the critical path, API
 * calls per target and Heroku releases per app. Timing is reported, not judged; the exit status is 1 when an
 * economy invariant breaks (an app released more than once in a run) or a run fails, 2 on a usage error.
 * Not part of `npm test`.
 */
import { redact } from "../../components/domain/keyFormat";
import { renderBench } from "./render";
import { benchSize, BenchSize } from "./run";
import { makeStyle, wantsColor } from "../shared/terminal";
import { ENABLE_HINT, LocatedCli, locatePulumi } from "../toolchain/locate";

const USAGE = `usage: npm run bench [-- --sizes 1,10,50] [-- --engine harness|cli|both] [-- --json]

  --sizes LIST  Heroku apps (and GitHub secrets) per run, comma-separated (default 1,10,50)
  --engine E    harness: the engine-free harness; cli: the real Pulumi CLI (npm run toolchain's, or pulumi on
                PATH); both (default when a CLI is found): each size through both, side by side
  --json        print the figures as one JSON document (\`npm run -s bench -- --json\` keeps npm's banner off stdout)
`;

type EngineChoice = "harness" | "cli" | "both";

function parseArgs(argv: readonly string[]): { sizes: number[]; json: boolean; engine?: EngineChoice } | string {
    let sizes = [1, 10, 50];
    let json = false;
    let engine: EngineChoice | undefined;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i]!;
        if (a === "--json") json = true;
        else if (a === "--sizes") {
            const list = (argv[++i] ?? "").split(",").map((x) => Number(x.trim()));
            if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1 || n > 200)) return "--sizes takes integers from 1 to 200, e.g. --sizes 1,10,50";
            sizes = list;
        } else if (a === "--engine") {
            const e = argv[++i];
            if (e !== "harness" && e !== "cli" && e !== "both") return "--engine takes harness, cli or both";
            engine = e;
        } else return `unknown option ${a}`;
    }
    return { sizes, json, engine };
}

async function main(argv: readonly string[]): Promise<number> {
    if (argv.includes("--help") || argv.includes("-h")) {
        process.stdout.write(USAGE);
        return 0;
    }
    const args = parseArgs(argv);
    if (typeof args === "string") {
        process.stderr.write(`bench: ${args}\n\n${USAGE}`);
        return 2;
    }
    const started = performance.timeOrigin;
    const cli = args.engine === "harness" ? undefined : locatePulumi();
    if (args.engine !== undefined && args.engine !== "harness" && !cli) {
        process.stderr.write(`bench: --engine ${args.engine} needs a Pulumi CLI: ${ENABLE_HINT}\n`);
        return 2;
    }
    const engines: (LocatedCli | undefined)[] = args.engine === "cli" ? [cli] : cli ? [undefined, cli] : [undefined];
    const sizes: BenchSize[] = [];
    for (const n of args.sizes) {
        for (const engine of engines) sizes.push(await benchSize(n, (line) => process.stderr.write(`${line}\n`), engine));
    }
    const totalMs = Date.now() - started;
    const failed = sizes.some((z) => z.problems.length > 0);
    if (args.json) process.stdout.write(`${JSON.stringify({ latencyMs: 100, totalMs: Math.round(totalMs), sizes }, null, 2)}\n`);
    else process.stdout.write(renderBench(sizes, makeStyle(wantsColor(process.stdout, process.env)), totalMs));
    return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
    (code) => {
        process.exitCode = code;
    },
    (err: unknown) => {
        process.stderr.write(`bench: could not run: ${redact(err instanceof Error ? err.message : String(err))}\n`);
        process.exitCode = 1;
    },
);
