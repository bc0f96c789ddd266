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
    const badIndex = words.findIndex((w) => !TOKEN.test(w));
    if (badIndex >= 0) return formatError(describeForeignPart(words[badIndex]!, badIndex));

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

/**
 * A part of a key name that breaks the convention is quoted in messages only up to this many characters. A name
 * can hold a piece of an API key pasted without its `sk-ant-` prefix (it no longer looks like a key then), and
 * the pieces of a key's tail between hyphens are random upper/lower-case text of any length: quoting them would
 * put key material into policy output, logs and CI. A handful of characters is not key material and is enough
 * to show the usual mistakes ("Prod", "api_v2").
 */
export const MAX_QUOTED_FOREIGN_PART = 8;

/** The convention's own characters: a name made of nothing else can be shown in full. */
const NAME_CHARACTERS = /^[a-z0-9-]+$/;

/**
 * The key name when a message may show it: only when it consists of a-z, 0-9 and '-' (what the convention
 * allows). Anything else (upper case, '_', …) is how a pasted key tail looks, so it is not echoed; the parse
 * problems say which part is wrong without quoting more than MAX_QUOTED_FOREIGN_PART characters of it.
 */
export function echoableKeyName(text: string): string | undefined {
    return NAME_CHARACTERS.test(text) ? text : undefined;
}

function ordinal(n: number): string {
    const tens = n % 100;
    const suffix = tens >= 11 && tens <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10] ?? "th";
    return `${n}${suffix}`;
}

/** "the part "Prod" has upper-case letters…" — or, for a long part, its position and length instead of its text. */
function describeForeignPart(part: string, index: number): string {
    const wrong: string[] = [];
    if (/[A-Z]/.test(part)) wrong.push("upper-case letters");
    // Characters outside a key's alphabet ([A-Za-z0-9_-]) can never be key material; '_' is one character.
    const others = [...new Set(part.replace(/[A-Za-z0-9]/g, ""))];
    for (const c of others.slice(0, 5)) wrong.push(`the character ${JSON.stringify(c)}`);
    if (others.length > 5) wrong.push(`${others.length - 5} other characters`);
    const what = wrong.length > 1 ? `${wrong.slice(0, -1).join(", ")} and ${wrong[wrong.length - 1]}` : wrong[0] ?? "characters other than a-z and 0-9";
    const which =
        part.length <= MAX_QUOTED_FOREIGN_PART
            ? `the part "${part}"`
            : `the ${ordinal(index + 1)} part (${part.length} characters)`;
    const note = part.length <= MAX_QUOTED_FOREIGN_PART ? "" : "; it is not quoted because it could be a piece of a pasted key";
    return `${which} has ${what} (only a-z and 0-9 are allowed between hyphens${note})`;
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
