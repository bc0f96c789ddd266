import { redact } from "../domain/keyFormat";
import { fetchHourlyModelUsage, UsageReportError } from "../anthropic/usageReport";
import { analyzeExposure, exposureWindow } from "./analyzeExposure";
import type { ExposureResult } from "./exposureTypes";
import type { ExposureSettings } from "./settings";

/**
 * One exposure report: the key's hourly usage by model over the window and the 7-day baseline before it (one
 * usage-report query, every page), then the analysis. Never throws for the usage report: a missing or refused
 * admin key, an unreachable API or a malformed answer gives `status: "unavailable"` with the reason, so an
 * emergency rotation is never failed by its report. The admin key is passed in, never read here.
 */

export const UNAVAILABLE = "exposure report unavailable";

export interface ExposureRequest {
    readonly keyId: string;
    /** ANTHROPIC_ADMIN_API_KEY, read by the caller at run time; undefined: not set. */
    readonly adminKey: string | undefined;
    readonly baseUrl: string;
    readonly settings: ExposureSettings;
    readonly now: Date;
    /** Bound on each page with its retries, ms. */
    readonly maxTotalMs?: number;
}

export async function runExposure(req: ExposureRequest): Promise<ExposureResult> {
    const unavailable = (why: string): ExposureResult => ({
        status: "unavailable",
        keyId: req.keyId,
        generatedAt: req.now.toISOString(),
        reason: redact(`${UNAVAILABLE}: ${why}`, req.adminKey ? [req.adminKey] : []),
    });
    if (!req.adminKey) {
        return unavailable("ANTHROPIC_ADMIN_API_KEY is not set; export an Admin API key (Console → Settings → Admin keys) and run npm run status -- --exposure " + req.keyId);
    }
    const window = exposureWindow(req.now, req.settings.hours);
    try {
        const usage = await fetchHourlyModelUsage({
            adminKey: req.adminKey,
            baseUrl: req.baseUrl,
            keyIds: [req.keyId],
            startingAt: window.baselineStart,
            endingAt: window.end,
            ...(req.maxTotalMs !== undefined ? { maxTotalMs: req.maxTotalMs } : {}),
        });
        return analyzeExposure({ keyId: req.keyId, rows: usage.rows, source: usage.source, window, settings: req.settings, now: req.now });
    } catch (err) {
        if (err instanceof UsageReportError) {
            const refused = err.status === 401 || err.status === 403;
            return unavailable(`${err.message}${refused ? "; the Admin API refused ANTHROPIC_ADMIN_API_KEY: use an active Admin API key of this organisation" : ""}`);
        }
        return unavailable(err instanceof Error ? err.message : String(err));
    }
}
