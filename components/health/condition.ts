import { redact } from "../domain/keyFormat";

/**
 * The `expect` condition of a health check: `path == literal` or `path != literal`, evaluated against the
 * JSON body. No eval, no expressions: a dotted path with optional list indexes, one operator, one literal.
 *
 *   anthropic.ok == true
 *   status != "degraded"
 *   checks[0].name == "anthropic"
 *   anthropic.keyFingerprint == $fingerprint     (the new key's fingerprint, sha256:<12 hex>)
 *
 * The literal is JSON (true, false, null, numbers, "strings", even [..] or {..}); a bare word such as
 * `ok` is read as the string "ok". Comparison is exact JSON equality (1 is not "1").
 * A path that does not exist in the body fails the check for BOTH operators: a health body that lost its
 * `anthropic` section must not pass `anthropic.status != "down"`.
 * `$fingerprint` lets an app that reports the fingerprint of the key it runs with prove that it runs with
 * the NEW key, not an old dyno still serving with the previous one.
 */

export type Operator = "==" | "!=";
export type PathPart = string | number;

export interface Condition {
    readonly source: string;
    readonly path: readonly PathPart[];
    readonly pathText: string;
    readonly operator: Operator;
    /** A JSON value, or the FINGERPRINT placeholder. */
    readonly literal: unknown;
    readonly literalIsFingerprint: boolean;
}

export interface ConditionOutcome {
    readonly ok: boolean;
    /** Why it failed, short and redacted (e.g. `anthropic.ok is false`, `anthropic.ok is missing`). */
    readonly detail?: string;
}

export const FINGERPRINT_PLACEHOLDER = "$fingerprint";

/** Parses a condition; throws an Error whose message says what is wrong and how to write it. */
export function parseCondition(source: string): Condition {
    const text = source.trim();
    const m = /^([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*|\[\d+\])*)\s*(==|!=)\s*(.+)$/.exec(text);
    if (!m) {
        throw new Error(
            `"${redact(text).slice(0, 120)}" is not a condition this program understands; write path == value or path != value, ` +
                `e.g. anthropic.ok == true, status != "degraded" or checks[0].ok == true`,
        );
    }
    const pathText = m[1]!;
    const operator = m[2] as Operator;
    const rawLiteral = m[3]!.trim();
    const path: PathPart[] = [];
    for (const part of pathText.matchAll(/([A-Za-z_]\w*)|\[(\d+)\]/g)) {
        path.push(part[1] !== undefined ? part[1] : Number(part[2]));
    }
    if (rawLiteral === FINGERPRINT_PLACEHOLDER) {
        return { source: text, path, pathText, operator, literal: FINGERPRINT_PLACEHOLDER, literalIsFingerprint: true };
    }
    let literal: unknown;
    try {
        literal = JSON.parse(rawLiteral);
    } catch {
        if (/^[A-Za-z_][\w.:-]*$/.test(rawLiteral)) {
            literal = rawLiteral;
        } else {
            throw new Error(
                `the value in "${redact(text).slice(0, 120)}" is not JSON; use true, false, null, a number, a "quoted string" or ${FINGERPRINT_PLACEHOLDER}`,
            );
        }
    }
    return { source: text, path, pathText, operator, literal, literalIsFingerprint: false };
}

/** Evaluates a parsed condition against a response body (text). Never throws. */
export function evaluateCondition(condition: Condition, bodyText: string, fingerprint?: string): ConditionOutcome {
    let body: unknown;
    try {
        body = JSON.parse(bodyText);
    } catch {
        return { ok: false, detail: `the body is not JSON, so ${condition.source} cannot hold` };
    }
    const found = lookup(body, condition.path);
    if (!found.exists) return { ok: false, detail: `${condition.pathText} is missing from the body` };
    const expected = condition.literalIsFingerprint ? fingerprint : condition.literal;
    if (condition.literalIsFingerprint && expected === undefined) {
        return { ok: false, detail: `${FINGERPRINT_PLACEHOLDER} is not known here (bug: no fingerprint was given)` };
    }
    const equal = canonical(found.value) === canonical(expected);
    const ok = condition.operator === "==" ? equal : !equal;
    if (ok) return { ok: true };
    return { ok: false, detail: `${condition.pathText} is ${describe(found.value)}${condition.operator === "==" ? `, expected ${describe(expected)}` : ""}` };
}

function lookup(value: unknown, path: readonly PathPart[]): { exists: boolean; value?: unknown } {
    let current: unknown = value;
    for (const part of path) {
        if (typeof part === "number") {
            if (!Array.isArray(current) || part >= current.length) return { exists: false };
            current = current[part];
        } else {
            if (!current || typeof current !== "object" || Array.isArray(current) || !Object.prototype.hasOwnProperty.call(current, part)) {
                return { exists: false };
            }
            current = (current as Record<string, unknown>)[part];
        }
    }
    return { exists: true, value: current };
}

/** JSON text with object keys sorted, for exact structural equality. */
function canonical(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    if (value && typeof value === "object") {
        const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
    }
    return JSON.stringify(value) ?? "undefined";
}

function describe(value: unknown): string {
    const text = redact(JSON.stringify(value) ?? "undefined");
    return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
