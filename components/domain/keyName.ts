import { isRealDate, parseIsoDate, utcToday, daysBetween } from "./dates";

/**
 * The Console name convention from the security policy: `{project}-{environment}-{purpose}-{YYYY-MM-DD}`,
 * e.g. `raxx-prod-agents-2026-11-23` or `agentic-base-prod-translation-2025-12-08`. Project and purpose may
 * themselves contain hyphens, so the environment token is found by name, not by position.
 */

/** Environment tokens recognised when the expected environment is not known. */
export const KNOWN_ENVIRONMENTS: readonly string[] = [
    "prod", "production", "staging", "stage", "dev", "development", "test", "qa", "uat", "preview", "sandbox",
];

/** A key created "tomorrow" in a time zone ahead of UTC is still accepted; anything later is in the future. */
export const FUTURE_TOLERANCE_DAYS = 1;

export interface KeyName {
    readonly project: string;
    readonly environment: string;
    readonly purpose: string;
    /** `YYYY-MM-DD` */
    readonly date: string;
}

export type KeyNameProblem =
    | { kind: "format"; message: string }
    | { kind: "environment-mismatch"; message: string; found: string; expected: string }
    | { kind: "impossible-date"; message: string; date: string }
    | { kind: "future-date"; message: string; date: string };

export interface ParseKeyNameOptions {
    /** The stack's environment; when given, the name must carry exactly this token. */
    expectedEnvironment?: string;
    /** Reference "now" for the future-date check (tests fix it). */
    now?: Date;
    /** Extra environment tokens to recognise besides KNOWN_ENVIRONMENTS. */
    environments?: readonly string[];
}

export type ParseKeyNameResult = { ok: true; name: KeyName } | { ok: false; problems: KeyNameProblem[] };

const TOKEN = /^[a-z0-9]+$/;
const EXAMPLE = "raxx-prod-agents-2026-11-23";

export function parseKeyName(text: string, options: ParseKeyNameOptions = {}): ParseKeyNameResult {
    const formatError = (detail: string): ParseKeyNameResult => ({
        ok: false,
        problems: [{
            kind: "format",
            message: `${detail}; the Console name must be {project}-{environment}-{purpose}-{YYYY-MM-DD} in lower case, e.g. ${EXAMPLE}`,
        }],
    });
    const tokens = text.split("-");
    if (tokens.length < 6) return formatError("it has too few parts");
    if (tokens.some((t) => t.length === 0)) return formatError("it has an empty part (two hyphens in a row, or a hyphen at an end)");
    const date = tokens.slice(-3).join("-");
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return formatError(`it does not end in a YYYY-MM-DD date`);
    const words = tokens.slice(0, -3);
    const bad = words.find((w) => !TOKEN.test(w));
    if (bad !== undefined) return formatError(`the part "${bad}" has characters other than a-z and 0-9`);

    const envIndex = findEnvironmentIndex(words, options);
    if (envIndex === undefined) {
        const expected = options.expectedEnvironment;
        if (expected !== undefined && words.length === 3) {
            const found = words[1]!;
            return {
                ok: false,
                problems: [{
                    kind: "environment-mismatch",
                    found,
                    expected,
                    message: `the name's environment is "${found}" but this stack's environment is "${expected}"; a key belongs to exactly one environment — create a key named for "${expected}" (e.g. ${words[0]}-${expected}-${words[2]}-${date})`,
                }],
            };
        }
        return formatError(
            expected !== undefined
                ? `it has no "${expected}" environment part between a project and a purpose`
                : "no environment part was found between a project and a purpose",
        );
    }
    const name: KeyName = {
        project: words.slice(0, envIndex).join("-"),
        environment: words[envIndex]!,
        purpose: words.slice(envIndex + 1).join("-"),
        date,
    };
    const problems: KeyNameProblem[] = [];
    const created = parseIsoDate(date);
    if (!created) {
        problems.push({ kind: "impossible-date", date, message: `${date} is not a real calendar date` });
    } else if (daysBetween(utcToday(options.now), created) > FUTURE_TOLERANCE_DAYS) {
        problems.push({
            kind: "future-date",
            date,
            message: `${date} is in the future; the date in the name is the day the key was created in the Console`,
        });
    }
    return problems.length ? { ok: false, problems } : { ok: true, name };
}

function findEnvironmentIndex(words: readonly string[], options: ParseKeyNameOptions): number | undefined {
    const expected = options.expectedEnvironment;
    const candidates = expected !== undefined ? [expected] : [...KNOWN_ENVIRONMENTS, ...(options.environments ?? [])];
    // The environment sits after at least one project word and before at least one purpose word.
    for (let i = 1; i < words.length - 1; i++) {
        if (candidates.includes(words[i]!)) return i;
    }
    if (expected === undefined && words.length === 3) return 1;
    return undefined;
}

/** True when the date part is a real calendar day (used where the rest was already checked). */
export function hasRealDate(name: KeyName): boolean {
    return isRealDate(name.date);
}
