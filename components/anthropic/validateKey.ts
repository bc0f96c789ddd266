import type { RequireExpiry } from "../domain/keyExpiry";
import { ADMIN_CHECKS_SKIPPED, ADMIN_KEY_ENV, runAdminChecks } from "./adminChecks";
import { FailureContext, describePingFailure, validationFailure } from "./failures";
import { ping, PingResult, TokenUsage, ValidationMode } from "./ping";
import { limitShortfalls, MinimumLimits, RateLimits } from "./rateLimits";
import { ApiCallError, RetryClock } from "./retry";
import { errorMessage } from "../audit/auditLog";

/**
 * The validation step as one function: ping the new key, check the rate limits the consumers need, then the
 * Admin API metadata when ANTHROPIC_ADMIN_API_KEY is set (read here, at run time). Throws KeyValidationError
 * (redacted, with what to do) on the first failure; returns the facts worth keeping otherwise.
 */

export interface KeyValidationInputs {
    /** The new key (a secret input). */
    readonly apiKey: string;
    readonly keyName: string;
    readonly environment: string;
    /** `YYYY-MM-DD`, the date in the name. */
    readonly createdAt: string;
    readonly fingerprint: string;
    readonly mode: ValidationMode;
    readonly model: string;
    readonly maxTokens: number;
    readonly maxRetrySeconds: number;
    readonly baseUrl: string;
    readonly workspace?: string;
    readonly keyId?: string;
    readonly minimumLimits?: MinimumLimits;
    /** The rotation policy's limit for the environment: the key's expiry is judged against name date + this. */
    readonly maxAgeDays: number;
    /** `validation.requireExpiry`. */
    readonly requireExpiry: RequireExpiry;
}

export interface ValidationFacts {
    /** RFC 3339 time the key passed. */
    readonly validatedAt: string;
    readonly requestId?: string;
    readonly respondingModel?: string;
    readonly usage?: TokenUsage;
    readonly rateLimits?: RateLimits;
    /** `apikey_…` from the Admin API (or the configured keyId when the checks were skipped). */
    readonly keyId?: string;
    readonly keyStatus?: string;
    /** `passed: …` or ADMIN_CHECKS_SKIPPED. */
    readonly adminChecks: string;
    /** The key's expiry from its Admin API record: RFC 3339, or null when it never expires; absent when not checked. */
    readonly expiresAt?: string | null;
    /** Who the key belongs to (principal, else creator), when the Admin API checks ran. */
    readonly keyOwner?: string;
    /** Warnings from the Admin API checks (advisory expiry, a prod key owned by a person); absent when none. */
    readonly adminAdvisories?: readonly string[];
}

export function failureContext(inputs: KeyValidationInputs, adminKey?: string): FailureContext {
    return {
        keyName: inputs.keyName,
        fingerprint: inputs.fingerprint,
        mode: inputs.mode,
        model: inputs.model,
        baseUrl: inputs.baseUrl,
        maxRetrySeconds: inputs.maxRetrySeconds,
        secrets: adminKey ? [inputs.apiKey, adminKey] : [inputs.apiKey],
    };
}

/** `clock` times the ping's retry budget (the system clock unless a test injects one). */
export async function validateKey(inputs: KeyValidationInputs, env: NodeJS.ProcessEnv = process.env, clock?: RetryClock): Promise<ValidationFacts> {
    const adminKey = env[ADMIN_KEY_ENV]?.trim() || undefined;
    const ctx = failureContext(inputs, adminKey);

    let result: PingResult;
    try {
        result = await ping({
            apiKey: inputs.apiKey,
            baseUrl: inputs.baseUrl,
            mode: inputs.mode,
            model: inputs.model,
            maxTokens: inputs.maxTokens,
            maxRetrySeconds: inputs.maxRetrySeconds,
            clock,
        });
    } catch (err) {
        if (err instanceof ApiCallError) throw describePingFailure(err, ctx);
        throw validationFailure("unexpected", ctx, {
            headline: `the validation call could not be made (${errorMessage(err)})`,
            todo: "this is a bug or an incompatible @anthropic-ai/sdk version: run again with the same inputs and report the message.",
        });
    }

    const shortfalls = limitShortfalls(result.rateLimits, inputs.minimumLimits);
    if (shortfalls.length > 0) {
        const missing = shortfalls.some((s) => s.actual === undefined);
        throw validationFailure("limits-too-low", ctx, {
            headline: missing
                ? "the answer did not show the rate limits that validation.minimumLimits asks to verify"
                : "the new key's rate limits are lower than the consumers need (validation.minimumLimits)",
            details: shortfalls.map((s) =>
                s.actual === undefined
                    ? `${s.setting}: required ${s.required} | no ${s.header} header in the answer`
                    : `${s.setting}: required ${s.required} | the key has ${s.actual} (${s.header})`,
            ),
            todo: missing
                ? "use validation.mode: messages (the Messages API answers with rate-limit headers), or remove validation.minimumLimits."
                : "keys in different workspaces can have different limits: check the key's workspace and its limits at https://platform.claude.com/settings/limits (ask for a higher tier or use a key of the right workspace), or lower validation.minimumLimits if the consumers need less.",
            requestId: result.requestId,
        });
    }

    const facts = {
        validatedAt: new Date().toISOString(),
        requestId: result.requestId,
        respondingModel: result.respondingModel,
        usage: result.usage,
        rateLimits: result.rateLimits,
    };
    if (!adminKey) {
        return { ...facts, keyId: inputs.keyId, adminChecks: ADMIN_CHECKS_SKIPPED };
    }
    const admin = await runAdminChecks(
        {
            apiKey: inputs.apiKey,
            adminKey,
            baseUrl: inputs.baseUrl,
            keyName: inputs.keyName,
            createdAt: inputs.createdAt,
            workspace: inputs.workspace,
            keyId: inputs.keyId,
            maxRetrySeconds: inputs.maxRetrySeconds,
            environment: inputs.environment,
            maxAgeDays: inputs.maxAgeDays,
            requireExpiry: inputs.requireExpiry,
        },
        ctx,
    );
    return {
        ...facts,
        keyId: admin.keyId,
        keyStatus: admin.keyStatus,
        adminChecks: admin.summary,
        expiresAt: admin.expiresAt,
        keyOwner: admin.owner,
        ...(admin.advisories.length ? { adminAdvisories: admin.advisories } : {}),
    };
}

/** The previous key's budget: it is only reported, so it must not hold up the rotation for long. */
export const PREVIOUS_KEY_MAX_RETRY_SECONDS = 15;

/**
 * SOP step 1 for the key being replaced: does it still work (so rollback is possible)? true when it answers,
 * false when the API rejects it (401/403), undefined when that could not be determined. Never throws.
 */
export async function checkPreviousKey(previousKey: string, inputs: KeyValidationInputs): Promise<boolean | undefined> {
    try {
        await ping({
            apiKey: previousKey,
            baseUrl: inputs.baseUrl,
            mode: inputs.mode,
            model: inputs.model,
            maxTokens: inputs.maxTokens,
            maxRetrySeconds: Math.min(inputs.maxRetrySeconds, PREVIOUS_KEY_MAX_RETRY_SECONDS),
        });
        return true;
    } catch (err) {
        if (err instanceof ApiCallError && err.failure.kind === "status" && (err.failure.status === 401 || err.failure.status === 403)) return false;
        return undefined;
    }
}
