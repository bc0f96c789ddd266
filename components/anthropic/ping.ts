import { createAnthropicClient } from "./client";
import { parseRateLimits, RateLimits } from "./rateLimits";
import { callWithRetries, RetryClock } from "./retry";

/**
 * The validation call itself, in one of two modes:
 * - `messages` (default, as the SOP does it): one Messages call, `max_tokens` from config, prompt "ping".
 *   Costs a few tokens of the configured (cheapest) model; proves the key can authenticate AND spend.
 * - `models`: `GET /v1/models/{model}`. Costs nothing; proves the key authenticates and can see the model,
 *   not that its organisation can be billed.
 * Throws ApiCallError (from retry.ts) when the call does not succeed.
 */

export type ValidationMode = "messages" | "models";

export interface PingRequest {
    readonly apiKey: string;
    readonly baseUrl: string;
    readonly mode: ValidationMode;
    readonly model: string;
    readonly maxTokens: number;
    readonly maxRetrySeconds: number;
    /** Time for the retry budget; the system clock unless a test injects one. */
    readonly clock?: RetryClock;
}

export interface TokenUsage {
    readonly inputTokens: number;
    readonly outputTokens: number;
}

export interface PingResult {
    readonly mode: ValidationMode;
    /** The `request-id` of the successful answer. */
    readonly requestId?: string;
    /** The model that answered (Messages) or the model's canonical id (Models). */
    readonly respondingModel?: string;
    /** Messages mode only. */
    readonly usage?: TokenUsage;
    readonly rateLimits: RateLimits;
    readonly attempts: number;
}

export const PING_PROMPT = "ping";

/**
 * Per-attempt timeout of a Messages ping: 15 s plus room to generate `maxTokens` (a slow answer that is
 * cut off and retried is paid for twice). Always cut to what is left of maxRetrySeconds.
 */
export function messagesAttemptTimeoutMs(maxTokens: number): number {
    return 15_000 + 25 * maxTokens;
}

export async function ping(request: PingRequest): Promise<PingResult> {
    const client = createAnthropicClient({ apiKey: request.apiKey, baseUrl: request.baseUrl });
    if (request.mode === "messages") {
        const { value, attempts } = await callWithRetries(
            (timeout) =>
                client.messages
                    .create(
                        { model: request.model, max_tokens: request.maxTokens, messages: [{ role: "user", content: PING_PROMPT }] },
                        { timeout },
                    )
                    .withResponse(),
            { maxRetrySeconds: request.maxRetrySeconds, attemptTimeoutMs: messagesAttemptTimeoutMs(request.maxTokens), clock: request.clock },
        );
        const usage = value.data.usage;
        return {
            mode: "messages",
            requestId: value.request_id ?? value.response.headers.get("request-id") ?? undefined,
            respondingModel: value.data.model,
            usage: usage ? { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens } : undefined,
            rateLimits: parseRateLimits(value.response.headers),
            attempts,
        };
    }
    const { value, attempts } = await callWithRetries(
        (timeout) => client.models.retrieve(request.model, {}, { timeout }).withResponse(),
        { maxRetrySeconds: request.maxRetrySeconds, clock: request.clock },
    );
    return {
        mode: "models",
        requestId: value.request_id ?? value.response.headers.get("request-id") ?? undefined,
        respondingModel: value.data.id,
        rateLimits: parseRateLimits(value.response.headers),
        attempts,
    };
}
