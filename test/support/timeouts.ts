/**
 * Time limits for hooks and tests that start real processes: a rehearsal (the program in a child process, the
 * dynamic provider host, the policy analyzer), `npm run rehearse` itself, or the provider host alone.
 *
 * They exist to stop a suite that hangs, not to measure speed. Idle, a rehearsal takes 15–25 s on two cores; in a
 * full `npm test` on cores shared with other work (load average 13–18 on 2 cores) the same setups overran their
 * 60–120 s hook limits although nothing was wrong. Speed is watched where it is reported — `npm run bench` and
 * the rehearsal's printed total against its 30 s budget — never by a time limit in a test. vitest.config.ts
 * gives every hook the single-process limit by default.
 */

/**
 * One rehearsal, or a setup that starts the provider host or the policy analyzer. 10 min was not enough for
 * `npm run rehearse` (three rehearsals in one child) at load average 25–30 on two cores, which a few test runs at
 * once reach; 30 min is about a hundred times its idle time.
 */
export const PROCESS_SETUP_MS = 30 * 60_000;

/** Several rehearsals in a row (a rotation, its preview and reruns), or many at once (the fault matrix). */
export const PROCESSES_SETUP_MS = 90 * 60_000;
