import type { InfisicalSDK } from "@infisical/sdk";
import { redact } from "../domain/keyFormat";
import { backoffDelayMs, DEFAULT_RETRY_POLICY, RetryPolicy, withEnvironmentOverrides } from "../http/retryPolicy";

/**
 * The system of record: one secret in Infisical, read and written through the official `@infisical/sdk`
 * (5.x), authenticated as a machine identity with Universal Auth.
 *
 * What the installed SDK (5.0.x, lib/cjs/index.js) does, and how this client fits around it:
 * - Transport is Node's fetch. Every call is retried by the SDK on HTTP 429 and on any thrown fetch error
 *   (connection refused/reset, and its own per-attempt timeout of 10 s): 4 retries (5 attempts) after
 *   about 1, 2, 4 and 8 s (±20 % jitter). It ignores `retry-after`, and it does not retry 5xx.
 *   So this client never retries 429 or connection failures again (that would multiply attempts up to
 *   25 for nothing); it retries 5xx (and 408) itself, with the project's backoff; and it bounds the whole
 *   operation (login + read + write) by a total deadline, because the SDK's own worst case for a single
 *   unanswered call is about 65 s.
 * - The per-attempt timeout is not configurable through the SDK's public API. When the retry policy asks
 *   for less than the SDK's 10 s (ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS), the SDK instance's internal
 *   `apiClient.timeout` is lowered if that field exists; otherwise the SDK default stays.
 * - Failures come back as InfisicalSDKRequestError ("[URL=…] [Method=…] [StatusCode=NNN] <server message>")
 *   or InfisicalSDKError ("Request failed with status NNN" when the server's `message` is not a string,
 *   e.g. Infisical's 422 issue list; or the fetch error's own message). The `error` field of Infisical's
 *   body (TokenError, PermissionDenied, …) is dropped by the SDK. Only the status and the server message
 *   are taken from those errors, redacted and shortened; the SDK's error objects never reach a message.
 * - An invalid or expired access token is answered with 403 (TokenError), not 401, and the SDK cannot
 *   tell it from a permission problem: on a 403 this client logs in again once and retries the call.
 *
 * Credentials come from INFISICAL_CLIENT_ID / INFISICAL_CLIENT_SECRET, read when a call is made, never
 * held by anything that outlives the call: this module is serialized into the dynamic provider's text.
 * The SDK is loaded inside the functions that use it, for the same reason. Nothing here may hold an
 * Anthropic key prefix as text.
 */

export const DEFAULT_INFISICAL_SITE_URL = "https://app.infisical.com";
export const DEFAULT_INFISICAL_SECRET_PATH = "/";
export const INFISICAL_CLIENT_ID_ENV = "INFISICAL_CLIENT_ID";
export const INFISICAL_CLIENT_SECRET_ENV = "INFISICAL_CLIENT_SECRET";

/** Facts about @infisical/sdk 5.0.x's built-in retry, used in messages. */
export const SDK_ATTEMPTS = 5;
export const SDK_ATTEMPT_TIMEOUT_MS = 10_000;

/** Step names, as they appear at the start of every error message. */
export const STEP_LOGIN = "infisical login";
export const STEP_READ = "infisical read";
export const STEP_WRITE = "infisical write";
export const STEP_DELETE = "infisical delete";

/** Where a secret lives in Infisical. */
export interface SecretLocation {
    readonly projectId: string;
    readonly environment: string;
    readonly secretPath: string;
    readonly secretName: string;
}

export interface RemoteSecret {
    readonly value: string;
    readonly version: number;
    /** The identity may describe but not read the value (Infisical answered `<hidden-by-infisical>`). */
    readonly hidden: boolean;
}

export interface WriteResult {
    /** `unchanged`: Infisical already held exactly this value; nothing was written, no version was added. */
    readonly action: "created" | "updated" | "unchanged";
    /** Infisical's version of the secret after the call. */
    readonly version: number;
}

