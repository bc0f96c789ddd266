import { formatMs, heading, MARK, Style, table } from "../shared/terminal";
import { BENCH_LATENCY_MS, BenchRun, BenchSize } from "./run";

/** Text rendering of `npm run bench`: figures, not verdicts on timing. */

const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : "–");

/**
 * The API-latency floor of a run. It is a property of the program's calls, not of the engine, and needs each
 * call attributed to its step, which only the harness's millisecond step times allow (the CLI's event log stamps
 * steps to the second): a CLI row takes the floor of the harness run of the same size, when there is one.
 */
function floorOf(sizes: readonly BenchSize[], z: BenchSize, r: BenchRun): number | undefined {
    if (z.engine === "harness") return r.latencyFloorMs;
    const twin = sizes.find((x) => x.engine === "harness" && x.n === z.n)?.runs.find((x) => x.phase === r.phase);
    return twin?.latencyFloorMs;
}

function sizeRows(sizes: readonly BenchSize[], phase: BenchRun["phase"]): string[][] {
    return sizes.flatMap((z) => {
        const r = z.runs.find((x) => x.phase === phase);
        if (!r) return [];
        const floor = floorOf(sizes, z, r);
        return [
            [
                r.ok ? "" : "✖",
                String(z.n),
                z.engine === "pulumi-cli" ? "pulumi CLI" : "harness",
                formatMs(r.totalMs),
                formatMs(r.startupMs),
                formatMs(r.path.spanMs),
                formatMs(r.path.lengthMs),
                ratio(r.path.spanMs, r.path.lengthMs),
                formatMs(r.path.serialMs),
                floor === undefined ? "–" : formatMs(floor),
                floor === undefined ? "–" : ratio(r.path.spanMs, floor),
                String(r.apiCalls),
            ],
        ];
    });
}

