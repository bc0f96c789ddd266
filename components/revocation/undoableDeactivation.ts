import type { AdminCallOptions } from "../anthropic/adminApi";
import type { CheckOnce, HealthCheckSpec } from "../health/checkOnce";
import type { Clock } from "../time/clock";
import { STEP_REVOCATION } from "./adminRecord";
import { Deactivated, reactivate } from "./reactivate";
import { seconds } from "./revocationMessages";
import type { KeyOutcome, RevocationDone } from "./revokeKeys";
import { watchHealth } from "./watch";

/**
 * Deactivation can be undone (`inactive` can be set back to `active`), so it is: after this run deactivated
 * keys and proved them dead, the consumers' health is watched for `minutes`; a failure means something still
 * used a deactivated key, so every key this run deactivated is reactivated at once and the run fails with
 * what to do. Not in an emergency (a compromised key is never brought back), not without health checks, not
 * when nothing was deactivated by this run (a key already inactive was not ours to restore).
 */

export interface WatchSettings {
    readonly minutes: number;
    readonly intervalSeconds: number;
    readonly checks: readonly HealthCheckSpec[];
}

export interface WatchContext {
    readonly emergency: boolean;
    readonly newFingerprint: string;
    readonly admin: AdminCallOptions | undefined;
    readonly clock: Clock;
    readonly check: CheckOnce;
}

/** The deactivation was undone (or could not be): the message is final; `keys` says what happened to each key. */
export class RolledBack extends Error {
    declare readonly keys: readonly KeyOutcome[];
    declare readonly restoredAll: boolean;
    constructor(message: string, keys: readonly KeyOutcome[], restoredAll: boolean) {
        super(message);
        // Set again: Pulumi's closure serializer turns super(message) into Error.call(this, message), which drops it.
        this.message = message;
        this.name = "RolledBack";
        Object.defineProperty(this, "keys", { value: keys, enumerable: true });
        Object.defineProperty(this, "restoredAll", { value: restoredAll, enumerable: true });
    }
}

/** Duck-typed: a serialized class is not always `instanceof` itself across the provider host's module copies. */
export function isRolledBack(err: unknown): err is RolledBack {
    return !!err && typeof err === "object" && (err as { name?: unknown }).name === "RolledBack" && Array.isArray((err as { keys?: unknown }).keys);
}

/** Watches the consumers after a deactivation; returns the sentence for the result, or throws RolledBack. */
export async function watchOrUndo(done: RevocationDone, settings: WatchSettings, ctx: WatchContext): Promise<string> {
    if (done.deactivated.length === 0) return "";
    if (ctx.emergency) return "; health not watched (emergency: a compromised key is never reactivated)";
    if (settings.minutes <= 0) return "; health not watched (revocation.watchMinutes is 0)";
    if (settings.checks.length === 0) return "; health not watched (no healthChecks configured: nothing could show a consumer still on the old key)";
    const watch = await watchHealth(
        { checks: settings.checks, fingerprint: ctx.newFingerprint, windowMs: settings.minutes * 60_000, intervalMs: settings.intervalSeconds * 1000 },
        { clock: ctx.clock, check: ctx.check },
    );
    if (watch.ok) return `; health watched for ${minutes(watch.elapsedMs)} after the deactivation (${watch.polls} poll${watch.polls === 1 ? "" : "s"} of ${settings.checks.length} check${settings.checks.length === 1 ? "" : "s"}): all passed`;

    const which = list(done.deactivated);
    const what = `${watch.url} failed ${seconds(watch.elapsedMs)} after ${which} ${done.deactivated.length === 1 ? "was" : "were"} deactivated (${watch.detail})`;
    const outcome = ctx.admin ? await reactivate(ctx.admin, done.deactivated) : { restored: [], failed: done.deactivated.map((k) => ({ ...k, reason: "no Admin API key" })) };
    const keys: KeyOutcome[] = done.keys.map((k) => {
        const restored = outcome.restored.some((r) => r.fingerprint === k.fingerprint);
        const failed = outcome.failed.some((r) => r.fingerprint === k.fingerprint);
        return restored ? { ...k, outcome: "reactivated", provedAt: null } : failed ? { ...k, outcome: "reactivation failed" } : k;
    });
    if (outcome.failed.length === 0) {
        throw new RolledBack(
            `${STEP_REVOCATION}: rolled back — ${what}, so a consumer still used ${done.deactivated.length === 1 ? "that key" : "one of those keys"}. ` +
                `The deactivation was undone at once: ${list(outcome.restored)} ${outcome.restored.length === 1 ? "is" : "are"} active again, and every consumer in targets stays on the new key ${ctx.newFingerprint}. ` +
                `What to do: find the consumer that still holds the old key (one that is not in targets, or did not restart: for Heroku, \`heroku ps -a <app>\` and \`heroku logs --tail -a <app>\`), ` +
                `give it the new key, then run \`pulumi up\` again: it deactivates and watches again.`,
            keys,
            true,
        );
    }
    const failures = outcome.failed.map((f) => `${f.id} (${f.fingerprint}): ${f.reason}`).join("; ");
    throw new RolledBack(
        `${STEP_REVOCATION}: ${what}, and reactivating FAILED for ${failures}. ` +
            `The old key ${outcome.failed.map((f) => f.fingerprint).join(", ")} is DEAD and this run could not bring it back; the new key ${ctx.newFingerprint} is on every consumer in targets. ` +
            `What to do now: give the failing consumer the new key (it is in Infisical; for Heroku, check \`heroku config -a <app>\` and restart it), ` +
            `or reactivate the old key in the Console (Settings → Keys) if it is only inactive; then run \`pulumi up\` again.` +
            (outcome.restored.length ? ` Reactivated: ${list(outcome.restored)}.` : ""),
        keys,
        false,
    );
}

function list(keys: readonly Deactivated[]): string {
    return keys.map((k) => `${k.id} (${k.fingerprint})`).join(", ");
}

function minutes(ms: number): string {
    return ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : seconds(ms);
}