export type InfisicalErrorKind =
    | "credentials" // INFISICAL_CLIENT_ID / _SECRET missing
    | "login" // the identity's credentials were refused (401)
    | "forbidden" // 403: token invalid/expired, or no access to the project/environment/path
    | "unauthorized" // 401 on a secret call
    | "not-found" // 404: project, environment or folder
    | "validation" // 422
    | "bad-request" // 400 and other 4xx
    | "rate-limited" // 429 after the SDK's own retries
    | "server" // 5xx / 408 after our retries
    | "unreachable" // no answer after the SDK's retries
    | "deadline" // the operation's total time bound ran out
    | "unexpected";

/** A failed Infisical operation. The message is redacted and names the step, the target and the fix. */
export class InfisicalError extends Error {
    constructor(
        message: string,
        readonly kind: InfisicalErrorKind,
        readonly step: string,
        readonly target: string,
        /** HTTP status, when Infisical answered. */
        readonly status?: number,
    ) {
        super(message);
        this.name = "InfisicalError";
        // Serialized into a dynamic provider, `super(message)` becomes `Error.call(this, message)`, which sets
        // nothing on `this`: set the message (and a stack) explicitly, or the engine would print "undefined".
        this.message = message;
        if (typeof this.stack !== "string" || !this.stack.includes(message)) Error.captureStackTrace?.(this, InfisicalError);
    }
}

export interface InfisicalClientOptions {
    /** Overrides of the retry policy (5xx retries, total bound, per-attempt timeout); env overrides apply first. */
    readonly retry?: Partial<RetryPolicy>;
    /** Where credentials are read from, at call time (default: process.env). */
    readonly env?: NodeJS.ProcessEnv;
    readonly sleep?: (ms: number) => Promise<void>;
}

/** "secret ANTHROPIC_API_KEY in Infisical project p, environment prod, path / (https://app.infisical.com)" */
export function describeTarget(location: SecretLocation, siteUrl: string): string {
    return `secret ${location.secretName} in Infisical project ${location.projectId}, environment ${location.environment}, path ${location.secretPath} (${originOf(siteUrl)})`;
}

interface SdkFailure {
    /** HTTP status when Infisical answered. */
    readonly status?: number;
    /** The server's message (unredacted: callers redact), or "" when it had none. */
    readonly message: string;
    /** When there was no answer. */
    readonly transport?: "timed out" | "connection failed";
}

type Outcome<T> = { ok: true; value: T } | { ok: false; failure: SdkFailure };

/** One operation (read, write or delete): its step, target, deadline and the values to redact. */
class Operation {
    // Fields are assigned in the constructor, never with initializers: Pulumi's closure serializer keeps a
    // class's constructor and methods but drops field initializers.
    readonly started: number;
    readonly deadline: number;
    /** 1-based run of the operation (5xx retries re-run it). */
    run: number;

    constructor(
        readonly step: string,
        readonly target: string,
        readonly origin: string,
        readonly budgetMs: number,
        readonly secrets: string[],
    ) {
        this.started = Date.now();
        this.deadline = this.started + budgetMs;
        this.run = 1;
    }

    remainingMs(): number {
        return this.deadline - Date.now();
    }

    error(kind: InfisicalErrorKind, what: string, fix: string, status?: number): InfisicalError {
        const message = redact(`${this.step} failed for ${this.target}: ${what}. ${fix}`, this.secrets);
        return new InfisicalError(message, kind, this.step, redact(this.target, this.secrets), status);
    }

    deadlineError(action: string): InfisicalError {
        const seconds = (this.budgetMs / 1000).toFixed(1);
        const write = /^(creating|updating|deleting)/.test(action);
        return this.error(
            "deadline",
            `no result within ${seconds} s (the bound on one Infisical operation) while ${action}. The Infisical SDK retries rate limits (429) and connection failures itself (${SDK_ATTEMPTS} attempts, about 1, 2, 4 and 8 s apart, up to ${SDK_ATTEMPT_TIMEOUT_MS / 1000} s each), so Infisical at ${this.origin} is unreachable, rate limiting or very slow`,
            `Fix: check siteUrl and the network path to it, then run again${write ? " (a write still in flight may land later; the next run converges on it)" : ""}. The bound is ANTHROPIC_KEY_ROTATION_RETRY_MAX_TOTAL_MS (default ${DEFAULT_RETRY_POLICY.maxTotalMs} ms)`,
        );
    }

