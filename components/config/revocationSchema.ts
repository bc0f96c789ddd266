import { z } from "zod";

/**
 * The settings around the one irreversible step: `revocation` (how the replaced keys are revoked, and how long
 * their deactivation stays undoable) and `emergency` (which leaked key an emergency rotation is for).
 * Defaults are the README's and the security policy's; every bound is checked here so a typo stops the
 * preview with the field's name instead of reaching a provider.
 */

export const REVOCATION_MODES = ["none", "verify", "deactivate"] as const;
/** After a deactivation, the consumers' health is watched this long; a failure reactivates the keys. */
export const DEFAULT_WATCH_MINUTES = 5;
export const DEFAULT_WATCH_INTERVAL_SECONDS = 30;
export const MAX_WATCH_MINUTES = 60;

export const COMPROMISED_KEY_PATTERN = /^(sha256:[0-9a-f]{12}|apikey_[A-Za-z0-9]+)$/;

const mode = z.enum(REVOCATION_MODES, { error: "must be none, verify or deactivate" });

const revocationObject = z.strictObject({
    mode: mode.default("verify"),
    /** 0 turns the watch off. Fractions are allowed (rehearsals use seconds). */
    watchMinutes: z.number().min(0, "must be 0 (no watch) or more minutes").max(MAX_WATCH_MINUTES, `must be at most ${MAX_WATCH_MINUTES} minutes`).default(DEFAULT_WATCH_MINUTES),
    watchIntervalSeconds: z.number().positive("must be a number of seconds above 0").max(300, "must be at most 300 seconds").default(DEFAULT_WATCH_INTERVAL_SECONDS),
    /**
     * Consumers removed from targets that may break when the key they still hold is revoked, by the id the
     * refusal names (e.g. `heroku app raxx-worker-prod`).
     */
    acknowledgeRemoved: z.array(z.string().min(1, "must name a consumer, e.g. heroku app raxx-worker-prod")).default([]),
});

/** `revocation: deactivate` or `revocation: { mode: deactivate, watchMinutes: 5 }`: both give the object. */
export const revocationSchema = z.preprocess((v) => (typeof v === "string" ? { mode: v } : v), revocationObject).default({
    mode: "verify",
    watchMinutes: DEFAULT_WATCH_MINUTES,
    watchIntervalSeconds: DEFAULT_WATCH_INTERVAL_SECONDS,
    acknowledgeRemoved: [],
});

/**
 * `emergency: { compromisedKey: sha256:… }`. `false` is the same as unset. `true` is refused by loadConfig
 * with its own message: an emergency names the key it is for, so a setting left over cannot turn the next
 * scheduled rotation into an outage.
 */
export const emergencySchema = z.preprocess(
    (v) => (v === false ? undefined : v),
    z
        .strictObject({
            compromisedKey: z.string().regex(COMPROMISED_KEY_PATTERN, "must be the leaked key's fingerprint (sha256: and 12 hex digits) or its Admin API id (apikey_…)"),
        })
        .optional(),
);

export type RevocationSettings = z.infer<typeof revocationObject>;
export type EmergencySettings = z.infer<typeof emergencySchema>;

/**
 * `cutover`: the proof, from the Admin API's usage report, that nothing uses the old keys any more and something
 * uses the new one, required before a revocation (components/revocation/cutover.ts). `false` turns it off.
 */
const cutoverObject = z.strictObject({
    enabled: z.boolean().default(true),
    idleMinutes: z.number().int("must be a whole number of minutes").min(1, "must be at least 1 minute").max(1440, "must be at most 1440 minutes (a day)").default(15),
    minNewKeyRequests: z.number().int("must be a whole number").min(0, "must be 0 (do not require) or more").default(1),
    maxWaitMinutes: z.number().min(0, "must be 0 (one look) or more minutes").max(240, "must be at most 240 minutes").default(30),
    dataLagMinutes: z.number().int("must be a whole number of minutes").min(0, "must be 0 or more minutes").max(60, "must be at most 60 minutes").default(5),
    pollSeconds: z.number().min(60, "must be at least 60 seconds: the usage buckets are one minute wide").max(600, "must be at most 600 seconds").default(60),
});

/** `cutover: false` turns the proof off; `true` or unset: the defaults. */
export const cutoverSchema = z.preprocess((v) => (v === false ? { enabled: false } : v === true || v === undefined ? {} : v), cutoverObject);

export type CutoverConfig = z.output<typeof cutoverSchema>;
