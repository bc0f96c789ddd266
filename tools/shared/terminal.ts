/**
 * Terminal styling for the operator scripts: colour only when the stream is a TTY and NO_COLOR is unset,
 * check marks, and tables aligned on visible width (escape codes do not count).
 */

export interface Style {
    readonly color: boolean;
    ok(text: string): string;
    fail(text: string): string;
    warn(text: string): string;
    dim(text: string): string;
    bold(text: string): string;
    accent(text: string): string;
}

export const MARK = { ok: "✔", fail: "✖", warn: "⚠", skip: "–", info: "•" } as const;

/** https://no-color.org: any NO_COLOR in the environment turns colour off; so does a non-TTY stream. */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
    return stream.isTTY === true && env.NO_COLOR === undefined;
}

export function makeStyle(color: boolean): Style {
    const sgr = (open: number, close: number) => (text: string) => (color && text ? `\x1b[${open}m${text}\x1b[${close}m` : text);
    return {
        color,
        ok: sgr(32, 39),
        fail: sgr(31, 39),
        warn: sgr(33, 39),
        dim: sgr(2, 22),
        bold: sgr(1, 22),
        accent: sgr(36, 39),
    };
}

const ANSI = /\x1b\[[0-9;]*m/g;

export function stripAnsi(text: string): string {
    return text.replace(ANSI, "");
}

/** Width as a terminal shows it: code points without escape sequences (the marks used here are one column). */
export function visibleWidth(text: string): number {
    return [...stripAnsi(text)].length;
}

export interface Column {
    readonly header: string;
    readonly align?: "left" | "right";
}

/**
 * Columns separated by two spaces and padded to the widest cell (visible width); the last left-aligned
 * column is not padded. Headers are dimmed; `indent` prefixes every line.
 */
export function table(style: Style, columns: readonly Column[], rows: readonly (readonly string[])[], indent = "  "): string {
    const widths = columns.map((c, i) => Math.max(visibleWidth(c.header), ...rows.map((r) => visibleWidth(r[i] ?? ""))));
    const pad = (cell: string, i: number, last: boolean) => {
        const gap = " ".repeat(Math.max(0, widths[i]! - visibleWidth(cell)));
        if (columns[i]!.align === "right") return gap + cell;
        return last ? cell : cell + gap;
    };
    const line = (cells: readonly string[]) =>
        indent +
        columns
            .map((_, i) => pad(cells[i] ?? "", i, i === columns.length - 1))
            .join("  ")
            .trimEnd();
    return [style.dim(line(columns.map((c) => c.header))), ...rows.map(line)].join("\n");
}

/** `1234` → `1.23 s`, `87` → `87 ms`. */
export function formatMs(ms: number): string {
    if (ms < 1000) return `${Math.round(ms)} ms`;
    return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** A section heading: bold title and a dim rule. */
export function heading(style: Style, title: string, width = 78): string {
    const rule = "─".repeat(Math.max(4, width - visibleWidth(title) - 3));
    return `\n${style.bold(title)} ${style.dim(rule)}`;
}

/**
 * A one-line timeline bar: where [start, end) falls in [0, span), `width` cells wide. Every non-empty
 * interval gets at least one cell, so short steps stay visible.
 */
export function timelineBar(start: number, end: number, span: number, width = 24): string {
    if (span <= 0) return " ".repeat(width);
    const a = Math.min(width - 1, Math.max(0, Math.floor((start / span) * width)));
    const b = Math.min(width, Math.max(a + 1, Math.ceil((end / span) * width)));
    return " ".repeat(a) + "█".repeat(b - a) + " ".repeat(width - b);
}
