import { redact } from "../domain/keyFormat";
import { HttpClient, HttpResponse, parseJson } from "../http/httpClient";
import { normalizeApiRoot } from "../http/urls";

/**
 * A small client for the parts of Heroku's Platform API v3 that the rotation needs: an app's config vars
 * and its releases. There is no Heroku SDK for Node on npm, so this talks REST through HttpClient, which
 * supplies bounded retries (429, 5xx, dropped connections, timeouts) and redaction.
 *
 * The token is read from HEROKU_API_KEY at call time, never held in a field: this module is captured
 * into the serialized dynamic provider, and nothing read from the environment may end up there.
 * Nothing in this module may hold an Anthropic key prefix as text either (the leak scans grep for it).
 */

export const HEROKU_API_URL = "https://api.heroku.com";
export const HEROKU_ACCEPT = "application/vnd.heroku+json; version=3";
export const HEROKU_TOKEN_ENV = "HEROKU_API_KEY";

/** Step names used in error messages. */
export const STEP_CONFIG_VARS = "heroku config vars";
export const STEP_RELEASE = "heroku release";

export type ReleaseStatus = "pending" | "succeeded" | "failed" | "expired";

export interface HerokuRelease {
    readonly id: string;
    readonly version: number;
    readonly status: ReleaseStatus;
    readonly current: boolean;
    readonly created_at?: string;
    readonly description?: string;
}

/** An app's config vars as Heroku returns them: a flat name → value object. */
export type ConfigVars = Record<string, string>;
/** A merge-PATCH body: a value sets the var, `null` removes it, names left out are untouched. */
export type ConfigVarChanges = Record<string, string | null>;

/**
 * Errors are plain `Error` objects with extra fields, built by the factories below, never subclasses:
 * Pulumi's closure serializer turns `class X extends Error` into a function whose `super(message)` does not
 * initialize the object, so inside the real provider host such an error has no message and is not an
 * Error. Recognize them with isHerokuApiError / isHerokuReleaseError (by name), not instanceof.
 */

/** A Heroku call that got an answer, but not the one we wanted, or could not be made (missing token). Redacted. */
export interface HerokuApiError extends Error {
    readonly name: "HerokuApiError";
    /** The procedure step, e.g. "heroku config vars". */
    readonly step: string;
    readonly app: string;
    /** HTTP status, when Heroku answered. */
    readonly status?: number;
    /** Heroku's error id (`unauthorized`, `not_found`, `rate_limit`, …), when it sent one. */
    readonly herokuId?: string;
}

/** A release that ended `failed` / `expired`, or did not succeed in time. Redacted. */
export interface HerokuReleaseError extends Error {
    readonly name: "HerokuReleaseError";
    readonly app: string;
    readonly reason: "failed" | "expired" | "timeout";
    /** The newest qualifying release seen, if any. */
    readonly release?: HerokuRelease;
}

/** No attempt got an answer (timeouts, dropped connections), after HttpClient's bounded retries. Redacted. */
export interface HerokuTransportError extends Error {
    readonly name: "TransportError";
    readonly step: string;
    readonly app: string;
}

export function herokuApiError(message: string, step: string, app: string, status?: number, herokuId?: string): HerokuApiError {
    return Object.assign(new Error(message), {
        name: "HerokuApiError" as const,
        step,
        app,
        ...(status !== undefined ? { status } : {}),
        ...(herokuId !== undefined ? { herokuId } : {}),
    });
}

export function herokuReleaseError(message: string, app: string, reason: HerokuReleaseError["reason"], release?: HerokuRelease): HerokuReleaseError {
    return Object.assign(new Error(message), { name: "HerokuReleaseError" as const, app, reason, ...(release ? { release } : {}) });
}

export function isHerokuApiError(err: unknown): err is HerokuApiError {
    return typeof err === "object" && err !== null && (err as { name?: unknown }).name === "HerokuApiError";
}

export function isHerokuReleaseError(err: unknown): err is HerokuReleaseError {
    return typeof err === "object" && err !== null && (err as { name?: unknown }).name === "HerokuReleaseError";
}

