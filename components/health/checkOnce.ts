import { redact } from "../domain/keyFormat";
import { HttpClient, summarizeBody } from "../http/httpClient";
import { evaluateCondition, parseCondition } from "./condition";

/**
 * One attempt of one health check: GET the URL, require a 2xx and the optional `expect` condition. Never
 * throws; the outcome says why it did not pass (redacted, short). Used where a check is repeated on a schedule
 * of its own (the watch after a deactivation), not polled until it passes.
 */

export interface HealthCheckSpec {
    readonly url: string;
    readonly expect?: string;
}

export interface CheckOutcome {
    readonly ok: boolean;
    /** Status of the answer; null when there was none. */
    readonly status: number | null;
    /** Why it did not pass. */
    readonly detail?: string;
}

export type CheckOnce = (check: HealthCheckSpec, fingerprint: string | undefined) => Promise<CheckOutcome>;

export const checkOnce: CheckOnce = async (check, fingerprint) => {
    const http = new HttpClient({ retry: { maxAttempts: 1 } });
    try {
        const res = await http.send(
            { method: "GET", url: check.url, headers: { accept: "application/json, */*", "cache-control": "no-cache", "user-agent": "anthropic-key-rotation-health-check" } },
            { step: "health", target: check.url },
        );
        const body = summarizeBody(res.text, [], 200);
        if (res.status < 200 || res.status > 299) return { ok: false, status: res.status, detail: redact(`HTTP ${res.status}${body ? `: ${body}` : " (empty body)"}`) };
        if (check.expect) {
            const outcome = evaluateCondition(parseCondition(check.expect), res.text, fingerprint);
            if (!outcome.ok) return { ok: false, status: res.status, detail: redact(`HTTP ${res.status} but ${check.expect} does not hold (${outcome.detail}): ${body || "(empty body)"}`) };
        }
        return { ok: true, status: res.status };
    } catch (err) {
        const message = err && typeof err === "object" && typeof (err as { message?: unknown }).message === "string" ? (err as { message: string }).message : String(err);
        return { ok: false, status: null, detail: redact(`no answer: ${message}`) };
    }
};