    /** Resolves like `promise`, or rejects with a deadline error when the operation's time is up. */
    bound<T>(promise: Promise<T>, action: string): Promise<T> {
        // The SDK cannot be cancelled: if the deadline wins, its call finishes (or fails) on its own later.
        promise.catch(() => undefined);
        const remaining = this.remainingMs();
        if (remaining <= 0) return Promise.reject(this.deadlineError(action));
        return new Promise<T>((resolve, reject) => {
            const timer = setTimeout(() => reject(this.deadlineError(action)), remaining);
            promise.then(
                (value) => {
                    clearTimeout(timer);
                    resolve(value);
                },
                (err: unknown) => {
                    clearTimeout(timer);
                    reject(err);
                },
            );
        });
    }
}

export class InfisicalClient {
    readonly siteUrl: string;
    readonly policy: RetryPolicy;
    private sdk: InfisicalSDK | undefined;
    private readonly env: NodeJS.ProcessEnv | undefined;
    private readonly sleep: (ms: number) => Promise<void>;
    /** Values that must never appear in a message: the key being written, the client secret, tokens. */
    private readonly secrets: string[];

    // No field initializers (see Operation): everything is assigned here.
    constructor(siteUrl: string = DEFAULT_INFISICAL_SITE_URL, options: InfisicalClientOptions = {}) {
        this.sdk = undefined;
        this.secrets = [];
        this.siteUrl = siteUrl.replace(/\/+$/, "");
        this.policy = { ...withEnvironmentOverrides({ ...DEFAULT_RETRY_POLICY }), ...options.retry };
        this.env = options.env;
        this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    }

    /** The secret's current value and version, or undefined when Infisical has no such secret. */
    async getSecret(location: SecretLocation): Promise<RemoteSecret | undefined> {
        return this.operation(STEP_READ, location, async (op) => {
            const got = await this.fetch(op, location, "reading the secret");
            return got ?? undefined;
        });
    }

    /**
     * Makes Infisical hold `value`: an update (a new version, so Infisical keeps the history) when the secret
     * exists, a create when it does not (a 400 "already exists" on create falls back to update), nothing when
     * it already holds exactly this value.
     */
    async putSecret(location: SecretLocation, value: string): Promise<WriteResult> {
        this.remember(value);
        return this.operation(STEP_WRITE, location, async (op) => {
            const current = await this.fetch(op, location, "reading the current secret");
            if (current && !current.hidden && current.value === value) return { action: "unchanged", version: current.version };
            if (current) return { action: "updated", version: await this.update(op, location, value, true) };
            const created = await this.call(op, "creating the secret", (sdk, sdkModule) =>
                sdk.secrets().createSecret(location.secretName, { ...scope(location, sdkModule), secretValue: value }),
            );
            if (created.ok) return { action: "created", version: await this.versionOf(op, location, created.value) };
            if (created.failure.status === 400 && /already exist/i.test(created.failure.message)) {
                // Someone created it between our read and our create: update it instead, keeping the history.
                return { action: "updated", version: await this.update(op, location, value, false) };
            }
            throw this.failed(op, "creating the secret", created.failure);
        });
    }

    /** Deletes the secret. `deleted: false` when it was already gone. */
    async deleteSecret(location: SecretLocation): Promise<{ deleted: boolean }> {
        return this.operation(STEP_DELETE, location, async (op) => {
            const res = await this.call(op, "deleting the secret", (sdk, sdkModule) =>
                sdk.secrets().deleteSecret(location.secretName, scope(location, sdkModule)),
            );
            if (res.ok) return { deleted: true };
            if (res.failure.status === 404 && secretIsMissing(res.failure.message, location.secretName)) return { deleted: false };
            throw this.failed(op, "deleting the secret", res.failure);
        });
    }