/** True for HttpClient's TransportError, whether or not it went through serialization. */
export function isTransportError(err: unknown): err is Error & { name: "TransportError" } {
    return typeof err === "object" && err !== null && (err as { name?: unknown }).name === "TransportError";
}

export interface HerokuApiOptions {
    /** Base URL of the Platform API; default https://api.heroku.com. */
    readonly apiUrl?: string;
    /** Values to keep out of every error besides the token (the Anthropic key being written). */
    readonly secrets?: readonly string[];
    /** Defaults to a new HttpClient (retry policy from the defaults and the environment overrides). */
    readonly http?: HttpClient;
    /** Where the token is read from at each call; default process.env. */
    readonly env?: NodeJS.ProcessEnv;
}

export interface WaitForReleaseOptions {
    /** Only a release with a higher version counts (pass the version before our change, or ours − 1). */
    readonly afterVersion?: number;
    /** Give up after this long (default 5 minutes). */
    readonly timeoutMs?: number;
    /** Between polls (default 5 s). */
    readonly intervalMs?: number;
    /** For tests. */
    readonly sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_RELEASE_TIMEOUT_MS = 300_000;
export const DEFAULT_RELEASE_INTERVAL_MS = 5_000;

export class HerokuApi {
    readonly apiUrl: string;
    private readonly http: HttpClient;

    constructor(private readonly options: HerokuApiOptions = {}) {
        this.apiUrl = normalizeApiUrl(options.apiUrl);
        this.http = options.http ?? new HttpClient();
    }

    /** GET /apps/{app}/config-vars: every config var of the app. Treat the result as secret. */
    async getConfigVars(app: string): Promise<ConfigVars> {
        const res = await this.call(STEP_CONFIG_VARS, app, "GET", `/apps/${encodeURIComponent(app)}/config-vars`);
        return configVarsOf(res, app, this.secretsWith());
    }

    /**
     * PATCH /apps/{app}/config-vars: sets the named vars (`null` removes one) and leaves every other var
     * untouched. One call is one release and one restart of the app's dynos. Returns the full resulting
     * config. Treat the result as secret.
     */
    async patchConfigVars(app: string, changes: ConfigVarChanges): Promise<ConfigVars> {
        const values = Object.values(changes).filter((v): v is string => typeof v === "string");
        const res = await this.call(STEP_CONFIG_VARS, app, "PATCH", `/apps/${encodeURIComponent(app)}/config-vars`, changes, {}, values);
        return configVarsOf(res, app, this.secretsWith(values));
    }

    /** The newest release of the app (`Range: version ..; order=desc, max=1`), or undefined when it has none. */
    async latestRelease(app: string, step: string = STEP_RELEASE): Promise<HerokuRelease | undefined> {
        const res = await this.call(step, app, "GET", `/apps/${encodeURIComponent(app)}/releases`, undefined, {
            Range: "version ..; order=desc, max=1",
        });
        const body = parseJson(res.text);
        if (!Array.isArray(body)) {
            throw herokuApiError(
                `${step}: heroku app ${app}: the releases answer was not a JSON list (HTTP ${res.status}); check that apiUrl points at the Heroku Platform API`,
                step,
                app,
                res.status,
            );
        }
        if (body.length === 0) return undefined;
        return releaseOf(body[0], app, step);
    }

    /** The app's dynos (`GET /apps/{app}/dynos`) as raw JSON objects; herokuDynos.ts reads them. */
    async listDynos(app: string, step: string = STEP_RELEASE): Promise<unknown[]> {
        const res = await this.call(step, app, "GET", `/apps/${encodeURIComponent(app)}/dynos`);
        const body = parseJson(res.text);
        if (!Array.isArray(body)) {
            throw herokuApiError(`${step}: heroku app ${app}: the dynos answer was not a JSON list (HTTP ${res.status}); check that apiUrl points at the Heroku Platform API`, step, app, res.status);
        }
        return body;
    }

