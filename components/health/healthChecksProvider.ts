import type * as dynamic from "@pulumi/pulumi/dynamic";
import { auditContextOf, auditContextProblems, AuditHealthResult, errorMessage } from "../audit/auditLog";
import { auditedFailure } from "../audit/notifyingAudit";
import { isFingerprint } from "../domain/fingerprint";
import { redact } from "../domain/keyFormat";
import { waitForHerokuRelease } from "../heroku/herokuApi";
import { waitForHerokuDynos } from "../heroku/herokuDynos";
import { HttpClient, summarizeBody } from "../http/httpClient";
import { normalizeEndpointUrl, normalizeUrlInput } from "../http/urls";
import { evaluateCondition, parseCondition } from "./condition";
import { UNKNOWN } from "../dynamic/unknown";

/**
 * The dynamic provider behind `pulumi-nodejs:dynamic/health:HealthChecks` (SOP step 6, "Verify downstream"):
 *
 * 1. For every Heroku app our PATCH changed, wait until the release it created is `succeeded` (a config
 *    change reaches the dynos only when its release succeeds; a failed release phase is never rolled out),
 *    then until every dyno of the app runs that release (with Preboot the old dynos, holding the old key,
 *    keep serving until the new ones are up).
 * 2. Then poll every health URL in parallel: GET, a 2xx and the optional JSON condition, every
 *    `intervalSeconds` until it passes or `timeoutSeconds` runs out.
 *
 * It runs on create and whenever the key's fingerprint (or the list of checks) changes; `diff` is offline
 * and preview never runs a check. On failure it names each failing URL with its last status and body
 * (redacted, truncated), appends a `secret.rotate.failed` line (step "health" or "heroku release") and
 * throws, so nothing after it (revocation of the previous key, the completed audit line) runs.
 *
 * Serialization: no credentials are captured (HEROKU_API_KEY is read by herokuApi at call time; health
 * URLs take none); no npm module at module scope (a type import only).
 */

/** Same defaults as components/config/schema.ts (a test keeps them equal). */
export const DEFAULT_TIMEOUT_SECONDS = 300;
export const DEFAULT_INTERVAL_SECONDS = 10;
export const DEFAULT_RELEASE_TIMEOUT_SECONDS = 300;
export const DEFAULT_RELEASE_INTERVAL_SECONDS = 5;
export const STEP_HEALTH = "health";
export const STEP_HEROKU_RELEASE = "heroku release";


type Props = Record<string, unknown>;

export interface HealthCheckInput {
    readonly url: string;
    /** e.g. `anthropic.ok == true`; see condition.ts. */
    readonly expect?: string;
    readonly timeoutSeconds?: number;
    readonly intervalSeconds?: number;
}

export interface HerokuReleaseInput {
    readonly app: string;
    readonly apiUrl?: string;
    /** HerokuConfigVars.releaseVersion: the release our PATCH created. null: nothing to wait for. */
    readonly releaseVersion: number | null;
    /** HerokuConfigVars.releaseCreated: false when no PATCH was needed (then there is nothing to wait for). */
    readonly releaseCreated?: boolean;
}

export interface HealthResult extends AuditHealthResult {
    readonly url: string;
    readonly ok: boolean;
    /** Last HTTP status, null when no attempt got an answer. */
    readonly status: number | null;
    readonly attempts: number;
    readonly seconds: number;
    /** Why the last attempt did not pass (absent when ok). */
    readonly detail?: string;
}

export interface ReleaseResult {
    readonly app: string;
    readonly version: number;
    readonly status: string;
    readonly seconds: number;
    /** How many dynos were seen on the release (one-off dynos aside). */
    readonly dynos?: number;
}

