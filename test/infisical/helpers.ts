import { expect } from "vitest";
import { InfisicalEmulator } from "../../offline/emulators/infisicalEmulator";
export { caught, expectNoSecrets } from "../support/errors";

export const PROJECT = "6f1c2a4e-8b3d-4f5e-9a7b-0c1d2e3f4a5b";
export const ENVIRONMENT = "prod";
export const SECRET_NAME = "ANTHROPIC_API_KEY";

/** The retry env knobs the Infisical client reads (through the shared retry policy) when it is constructed. */
export const RETRY_ENV = [
    "ANTHROPIC_KEY_ROTATION_RETRY_MAX_ATTEMPTS",
    "ANTHROPIC_KEY_ROTATION_RETRY_BASE_MS",
    "ANTHROPIC_KEY_ROTATION_RETRY_MAX_DELAY_MS",
    "ANTHROPIC_KEY_ROTATION_RETRY_MAX_TOTAL_MS",
    "ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS",
] as const;

/**
 * Fast bounds for our own layer: 5xx retried 3 times with millisecond backoff, 30 s for a whole operation
 * (individual tests shorten it), 2 s per SDK attempt. The SDK's own 429 / connection retry schedule (about
 * 1, 2, 4, 8 s) is fixed inside @infisical/sdk and cannot be shortened from outside.
 */
export function useFastRetries(overrides: Partial<Record<(typeof RETRY_ENV)[number], string>> = {}): void {
    process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_ATTEMPTS = "3";
    process.env.ANTHROPIC_KEY_ROTATION_RETRY_BASE_MS = "5";
    process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_DELAY_MS = "20";
    process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_TOTAL_MS = "30000";
    process.env.ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS = "2000";
    Object.assign(process.env, overrides);
}

export function useCredentials(emulator: InfisicalEmulator): void {
    process.env.INFISICAL_CLIENT_ID = emulator.clientId;
    process.env.INFISICAL_CLIENT_SECRET = emulator.clientSecret;
}

export async function startEmulator(): Promise<InfisicalEmulator> {
    const emulator = new InfisicalEmulator({ projects: [PROJECT], environments: ["dev", "staging", "prod"] });
    await emulator.start();
    return emulator;
}

export const location = { projectId: PROJECT, environment: ENVIRONMENT, secretPath: "/", secretName: SECRET_NAME };

/** The secrets a test must never see in an error: the key(s), the client secret and every token issued. */
export function secretsOf(emulator: InfisicalEmulator, ...keys: string[]): string[] {
    return [...keys, emulator.clientSecret, ...emulator.issuedTokens];
}

/** The error names the step and the full target, so the operator knows where it failed. */
export function expectNamesTarget(err: Error, step: string, where: { projectId?: string; environment?: string; secretPath?: string; secretName?: string } = {}): void {
    expect(err.message.startsWith(`${step} failed for `)).toBe(true);
    expect(err.message).toContain(`project ${where.projectId ?? PROJECT}`);
    expect(err.message).toContain(`environment ${where.environment ?? ENVIRONMENT}`);
    expect(err.message).toContain(`path ${where.secretPath ?? "/"}`);
    expect(err.message).toContain(`secret ${where.secretName ?? SECRET_NAME}`);
    expect(err.message).toContain("Fix:");
}
