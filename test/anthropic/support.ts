import { expect } from "vitest";
import { KeyValidationError } from "../../components/anthropic/failures";
import type { KeyValidationInputs } from "../../components/anthropic/validateKey";
import { fingerprint } from "../../components/domain/fingerprint";
import { AnthropicEmulator, EmulatedKey, KeyOptions } from "../../offline/emulators/anthropicEmulator";
import { describeFinding, scanForLeaks } from "../support/leakScan";

/**
 * Retries in milliseconds, not seconds: every retry test stays well under a second. The attempt timeout stays
 * generous (30 s), so a loopback answer delayed by a loaded machine is never cut off and retried, which would
 * change the number of calls a test expects; a test of a hung request sets a shorter one itself, against an
 * emulator that never answers. The budget (maxRetrySeconds of inputsFor, 60 s) is as generous: budget tests
 * run on an injected clock (fakeClock.ts).
 */
export function useFastRetries(): void {
    process.env.ANTHROPIC_KEY_ROTATION_RETRY_BASE_MS = "5";
    process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_DELAY_MS = "20";
    process.env.ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS = "30000";
    delete process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_TOTAL_MS;
    delete process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_ATTEMPTS;
}

export const KEY_DATE = "2026-11-23";
export const KEY_NAME = `raxx-prod-agents-${KEY_DATE}`;
export const WORKSPACE = "wrkspc_01ProdAgents";
/** The rotation policy's due date for KEY_DATE in prod (90 days). */
export const KEY_DUE_DATE = "2027-02-21";
/** A custom expiry two weeks after the due date: within the accepted window (due + 7 … due + 30 days). */
export const KEY_EXPIRES_AT = "2027-03-07T09:15:00Z";
export const SERVICE_ACCOUNT = "svac_01RaxxRotation";

/**
 * A key registered in the emulator the way an operator creates a prod key: named by the convention, today's
 * date, in the prod workspace, under a service account, with a custom expiry two weeks after its due date.
 */
export function addRotationKey(emulator: AnthropicEmulator, options: KeyOptions = {}): EmulatedKey {
    return emulator.addKey({
        name: KEY_NAME,
        createdAt: `${KEY_DATE}T09:15:00Z`,
        workspaceId: WORKSPACE,
        expiresAt: KEY_EXPIRES_AT,
        createdBy: { type: "user", id: "user_01RaxxOperator" },
        principal: { type: "service_account", id: SERVICE_ACCOUNT },
        ...options,
    });
}

/** Provider inputs (as check would return them) for a key. */
export function inputsFor(emulator: AnthropicEmulator, key: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        apiKey: key,
        keyName: KEY_NAME,
        environment: "prod",
        createdAt: KEY_DATE,
        fingerprint: fingerprint(key),
        mode: "messages",
        model: "claude-haiku-4-5",
        maxTokens: 10,
        maxRetrySeconds: 60,
        baseUrl: emulator.url,
        maxAgeDays: 90,
        requireExpiry: "mandatory",
        ...overrides,
    };
}

/** The same inputs, typed for validateKey (which tests call directly when they inject a clock). */
export function validationInputsFor(emulator: AnthropicEmulator, key: string, overrides: Partial<KeyValidationInputs> = {}): KeyValidationInputs {
    return {
        apiKey: key,
        keyName: KEY_NAME,
        environment: "prod",
        createdAt: KEY_DATE,
        fingerprint: fingerprint(key),
        mode: "messages",
        model: "claude-haiku-4-5",
        maxTokens: 10,
        maxRetrySeconds: 60,
        baseUrl: emulator.url,
        maxAgeDays: 90,
        requireExpiry: "mandatory",
        ...overrides,
    };
}

/** Awaits a promise that must reject with a KeyValidationError, and returns it. */
export async function expectValidationError(promise: Promise<unknown>): Promise<KeyValidationError> {
    let caught: unknown;
    try {
        await promise;
    } catch (err) {
        caught = err;
    }
    expect(caught, "expected the validation to fail").toBeInstanceOf(KeyValidationError);
    return caught as KeyValidationError;
}

/** The error (message, stack, every own property) and anything else carries no secret and no key prefix. */
export function expectNoLeak(secrets: readonly string[], ...things: unknown[]): void {
    const artifacts = things.map((thing, i) => ({ name: `artifact-${i}`, text: textOf(thing) }));
    const findings = scanForLeaks(artifacts, secrets);
    expect(findings.map((f) => describeFinding(f, artifacts))).toEqual([]);
}

function textOf(thing: unknown): string {
    if (thing instanceof Error) {
        return [thing.message, thing.stack ?? "", JSON.stringify({ ...thing }), String(thing)].join("\n");
    }
    if (typeof thing === "string") return thing;
    return JSON.stringify(thing) ?? String(thing);
}

/** Outputs without the apiKey (the only place the key may be, under its secret name). */
export function outputsWithoutKey(outs: Record<string, unknown>): Record<string, unknown> {
    const { apiKey: _apiKey, ...rest } = outs;
    void _apiKey;
    return rest;
}