    // ---- operation plumbing ------------------------------------------------------------------------

    private remember(secret: string | undefined): void {
        if (secret && !this.secrets.includes(secret)) this.secrets.push(secret);
    }

    /** Runs `body` within the total bound, re-running it after a 5xx (the SDK does not retry those). */
    private async operation<T>(step: string, location: SecretLocation, body: (op: Operation) => Promise<T>): Promise<T> {
        const op = new Operation(step, describeTarget(location, this.siteUrl), originOf(this.siteUrl), this.policy.maxTotalMs, this.secrets);
        for (;;) {
            try {
                return await body(op);
            } catch (err) {
                const error = err instanceof InfisicalError ? err : this.unexpected(op, err);
                if (error.kind === "server" && op.run < this.policy.maxAttempts) {
                    const delay = backoffDelayMs(this.policy, op.run - 1);
                    if (op.remainingMs() > delay) {
                        await this.sleep(delay);
                        op.run += 1;
                        continue;
                    }
                }
                throw error;
            }
        }
    }

    /** A logged-in SDK instance for this client (one login per client, renewed after a 403). */
    private async session(op: Operation): Promise<{ sdk: InfisicalSDK; sdkModule: typeof import("@infisical/sdk") }> {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded at run time, never captured
        const sdkModule = require("@infisical/sdk") as typeof import("@infisical/sdk");
        if (this.sdk) return { sdk: this.sdk, sdkModule };
        const env = this.env ?? process.env;
        const clientId = (env[INFISICAL_CLIENT_ID_ENV] ?? "").trim();
        const clientSecret = (env[INFISICAL_CLIENT_SECRET_ENV] ?? "").trim();
        this.remember(clientSecret);
        const missing = [clientId ? undefined : INFISICAL_CLIENT_ID_ENV, clientSecret ? undefined : INFISICAL_CLIENT_SECRET_ENV].filter(Boolean);
        if (missing.length) {
            throw new InfisicalError(
                redact(
                    `${STEP_LOGIN} failed for ${op.target}: ${missing.join(" and ")} ${missing.length === 1 ? "is" : "are"} not set. ` +
                        `Both ${INFISICAL_CLIENT_ID_ENV} and ${INFISICAL_CLIENT_SECRET_ENV} must be set in the environment of the pulumi process: ` +
                        `create a machine identity with Universal Auth in Infisical, give it access to the project and environment named above, ` +
                        `and export its client ID and a client secret before running pulumi (never put them in stack config)`,
                    this.secrets,
                ),
                "credentials",
                STEP_LOGIN,
                op.target,
            );
        }
        const sdk = new sdkModule.InfisicalSDK({ siteUrl: this.siteUrl });
        this.tuneAttemptTimeout(sdk);
        try {
            await op.bound(sdk.auth().universalAuth.login({ clientId, clientSecret }), "logging in");
        } catch (err) {
            if (err instanceof InfisicalError) throw err;
            throw this.loginFailed(op, parseSdkFailure(err));
        }
        this.remember(sdk.auth().getAccessToken() ?? undefined);
        this.sdk = sdk;
        return { sdk, sdkModule };
    }

    /** Lowers the SDK's internal per-attempt timeout when the policy asks for less than its 10 s. */
    private tuneAttemptTimeout(sdk: InfisicalSDK): void {
        const api = (sdk as unknown as { apiClient?: { timeout?: unknown } }).apiClient;
        if (api && typeof api.timeout === "number" && this.policy.attemptTimeoutMs > 0 && this.policy.attemptTimeoutMs < api.timeout) {
            api.timeout = this.policy.attemptTimeoutMs;
        }
    }

