import { randomBytes } from "crypto";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

function tail(): string {
    const bytes = randomBytes(93);
    let out = "";
    for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
    return `${out}AA`;
}

/** A random, well-formed (but not real) Anthropic API key: a canary for leak scans. */
export function makeApiKey(): string {
    return ["sk", "ant", "api03", tail()].join("-");
}

/** A random, well-formed Admin API key. */
export function makeAdminKey(): string {
    return ["sk", "ant", "admin01", tail()].join("-");
}
