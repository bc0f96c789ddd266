export { caught, expectNoSecrets } from "../support/errors";

/** Per attempt: no loopback answer is cut off, however loaded the machine (a test of a hang sets its own). */
export const GENEROUS_ATTEMPT_TIMEOUT_MS = "30000";

/**
 * Fast, bounded retries for every Heroku test file (read by HttpClient at construction, i.e. inside each
 * provider call): 3 attempts, millisecond backoff. The attempt timeout and the budget are far above what a
 * loaded machine needs (30 s, 60 s): an attempt cut off because the answer was slow is one more request than
 * a test expects. The hang test sets a short timeout against an API that never answers.
 */
export function useFastRetries(): void {
    process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_ATTEMPTS = "3";
    process.env.ANTHROPIC_KEY_ROTATION_RETRY_BASE_MS = "5";
    process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_DELAY_MS = "20";
    process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_TOTAL_MS = "60000";
    process.env.ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS = GENEROUS_ATTEMPT_TIMEOUT_MS;
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