    /** One SDK call, bounded by the deadline; after a 403, logs in again once and repeats the call. */
    private async call<T>(
        op: Operation,
        action: string,
        fn: (sdk: InfisicalSDK, sdkModule: typeof import("@infisical/sdk")) => Promise<T>,
    ): Promise<Outcome<T>> {
        let renewed = false;
        for (;;) {
            const { sdk, sdkModule } = await this.session(op);
            try {
                return { ok: true, value: await op.bound(fn(sdk, sdkModule), action) };
            } catch (err) {
                if (err instanceof InfisicalError) throw err;
                const failure = parseSdkFailure(err);
                if (failure.status === 403 && !renewed) {
                    // Most likely the token expired mid-run (Infisical answers 403 TokenError): log in again once.
                    renewed = true;
                    this.sdk = undefined;
                    continue;
                }
                return { ok: false, failure };
            }
        }
    }

    /** The secret, or null when Infisical says it does not exist. */
    private async fetch(op: Operation, location: SecretLocation, action: string): Promise<RemoteSecret | null> {
        const res = await this.call(op, action, (sdk, sdkModule) =>
            sdk.secrets().getSecret({
                ...scope(location, sdkModule),
                secretName: location.secretName,
                // The stored text itself, not ${REFERENCE}s expanded: it is compared with the key.
                expandSecretReferences: false,
                viewSecretValue: true,
            }),
        );
        if (!res.ok) {
            if (res.failure.status === 404 && secretIsMissing(res.failure.message, location.secretName)) return null;
            throw this.failed(op, action, res.failure);
        }
        const secret = res.value as { secretValue?: unknown; version?: unknown; secretValueHidden?: unknown } | undefined;
        if (!secret || typeof secret.secretValue !== "string" || typeof secret.version !== "number") {
            throw op.error("unexpected", `Infisical's answer while ${action} had no secret value or version`, "Fix: check that siteUrl points at an Infisical server (the site root, e.g. https://app.infisical.com)");
        }
        return { value: secret.secretValue, version: secret.version, hidden: secret.secretValueHidden === true };
    }

    private async update(op: Operation, location: SecretLocation, value: string, createIfGone: boolean): Promise<number> {
        const res = await this.call(op, "updating the secret", (sdk, sdkModule) =>
            sdk.secrets().updateSecret(location.secretName, { ...scope(location, sdkModule), secretValue: value }),
        );
        if (res.ok) return this.versionOf(op, location, res.value);
        if (createIfGone && res.failure.status === 404 && secretIsMissing(res.failure.message, location.secretName)) {
            // Deleted between our read and our update: create it.
            const created = await this.call(op, "creating the secret", (sdk, sdkModule) =>
                sdk.secrets().createSecret(location.secretName, { ...scope(location, sdkModule), secretValue: value }),
            );
            if (created.ok) return this.versionOf(op, location, created.value);
            throw this.failed(op, "creating the secret", created.failure);
        }
        throw this.failed(op, "updating the secret", res.failure);
    }

    /** The version in a create/update answer, or (if the answer lacks it) the version read back. */
    private async versionOf(op: Operation, location: SecretLocation, answer: unknown): Promise<number> {
        const version = (answer as { secret?: { version?: unknown } } | undefined)?.secret?.version;
        if (typeof version === "number") return version;
        const back = await this.fetch(op, location, "reading the version back");
        if (!back) throw op.error("unexpected", "the secret was written but could not be read back", "Fix: run again; if it persists, check the secret in the Infisical UI");
        return back.version;
    }

    // ---- error mapping -----------------------------------------------------------------------------

