import { isFingerprint } from "./fingerprint";

/**
 * The validation receipt: the KeyValidation's `validatedFingerprint` output, which its provider sets only once
 * the key has passed. A consumer that takes it as an input can be created only after the validation succeeded
 * (the engine cannot send the input before it exists), and anything that sees one resource's inputs at a time —
 * the consumer's own provider `check`, a resource policy — can tell that the key it carries is the key that
 * passed. Shared by the program, its providers and the policy pack.
 */

/** Input of Heroku config vars and Infisical secrets that carries the receipt. */
export const VALIDATION_RECEIPT_INPUT = "validatedFingerprint";

/**
 * Why `receipt` does not vouch for the key with fingerprint `carried`, or undefined when it does. A receipt or
 * fingerprint that is not known yet (`isUnknown`, a preview) cannot be judged and passes: the engine checks the
 * consumer again with known values before it writes.
 */
export function receiptProblem(receipt: unknown, carried: unknown, isUnknown: (v: unknown) => boolean): string | undefined {
    if (receipt === undefined || receipt === null) return `no ${VALIDATION_RECEIPT_INPUT}: take it from the KeyValidation of the key this consumer receives`;
    if (isUnknown(receipt)) return undefined;
    if (!isFingerprint(receipt)) return `${VALIDATION_RECEIPT_INPUT} must be the KeyValidation's output (sha256:<12 hex digits>)`;
    if (isUnknown(carried) || !isFingerprint(carried)) return undefined;
    if (receipt !== carried) {
        return `the key validated is ${receipt}, but this consumer would receive ${carried}: take ${VALIDATION_RECEIPT_INPUT} from the KeyValidation of the same key`;
    }
    return undefined;
}
