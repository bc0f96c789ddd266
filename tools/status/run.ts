import { existsSync, statSync } from "fs";
import { resolve } from "path";
import { formatIsoDate, utcToday } from "../../components/domain/dates";
import { isApiKey, redact } from "../../components/domain/keyFormat";
import { DEFAULT_ANTHROPIC_URL } from "./adminKeys";
import { AdminEndpoint, ignoredBaseUrlNote, resolveAdminEndpoint } from "./adminEndpoint";
import { parseStatusArgs, StatusOptions, USAGE, UsageError } from "./args";
import { wantsExposure } from "./exposure/exposureArgs";
import { runExposureStatus } from "./exposure/runExposureStatus";
import { auditOrganization } from "./liveAudit";
import type { OrganizationAudit, StatusIo } from "./reportTypes";
import { githubAnnotations, renderAuditReport, renderStackReport, summarize } from "./format";
import { applyKeyExpiry } from "./keyExpiryDue";
import { findStackFiles, readInventory, StackKeyRow } from "./stackInventory";
import { dueEvents, notifyStatus, unusedKeysEvent, unusedKeysOf, webhooksFromEnv } from "./notifyStatus";
import { webhookSecrets } from "../../components/notifications/webhooks";

/** `npm run status`: everything but process wiring, so tests drive it in-process with a fixed clock. */

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_OVERDUE = 2;

export type { OrganizationAudit, StatusIo, UsageReportSummary } from "./reportTypes";

export interface StatusReport {
    /** `YYYY-MM-DD`, the UTC day ages are computed for. */
    readonly asOf: string;
    readonly stacks: readonly StackKeyRow[];
    readonly summary: ReturnType<typeof summarize>;
    readonly organization?: OrganizationAudit | { readonly error: string };
    readonly exitCode: number;
    /** Why the exit code is not 0, one line each. */
    readonly reasons: readonly string[];
}

