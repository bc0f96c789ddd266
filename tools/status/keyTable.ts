import type { AuditedKey } from "./findings";
import { Column, renderTable } from "./table";

/** The audit's table of every key of the organisation, one row a key, in the Admin API's order (newest first). Pure. */

const KEY_COLUMNS: readonly Column[] = [
    { header: "KEY NAME" },
    { header: "STATUS" },
    { header: "ENV" },
    { header: "WORKSPACE" },
    { header: "CREATOR" },
    { header: "CREATED" },
    { header: "EXPIRES" },
    { header: "LAST USED" },
    { header: "REQUESTS", align: "right" },
    { header: "TOKENS", align: "right" },
    { header: "VERDICTS" },
];

function workspace(k: AuditedKey): string {
    if (k.scope === "organization") return "(organization)";
    return k.workspaceId ?? "-";
}

function count(n: number | null | undefined): string {
    return n === undefined ? "-" : n === null ? "n/a" : String(n);
}

export function renderKeyTable(keys: readonly AuditedKey[], withUsage: boolean): string {
    return renderTable(
        KEY_COLUMNS,
        keys.map((k) => [
            k.name,
            k.status,
            k.environment ?? "-",
            workspace(k),
            k.createdBy ?? "-",
            k.createdDate ?? "-",
            k.expiresAt === null ? "never" : k.expiresAt.slice(0, 10),
            withUsage ? k.lastUsed ?? "unused" : "-",
            withUsage ? count(k.requests) : "-",
            withUsage ? count(k.tokens) : "-",
            k.verdicts.length ? k.verdicts.join(",") : "ok",
        ]),
    );
}
