import { updateApiKeyStatus, AdminCallOptions } from "../anthropic/adminApi";
import { errorMessage } from "../audit/auditLog";

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
            failed.push({ ...k, reason: errorMessage(err) });
        }
    }
    return { restored, failed };
}
