import type { HttpClient } from "../http/httpClient";

/**
 * What every check is handed at run time, inside the provider's method: the environment the credentials are read
 * from (never held past the call, never captured into the serialized provider) and the project's HTTP client
 * (bounded retries, per-attempt timeouts, redaction).
 */
export interface CheckContext {
    readonly env: NodeJS.ProcessEnv;
    readonly http: HttpClient;
}

/** The trimmed value of an environment variable, or undefined when it is unset or blank. */
export function credential(env: NodeJS.ProcessEnv, name: string): string | undefined {
    const value = env[name]?.trim();
    return value ? value : undefined;
}
