import type { ExposureReport } from "../../../components/exposure/exposureTypes";

/** The exposure report as text for the terminal. Counts only. */
export function renderExposure(report: ExposureReport, subject: { stack?: string }, file: string): string {
    const n = (v: number | null) => (v === null ? "n/a" : String(v));
    const allowed = new Set(report.settings.allowedModels);
    const lines = [
        `Exposure report for ${report.keyId}${subject.stack ? ` (stack ${subject.stack})` : ""}: ${report.window.start} – ${report.window.end} (${report.window.hours} h), ${report.source === "analytics" ? "analytics usage report" : "legacy usage report (tokens only)"}`,
        `First request hour: ${report.firstRequestHour ?? "none"}; last request hour: ${report.lastRequestHour ?? "none"}`,
        `Totals: ${n(report.totals.requests)} requests, ${report.totals.inputTokens} input tokens, ${report.totals.outputTokens} output tokens`,
        `Baseline: ${report.baseline.hourlyAverage} ${report.baseline.metric}/hour over the ${report.baseline.days} days before (spike above ${report.baseline.threshold})`,
        "",
        "By model:",
        ...report.byModel.map((m) => `  ${m.model}${allowed.has(m.model) ? "" : "  [NOT ALLOWED]"}: ${n(m.requests)} requests, ${m.inputTokens} in, ${m.outputTokens} out`),
        "",
        "By hour (UTC, hours with usage):",
        ...report.byHour.map((h) => `  ${h.hour}  ${n(h.requests)} requests, ${h.inputTokens} in, ${h.outputTokens} out  (${h.models.map((m) => `${m.model} ${n(m.requests)}`).join(", ")})`),
        "",
        report.flags.length ? "Flags:" : "Flags: none",
        ...report.flags.map((f) => `  - ${f.kind}: ${f.summary}${f.hours.length ? ` [${f.hours.slice(0, 6).join(", ")}${f.hours.length > 6 ? ", …" : ""}]` : ""}`),
        "",
        `Written to ${file}`,
    ];
    return lines.join("\n");
}
