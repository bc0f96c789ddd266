import { parseIsoDate } from "../../components/domain/dates";
import { transportProblem } from "../../components/http/transport";

/** Command-line options of `npm run status`. */
export interface StatusOptions {
    readonly json: boolean;
    readonly live: boolean;
    /** Fixed clock (`--now YYYY-MM-DD`), else the real one. */
    readonly now?: Date;
    /** Project directory holding the `Pulumi.<stack>.yaml` files; default: the current directory. */
    readonly dir?: string;
    /** Admin API base URL; default the stacks' endpoints.anthropic, then https://api.anthropic.com (never ANTHROPIC_BASE_URL). */
    readonly anthropicUrl?: string;
    /** With --live: audit warnings (unmanaged keys, bad names) also make the exit code 2. */
    readonly strict: boolean;
    /** Also print GitHub Actions annotations (::warning / ::error) for due, overdue and problem rows. */
    readonly github: boolean;
    readonly help: boolean;
}

export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

export const USAGE = `Usage: npm run status -- [options]

Reads every Pulumi.<stack>.yaml in the project directory and reports, per stack, the key's name,
creation date, age, max age, due date, days left and a verdict (ok / due soon / overdue).
Needs neither the Pulumi CLI nor any credential (the key is encrypted in the stack file and never read).

Options:
  --json                 print JSON instead of tables (for machines)
  --now YYYY-MM-DD       evaluate ages as of this day (UTC) instead of today
  --dir PATH             project directory (default: the current directory)
  --live                 also audit every key of the organisation through the Admin API
                         (needs ANTHROPIC_ADMIN_API_KEY), the policy's monthly audit: every key with its
                         workspace, creator, expiry, last day used, requests and tokens of the last 30 days;
                         inactive keys still referenced by a stack, keys past their max age, unused for 30
                         days, never expiring, inactive but still used, two active for one stack, unmanaged,
                         names breaking the convention (progress on stderr)
  --anthropic-url URL    Admin API base URL (default: the stacks' endpoints.anthropic, else
                         https://api.anthropic.com; ANTHROPIC_BASE_URL is never used, so the Admin
                         key only goes where this project is configured to send it)
  --strict               with --live, audit warnings also fail (exit 2)
  --github               also print GitHub Actions annotations for due, overdue and problem rows
  --exposure KEY|STACK   what a (compromised) key did in the last 48 h, with anomaly flags
                         (its own options: npm run status -- --exposure x --help)
  -h, --help             show this help

Exit codes:
  0  every key is within policy (due-soon keys are reported but pass)
  1  usage or configuration error (bad option, no stack files, a stack file with a problem,
     the Admin API's key list or usage report could not be read)
  2  at least one key is overdue (with --live also: an active key past its max age, a stack
     referencing an inactive or missing key; with --strict any audit finding)`;

/** One command-line word: `--flag`, `--flag=value` or `--flag value` (value() takes the next word). */
export interface FlagWord {
    readonly arg: string;
    readonly flag: string;
    /** The flag's value, inline or the next word (which it then consumes); a usage error when there is none. */
    value(): string;
    /** A usage error when the flag was given an inline value. */
    noValue(): void;
}

/** The words of `argv` as flags, for the status tool's parsers (status and --exposure). */
export function* readFlags(argv: readonly string[]): Generator<FlagWord> {
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i]!;
        const eq = arg.indexOf("=");
        const [flag, inline] = arg.startsWith("--") && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
        yield {
            arg,
            flag,
            value: (): string => {
                if (inline !== undefined) return inline;
                const next = argv[i + 1];
                if (next === undefined || next.startsWith("--")) throw new UsageError(`${flag} needs a value`);
                i += 1;
                return next;
            },
            noValue: () => {
                if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
            },
        };
    }
}

export function parseStatusArgs(argv: readonly string[]): StatusOptions {
    let json = false;
    let live = false;
    let strict = false;
    let github = false;
    let help = false;
    let now: Date | undefined;
    let dir: string | undefined;
    let anthropicUrl: string | undefined;

    for (const { arg, flag, value, noValue } of readFlags(argv)) {
        switch (flag) {
            case "--json":
                noValue();
                json = true;
                break;
            case "--live":
                noValue();
                live = true;
                break;
            case "--strict":
                noValue();
                strict = true;
                break;
            case "--github":
                noValue();
                github = true;
                break;
            case "-h":
            case "--help":
                help = true;
                break;
            case "--now": {
                const text = value();
                now = parseIsoDate(text);
                if (!now) throw new UsageError(`--now must be a real date as YYYY-MM-DD, e.g. 2026-11-23 (got "${text}")`);
                break;
            }
            case "--dir":
                dir = value();
                break;
            case "--anthropic-url":
                anthropicUrl = checkUrl(value(), "--anthropic-url");
                break;
            default:
                throw new UsageError(`unknown option "${arg}"`);
        }
    }
    if (strict && !live) throw new UsageError("--strict only applies to --live");
    if (json && github) throw new UsageError("--github prints annotations into the text report; use it without --json");
    return { json, live, strict, github, help, ...(now ? { now } : {}), ...(dir !== undefined ? { dir } : {}), ...(anthropicUrl ? { anthropicUrl } : {}) };
}

/** `--anthropic-url`: https, or http to a loopback address only, and no user:password@ (components/http/transport.ts). */
export function checkUrl(text: string, where: string): string {
    const problem = transportProblem(text);
    if (problem) throw new UsageError(`${where} ${problem.message}. Fix: ${problem.fix}`);
    return text;
}
