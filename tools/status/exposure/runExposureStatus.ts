import { existsSync, statSync } from "fs";
import { resolve } from "path";
import { writeExposureFile } from "../../../components/exposure/exposureFile";
import { runExposure } from "../../../components/exposure/runExposure";
import { isApiKey, redact } from "../../../components/domain/keyFormat";
import { resolveAdminEndpoint } from "../adminEndpoint";
import { UsageError } from "../args";
import type { StatusIo } from "../reportTypes";
import { findStackFiles } from "../stackInventory";
import { EXPOSURE_USAGE, parseExposureArgs } from "./exposureArgs";
import { resolveExposureSubject } from "./exposureSubject";
import { renderExposure } from "./formatExposure";

/**
 * `npm run status -- --exposure <apikey_… | stack>`: the exposure report on demand (components/exposure), the same
 * one an emergency rotation records. ANTHROPIC_ADMIN_API_KEY is read here, at run time, and redacted from output.
 * Exit 0: no flag; 2: at least one anomaly flag; 1: usage error or the report is unavailable.
 */
export async function runExposureStatus(argv: readonly string[], io: StatusIo): Promise<number> {
    const secrets: string[] = [];
    const out = (text: string) => io.stdout(redact(text, secrets) + "\n");
    const err = (text: string) => io.stderr(redact(text, secrets) + "\n");
    try {
        const options = parseExposureArgs(argv);
        const dir = resolve(io.cwd, options.dir ?? ".");
        if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${dir} is not a directory; pass --dir <project directory>`);
        const stacks = findStackFiles(dir);
        const subject = resolveExposureSubject(options.subject, dir, stacks, options.hours);
        const adminKey = io.env.ANTHROPIC_ADMIN_API_KEY?.trim() || undefined;
        if (adminKey) secrets.push(adminKey);
        if (adminKey && isApiKey(adminKey)) throw new UsageError("ANTHROPIC_ADMIN_API_KEY holds a regular API key (api03 prefix); the usage report needs an Admin API key (admin01 prefix)");
        const endpoint = resolveAdminEndpoint(options.anthropicUrl, stacks);
        const result = await runExposure({ keyId: subject.keyId, adminKey, baseUrl: endpoint.url, settings: subject.settings, now: io.clock?.() ?? new Date() });
        if (result.status === "unavailable") {
            if (options.json) out(JSON.stringify(result, null, 2));
            err(`status: ${result.reason}`);
            return 1;
        }
        const file = writeExposureFile(subject.auditLog, result, secrets);
        out(options.json ? JSON.stringify({ ...result, file }, null, 2) : renderExposure(result, subject, file));
        return result.flags.length ? 2 : 0;
    } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        err(`status: ${e.message}\n\n${EXPOSURE_USAGE}`);
        return 1;
    }
}