    /**
     * Polls the app's newest release until it is `succeeded`. A release counts only when its version is
     * above `afterVersion` (when given): pass the version just before the one our PATCH created. Throws
     * HerokuReleaseError when it ends `failed` or `expired`, or when time runs out.
     */
    async waitForRelease(app: string, options: WaitForReleaseOptions = {}): Promise<HerokuRelease> {
        const timeoutMs = options.timeoutMs ?? DEFAULT_RELEASE_TIMEOUT_MS;
        const intervalMs = options.intervalMs ?? DEFAULT_RELEASE_INTERVAL_MS;
        const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
        const started = Date.now();
        const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
        let seen: HerokuRelease | undefined;
        for (;;) {
            const release = await this.latestRelease(app, STEP_RELEASE);
            if (release && (options.afterVersion === undefined || release.version > options.afterVersion)) {
                seen = release;
                if (release.status === "succeeded") return release;
                if (release.status === "failed" || release.status === "expired") throw releaseEndedError(app, release, this.secretsWith());
            }
            if (Date.now() - started + intervalMs > timeoutMs) {
                const message = seen
                    ? `${STEP_RELEASE}: heroku app ${app}: release v${seen.version} is still ${seen.status} after ${seconds()}s; ` +
                      `look at \`heroku releases -a ${app}\` and \`heroku releases:output v${seen.version} -a ${app}\`, then run again (a slow release phase may need a longer timeout)`
                    : `${STEP_RELEASE}: heroku app ${app}: no release ${options.afterVersion === undefined ? "" : `newer than v${options.afterVersion} `}appeared within ${seconds()}s; ` +
                      `check \`heroku releases -a ${app}\` — the config change may not have been applied`;
                throw herokuReleaseError(redact(message, this.secretsWith()), app, "timeout", seen);
            }
            await sleep(intervalMs);
        }
    }

    private secretsWith(extra: readonly string[] = []): string[] {
        const token = (this.options.env ?? process.env)[HEROKU_TOKEN_ENV]?.trim();
        return [...(token ? [token] : []), ...(this.options.secrets ?? []), ...extra];
    }

    private token(step: string, app: string): string {
        const token = (this.options.env ?? process.env)[HEROKU_TOKEN_ENV]?.trim();
        if (!token) {
            throw herokuApiError(
                `${step}: heroku app ${app}: ${HEROKU_TOKEN_ENV} is not set; create a token with \`heroku authorizations:create\` ` +
                    `(or print yours with \`heroku auth:token\`) and export it as ${HEROKU_TOKEN_ENV} before running pulumi`,
                step,
                app,
            );
        }
        return token;
    }