export const healthChecksProvider: dynamic.ResourceProvider = {
    async check(_olds: Props, news: Props): Promise<dynamic.CheckResult> {
        const failures: dynamic.CheckFailure[] = [];
        const known = (v: unknown) => v !== UNKNOWN;
        const fail = (property: string, reason: string) => failures.push({ property, reason: redact(reason) });

        const checks = news.checks ?? [];
        if (known(checks)) {
            if (!Array.isArray(checks)) {
                fail("checks", "checks must be a list of {url, expect?, timeoutSeconds?, intervalSeconds?}");
            } else {
                checks.forEach((c: unknown, i) => {
                    if (!known(c)) return;
                    const where = `checks[${i}]`;
                    if (!c || typeof c !== "object") {
                        fail("checks", `${where} must be an object {url, expect?, timeoutSeconds?, intervalSeconds?}`);
                        return;
                    }
                    const check = c as Props;
                    if (known(check.url) && (typeof check.url !== "string" || !isHttpUrl(check.url))) fail("checks", `${where}.url must be an http(s) URL`);
                    if (check.expect !== undefined && check.expect !== null && known(check.expect)) {
                        if (typeof check.expect !== "string") fail("checks", `${where}.expect must be a string such as anthropic.ok == true`);
                        else {
                            try {
                                parseCondition(check.expect);
                            } catch (err) {
                                fail("checks", `${where}.expect: ${(err as Error).message}`);
                            }
                        }
                    }
                    for (const [field, max] of [["timeoutSeconds", 3600], ["intervalSeconds", 300]] as const) {
                        const v = check[field];
                        if (v !== undefined && v !== null && known(v) && (typeof v !== "number" || !(v > 0) || v > max)) {
                            fail("checks", `${where}.${field} must be a number of seconds above 0 and at most ${max}`);
                        }
                    }
                });
            }
        }

        const releases = news.herokuReleases ?? [];
        if (known(releases) && !Array.isArray(releases)) fail("herokuReleases", "herokuReleases must be a list of {app, apiUrl, releaseVersion, releaseCreated}");
        if (known(news.fingerprint) && !isFingerprint(news.fingerprint)) fail("fingerprint", "fingerprint must look like sha256:<12 hex digits>");
        for (const field of ["releaseTimeoutSeconds", "releaseIntervalSeconds"]) {
            const v = news[field];
            if (v !== undefined && v !== null && known(v) && (typeof v !== "number" || !(v > 0) || v > 3600)) fail(field, `${field} must be a number of seconds above 0 and at most 3600`);
        }
        for (const problem of auditContextProblems(news.audit, (v) => !known(v))) fail("audit", problem);
        return { inputs: { ...news, ...(Array.isArray(news.checks) ? { checks: news.checks.map(withNormalUrl) } : {}) }, failures };
    },

    async diff(_id: string, olds: Props, news: Props): Promise<dynamic.DiffResult> {
        let changes = false;
        if (news.fingerprint === UNKNOWN || news.fingerprint !== olds.fingerprint) changes = true;
        if (canonicalChecks(news.checks) !== canonicalChecks(olds.checks)) changes = true;
        // A Heroku release we created since the last check (a write that repaired drift, say) restarted dynos.
        if (releasesToWaitFor(news.herokuReleases, true).some((r) => r === UNKNOWN) || newReleases(olds.herokuReleases, news.herokuReleases)) changes = true;
        return { changes, replaces: [], deleteBeforeReplace: false };
    },

    async create(inputs: Props): Promise<dynamic.CreateResult> {
        return { id: idOf(inputs), outs: await run(inputs) };
    },

    async update(_id: string, _olds: Props, news: Props): Promise<dynamic.UpdateResult> {
        return { outs: await run(news) };
    },

    async read(id: string, props?: Props): Promise<dynamic.ReadResult> {
        // Health is a moment, not a state to refresh: keep the last results (no network on refresh).
        return { id, props: props ?? {} };
    },

    async delete(): Promise<void> {
        // Nothing exists remotely.
    },
};

