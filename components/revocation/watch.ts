import type { CheckOnce, HealthCheckSpec } from "../health/checkOnce";
import type { Clock } from "../time/clock";

/**
 * The watch after a deactivation: every health check, once per interval, for the whole window. A check fails
 * the watch when it fails FAILS_IN_A_ROW polls in a row (one bad answer is a blip; two are a consumer that
 * lost its key). A check that failed on the last poll of the window is polled once more before the watch
 * passes, so a failure at the edge is never missed. Time comes from the clock: tests run minutes in
 * milliseconds.
 */

export const FAILS_IN_A_ROW = 2;

export interface WatchPlan {
    readonly checks: readonly HealthCheckSpec[];
    /** The new key's fingerprint, for `$fingerprint` conditions. */
    readonly fingerprint: string;
    readonly windowMs: number;
    readonly intervalMs: number;
}

export type WatchResult =
    | { readonly ok: true; readonly polls: number; readonly elapsedMs: number }
    | { readonly ok: false; readonly url: string; readonly detail: string; readonly polls: number; readonly elapsedMs: number };

export async function watchHealth(plan: WatchPlan, deps: { readonly clock: Clock; readonly check: CheckOnce }): Promise<WatchResult> {
    const started = deps.clock.now();
    const streaks = plan.checks.map(() => 0);
    let polls = 0;
    for (;;) {
        polls += 1;
        const outcomes = await Promise.all(plan.checks.map((c) => deps.check(c, plan.fingerprint)));
        for (let i = 0; i < outcomes.length; i++) {
            const outcome = outcomes[i]!;
            streaks[i] = outcome.ok ? 0 : streaks[i]! + 1;
            if (streaks[i]! >= FAILS_IN_A_ROW) {
                return { ok: false, url: plan.checks[i]!.url, detail: outcome.detail ?? "failed", polls, elapsedMs: deps.clock.now() - started };
            }
        }
        const elapsedMs = deps.clock.now() - started;
        if (elapsedMs >= plan.windowMs && streaks.every((s) => s === 0)) return { ok: true, polls, elapsedMs };
        await deps.clock.sleep(plan.intervalMs);
    }
}
