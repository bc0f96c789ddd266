import { redact } from "../domain/keyFormat";
import type { Clock } from "../time/clock";
import { systemClock } from "../time/clock";
import { HerokuApi, HerokuRelease } from "./herokuApi";

/**
 * A release that reached `succeeded` does not mean every dyno runs it: with Preboot, the old dynos keep serving
 * (with the old config, so the old key) until the new ones are up, and a restart can take minutes. This waits
 * until every dyno of the app (one-off `run` dynos aside: they end by themselves) runs the release or a newer
 * one — by `release.version` when Heroku says, else by `updated_at` not older than the release — so the health
 * checks that follow talk to dynos that hold the new key.
 */

export interface DynoView {
    readonly name: string;
    readonly type: string;
    readonly state: string;
    readonly releaseVersion: number | null;
    readonly updatedAt: string | null;
}

export interface DynoWaitResult {
    readonly dynos: number;
    readonly seconds: number;
}

export function dynoViewOf(raw: unknown): DynoView {
    const d = (raw ?? {}) as { name?: unknown; type?: unknown; state?: unknown; updated_at?: unknown; release?: { version?: unknown } | null };
    return {
        name: typeof d.name === "string" ? d.name : "?",
        type: typeof d.type === "string" ? d.type : "?",
        state: typeof d.state === "string" ? d.state : "?",
        releaseVersion: typeof d.release?.version === "number" ? d.release.version : null,
        updatedAt: typeof d.updated_at === "string" ? d.updated_at : null,
    };
}

/** Whether a dyno runs `release` or a newer one. */
export function dynoOnRelease(dyno: DynoView, release: HerokuRelease): boolean {
    if (dyno.releaseVersion !== null) return dyno.releaseVersion >= release.version;
    if (dyno.updatedAt && release.created_at) return Date.parse(dyno.updatedAt) >= Date.parse(release.created_at);
    return false;
}

export interface WaitForDynosArgs {
    readonly app: string;
    readonly release: HerokuRelease;
    readonly apiUrl?: string;
    readonly timeoutMs: number;
    readonly intervalMs: number;
    readonly clock?: Clock;
}

export async function waitForHerokuDynos(args: WaitForDynosArgs): Promise<DynoWaitResult> {
    const clock = args.clock ?? systemClock;
    const api = new HerokuApi({ apiUrl: args.apiUrl });
    const started = clock.now();
    for (;;) {
        const dynos = (await api.listDynos(args.app)).map(dynoViewOf).filter((d) => d.type !== "run");
        const behind = dynos.filter((d) => !dynoOnRelease(d, args.release));
        const seconds = Math.round((clock.now() - started) / 100) / 10;
        if (behind.length === 0) return { dynos: dynos.length, seconds };
        if (clock.now() - started + args.intervalMs > args.timeoutMs) {
            const list = behind.map((d) => `${d.name}${d.releaseVersion !== null ? ` (v${d.releaseVersion}, ${d.state})` : ` (${d.state})`}`).join(", ");
            throw new Error(
                redact(
                    `heroku release: heroku app ${args.app}: ${behind.length} of ${dynos.length} dyno(s) still run a release older than v${args.release.version} ${seconds} s after it succeeded: ${list}. ` +
                        `Those dynos still hold the previous key (with Preboot the old dynos serve until the new ones are up), so no health check was run and the previous key was not touched. ` +
                        `Look at \`heroku ps -a ${args.app}\`; restart a stuck dyno with \`heroku ps:restart <dyno> -a ${args.app}\`, then run \`pulumi up\` again.`,
                ),
            );
        }
        await clock.sleep(args.intervalMs);
    }
}