async function run(inputs: Props): Promise<Props> {
    const audit = auditContextOf(inputs.audit);
    const fingerprint = typeof inputs.fingerprint === "string" ? inputs.fingerprint : undefined;

    // 1. Releases first: until a release succeeds, the dynos still run with the previous config.
    const releaseTimeoutMs = secondsOf(inputs.releaseTimeoutSeconds, DEFAULT_RELEASE_TIMEOUT_SECONDS) * 1000;
    const releaseIntervalMs = secondsOf(inputs.releaseIntervalSeconds, DEFAULT_RELEASE_INTERVAL_SECONDS) * 1000;
    const waits = releasesToWaitFor(inputs.herokuReleases, false) as HerokuReleaseInput[];
    const releaseOutcomes = await Promise.allSettled(
        waits.map(async (r): Promise<ReleaseResult> => {
            const started = Date.now();
            const release = await waitForHerokuRelease({
                app: r.app,
                releaseVersion: r.releaseVersion as number,
                ...(r.apiUrl ? { apiUrl: r.apiUrl } : {}),
                timeoutMs: releaseTimeoutMs,
                intervalMs: releaseIntervalMs,
            });
            // The release succeeded; its dynos must run it too (same time budget).
            const dynos = await waitForHerokuDynos({
                app: r.app,
                release,
                ...(r.apiUrl ? { apiUrl: r.apiUrl } : {}),
                timeoutMs: Math.max(releaseIntervalMs, releaseTimeoutMs - (Date.now() - started)),
                intervalMs: releaseIntervalMs,
            });
            return { app: r.app, version: release.version, status: release.status, seconds: roundSeconds(Date.now() - started), dynos: dynos.dynos };
        }),
    );
    const releaseFailures = releaseOutcomes.flatMap((o) => (o.status === "rejected" ? [redact(errorMessage(o.reason))] : []));
    if (releaseFailures.length > 0) {
        const message =
            `${STEP_HEROKU_RELEASE}: ${releaseFailures.length} of ${waits.length} Heroku release(s) did not succeed, so no health check was run and the previous key was not touched ` +
            `(both keys still work):\n - ${releaseFailures.join("\n - ")}`;
        throw await auditedFailure(audit, STEP_HEROKU_RELEASE, message, {}, [], { notifications: inputs.notifications, target: waits.map((w) => `heroku app ${w.app}`).join(", ") });
    }
    const releases = releaseOutcomes.map((o) => (o as PromiseFulfilledResult<ReleaseResult>).value);

    // 2. Every health URL, in parallel.
    const checks = checksOf(inputs.checks);
    const results = await Promise.all(checks.map((c) => poll(c, fingerprint)));
    const failed = results.filter((r) => !r.ok);
    if (failed.length > 0) {
        const lines = failed.map((r) => {
            const check = checks[results.indexOf(r)]!;
            return `${r.url} did not pass within ${check.timeoutSeconds} s (${r.attempts} attempt${r.attempts === 1 ? "" : "s"}): ${r.detail ?? "no answer"}`;
        });
        const message =
            `${STEP_HEALTH}: ${failed.length} of ${results.length} health check(s) failed after the new key (${fingerprint ?? "?"}) was written. ` +
            `The previous key was NOT revoked, so consumers still on it keep working:\n - ${lines.join("\n - ")}\n` +
            `What to do: look at the failing consumer (for Heroku: \`heroku logs --tail -a <app>\`, look for 401/403 from api.anthropic.com), ` +
            `then either fix it and run \`pulumi up\` again, or roll back by setting apiKey to the previous value and running \`pulumi up\` (see the README, Rollback).`;
        throw await auditedFailure(audit, STEP_HEALTH, message, { health: results.map(toAuditResult) }, [], { notifications: inputs.notifications, target: failed.map((r) => r.url).join(", ") });
    }
    return {
        ...inputs,
        results: results.map(toAuditResult),
        releases,
        checkedAt: new Date().toISOString(),
    };
}

interface NormalizedCheck {
    readonly url: string;
    readonly expect?: string;
    readonly timeoutSeconds: number;
    readonly intervalSeconds: number;
}

/** Polls one URL until it passes or its timeout runs out. Never throws: the outcome says what happened. */
async function poll(check: NormalizedCheck, fingerprint: string | undefined): Promise<HealthResult> {
    const condition = check.expect ? parseCondition(check.expect) : undefined;
    const started = Date.now();
    const deadline = started + check.timeoutSeconds * 1000;
    const intervalMs = check.intervalSeconds * 1000;
    // The per-attempt timeout: the HttpClient default (or ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS), never past the deadline.
    const perAttemptMs = new HttpClient().policy.attemptTimeoutMs;
    let attempts = 0;
    let status: number | null = null;
    let detail = "no answer";
    for (;;) {
        attempts += 1;
        const remaining = Math.max(250, deadline - Date.now());
        const timeoutMs = Math.min(perAttemptMs, remaining);
        // One attempt per poll: the polling loop is the retry.
        const http = new HttpClient({ retry: { maxAttempts: 1, attemptTimeoutMs: timeoutMs, maxTotalMs: timeoutMs + 1000 } });
        try {
            const res = await http.send(
                { method: "GET", url: check.url, headers: { accept: "application/json, */*", "cache-control": "no-cache", "user-agent": "anthropic-key-rotation-health-check" } },
                { step: STEP_HEALTH, target: check.url },
            );
            status = res.status;
            const body = summarizeBody(res.text, [], 200);
            if (res.status < 200 || res.status > 299) {
                detail = `last answer HTTP ${res.status}${body ? `: ${body}` : " (empty body)"}`;
            } else if (condition) {
                const outcome = evaluateCondition(condition, res.text, fingerprint);
                if (outcome.ok) return done(true);
                detail = `last answer HTTP ${res.status} but ${check.expect} does not hold (${outcome.detail}): ${body || "(empty body)"}`;
            } else {
                return done(true);
            }
        } catch (err) {
            status = null;
            detail = `last attempt got no answer: ${redact(errorMessage(err))}`;
        }
        if (Date.now() + intervalMs >= deadline) return done(false);
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }

    function done(ok: boolean): HealthResult {
        const seconds = roundSeconds(Date.now() - started);
        return ok ? { url: check.url, ok, status, attempts, seconds } : { url: check.url, ok, status, attempts, seconds, detail: redact(detail) };
    }
}

