import * as pulumi from "@pulumi/pulumi";
import { VALIDATION_RECEIPT_INPUT } from "../domain/receipt";

/**
 * The program's own pre-write check, the first line of anthropic-key-validated-before-fanout: consumers get the
 * key, and the receipt, only from the KeyValidation's output. During `pulumi up` that output exists only once
 * the validation step has passed, so the engine cannot start a consumer before it (whatever `dependsOn` says),
 * and a receipt for any other key stops the program before the consumer is registered, let alone written.
 * During a preview that re-validates, the receipt is unknown and nothing here runs.
 *
 * Resource policies see one resource at a time and no dependencies, so the receipt is also an input of the
 * consumers whose schema we own (Heroku, Infisical): their provider's check and the policy (the second line)
 * compare it with the key they carry.
 */

export class ValidationReceiptError extends Error {
    constructor(message: string) {
        super(message);
        this.message = message;
        this.name = "ValidationReceiptError";
    }
}

/** What a KeyValidation offers its consumers: the receipt output. */
export interface ReceiptSource {
    readonly validatedFingerprint: pulumi.Output<string>;
}

/**
 * The receipt for the key with `fingerprint`: resolves when the validation passed, and fails the program (before
 * any consumer is registered) when the validation vouches for another key or for none.
 */
export function validationReceipt(validation: ReceiptSource, fingerprint: string, validationName: string): pulumi.Output<string> {
    return validation.validatedFingerprint.apply((receipt) => {
        if (receipt === fingerprint) return receipt;
        throw new ValidationReceiptError(
            `validate the new key: KeyValidation "${validationName}" ${typeof receipt === "string" && receipt ? `vouches for ${receipt}` : `gave no ${VALIDATION_RECEIPT_INPUT}`}, ` +
                `but the consumers would receive ${fingerprint}. Nothing was written to any consumer. ` +
                "This is a bug in the program (every consumer must take the key of its own validation): report it with this message.",
        );
    });
}

/** The key, released only together with its receipt: a consumer that takes it waits for the validation. */
export function releaseAfterValidation(apiKey: pulumi.Input<string>, receipt: pulumi.Output<string>): pulumi.Output<string> {
    return pulumi.secret(pulumi.all([apiKey, receipt]).apply(([key]) => key));
}