    private loginFailed(op: Operation, failure: SdkFailure): InfisicalError {
        const detail = this.detail(failure);
        const loginOp = new Operation(STEP_LOGIN, op.target, op.origin, op.budgetMs, this.secrets);
        switch (failure.status) {
            case 401:
                return loginOp.error(
                    "login",
                    `Infisical rejected the machine identity's credentials (HTTP 401${detail})`,
                    `Fix: check ${INFISICAL_CLIENT_ID_ENV} and ${INFISICAL_CLIENT_SECRET_ENV}; the client secret may be wrong, revoked, expired or past its usage limit, or the identity may be locked out after failed attempts. Create a new client secret under the identity's Universal Auth settings, export it and run again`,
                    401,
                );
            case 403:
                return loginOp.error(
                    "forbidden",
                    `Infisical refused the login (HTTP 403${detail})`,
                    `Fix: the client secret's trusted IPs may not include this machine, or the identity is not allowed to use Universal Auth; check the identity's Universal Auth settings`,
                    403,
                );
            case 404:
                return loginOp.error(
                    "not-found",
                    `Infisical has no Universal Auth login at ${op.origin} (HTTP 404${detail})`,
                    `Fix: siteUrl must be the Infisical site root, e.g. ${DEFAULT_INFISICAL_SITE_URL} or https://eu.infisical.com or your self-hosted URL, without /api`,
                    404,
                );
            case 400:
            case 422:
                return loginOp.error(
                    "validation",
                    `Infisical rejected the login request as invalid (HTTP ${failure.status}${detail})`,
                    `Fix: ${INFISICAL_CLIENT_ID_ENV} and ${INFISICAL_CLIENT_SECRET_ENV} must hold a Universal Auth client ID and client secret`,
                    failure.status,
                );
            default:
                return this.failed(loginOp, "logging in", failure);
        }
    }

    /** Maps a failed secret call (or a login failure with a generic cause) to a clear error. */
    private failed(op: Operation, action: string, failure: SdkFailure): InfisicalError {
        const detail = this.detail(failure);
        const status = failure.status;
        if (status === undefined) {
            return op.error(
                "unreachable",
                `no answer from Infisical at ${op.origin} while ${action} (${failure.transport ?? "connection failed"} on each of the SDK's ${SDK_ATTEMPTS} attempts)`,
                `Fix: check siteUrl (${op.origin}), DNS, proxy and firewall settings, and whether Infisical is up, then run again`,
            );
        }
        if (status === 403) {
            const tokenLike = /token/i.test(failure.message);
            const token = `the access token was refused as invalid or expired (Infisical answers 403 TokenError, not 401), even right after a fresh login`;
            const access = `the machine identity has no access to project ${opProject(op)} / this environment and path (403 PermissionDenied)`;
            return op.error(
                "forbidden",
                `Infisical refused while ${action} (HTTP 403${detail}): ${tokenLike ? `${token}; or ${access}` : `${access}; or ${token}`}`,
                `Fix: in Infisical, add the machine identity to the project with a role that can read and edit secrets in this environment and path (Project > Access Control > Machine Identities); if it already has one, check the identity's access token TTL and number-of-uses limit (a token must last for a few calls), then run again`,
                403,
            );
        }
        if (status === 401) {
            return op.error(
                "unauthorized",
                `Infisical did not accept the access token while ${action} (HTTP 401${detail})`,
                `Fix: the login succeeded, so the identity or its token was probably revoked meanwhile; check the machine identity in Infisical and run again`,
                401,
            );
        }
        if (status === 404) {
            return op.error(
                "not-found",
                `Infisical could not find the project, environment or folder while ${action} (HTTP 404${detail})`,
                `Fix: check projectId (Project Settings shows the project ID), the environment slug (e.g. prod, not Production) and that the folder secretPath exists in that environment; Infisical does not create folders on write`,
                404,
            );
        }
        if (status === 422) {
            return op.error(
                "validation",
                `Infisical rejected the request as invalid while ${action} (HTTP 422 ValidationFailure${detail})`,
                `Fix: check projectId, environment, secretPath (starts with /, no trailing slash) and secretName (letters, digits, '_', '.', '-')`,
                422,
            );
        }
        if (status === 429) {
            return op.error(
                "rate-limited",
                `Infisical kept rate limiting this client while ${action} (HTTP 429${detail}); the Infisical SDK already made ${SDK_ATTEMPTS} attempts over about 15 s and does not wait for retry-after`,
                `Fix: wait a minute and run again; other jobs using the same identity or IP may be exhausting the limit (self-hosted: raise the rate limits)`,
                429,
            );
        }
        if (status >= 500 || status === 408) {
            return op.error(
                "server",
                `Infisical answered HTTP ${status}${detail ? ` (${detail.slice(2)})` : ""} while ${action}, ${op.run} time${op.run === 1 ? "" : "s"} in a row`,
                `Fix: Infisical is failing; check its status page (or the self-hosted server's logs) and run again`,
                status,
            );
        }
        return op.error(
            "bad-request",
            `Infisical refused the request while ${action} (HTTP ${status}${detail})`,
            `Fix: check the secret in the Infisical UI (a rotated or approval-protected secret cannot be written directly) and the target's settings, then run again`,
            status,
        );
    }