    private async call(
        step: string,
        app: string,
        method: "GET" | "PATCH",
        path: string,
        body?: unknown,
        headers: Record<string, string> = {},
        extraSecrets: readonly string[] = [],
    ): Promise<HttpResponse> {
        const token = this.token(step, app);
        const secrets = [token, ...(this.options.secrets ?? []), ...extraSecrets];
        let response: HttpResponse;
        try {
            response = await this.http.send(
                {
                    method,
                    url: `${this.apiUrl}${path}`,
                    headers: { Accept: HEROKU_ACCEPT, Authorization: `Bearer ${token}`, ...headers },
                    body,
                },
                { step, target: `heroku app ${app}`, secrets },
            );
        } catch (err) {
            throw transportErrorOf(err, step, app, secrets);
        }
        if (response.status >= 200 && response.status < 300) return response;
        throw herokuErrorOf(response, step, app, secrets);
    }
}

/**
 * Re-issues HttpClient's TransportError as a plain Error (see the note on errors above), keeping its
 * message when it has one (it is already redacted; redacted again to be sure).
 */
function transportErrorOf(err: unknown, step: string, app: string, secrets: readonly string[]): Error {
    const original = typeof err === "object" && err !== null ? (err as { message?: unknown }).message : undefined;
    const known = typeof original === "string" && original.length > 0 ? original : undefined;
    if (isTransportError(err)) {
        const message =
            known ?? `${step}: heroku app ${app} did not answer (timeouts or dropped connections) after bounded retries; check apiUrl and the network, then run again`;
        const out: HerokuTransportError = Object.assign(new Error(redact(message, secrets)), { name: "TransportError" as const, step, app });
        return out;
    }
    // Anything else is unexpected (a bug): keep its message, redacted, and name the app.
    return Object.assign(new Error(redact(`${step}: heroku app ${app}: ${known ?? "the call failed unexpectedly"}; check apiUrl, then run again`, secrets)), { step, app });
}

/** Removes trailing slashes; the default is Heroku's public endpoint. */
export function normalizeApiUrl(apiUrl: string | undefined): string {
    return normalizeApiRoot((apiUrl ?? "").trim() || HEROKU_API_URL);
}

function configVarsOf(res: HttpResponse, app: string, secrets: readonly string[]): ConfigVars {
    const body = parseJson(res.text);
    if (!body || typeof body !== "object" || Array.isArray(body)) {
        throw herokuApiError(
            redact(`${STEP_CONFIG_VARS}: heroku app ${app}: the config-vars answer was not a JSON object (HTTP ${res.status}); check that apiUrl points at the Heroku Platform API`, secrets),
            STEP_CONFIG_VARS,
            app,
            res.status,
        );
    }
    const out: ConfigVars = {};
    for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
        if (typeof value === "string") out[name] = value;
        else if (value !== null && value !== undefined) out[name] = String(value);
    }
    return out;
}

function releaseOf(raw: unknown, app: string, step: string): HerokuRelease {
    const r = (raw ?? {}) as Record<string, unknown>;
    const status = r.status;
    if (typeof r.version !== "number" || (status !== "pending" && status !== "succeeded" && status !== "failed" && status !== "expired")) {
        throw herokuApiError(
            `${step}: heroku app ${app}: a release without a version or with an unknown status came back; check that apiUrl points at the Heroku Platform API`,
            step,
            app,
        );
    }
    return {
        id: String(r.id ?? ""),
        version: r.version,
        status,
        current: r.current === true,
        ...(typeof r.created_at === "string" ? { created_at: r.created_at } : {}),
        ...(typeof r.description === "string" ? { description: r.description } : {}),
    };
}

function releaseEndedError(app: string, release: HerokuRelease, secrets: readonly string[]): HerokuReleaseError {
    const what = release.description ? ` ("${release.description}")` : "";
    const message =
        release.status === "failed"
            ? `${STEP_RELEASE}: heroku app ${app}: release v${release.version}${what} failed: its release phase did not complete, so Heroku did not roll it out ` +
              `and the dynos still run the previous release. Read \`heroku releases:output v${release.version} -a ${app}\`, fix the release command, ` +
              `then run pulumi up again (the config vars already hold the new value)`
            : `${STEP_RELEASE}: heroku app ${app}: release v${release.version}${what} expired before it finished, so Heroku did not roll it out. ` +
              `Check \`heroku releases -a ${app}\`, then run pulumi up again`;
    return herokuReleaseError(redact(message, secrets), app, release.status === "failed" ? "failed" : "expired", release);
}

interface Explanation {
    readonly what: string;
    readonly fix: string;
}

