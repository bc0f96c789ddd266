import type { RetryClock } from "../../components/anthropic/retry";

/**
 * A clock that only moves when told to: by a sleep (the retry loop's backoff) or by `advance` (the time an
 * attempt took). Budget tests run on it, so their outcome does not depend on how fast the machine is.
 */
export class FakeClock implements RetryClock {
    private t = 0;
    readonly sleeps: number[] = [];

    now(): number {
        return this.t;
    }

    async sleep(ms: number): Promise<void> {
        this.sleeps.push(ms);
        this.t += ms;
    }

    advance(ms: number): void {
        this.t += ms;
    }
}

/** Sets retry environment variables for one test and restores the previous values afterwards. */
export function withRetryEnv(values: Record<string, string>): () => void {
    const saved = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
    Object.assign(process.env, values);
    return () => {
        for (const [k, v] of Object.entries(saved)) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
        }
    };
}
