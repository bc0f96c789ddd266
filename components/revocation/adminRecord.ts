import { findApiKeyRecords, retrieveApiKey, ApiKeyRecord, AdminCallOptions } from "../anthropic/adminApi";
import { hintMatches } from "../domain/fingerprint";
import { redact } from "../domain/keyFormat";

/**
 * The Admin API record of a key to revoke: by its recorded id (checked against the key's hint), else by its
 * partial hint. Never the current key's record. A refusal (ambiguous or mismatched records) is final and
 * says what to do; Admin API failures are thrown as they come (ApiCallError).
 */

export const STEP_REVOCATION = "revocation";
export const ADMIN_KEY_ENV = "ANTHROPIC_ADMIN_API_KEY";

/** A refusal to act on one key: its message is final. */
export class RevocationRefusal extends Error {
    constructor(message: string) {
        super(message);
        // Set again: Pulumi's closure serializer turns super(message) into Error.call(this, message), which drops it.
        this.message = message;
        this.name = "RevocationRefusal";
    }
}

export interface KeyToFind {
    readonly value: string;
    readonly fingerprint: string;
    readonly keyId: string | null;
}

export interface CurrentKey {
    readonly apiKey: string;
    readonly fingerprint: string;
    readonly keyId: string | null;
}

export async function findRecord(admin: AdminCallOptions, key: KeyToFind, current: CurrentKey): Promise<ApiKeyRecord> {
    const isCurrent = (r: ApiKeyRecord) => (current.keyId !== null && r.id === current.keyId) || (r.partialKeyHint !== null && hintMatches(r.partialKeyHint, current.apiKey));
    if (key.keyId) {
        if (key.keyId === current.keyId) {
            throw new RevocationRefusal(
                `${STEP_REVOCATION}: refused to deactivate ${key.keyId}: it is recorded for both the previous key ${key.fingerprint} and the current key ${current.fingerprint}. ` +
                    `Check keyId in the stack config (it must be the NEW key's id), then revoke the previous key in the Console (Settings → Keys) and run \`pulumi up\` again.`,
            );
        }
        const record = await retrieveApiKey(admin, key.keyId);
        if (record.partialKeyHint !== null && !hintMatches(record.partialKeyHint, key.value)) {
            throw new RevocationRefusal(
                `${STEP_REVOCATION}: refused to deactivate ${key.keyId} ("${redact(record.name)}"): the Admin API's hint for it does not match the previous key ${key.fingerprint}, ` +
                    `so the recorded id is wrong. Revoke the previous key in the Console (Settings → Keys), set revocation to verify, and run \`pulumi up\` again.`,
            );
        }
        if (isCurrent(record)) {
            throw new RevocationRefusal(`${STEP_REVOCATION}: refused to deactivate ${record.id}: it is the current key's record. Revoke the previous key ${key.fingerprint} in the Console (Settings → Keys).`);
        }
        return record;
    }
    const { matches, searched } = await findApiKeyRecords(admin, key.value);
    const candidates = matches.filter((r) => !isCurrent(r));
    if (candidates.length === 1) return candidates[0]!;
    if (candidates.length === 0) {
        throw new RevocationRefusal(
            `${STEP_REVOCATION}: the previous key ${key.fingerprint} is not among the ${searched} API keys the Admin API lists for the organisation of ${ADMIN_KEY_ENV}. ` +
                `Use an Admin API key of the organisation that owns the previous key, or revoke it in the Console (Settings → Keys) and set revocation to verify; then run \`pulumi up\` again.`,
        );
    }
    throw new RevocationRefusal(
        `${STEP_REVOCATION}: ${candidates.length} API keys (${candidates.map((r) => r.id).join(", ")}) have a hint that matches the previous key ${key.fingerprint}, so it cannot be told apart safely. ` +
            `Revoke the previous key in the Console (Settings → Keys) by name, set revocation to verify, and run \`pulumi up\` again.`,
    );
}