function toAuditResult(r: HealthResult): HealthResult {
    return { url: r.url, ok: r.ok, status: r.status, attempts: r.attempts, seconds: r.seconds, ...(r.detail ? { detail: r.detail } : {}) };
}

function checksOf(value: unknown): NormalizedCheck[] {
    if (!Array.isArray(value)) return [];
    return value
        .filter((c): c is Props => !!c && typeof c === "object" && typeof (c as Props).url === "string")
        .map((c) => ({
            url: normalizeEndpointUrl(c.url as string),
            ...(typeof c.expect === "string" && c.expect.trim() ? { expect: c.expect.trim() } : {}),
            timeoutSeconds: secondsOf(c.timeoutSeconds, DEFAULT_TIMEOUT_SECONDS),
            intervalSeconds: secondsOf(c.intervalSeconds, DEFAULT_INTERVAL_SECONDS),
        }));
}

/** Releases we created (a PATCH happened) and can wait for; with `keepUnknown`, unknown entries too. */
function releasesToWaitFor(value: unknown, keepUnknown: boolean): unknown[] {
    if (value === UNKNOWN) return keepUnknown ? [UNKNOWN] : [];
    if (!Array.isArray(value)) return [];
    const out: unknown[] = [];
    for (const r of value) {
        if (r === UNKNOWN || (r && typeof r === "object" && (r as Props).releaseVersion === UNKNOWN)) {
            if (keepUnknown) out.push(UNKNOWN);
            continue;
        }
        if (!r || typeof r !== "object") continue;
        const rel = r as Props;
        if (typeof rel.app !== "string" || typeof rel.releaseVersion !== "number" || rel.releaseCreated === false) continue;
        out.push(rel);
    }
    return out;
}

/** True when `news` holds a created release (app + version) that `olds` did not. */
function newReleases(olds: unknown, news: unknown): boolean {
    const key = (r: unknown) => `${(r as Props).app}@${(r as Props).releaseVersion}`;
    const before = new Set(releasesToWaitFor(olds, false).map(key));
    return releasesToWaitFor(news, false).some((r) => !before.has(key(r)));
}

/** A check with its URL in the form `fetch` requests (`http://x` and `http://x/` are one endpoint). */
function withNormalUrl(check: unknown): unknown {
    if (!check || typeof check !== "object" || Array.isArray(check)) return check;
    const c = check as Props;
    return "url" in c ? { ...c, url: normalizeUrlInput(c.url, normalizeEndpointUrl) } : c;
}

function canonicalChecks(value: unknown): string {
    if (value === UNKNOWN) return UNKNOWN;
    return JSON.stringify(checksOf(value));
}

function secondsOf(value: unknown, fallback: number): number {
    return typeof value === "number" && value > 0 ? value : fallback;
}

function roundSeconds(ms: number): number {
    return Math.round(ms / 100) / 10;
}

function isHttpUrl(text: string): boolean {
    try {
        const u = new URL(text);
        return u.protocol === "http:" || u.protocol === "https:";
    } catch {
        return false;
    }
}

/** The id: the environment and a count, both public (never derived from the key). */
function idOf(inputs: Props): string {
    const audit = auditContextOf(inputs.audit);
    const n = Array.isArray(inputs.checks) ? inputs.checks.length : 0;
    return `${audit?.environment ?? "health"}-health-${n}`;
}