export async function runStatus(argv: readonly string[], io: StatusIo): Promise<number> {
    const secrets: string[] = [];
    const out = (text: string) => io.stdout(redact(text, secrets) + "\n");
    const err = (text: string) => io.stderr(redact(text, secrets) + "\n");

    // --exposure is its own report, with its own options (tools/status/exposure).
    if (wantsExposure(argv)) return runExposureStatus(argv, io);
    let options: StatusOptions;
    try {
        options = parseStatusArgs(argv);
    } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        err(`status: ${e.message}\nRun "npm run status -- --help" for the options.`);
        return EXIT_ERROR;
    }
    if (options.help) {
        out(USAGE);
        return EXIT_OK;
    }

    const dir = resolve(io.cwd, options.dir ?? ".");
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
        err(`status: ${dir} is not a directory; run from the project directory or pass --dir <project directory>`);
        return EXIT_ERROR;
    }
    if (findStackFiles(dir).length === 0) {
        err(`status: no Pulumi.<stack>.yaml file in ${dir}; run from the project directory (where Pulumi.yaml is) or pass --dir`);
        return EXIT_ERROR;
    }

    // --live configuration is checked before anything is printed.
    let adminKey: string | undefined;
    let baseUrl = DEFAULT_ANTHROPIC_URL;
    if (options.live) {
        adminKey = io.env.ANTHROPIC_ADMIN_API_KEY?.trim();
        if (!adminKey) {
            err(
                "status: --live needs ANTHROPIC_ADMIN_API_KEY, an Admin API key (admin01 prefix) created in the Console under Settings → Admin keys; " +
                    "export it in the environment (never on the command line), or run without --live for the offline report",
            );
            return EXIT_ERROR;
        }
        secrets.push(adminKey);
        if (isApiKey(adminKey)) {
            err("status: ANTHROPIC_ADMIN_API_KEY holds a regular API key (api03 prefix); the Admin API needs an Admin API key (admin01 prefix) from Settings → Admin keys");
            return EXIT_ERROR;
        }
        let endpoint: AdminEndpoint;
        try {
            endpoint = resolveAdminEndpoint(options.anthropicUrl, findStackFiles(dir));
        } catch (e) {
            if (!(e instanceof UsageError)) throw e;
            err(`status: ${e.message}`);
            return EXIT_ERROR;
        }
        baseUrl = endpoint.url;
        const note = ignoredBaseUrlNote(io.env, endpoint);
        if (note) err(note);
    }

    const now = options.now ?? io.clock?.() ?? new Date();
    const asOf = formatIsoDate(utcToday(now));
    let rows = readInventory(dir, now);

    let organization: StatusReport["organization"];
    if (options.live && adminKey) {
        const result = await auditOrganization(rows, { baseUrl, adminKey, now, progress: (text) => err(`status: ${text}`) });
        organization = result.organization;
        // The key's own expiry, when earlier than its age-based due date, is the due date.
        if (result.keys) rows = applyKeyExpiry(rows, result.keys, now);
    }

    const report = buildReport(asOf, rows, organization, options.strict);
    if (options.json) {
        out(JSON.stringify(report, null, 2));
    } else {
        out(renderStackReport(rows, asOf));
        if (organization) {
            out("");
            out("error" in organization ? `Organisation keys (Admin API): not audited — ${organization.error}` : renderAuditReport(organization));
        }
        if (report.reasons.length) {
            out("");
            out(`Exit ${report.exitCode}:`);
            for (const r of report.reasons) out(`  - ${r}`);
        }
        if (options.github) {
            const findings = organization && !("error" in organization) ? organization.findings : [];
            for (const line of githubAnnotations(rows, findings)) out(line);
        }
    }
    if (organization && "error" in organization) err(`status: ${organization.error}`);
    else if (organization && "error" in organization.usage) err(`status: ${organization.usage.error}`);
    // Reminders to the chat webhooks (ANTHROPIC_KEY_ROTATION_WEBHOOKS), if any: never changes the exit code.
    secrets.push(...webhookSecrets(webhooksFromEnv(io.env).webhooks));
    const unused = organization && !("error" in organization) ? unusedKeysEvent(asOf, unusedKeysOf(organization.findings)) : undefined;
    await notifyStatus([...dueEvents(rows), ...(unused ? [unused] : [])], io.env, err);
    return report.exitCode;
}

/** The exit code and its reasons: overdue beats configuration errors, both beat ok. Pure. */
export function buildReport(asOf: string, rows: readonly StackKeyRow[], organization: StatusReport["organization"], strict: boolean): StatusReport {
    const overdue: string[] = [];
    const errors: string[] = [];
    for (const r of rows) {
        if (r.verdict === "overdue") {
            overdue.push(
                r.dueBy === "expiry"
                    ? `stack ${r.stack}: key ${r.keyName} expired on ${r.dueDate} (its Admin API expires_at, before its max-age due date ${r.ageDueDate}); rotate it now (README: emergency rotation)`
                    : `stack ${r.stack}: key ${r.keyName} is overdue since ${r.dueDate}; rotate it now (README: scheduled rotation)`,
            );
        }
        if (r.verdict === "problem") errors.push(`stack ${r.stack}: ${r.file} has ${r.problems.length} problem${r.problems.length === 1 ? "" : "s"} (listed above)`);
    }
    if (organization) {
        if ("error" in organization) errors.push("the organisation's keys could not be audited (see the message above)");
        else {
            if ("error" in organization.usage) errors.push("the usage report could not be read, so unused and still-used keys are not judged (see the message above)");
            for (const f of organization.findings) {
                if (f.severity === "error" || strict) overdue.push(`audit: ${f.kind} ${f.keyName}${f.keyId ? ` (${f.keyId})` : ""}`);
            }
        }
    }
    const exitCode = overdue.length ? EXIT_OVERDUE : errors.length ? EXIT_ERROR : EXIT_OK;
    return { asOf, stacks: rows, summary: summarize(rows), ...(organization ? { organization } : {}), exitCode, reasons: [...overdue, ...errors] };
}
