import type { Clock } from "../../components/time/clock";

/** A clock that moves only when slept on: windows of minutes run at once, whatever the machine's speed. */
export class ManualClock implements Clock {
    private t = 1_800_000_000_000;
    readonly sleeps: number[] = [];

    now(): number {
        return this.t;
    }

    async sleep(ms: number): Promise<void> {
        this.sleeps.push(ms);
        this.t += ms;
    }

    /** Time passing while something else happens (an HTTP call, say). */
    advance(ms: number): void {
        this.t += ms;
    }
}
