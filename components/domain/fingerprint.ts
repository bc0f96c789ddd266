import { createHash } from "crypto";

/** Length, in hex digits, of the SHA-256 prefix that identifies a key in previews, outputs and audits. */
export const FINGERPRINT_HEX_DIGITS = 12;

/**
 * `sha256:` + the first 12 hex digits of the key's SHA-256. It identifies a key without revealing it
 * (48 bits of a hash of a 570-bit random secret), so it is safe in previews, state and audit lines.
 */
export function fingerprint(key: string): string {
    return `sha256:${createHash("sha256").update(key, "utf8").digest("hex").slice(0, FINGERPRINT_HEX_DIGITS)}`;
}

const FINGERPRINT_PATTERN = /^sha256:[0-9a-f]{12}$/;

export function isFingerprint(value: unknown): value is string {
    return typeof value === "string" && FINGERPRINT_PATTERN.test(value);
}

/**
 * The hint the Admin API shows for a key (`partial_key_hint`, e.g. `sk-ant-api03-R2D...igAA`): its
 * public prefix plus first three and last four characters of the tail. Used only to find the key's
 * record; it is never logged.
 */
export function partialKeyHint(key: string): { prefix: string; last4: string } {
    return { prefix: key.slice(0, 16), last4: key.slice(-4) };
}

/** True when an Admin API `partial_key_hint` could belong to `key`. */
export function hintMatches(hint: string, key: string): boolean {
    const [head, tail] = hint.split("...");
    if (head === undefined || tail === undefined) return false;
    return key.startsWith(head) && key.endsWith(tail);
}
