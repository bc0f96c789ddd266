import { expect } from "vitest";

/**
 * Fast, bounded retries for every Heroku test file (read by HttpClient at construction, i.e. inside each
 * provider call): 3 attempts, millisecond backoff, 150 ms per attempt, 3 s in all.
 */
export function useFastRetries(): void {
    process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_ATTEMPTS = "3";
    process.env.ANTHROPIC_KEY_ROTATION_RETRY_BASE_MS = "5";
    process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_DELAY_MS = "20";
    process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_TOTAL_MS = "3000";
    process.env.ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS = "150";
}

/** Odd but legal values that must survive every operation byte for byte. */
export const ODD_VARS: Readonly<Record<string, string>> = {
    DATABASE_URL: "postgres://user:p%40ss@db.internal:5432/raxx?sslmode=require",
    GREETING: "héllo — 日本語 🚀 zero-width:\u200b",
    EMPTY: "",
    JSON_BLOB: '{"a":[1,2,{"b":"c"}],"n":null,"s":"x\\ny"}',
    PEM: "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\r\nline3\n-----END PRIVATE KEY-----\n",
    PADDED: "  spaces around  ",
    QUOTES: `'"\\\`$HOME`,
};

/** Runs fn, expects it to throw, and returns the error. */
export async function caught(fn: () => Promise<unknown>): Promise<Error> {
    try {
        await fn();
    } catch (err) {
        return err as Error;
    }
    throw new Error("expected the call to fail, it succeeded");
}

/** No secret (key, token) and no key-shaped text anywhere in the error, its stack or its fields. */
export function expectNoSecrets(err: unknown, secrets: readonly string[]): void {
    const e = err as Error;
    const texts = [String(e), e.message, e.stack ?? "", JSON.stringify(e, Object.getOwnPropertyNames(e))];
    for (const text of texts) {
        for (const secret of secrets) expect(text.includes(secret), "a secret leaked into an error").toBe(false);
        expect(text).not.toMatch(/sk-ant-/);
    }
}
