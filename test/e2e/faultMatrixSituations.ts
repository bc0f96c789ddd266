import { UNHEALTHY_BODY } from "../../offline/emulators/healthEmulator";
import { HEALTH_PATH, Sandbox } from "../../offline/harness/sandbox";

/**
 * Calls of the fault matrix that a clean rotation never makes: each needs a situation of its own, brought about
 * before its run and ended before the run that must converge. The cells of such a call get runs of their own
 * (faultMatrix.test.ts), judged by how the run ends when the call recovered.
 */

export interface Situation {
    /** Brings the situation about for the next run (the key being replaced is `previousKeyId`); returns its end. */
    arrange(sb: Sandbox, previousKeyId: string): () => void;
    /** How the run ends when the faulted call recovered. */
    readonly recovered: {
        /** What its error must say. */
        readonly failure: RegExp;
        /** The `action` of its audit line (step `revocation`). */
        readonly auditAction: string;
        /** The previous key's status afterwards. */
        readonly previousKey: "active" | "inactive";
    };
}

/**
 * The reactivation: a consumer outside targets still runs on the previous key, so its health check fails once
 * that key is deactivated, and the watch after the deactivation must bring the key back. The end of the
 * situation is the operator moving that consumer to the new key.
 */
export const CONSUMER_STILL_ON_PREVIOUS_KEY: Situation = {
    arrange(sb, previousKeyId) {
        const off = sb.anthropic.onStatusChange((key, status) => {
            if (key.id === previousKeyId && status === "inactive") sb.health.script(HEALTH_PATH, { status: 503, body: UNHEALTHY_BODY });
        });
        return () => {
            off();
            sb.health.healthy(HEALTH_PATH);
        };
    },
    recovered: {
        failure: /^revocation: rolled back — [\s\S]*The deactivation was undone at once: apikey_\w+ \(sha256:[0-9a-f]{12}\) is active again, and every consumer in targets stays on the new key/,
        auditAction: "secret.rotate.rolled_back",
        previousKey: "active",
    },
};