    /** ": <server message>", redacted, on one line, shortened; "" when the server said nothing useful. */
    private detail(failure: SdkFailure): string {
        const text = serverMessageText(failure.message);
        if (!text) return "";
        const flat = redact(text, this.secrets).replace(/\s+/g, " ").trim();
        return `: ${flat.length > 200 ? `${flat.slice(0, 200)}…` : flat}`;
    }

    private unexpected(op: Operation, err: unknown): InfisicalError {
        const name = err instanceof Error ? err.name : typeof err;
        return op.error("unexpected", `an unexpected ${name} occurred`, "Fix: run again; if it persists, report it with the step and target above");
    }
}

// ---- helpers --------------------------------------------------------------------------------------------

function scope(location: SecretLocation, sdkModule: typeof import("@infisical/sdk")) {
    return {
        projectId: location.projectId,
        environment: location.environment,
        secretPath: location.secretPath,
        type: sdkModule.SecretType.Shared,
    };
}

function opProject(op: Operation): string {
    const m = /project (\S+),/.exec(op.target);
    return m ? m[1]! : "?";
}

/** scheme://host[:port] of the site URL, without any credentials or path. */
function originOf(siteUrl: string): string {
    try {
        return new URL(siteUrl).origin;
    } catch {
        return "the configured siteUrl";
    }
}

/**
 * Status and server message of an SDK failure. Reads only the status and message text: the SDK's error
 * objects (and, for older axios-based SDKs, their request config, headers and bodies) are never kept.
 */
function parseSdkFailure(err: unknown): SdkFailure {
    const text = err instanceof Error ? err.message : typeof err === "string" ? err : "";
    const tagged = /\[StatusCode=(\d{3})\]\s*([\s\S]*)$/.exec(text);
    if (tagged) return { status: Number(tagged[1]), message: tagged[2]!.trim() };
    const response = (err as { response?: { status?: unknown; data?: unknown } } | null | undefined)?.response;
    if (response && typeof response.status === "number") {
        const data = response.data as { message?: unknown } | undefined;
        return { status: response.status, message: typeof data?.message === "string" ? data.message : "" };
    }
    const plain = /status (?:code )?(\d{3})\b/.exec(text);
    if (plain) return { status: Number(plain[1]), message: "" };
    const name = err instanceof Error ? err.name : "";
    const timedOut = /abort|timeout|timed out/i.test(`${name} ${text}`);
    return { message: "", transport: timedOut ? "timed out" : "connection failed" };
}

/** The readable part of a server message: the SDK JSON-encodes whole 422 bodies; zod issues become "path: message". */
function serverMessageText(message: string): string {
    if (!message.startsWith("{")) return message;
    try {
        const body = JSON.parse(message) as { message?: unknown };
        if (typeof body.message === "string") return body.message;
        if (Array.isArray(body.message)) {
            return body.message
                .map((i: { path?: unknown; message?: unknown }) => `${Array.isArray(i.path) ? i.path.join(".") : "?"}: ${String(i.message ?? "")}`)
                .join("; ");
        }
    } catch {
        // not JSON after all
    }
    return message;
}

/**
 * True when a 404 says the secret itself does not exist ("Secret with name 'X' not found"), as opposed to
 * the project, environment or folder (those are configuration errors, never "absent").
 */
function secretIsMissing(message: string, secretName: string): boolean {
    const m = message.split(secretName).join("<name>");
    return /secret/i.test(m) && /not found/i.test(m) && !/(project|folder|environment|workspace)/i.test(m);
}