export function renderBench(sizes: readonly BenchSize[], s: Style, totalMs: number): string {
    const out: string[] = [];
    out.push(`${s.bold("Anthropic key rotation · fan-out benchmark")} ${s.dim(`(${BENCH_LATENCY_MS} ms per emulated API call, ${[...new Set(sizes.map((z) => (z.engine === "pulumi-cli" ? "real Pulumi CLI" : "engine-free harness")))].join(" and ")}, policies off)`)}`);
    out.push(s.dim("  N Heroku apps (one config var each) + N GitHub secrets over min(N, 10) repositories, 1 Infisical secret, 1 health URL."));
    const columns = [
        { header: " " },
        { header: "N", align: "right" as const },
        { header: "ENGINE" },
        { header: "RUN TOTAL", align: "right" as const },
        { header: "STARTUP", align: "right" as const },
        { header: "DEPLOYMENT", align: "right" as const },
        { header: "CRITICAL PATH", align: "right" as const },
        { header: "DEPLOY/CP", align: "right" as const },
        { header: "SERIAL SUM", align: "right" as const },
        { header: "API FLOOR", align: "right" as const },
        { header: "DEPLOY/FLOOR", align: "right" as const },
        { header: "API CALLS", align: "right" as const },
    ];
    for (const [phase, title] of [["rotate", "Rotation (key A → B, the update path)"], ["adopt", "Adoption (key A, the create path)"]] as const) {
        out.push(heading(s, title));
        out.push(table(s, columns, sizeRows(sizes, phase)));
    }
    out.push(s.dim("  RUN TOTAL = process start to exit; STARTUP = program, provider host, closure serialization before the first step;"));
    out.push(s.dim("  DEPLOYMENT = first step start to last step end; CRITICAL PATH = longest chain of dependent steps (sum of their"));
    out.push(s.dim("  durations); SERIAL SUM = every step one after another. DEPLOY/CP near 1 means the fan-out runs in parallel."));
    out.push(s.dim(`  API FLOOR = the same chain of steps, each weighted by the calls it made one after another × ${BENCH_LATENCY_MS} ms (calls that`));
    out.push(s.dim("  overlapped count once): the least time any engine could take. DEPLOY/FLOOR = what the engine adds on top of API latency."));
    out.push(s.dim("  The real CLI's event log stamps steps to the second, so its DEPLOYMENT, CRITICAL PATH and SERIAL SUM are whole seconds,"));
    out.push(s.dim("  and its API FLOOR is the harness run's of the same size (`--engine both`; – without one): calls can be given to"));
    out.push(s.dim("  their steps only with the harness's millisecond step times, and the floor is the program's, whatever runs it."));

    const largest = sizes[sizes.length - 1];
    const rot = largest?.runs.find((r) => r.phase === "rotate");
    if (largest && rot) {
        out.push(heading(s, `Critical path, rotation, N = ${largest.n}`));
        out.push(
            table(
                s,
                [{ header: " " }, { header: "STEP" }, { header: "TIME", align: "right" }, { header: "API CALLS", align: "right" }],
                [
                    ...rot.path.steps.map((x, i) => [i === 0 ? " " : "→", x.label, formatMs(x.durationMs), String(x.calls)]),
                    ["=", s.bold("critical path"), s.bold(formatMs(rot.path.lengthMs)), String(rot.path.steps.reduce((a, x) => a + x.calls, 0))],
                ],
            ),
        );
        out.push(s.dim("  API CALLS = calls the step made (a step's calls may run in parallel, e.g. health polls every app's release at once)."));
        const leads = sizes.flatMap((z) => {
            const r = z.runs.find((x) => x.phase === "rotate");
            return r?.herokuLeadMs ? [`N=${z.n}: median ${formatMs(r.herokuLeadMs.median)}, max ${formatMs(r.herokuLeadMs.max)}`] : [];
        });
        if (leads.length) {
            out.push(`  ${MARK.info} Heroku steps, start → first request sent (check + diff in the provider host, no network): ${leads.join("; ")}.`);
            out.push(s.dim("    Where the critical path grows with N, it is this CPU-bound work in the one provider host process, not API latency."));
        }
        out.push(heading(s, `API calls per target, rotation, N = ${largest.n}`));
        out.push(
            table(
                s,
                [{ header: "TARGET" }, { header: "COUNT", align: "right" }, { header: "CALLS EACH", align: "right" }, { header: "WHAT" }],
                rot.callsPerTarget.map((c) => [
                    c.kind,
                    String(c.targets),
                    c.min === c.max ? String(c.min) : `${c.min}–${c.max}`,
                    c.kind === "GitHub secret" && !rot.githubExecuted
                        ? s.dim("recorded by the harness, not executed (no API calls to count)")
                        : Object.entries(c.shapes)
                              .map(([k, v]) => `${k}${v > 1 ? ` ×${v}` : ""}`)
                              .join(", "),
                ]),
            ),
        );
    }

    out.push(s.dim("  Heroku app: every call on the app's URL, whichever step made it (the health step waits for each app's release)."));

    out.push(heading(s, "Economy"));
    for (const z of sizes) {
        for (const r of z.runs) {
            const dist = Object.entries(r.releasesPerApp)
                .map(([rel, apps]) => `${apps} app${apps === 1 ? "" : "s"} × ${rel} release${rel === "1" ? "" : "s"}`)
                .join(", ");
            const good = Object.keys(r.releasesPerApp).every((k) => k === "1");
            out.push(`  ${good ? s.ok(MARK.ok) : s.fail(MARK.fail)} N=${String(z.n).padEnd(3)} ${r.phase.padEnd(6)} Heroku releases per app: ${dist || "none"}`);
        }
    }
    const executed = sizes.some((z) => z.runs.some((r) => r.githubExecuted));
    out.push(
        executed
            ? `  ${MARK.info} GitHub public-key fetches: ${sizes.map((z) => `N=${z.n}: ${z.runs.map((r) => r.publicKeyFetches).join("/")} for ${z.repositories} repositories`).join("; ")}`
            : s.dim(
                  `  ${MARK.info} GitHub public-key fetches per repository: not measured. The harness records GitHub secrets (a native provider) without\n` +
                      "    executing them, so no public key is fetched here; the real-CLI path sends them and the GitHub emulator counts fetches.",
              ),
    );

    const first = sizes[0]?.runs.find((r) => r.phase === "rotate");
    if (first && rot && largest && largest !== sizes[0]) {
        out.push(heading(s, "Reading"));
        out.push(
            `  ${MARK.info} From N=${sizes[0]!.n} to N=${largest.n} targets, the deployment went ${formatMs(first.path.spanMs)} → ${formatMs(rot.path.spanMs)} ` +
                `and the critical path ${formatMs(first.path.lengthMs)} → ${formatMs(rot.path.lengthMs)}, while one-at-a-time would take ` +
                `${formatMs(first.path.serialMs)} → ${formatMs(rot.path.serialMs)}.`,
        );
    }
    const problems = sizes.flatMap((z) => z.problems);
    out.push("");
    if (problems.length === 0) out.push(`${s.ok(MARK.ok)} ${s.bold("Benchmark done")} in ${formatMs(totalMs)}: every run succeeded, one Heroku release per app per run.`);
    else {
        out.push(`${s.fail(MARK.fail)} ${s.bold("Benchmark found problems")} after ${formatMs(totalMs)}:`);
        for (const p of problems) out.push(`  ${s.fail(MARK.fail)} ${p}`);
    }
    return out.join("\n") + "\n";
}
