/**
 * The Pulumi CLI validates a policy pack's config with gojsonschema: `format: regex` values and schema `pattern`s
 * are compiled by Go's `regexp` (RE2 syntax). The pack then compiles the same text as a JavaScript RegExp (no
 * flags). A pattern is safe only when both accept it and read it the same way. This finds the constructs where
 * they part: JavaScript-only syntax the CLI rejects (lookaround, backreferences, atomic groups, possessive
 * quantifiers, `\u` and `\c` escapes, repeat counts over 1000) and syntax both accept with different meanings
 * (`\p{…}` without the `u` flag, POSIX classes `[[:alpha:]]`, `[]`/`[^]`, `\b` in a class).
 *
 * Not a full RE2 parser: it also requires the pattern to compile in JavaScript, and flags the constructs above.
 */

const MAX_REPEAT = 1000;

/** Why `pattern` would be refused by the CLI's RE2 or read differently than by JavaScript; undefined when fine. */
export function re2Problem(pattern: string): string | undefined {
    try {
        new RegExp(pattern);
    } catch (err) {
        return `is not a valid regular expression (${(err as Error).message})`;
    }
    let inClass = false;
    for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i]!;
        const rest = pattern.slice(i);
        if (c === "\\") {
            const e = pattern[i + 1] ?? "";
            const problem = inClass ? classEscapeProblem(e) : escapeProblem(e, pattern[i + 2]);
            if (problem) return `${problem} at offset ${i}`;
            i += 1;
            continue;
        }
        if (inClass) {
            if (rest.startsWith("[:")) return `uses a POSIX class at offset ${i} ("[:" means a class in RE2, literal characters in JavaScript)`;
            if (c === "]") inClass = false;
            continue;
        }
        if (c === "[") {
            const body = pattern.slice(i + 1).replace(/^\^/, "");
            if (body.startsWith("]")) return `starts a class with "]" at offset ${i} ("[]"/"[^]" differ between RE2 and JavaScript)`;
            if (body.startsWith("[:")) return `uses a POSIX class at offset ${i} ("[:" means a class in RE2, literal characters in JavaScript)`;
            inClass = true;
            continue;
        }
        if (c === "(" && rest.startsWith("(?")) {
            if (/^\(\?(=|!)/.test(rest)) return `uses a lookahead at offset ${i} (RE2 has no lookaround)`;
            if (/^\(\?<(=|!)/.test(rest)) return `uses a lookbehind at offset ${i} (RE2 has no lookaround)`;
            if (rest.startsWith("(?>")) return `uses an atomic group at offset ${i} (not in RE2)`;
            if (!/^\(\?(:|<[A-Za-z_][A-Za-z0-9_]*>)/.test(rest)) return `uses an unsupported group "(?" at offset ${i}`;
            continue;
        }
        if (c === "{") {
            const counted = /^\{(\d+)(,(\d*))?\}/.exec(rest);
            if (counted) {
                const counts = [counted[1], counted[3]].filter((n): n is string => n !== undefined && n !== "").map(Number);
                if (counts.some((n) => n > MAX_REPEAT)) return `repeats more than ${MAX_REPEAT} times at offset ${i} (RE2's limit)`;
                i += counted[0].length - 1;
                if (pattern[i + 1] === "+") return `uses a possessive quantifier at offset ${i + 1} (not in RE2)`;
            }
            continue;
        }
        if ((c === "*" || c === "+" || c === "?") && pattern[i + 1] === "+") return `uses a possessive quantifier at offset ${i + 1} (not in RE2)`;
    }
    return undefined;
}

function escapeProblem(e: string, next: string | undefined): string | undefined {
    if (/[1-9]/.test(e)) return "uses a backreference (not in RE2)";
    if (e === "0" && next !== undefined && /[0-9]/.test(next)) return "uses an octal escape that JavaScript reads differently";
    if (e === "k" && next === "<") return "uses a named backreference (not in RE2)";
    return sharedEscapeProblem(e);
}

function classEscapeProblem(e: string): string | undefined {
    if (e === "b") return 'uses "\\b" in a class (a backspace in JavaScript, an error in RE2)';
    if (/[0-9]/.test(e)) return "uses an octal escape in a class";
    return sharedEscapeProblem(e);
}

function sharedEscapeProblem(e: string): string | undefined {
    if (e === "p" || e === "P") return `uses "\\${e}{…}" (a Unicode class in RE2, the letter ${e} in JavaScript without the u flag)`;
    if (e === "u") return 'uses a "\\u" escape (not in RE2: write the character, or \\x for ASCII)';
    if (e === "c") return 'uses a "\\c" control escape (not in RE2)';
    if (e === "") return "ends with a lone backslash";
    return undefined;
}
