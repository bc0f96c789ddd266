import { MAX_EXPOSURE_HOURS } from "../../../components/exposure/settings";
import { checkUrl, readFlags, UsageError } from "../args";

/** `npm run status -- --exposure <key id or stack> [--hours N] [--json] [--dir PATH] [--anthropic-url URL]`. */
export interface ExposureOptions {
    /** An Admin API key id (`apikey_…`) or a stack name. */
    readonly subject: string;
    readonly hours?: number;
    readonly json: boolean;
    readonly dir?: string;
    readonly anthropicUrl?: string;
}

export const EXPOSURE_USAGE = `Usage: npm run status -- --exposure <apikey_… | stack> [--hours N] [--json] [--dir PATH] [--anthropic-url URL]

What a (compromised) key did in the last hours, from the Admin API usage report (needs ANTHROPIC_ADMIN_API_KEY):
first and last hour with requests, requests and input/output tokens per hour and per model, and the security
policy's anomaly flags (model outside the allowed list, usage outside business hours, an hour above 3x the
7-day hourly baseline). A stack name means its emergency.compromisedKey (when an apikey_ id), else its keyId;
the stack's exposure settings apply. The full report is written to <audit dir>/exposure-<keyId>-<date>.json.

  --hours N     hours to look back (default: the stack's exposure.hours, else 48; at most ${MAX_EXPOSURE_HOURS})
  --json        print the report as JSON

Exit codes: 0 no flag; 2 at least one anomaly flag; 1 usage error or the report is unavailable.`;

/** Whether the command line asks for an exposure report (then this parser owns every option). */
export function wantsExposure(argv: readonly string[]): boolean {
    return argv.some((a) => a === "--exposure" || a.startsWith("--exposure="));
}

export function parseExposureArgs(argv: readonly string[]): ExposureOptions {
    let subject: string | undefined;
    let hours: number | undefined;
    let json = false;
    let dir: string | undefined;
    let anthropicUrl: string | undefined;
    for (const { arg, flag, value } of readFlags(argv)) {
        switch (flag) {
            case "--exposure":
                subject = value();
                break;
            case "--hours": {
                const text = value();
                const n = Number(text);
                if (!Number.isInteger(n) || n < 1 || n > MAX_EXPOSURE_HOURS) throw new UsageError(`--hours must be a whole number from 1 to ${MAX_EXPOSURE_HOURS} (got "${text}")`);
                hours = n;
                break;
            }
            case "--json":
                json = true;
                break;
            case "--dir":
                dir = value();
                break;
            case "--anthropic-url":
                anthropicUrl = checkUrl(value(), "--anthropic-url");
                break;
            default:
                throw new UsageError(`${arg} does not go with --exposure`);
        }
    }
    if (!subject) throw new UsageError("--exposure needs a key id (apikey_…) or a stack name");
    return { subject, json, ...(hours !== undefined ? { hours } : {}), ...(dir !== undefined ? { dir } : {}), ...(anthropicUrl ? { anthropicUrl } : {}) };
}
