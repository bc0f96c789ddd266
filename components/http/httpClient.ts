import { redact } from "../domain/keyFormat";
import { backoffDelayMs, DEFAULT_RETRY_POLICY, isRetryableStatus, RetryPolicy, serverRequestedDelayMs, withEnvironmentOverrides } from "./retryPolicy";

/**
 * A small JSON-over-HTTP client with bounded retries, per-attempt timeouts and redaction, built on the
 * fetch that ships with Node 20. Every provider that talks to a REST API without an official SDK
 * (Heroku's Platform API, health endpoints) goes through it.
 */

export interface HttpRequest {
    readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
    readonly url: string;
    readonly headers?: Readonly<Record<string, string>>;
    /** Serialized as JSON when present. */
    readonly body?: unknown;
}

export interface HttpResponse {
    readonly status: number;
    readonly headers: Readonly<Record<string, string>>;
    readonly text: string;
    /** How many attempts it took. */
    readonly attempts: number;
}

export interface CallContext {
    /** The procedure step, e.g. "heroku config vars". */
    readonly step: string;
    /** The consumer or endpoint, e.g. "heroku app raxx-api-prod". */
    readonly target: string;
    /** Values that must never appear in an error (keys, tokens). */
    readonly secrets?: readonly string[];
}

/** The call never got an answer: every attempt timed out or lost its connection. */
export class TransportError extends Error {
    constructor(
        message: string,
        readonly step: string,
        readonly target: string,
        readonly attempts: number,
    ) {
        super(message);
        // Set again explicitly: inside a serialized dynamic provider, Pulumi's closure serializer turns
        // `super(message)` into `Error.call(this, message)`, which leaves `this.message` unset.
        this.message = message;
        this.name = "TransportError";
    }
}

export type Sleep = (ms: number) => Promise<void>;
const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export interface HttpClientOptions {
    readonly retry?: Partial<RetryPolicy>;
    readonly sleep?: Sleep;
    /** Called before each wait, for progress logs. Never receives secrets. */
    readonly onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
}

export class HttpClient {
    readonly policy: RetryPolicy;
    private readonly sleep: Sleep;

    constructor(private readonly options: HttpClientOptions = {}) {
        // Explicit options win; environment overrides (operators, tests) come next; then the defaults.
        this.policy = { ...withEnvironmentOverrides({ ...DEFAULT_RETRY_POLICY }), ...options.retry };
        this.sleep = options.sleep ?? realSleep;
    }

    /**
     * Sends the request, retrying transport failures and retryable statuses (408, 409, 429, 5xx) with
     * backoff that honours `retry-after`, within the policy's attempt and total-time bounds. Returns the
     * last response whatever its status; throws TransportError only if no attempt got a response.
     */
    async send(request: HttpRequest, context: CallContext): Promise<HttpResponse> {
        const started = Date.now();
        const secrets = context.secrets ?? [];
        let lastReason = "no attempt made";
        for (let attempt = 0; attempt < this.policy.maxAttempts; attempt++) {
            const elapsed = Date.now() - started;
            const remaining = this.policy.maxTotalMs - elapsed;
            if (remaining <= 0) break;
            let response: HttpResponse | undefined;
            try {
                response = await this.attempt(request, Math.min(this.policy.attemptTimeoutMs, remaining), attempt + 1);
            } catch (err) {
                lastReason = describeTransportFailure(err, Math.min(this.policy.attemptTimeoutMs, remaining));
            }
            if (response) {
                const shouldRetryHeader = response.headers["x-should-retry"];
                const retryable = shouldRetryHeader === "true" || (shouldRetryHeader !== "false" && isRetryableStatus(response.status));
                if (!retryable || attempt === this.policy.maxAttempts - 1) return response;
                lastReason = `HTTP ${response.status}`;
                const requested = serverRequestedDelayMs(response.headers);
                const delay = Math.min(requested ?? backoffDelayMs(this.policy, attempt), this.policy.maxDelayMs);
                if (Date.now() - started + delay >= this.policy.maxTotalMs) return response;
                this.options.onRetry?.({ attempt: attempt + 1, delayMs: delay, reason: lastReason });
                await this.sleep(delay);
                continue;
            }
            if (attempt === this.policy.maxAttempts - 1) break;
            const delay = backoffDelayMs(this.policy, attempt);
            if (Date.now() - started + delay >= this.policy.maxTotalMs) break;
            this.options.onRetry?.({ attempt: attempt + 1, delayMs: delay, reason: lastReason });
            await this.sleep(delay);
        }
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        throw new TransportError(
            redact(`${context.step}: ${context.target} did not answer (${lastReason}) after ${seconds}s of retries; check the URL and network, then run again`, secrets),
            context.step,
            context.target,
            this.policy.maxAttempts,
        );
    }

    private async attempt(request: HttpRequest, timeoutMs: number, attempts: number): Promise<HttpResponse> {
        const headers: Record<string, string> = { ...request.headers };
        let body: string | undefined;
        if (request.body !== undefined) {
            body = JSON.stringify(request.body);
            headers["content-type"] ??= "application/json";
        }
        const res = await fetch(request.url, {
            method: request.method,
            headers,
            body,
            signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await res.text();
        const out: Record<string, string> = {};
        res.headers.forEach((value, key) => {
            out[key.toLowerCase()] = value;
        });
        return { status: res.status, headers: out, text, attempts };
    }
}

function describeTransportFailure(err: unknown, timeoutMs: number): string {
    if (err instanceof Error) {
        if (err.name === "TimeoutError" || err.name === "AbortError") return `timed out after ${timeoutMs} ms`;
        const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
        if (cause?.code) return `connection failed: ${cause.code}`;
        if (cause?.message) return `connection failed: ${cause.message}`;
        return `connection failed: ${err.message}`;
    }
    return "connection failed";
}

/** Parses a JSON body, or returns undefined when it is not JSON. */
export function parseJson(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return undefined;
    }
}

/** A short, redacted, single-line summary of a response body for error messages. */
export function summarizeBody(text: string, secrets: readonly string[] = [], max = 200): string {
    const flat = redact(text, secrets).replace(/\s+/g, " ").trim();
    return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
