import { redact } from "../domain/keyFormat";
import { errorMessage } from "../audit/auditLog";

/**
 * What one preflight check found wrong, in the four parts an operator needs: which credential (the environment
 * variable), against which target, what the service answered, and what to do. Never holds a credential's value.
 */
export interface PreflightProblem {
    /** The environment variable(s), e.g. `HEROKU_API_KEY` or `INFISICAL_CLIENT_ID / INFISICAL_CLIENT_SECRET`. */
    readonly credential: string;
    /** e.g. `heroku app raxx-api-prod (https://api.heroku.com)`. */
    readonly target: string;
    /** e.g. `HTTP 401 unauthorized "Invalid credentials provided."`, or `not set`. */
    readonly answer: string;
    readonly fix: string;
}

/** The result of one check: the targets that passed (for the outputs) and the problems. */
export interface CheckResult {
    readonly passed: readonly string[];
    readonly problems: readonly PreflightProblem[];
}

export const STEP_PREFLIGHT = "preflight";

export function passed(target: string): CheckResult {
    return { passed: [target], problems: [] };
}

export function failed(problem: PreflightProblem): CheckResult {
    return { passed: [], problems: [problem] };
}

export function merge(results: readonly CheckResult[]): CheckResult {
    return { passed: results.flatMap((r) => r.passed), problems: results.flatMap((r) => r.problems) };
}

/** One line per problem. */
export function describeProblem(p: PreflightProblem): string {
    return `${p.credential} → ${p.target}: ${p.answer}. Fix: ${p.fix}`;
}

/**
 * The one error of a failed preflight: every problem at once, redacted (key-shaped text and the credentials'
 * values). A plain Error with extra fields, not a subclass: Pulumi's closure serializer breaks `super(message)`.
 */
export interface PreflightError extends Error {
    readonly name: "PreflightError";
    readonly problems: readonly PreflightProblem[];
}

export function preflightError(problems: readonly PreflightProblem[], secrets: readonly string[]): PreflightError {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    const message =
        `${STEP_PREFLIGHT}: ${count} with the credentials this run needs; nothing was written anywhere (the key was validated, no consumer was touched). ` +
        `Fix ${problems.length === 1 ? "it" : "each"} and run \`pulumi up\` again:\n - ${problems.map(describeProblem).join("\n - ")}`;
    const safe = problems.map((p) => ({
        credential: p.credential,
        target: redact(p.target, secrets),
        answer: redact(p.answer, secrets),
        fix: redact(p.fix, secrets),
    }));
    return Object.assign(new Error(redact(message, secrets)), { name: "PreflightError" as const, problems: safe });
}

export function isPreflightError(err: unknown): err is PreflightError {
    return typeof err === "object" && err !== null && (err as { name?: unknown }).name === "PreflightError";
}

/** A service's answer in one line: `HTTP 401 unauthorized "Invalid credentials provided."`, shortened and redacted. */
export function answerOf(status: number, code: string | undefined, message: string | undefined, secrets: readonly string[]): string {
    const text = message ? ` "${redact(message, secrets).replace(/\s+/g, " ").trim().slice(0, 200)}"` : "";
    return `HTTP ${status}${code ? ` ${code}` : ""}${text}`;
}

/** HttpClient's TransportError (or anything thrown by a call) as an answer, redacted. */
export function noAnswer(err: unknown, secrets: readonly string[]): string {
    const message = errorMessage(err);
    return redact(`no answer: ${message}`, secrets);
}