/** What a Heroku error status means for this app and what the operator does about it. */
export function explainHerokuStatus(status: number, herokuId: string | undefined, app: string): Explanation {
    if (status === 401) {
        return {
            what: `Heroku rejected the token in ${HEROKU_TOKEN_ENV}`,
            fix: `the token is wrong, expired or revoked: create a new one with \`heroku authorizations:create\` and export it as ${HEROKU_TOKEN_ENV}, then run again`,
        };
    }
    if (status === 402) {
        return {
            what: "the Heroku account that owns the app is delinquent",
            fix: "settle the account's open invoices in the Heroku Dashboard (Account → Billing), then run again",
        };
    }
    if (status === 403 && herokuId === "suspended") {
        return {
            what: "the app or its account is suspended",
            fix: "resolve the suspension with Heroku (dashboard or support), then run again",
        };
    }
    if (status === 403) {
        return {
            what: `the token in ${HEROKU_TOKEN_ENV} has no access to app ${app}`,
            fix: `use a token of a user who can manage the app's config vars (a collaborator, or a team member with the operate permission), or ask the app's owner for access, then run again`,
        };
    }
    if (status === 404) {
        return {
            what: "Couldn't find that app",
            fix: `check the app name in targets.heroku of the stack config (and apiUrl), and that the token's user can see app ${app}`,
        };
    }
    if (status === 406) {
        return {
            what: "Heroku refused the API version requested",
            fix: "check that apiUrl points at the Heroku Platform API v3",
        };
    }
    if (status === 422) {
        return {
            what: "Heroku rejected the request as invalid",
            fix: "check the config var names in targets.heroku (letters, digits and '_' only, not starting with HEROKU_) and the values, then run again",
        };
    }
    if (status === 429) {
        return {
            what: "Heroku's rate limit for this account is used up",
            fix: "the account's request budget (about 4,500, refilled at about 75 a minute) is exhausted, perhaps by other tools using the same user; wait a few minutes, then run again",
        };
    }
    if (status >= 500) {
        return {
            what: "the Heroku Platform API failed",
            fix: "check https://status.heroku.com, then run again",
        };
    }
    return { what: "Heroku answered with an unexpected status", fix: "check apiUrl and the app name, then run again" };
}

function herokuErrorOf(res: HttpResponse, step: string, app: string, secrets: readonly string[]): HerokuApiError {
    const body = parseJson(res.text) as { id?: unknown; message?: unknown } | undefined;
    const herokuId = body && typeof body === "object" && typeof body.id === "string" ? body.id : undefined;
    const herokuMessage =
        body && typeof body === "object" && typeof body.message === "string" ? body.message.replace(/\s+/g, " ").trim().slice(0, 300) : undefined;
    const { what, fix } = explainHerokuStatus(res.status, herokuId, app);
    const details = [
        `HTTP ${res.status}${herokuId ? ` ${herokuId}` : ""}`,
        herokuMessage ? `"${herokuMessage}"` : undefined,
        res.headers["request-id"] ? `Request-Id ${res.headers["request-id"]}` : undefined,
        res.attempts > 1 ? `after ${res.attempts} attempts` : undefined,
    ].filter((d): d is string => d !== undefined);
    const message = `${step}: heroku app ${app}: ${what} (${details.join(", ")}); ${fix}`;
    return herokuApiError(redact(message, secrets), step, app, res.status, herokuId);
}

export interface WaitForHerokuReleaseArgs {
    readonly app: string;
    /** The version our PATCH created (the resource's `releaseVersion`); a newer release also counts. */
    readonly releaseVersion: number;
    /** Default https://api.heroku.com. */
    readonly apiUrl?: string;
    /** Default 5 minutes. */
    readonly timeoutMs?: number;
    /** Default 5 s. */
    readonly intervalMs?: number;
    /** Default a new HttpClient. */
    readonly http?: HttpClient;
}

/**
 * Waits until the app's newest release at or after `releaseVersion` is `succeeded`, reading HEROKU_API_KEY
 * at call time. Throws HerokuReleaseError (failed / expired / timeout) or HerokuApiError, both redacted and
 * naming the app. For the health-check step: a config change only reaches the dynos once its release
 * succeeds (a failed release phase means Heroku never rolled it out).
 */
export async function waitForHerokuRelease(args: WaitForHerokuReleaseArgs): Promise<HerokuRelease> {
    const api = new HerokuApi({ apiUrl: args.apiUrl, ...(args.http ? { http: args.http } : {}) });
    return api.waitForRelease(args.app, {
        afterVersion: args.releaseVersion - 1,
        timeoutMs: args.timeoutMs ?? DEFAULT_RELEASE_TIMEOUT_MS,
        intervalMs: args.intervalMs ?? DEFAULT_RELEASE_INTERVAL_MS,
    });
}
