import { UNKNOWN } from "../dynamic/unknown";

/**
 * One normalisation per kind of URL input, applied by every dynamic provider in `check` (so the inputs it hands
 * on, and the outputs built from them, hold the normal form) and again in `diff` (so state written in another
 * form compares equal). Two spellings of the same endpoint, `http://x/` and `http://x`, are then never a change:
 * no re-validation (a paid Messages call) and a clean preview.
 */

/** An API root the clients append paths to (`/v1/messages`, `/apps/…`, `/api/v3/…`): trimmed, no trailing `/`. */
export function normalizeApiRoot(url: string): string {
    return url.trim().replace(/\/+$/, "");
}

/**
 * A complete endpoint URL (a health check): its WHATWG serialisation, which is exactly what `fetch` requests
 * (`http://x` → `http://x/`, scheme and host lower-cased, default port dropped). A trailing `/` after a path is
 * kept: `/health/` and `/health` may be different resources. Text that is not a URL comes back trimmed (check
 * reports it).
 */
export function normalizeEndpointUrl(url: string): string {
    const trimmed = url.trim();
    try {
        return new URL(trimmed).href;
    } catch {
        return trimmed;
    }
}

/** `normalize` applied to a string; anything else (undefined, the preview's unknown, a wrong type) as it is. */
export function normalizeUrlInput<T>(value: T, normalize: (url: string) => string): T | string {
    return typeof value === "string" && value !== UNKNOWN ? normalize(value) : value;
}
