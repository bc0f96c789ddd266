import { readStackFile } from "../../components/config/stackFile";
import { transportProblem } from "../../components/http/transport";
import { DEFAULT_ANTHROPIC_URL } from "./adminKeys";
import { UsageError } from "./args";
import { StackFileRef } from "./stackInventory";

/**
 * Where `npm run status -- --live` sends ANTHROPIC_ADMIN_API_KEY: only to an endpoint this project configures,
 * never to whatever ANTHROPIC_BASE_URL happens to hold in the shell (a variable other tools and SDKs set, e.g.
 * to a logging proxy, which would then receive the organisation's Admin key). In order: `--anthropic-url`, the
 * stacks' `endpoints.anthropic` (they must agree), the public API. Every candidate obeys the transport rule
 * (https, or http to loopback only; no user:password@).
 */

export interface AdminEndpoint {
    readonly url: string;
    /** Where the URL came from, for messages: `--anthropic-url`, `endpoints.anthropic of stack prod`, `the default`. */
    readonly source: string;
}

export function resolveAdminEndpoint(option: string | undefined, stackFiles: readonly StackFileRef[]): AdminEndpoint {
    if (option !== undefined) return { url: option, source: "--anthropic-url" };
    const configured = new Map<string, string[]>();
    for (const ref of stackFiles) {
        const url = configuredAnthropicEndpoint(ref);
        if (url === undefined) continue;
        const problem = transportProblem(url);
        if (problem) {
            throw new UsageError(`${ref.file}: anthropic-key-rotation:endpoints.anthropic ${problem.message}. Fix: ${problem.fix}`);
        }
        const normal = url.trim().replace(/\/+$/, "");
        configured.set(normal, [...(configured.get(normal) ?? []), ref.stack]);
    }
    if (configured.size > 1) {
        const list = [...configured.values()].map((stacks) => stacks.join(", ")).join(" / ");
        throw new UsageError(
            `the stacks configure different endpoints.anthropic (${list}), so it is not clear which one may receive ANTHROPIC_ADMIN_API_KEY; pass --anthropic-url <url> to choose`,
        );
    }
    const [only] = configured.entries();
    if (only) return { url: only[0], source: `endpoints.anthropic of stack ${only[1].join(", ")}` };
    return { url: DEFAULT_ANTHROPIC_URL, source: "the default" };
}

/** A stack file's `endpoints.anthropic`, when it sets one. A file that cannot be read is the inventory's problem. */
function configuredAnthropicEndpoint(ref: StackFileRef): string | undefined {
    try {
        const text = readStackFile(ref.path, ref.stack).values.endpoints;
        if (text === undefined) return undefined;
        const endpoints = JSON.parse(text) as unknown;
        if (typeof endpoints !== "object" || endpoints === null) return undefined;
        const anthropic = (endpoints as Record<string, unknown>).anthropic;
        return typeof anthropic === "string" ? anthropic : undefined;
    } catch {
        return undefined;
    }
}

/** Why ANTHROPIC_BASE_URL is not used, when it is set to something else. Never quotes its value. */
export function ignoredBaseUrlNote(env: Readonly<Record<string, string | undefined>>, endpoint: AdminEndpoint): string | undefined {
    const base = env.ANTHROPIC_BASE_URL?.trim();
    if (!base || base.replace(/\/+$/, "") === endpoint.url.replace(/\/+$/, "")) return undefined;
    return (
        `status: ANTHROPIC_BASE_URL is set but not used: the Admin key is sent only to ${safeOrigin(endpoint.url)} (${endpoint.source}); ` +
        "pass --anthropic-url <url> or set endpoints.anthropic in the stack files to audit through another endpoint"
    );
}

function safeOrigin(url: string): string {
    try {
        return new URL(url).origin;
    } catch {
        return "the configured endpoint";
    }
}
