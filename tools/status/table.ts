/** Plain-text tables for the status report. Pure. */

export interface Column {
    readonly header: string;
    readonly align?: "left" | "right";
}

/** Columns separated by two spaces, padded to the widest cell; the last column is not padded. */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
    const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? "").length)));
    const line = (cells: readonly string[]) =>
        columns
            .map((c, i) => {
                const cell = cells[i] ?? "";
                if (i === columns.length - 1 && c.align !== "right") return cell;
                return c.align === "right" ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
            })
            .join("  ")
            .trimEnd();
    return [line(columns.map((c) => c.header)), ...rows.map(line)].join("\n");
}
