import { expect } from "vitest";

/** Runs fn, expects it to throw, and returns the error. */
export async function caught(fn: () => Promise<unknown>): Promise<Error> {
    try {
        await fn();
    } catch (err) {
        return err as Error;
    }
    throw new Error("expected the call to fail, it succeeded");
}

/** No secret (key, token, client secret) and no key-shaped text anywhere in the error, its stack or its fields. */
export function expectNoSecrets(err: unknown, secrets: readonly string[]): void {
    const e = err as Error;
    const texts = [String(e), e.message, e.stack ?? "", JSON.stringify(e, Object.getOwnPropertyNames(e))];
    for (const text of texts) {
        for (const secret of secrets) expect(text.includes(secret), "a secret leaked into an error").toBe(false);
        expect(text).not.toMatch(/sk-ant-/);
    }
}
