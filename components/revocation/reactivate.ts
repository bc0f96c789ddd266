import { updateApiKeyStatus, AdminCallOptions } from "../anthropic/adminApi";
import { describeApiError } from "../anthropic/retry";
import { errorMessage } from "../audit/auditLog";
import { ADMIN_KEY_ENV } from "./adminRecord";

/**
 * Undo a deactivation: set each key this run deactivated back to `active` (possible for `inactive`, never
 * for an archived or expired key). Every key is tried; the outcome says which came back and which did not.
 */

export interface Deactivated {
    readonly id: string;
    readonly fingerprint: string;
}

export interface ReactivationOutcome {
    readonly restored: readonly Deactivated[];
    readonly failed: readonly (Deactivated & { readonly reason: string })[];
}

export async function reactivate(admin: AdminCallOptions, keys: readonly Deactivated[]): Promise<ReactivationOutcome> {
    const restored: Deactivated[] = [];
    const failed: (Deactivated & { reason: string })[] = [];
    for (const k of keys) {
        try {
            const record = await updateApiKeyStatus(admin, k.id, "active");
            if (record.status === "active") restored.push(k);
            else failed.push({ ...k, reason: `the Admin API reports it ${record.status}` });
        } catch (err) {
            failed.push({ ...k, reason: reasonOf(err) });
        }
    }
    return { restored, failed };
}

/** Why a reactivation failed; a refused admin key is named, so the operator turns to the Console at once. */
function reasonOf(err: unknown): string {
    const f = describeApiError(err);
    if (f.kind !== "status" || (f.status !== 401 && f.status !== 403)) return errorMessage(err);
    const requestId = f.requestId ? `, request id ${f.requestId}` : "";
    return f.status === 401
        ? `the Admin API rejected ${ADMIN_KEY_ENV} (HTTP 401${f.type ? ` ${f.type}` : ""}${requestId})`
        : `${ADMIN_KEY_ENV} may not manage API keys (HTTP 403${f.type ? ` ${f.type}` : ""}${requestId})`;
}
