import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { releaseAfterValidation, validationReceipt, ValidationReceiptError } from "../../components/anthropic/validationReceipt";
import { receiptProblem } from "../../components/domain/receipt";

/**
 * The resolved value of an output, or its rejection, as the runtime awaits it. An output whose apply threw also
 * rejects its isKnown / isSecret / allResources promises; the runtime handles those (the program fails), here
 * they are caught so that only the value's outcome counts.
 */
interface OutputInternals<T> {
    promise(): Promise<T>;
    readonly isKnown: Promise<boolean>;
    readonly isSecret: Promise<boolean>;
    allResources(): Promise<unknown>;
}
function settle<T>(output: pulumi.Output<T>): Promise<T> {
    const o = output as unknown as OutputInternals<T>;
    for (const p of [o.isKnown, o.isSecret, o.allResources()]) p.catch(() => undefined);
    return o.promise();
}
const FP = "sha256:0123456789ab";
const OTHER = "sha256:ba9876543210";
const validation = (receipt: string | undefined) => ({ validatedFingerprint: pulumi.output(receipt as string) });

describe("the program's own pre-write check: the key goes out only with its validation receipt", () => {
    it("a receipt for the key releases it", async () => {
        const receipt = validationReceipt(validation(FP), FP, "prod-validation");
        expect(await settle(receipt)).toBe(FP);
        const released = releaseAfterValidation(pulumi.secret("the-key"), receipt);
        expect(await settle(released)).toBe("the-key");
        expect(await pulumi.isSecret(released)).toBe(true);
    });

    it("a receipt for another key stops the program before any consumer gets the key", async () => {
        // Every consumer input is built from this output (releaseAfterValidation, validatedFingerprint): when it
        // fails, the runtime registers none of them.
        const error = await settle(validationReceipt(validation(OTHER), FP, "prod-validation")).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ValidationReceiptError);
        expect((error as Error).message).toMatch(/KeyValidation "prod-validation" vouches for sha256:ba9876543210, but the consumers would receive sha256:0123456789ab/);
        expect((error as Error).message).toContain("Nothing was written to any consumer");
    });

    it("no receipt at all (a validation that never passed) stops it too", async () => {
        const error = await settle(validationReceipt(validation(undefined), FP, "prod-validation")).catch((e: unknown) => e);
        expect((error as Error).message).toMatch(/gave no validatedFingerprint/);
    });
});

describe("receiptProblem, shared by the providers' check and the policy", () => {
    const unknown = (v: unknown) => v === "?";
    it("accepts the receipt of the key carried, and what is not known yet", () => {
        expect(receiptProblem(FP, FP, unknown)).toBeUndefined();
        expect(receiptProblem("?", FP, unknown)).toBeUndefined();
        expect(receiptProblem(FP, "?", unknown)).toBeUndefined();
    });
    it("refuses a missing, malformed or foreign receipt", () => {
        expect(receiptProblem(undefined, FP, unknown)).toMatch(/no validatedFingerprint/);
        expect(receiptProblem("yes", FP, unknown)).toMatch(/must be the KeyValidation's output/);
        expect(receiptProblem(OTHER, FP, unknown)).toMatch(/the key validated is sha256:ba9876543210, but this consumer would receive sha256:0123456789ab/);
    });
});
