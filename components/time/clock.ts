/**
 * Time as the code that waits sees it. Providers use `systemClock`; tests pass a clock whose `sleep` advances
 * `now` at once, so a window of minutes runs in milliseconds and never depends on the machine's speed.
 * Nothing captured but the global timer: safe in serialized dynamic providers.
 */
export interface Clock {
    /** Milliseconds since the epoch. */
    now(): number;
    sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
    now: () => Date.now(),
    sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms))),
};
