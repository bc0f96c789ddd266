/**
 * Anthropic rate-limit headers (`anthropic-ratelimit-<x>-limit|remaining|reset` for requests, tokens,
 * input-tokens, output-tokens) and the check against the limits a consumer needs. The SOP warns that keys
 * in different workspaces can have different limits.
 */

export interface RateLimitWindow {
    readonly limit?: number;
    readonly remaining?: number;
    /** RFC 3339 time the window resets. */
    readonly reset?: string;
}

export interface RateLimits {
    readonly requests?: RateLimitWindow;
    readonly tokens?: RateLimitWindow;
    readonly inputTokens?: RateLimitWindow;
    readonly outputTokens?: RateLimitWindow;
}

/** `validation.minimumLimits` in the stack config. */
export interface MinimumLimits {
    readonly requestsPerMinute?: number;
    readonly inputTokensPerMinute?: number;
}

export type HeaderSource = { get(name: string): string | null } | Readonly<Record<string, string>>;

function header(headers: HeaderSource, name: string): string | undefined {
    if (typeof (headers as { get?: unknown }).get === "function") return (headers as { get(name: string): string | null }).get(name) ?? undefined;
    return (headers as Readonly<Record<string, string>>)[name];
}

function num(text: string | undefined): number | undefined {
    if (text === undefined || text.trim() === "") return undefined;
    const value = Number(text);
    return Number.isFinite(value) ? value : undefined;
}

const FAMILIES: readonly (readonly [keyof RateLimits, string])[] = [
    ["requests", "requests"],
    ["tokens", "tokens"],
    ["inputTokens", "input-tokens"],
    ["outputTokens", "output-tokens"],
];

/** The rate-limit windows present in the headers; families without any header are left out. */
export function parseRateLimits(headers: HeaderSource): RateLimits {
    const out: Record<string, RateLimitWindow> = {};
    for (const [key, family] of FAMILIES) {
        const limit = num(header(headers, `anthropic-ratelimit-${family}-limit`));
        const remaining = num(header(headers, `anthropic-ratelimit-${family}-remaining`));
        const reset = header(headers, `anthropic-ratelimit-${family}-reset`);
        if (limit === undefined && remaining === undefined && reset === undefined) continue;
        out[key] = {
            ...(limit !== undefined ? { limit } : {}),
            ...(remaining !== undefined ? { remaining } : {}),
            ...(reset !== undefined ? { reset } : {}),
        };
    }
    return out;
}

export interface LimitShortfall {
    /** Config field, e.g. `requestsPerMinute`. */
    readonly setting: keyof MinimumLimits;
    /** Header it was read from. */
    readonly header: string;
    readonly required: number;
    /** undefined when the answer carried no such header. */
    readonly actual?: number;
}

/** Every required minimum the key's limits do not meet (or that no header showed). */
export function limitShortfalls(limits: RateLimits, minimum: MinimumLimits | undefined): LimitShortfall[] {
    const out: LimitShortfall[] = [];
    if (!minimum) return out;
    if (minimum.requestsPerMinute !== undefined) {
        const actual = limits.requests?.limit;
        if (actual === undefined || actual < minimum.requestsPerMinute) {
            out.push({ setting: "requestsPerMinute", header: "anthropic-ratelimit-requests-limit", required: minimum.requestsPerMinute, actual });
        }
    }
    if (minimum.inputTokensPerMinute !== undefined) {
        const actual = limits.inputTokens?.limit;
        if (actual === undefined || actual < minimum.inputTokensPerMinute) {
            out.push({ setting: "inputTokensPerMinute", header: "anthropic-ratelimit-input-tokens-limit", required: minimum.inputTokensPerMinute, actual });
        }
    }
    return out;
}
