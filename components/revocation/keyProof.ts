import { redact } from "../domain/keyFormat";
import { HttpClient, parseJson } from "../http/httpClient";
import { normalizeApiRoot } from "../http/urls";

/**
 * The proof that a key is dead: `GET /v1/models?limit=1` with the key in `x-api-key` (the cheapest call:
 * no tokens, the same authentication as every other endpoint) must answer 401. A 2xx, 402 or 403 means the
 * key still authenticates; anything else (429, 5xx, a 404 from a wrong base URL, no answer) proves nothing.
 *
 * No npm module, no credentials, nothing key-shaped at module scope: this file is serialized into the
 * PreviousKeyRevocation provider.
 */

export const ANTHROPIC_VERSION_HEADER = "2023-06-01";
export const DEFAULT_ANTHROPIC_URL = "https://api.anthropic.com";

export type ProbeOutcome =
    /** 401: the key no longer authenticates. */
    | { readonly kind: "dead"; readonly status: 401; readonly requestId?: string }
    /** The key authenticated: 2xx, or refused for permission (403) or billing (402), decided after authentication. */
    | { readonly kind: "alive"; readonly status: number; readonly detail: string; readonly requestId?: string }
    /** 429 or 5xx after retries, another status (a wrong base URL's 404), or no answer: nothing proven either way. */
    | { readonly kind: "unknown"; readonly status: number | null; readonly detail: string };

export interface ProbeOptions {
    readonly baseUrl: string;
    /** Upper bound for this probe with its retries (5xx, transport), in ms. */
    readonly maxTotalMs?: number;
    /** Values to keep out of every message besides the key. */
    readonly secrets?: readonly string[];
}

/** Asks the API whether `key` still authenticates. Never throws; never returns any part of the key. */
export async function probeKey(key: string, options: ProbeOptions): Promise<ProbeOutcome> {
    const base = normalizeBaseUrl(options.baseUrl);
    const secrets = [key, ...(options.secrets ?? [])];
    const http = new HttpClient(options.maxTotalMs !== undefined ? { retry: { maxTotalMs: Math.max(1, options.maxTotalMs) } } : {});
    try {
        const res = await http.send(
            {
                method: "GET",
                url: `${base}/v1/models?limit=1`,
                headers: { "x-api-key": key, "anthropic-version": ANTHROPIC_VERSION_HEADER, accept: "application/json" },
            },
            { step: "revocation", target: `Anthropic API (${base}/v1/models)`, secrets },
        );
        const requestId = res.headers["request-id"];
        const body = parseJson(res.text) as { error?: { type?: unknown; message?: unknown } } | undefined;
        const type = typeof body?.error?.type === "string" ? ` ${body.error.type}` : "";
        const message = typeof body?.error?.message === "string" ? `: ${redact(body.error.message, secrets).slice(0, 200)}` : "";
        const detail = redact(`HTTP ${res.status}${type}${message}${res.attempts > 1 ? ` after ${res.attempts} attempts` : ""}`, secrets);
        if (res.status === 401) return { kind: "dead", status: 401, ...(requestId ? { requestId } : {}) };
        // Authenticated: it answered, or refused for permission or billing, which is decided after authentication.
        if ((res.status >= 200 && res.status < 300) || res.status === 402 || res.status === 403) {
            return { kind: "alive", status: res.status, detail, ...(requestId ? { requestId } : {}) };
        }
        // 429, 5xx, a 404 from a wrong base URL, anything else: nothing is proven either way.
        return { kind: "unknown", status: res.status, detail };
    } catch (err) {
        // Duck-typed: serialized error classes are not `instanceof Error` inside the provider host.
        const detail = err && typeof err === "object" && typeof (err as { message?: unknown }).message === "string" ? (err as { message: string }).message : String(err);
        return { kind: "unknown", status: null, detail: redact(detail, secrets) };
    }
}

export interface ProveDeadOptions extends ProbeOptions {
    /** Keep asking until this many ms have passed (propagation of a deactivation). */
    readonly timeoutMs: number;
    /** Between probes. */
    readonly intervalMs: number;
}

export interface ProofResult {
    readonly proven: boolean;
    readonly attempts: number;
    readonly elapsedMs: number;
    /** The last outcome (the 401 when proven). */
    readonly last: ProbeOutcome;
}

/** Probes until the key answers 401 or the time is up. */
export async function proveDead(key: string, options: ProveDeadOptions): Promise<ProofResult> {
    const started = Date.now();
    let attempts = 0;
    for (;;) {
        attempts += 1;
        const remaining = options.timeoutMs - (Date.now() - started);
        const last = await probeKey(key, { ...options, maxTotalMs: Math.max(1000, Math.min(remaining, 30_000)) });
        const elapsedMs = Date.now() - started;
        if (last.kind === "dead") return { proven: true, attempts, elapsedMs, last };
        if (elapsedMs + options.intervalMs > options.timeoutMs) return { proven: false, attempts, elapsedMs, last };
        await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
    }
}

export function normalizeBaseUrl(url: string | undefined): string {
    return normalizeApiRoot((url ?? "").trim() || DEFAULT_ANTHROPIC_URL);
}
