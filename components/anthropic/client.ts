import type Anthropic from "@anthropic-ai/sdk";

/**
 * The one place an `@anthropic-ai/sdk` client is built. The SDK is loaded inside the function (dynamic
 * providers must not capture npm modules at module scope), and every client is configured the same way:
 *
 * - the key goes in `x-api-key`, as the API documentation and the rotation SOP send it. The installed SDK
 *   (1.12) would otherwise send `Authorization: Bearer <key>`; that header is removed.
 * - `anthropic-version: 2023-06-01`, the version the SOP's validation request uses (the SDK's own default
 *   is newer; the fields read here — id, model, usage, rate-limit headers — are the same).
 * - `maxRetries: 0`: retries are ours (retry.ts), bounded in total time and honouring `retry-after`.
 * - logging and OpenTelemetry off, so nothing about a request (headers included) is printed or exported.
 */

export const DEFAULT_ANTHROPIC_BASE_URL = "https://api.anthropic.com";
export const ANTHROPIC_API_VERSION = "2023-06-01";
/** The SDK's own per-request default (10 minutes) is far too long for a ping. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 15_000;

export type AnthropicClient = Anthropic;

export interface AnthropicClientOptions {
    /** An API key, or an Admin API key for `client.organization.*`. */
    readonly apiKey: string;
    /** Defaults to https://api.anthropic.com (never read from ANTHROPIC_BASE_URL: the input decides). */
    readonly baseUrl?: string;
    /** Per-request timeout; each call can pass a shorter one. */
    readonly timeoutMs?: number;
}

export function createAnthropicClient(options: AnthropicClientOptions): AnthropicClient {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require("@anthropic-ai/sdk") as typeof import("@anthropic-ai/sdk");
    const Client = sdk.Anthropic ?? sdk.default;
    return new Client({
        apiKey: options.apiKey,
        baseURL: options.baseUrl || DEFAULT_ANTHROPIC_BASE_URL,
        maxRetries: 0,
        timeout: Math.max(1, Math.floor(options.timeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS)),
        logLevel: "off",
        openTelemetry: false,
        defaultHeaders: {
            "x-api-key": options.apiKey,
            authorization: null,
            "anthropic-version": ANTHROPIC_API_VERSION,
        },
    });
}
