import { existsSync, readFileSync } from "fs";
import { parse } from "yaml";
import { fingerprint } from "../../components/domain/fingerprint";
import { HEALTH_PATH, Sandbox, UNRELATED_VARS } from "../../offline/harness/sandbox";

/**
 * What the emulated services hold and saw: the ground truth a rehearsal checks the program's own report
 * against. Only fingerprints leave this module, never a value.
 */

export interface SandboxTargets {
    readonly infisical: readonly { projectId: string; environment: string; secretPath?: string; secretName?: string }[];
    readonly heroku: readonly { app: string; vars: readonly string[] }[];
    readonly github: readonly { repository?: string; organization?: string; environment?: string; secretName: string }[];
    readonly commands: readonly { name: string }[];
}

/** The stack file's targets, or the `targets` override (as the rehearsal passes it in config). */
export function sandboxTargets(stackFile: string, override?: unknown): SandboxTargets {
    const doc = parse(readFileSync(stackFile, "utf8")) as { config: Record<string, unknown> };
    const t = (override ?? doc.config["anthropic-key-rotation:targets"] ?? {}) as Partial<SandboxTargets>;
    return { infisical: t.infisical ?? [], heroku: t.heroku ?? [], github: t.github ?? [], commands: t.commands ?? [] };
}

/** Writes any consumer received so far: Heroku config-var PATCHes, Infisical secret writes, GitHub secret PUTs. */
export function consumerWrites(sb: Sandbox): number {
    const heroku = sb.heroku.server.requests.filter((r) => r.method === "PATCH").length;
    const infisical = sb.infisical.server.requests.filter((r) => r.path.startsWith("/api/v3/secrets") && (r.method === "POST" || r.method === "PATCH")).length;
    const github = sb.github.server.requests.filter((r) => r.method === "PUT").length;
    return heroku + infisical + github;
}

export function releaseCounts(sb: Sandbox, apps: readonly string[]): Record<string, number> {
    return Object.fromEntries(apps.map((app) => [app, sb.heroku.releaseCount(app)]));
}

export interface Holding {
    readonly kind: "infisical" | "heroku" | "github" | "command";
    /** Index among the targets of its kind, in config order (the order of the program's `targets` output). */
    readonly index: number;
    /** Fingerprint of the value the emulator holds; "mixed" when an app's vars disagree; undefined when unseen. */
    readonly holds?: string;
    /** "emulator": read back from the emulated service; "recorded": the harness records such resources without running them. */
    readonly via: "emulator" | "recorded";
}

export function holdings(sb: Sandbox, targets: SandboxTargets): Holding[] {
    const out: Holding[] = [];
    const fp = (v: string | undefined) => (v === undefined ? undefined : fingerprint(v));
    targets.infisical.forEach((t, index) => {
        const value = sb.infisical.currentValue({
            projectId: t.projectId,
            environment: t.environment,
            secretPath: t.secretPath ?? "/",
            secretName: t.secretName ?? "ANTHROPIC_API_KEY",
        });
        out.push({ kind: "infisical", index, holds: fp(value), via: "emulator" });
    });
    targets.heroku.forEach((t, index) => {
        const vars = sb.heroku.configVars(t.app);
        const fps = [...new Set(t.vars.map((v) => fp(vars[v]) ?? "missing"))];
        out.push({ kind: "heroku", index, holds: fps.length === 1 ? fps[0] : "mixed", via: "emulator" });
    });
    targets.github.forEach((t, index) => {
        const scope = githubScope(t, sb.github.owner);
        const stored = sb.github.secret(scope, t.secretName);
        out.push({ kind: "github", index, holds: fp(stored?.value), via: stored ? "emulator" : "recorded" });
    });
    targets.commands.forEach((_, index) => out.push({ kind: "command", index, via: "recorded" }));
    return out;
}

function githubScope(t: SandboxTargets["github"][number], owner: string): string {
    if (t.organization) return `org:${t.organization}`;
    const repo = t.repository?.includes("/") ? t.repository : `${owner}/${t.repository ?? ""}`;
    return t.environment ? `env:${repo}:${t.environment}` : `repo:${repo}`;
}

/** Heroku apps whose unrelated config vars changed (they must survive a rotation byte for byte). */
export function disturbedApps(sb: Sandbox, apps: readonly string[]): string[] {
    return apps.filter((app) => {
        const vars = sb.heroku.configVars(app);
        return Object.entries(UNRELATED_VARS).some(([k, v]) => vars[k] !== v);
    });
}

export interface RevocationFacts {
    readonly previousKeyStatus?: string;
    readonly newKeyStatus?: string;
    /** Calls made with the previous key after the rotation started, answered 401: the proof it is dead. */
    readonly proof401: number;
    /** The call that proved it, e.g. "GET /v1/models". */
    readonly proofCall?: string;
}

export function revocationFacts(sb: Sandbox, previous: { id: string; fingerprint: string }, next: { id: string }, since: number): RevocationFacts {
    const proofs = sb.anthropic.calls({ fingerprint: previous.fingerprint }).filter((c) => c.at >= since && c.outcome === 401);
    const last = proofs[proofs.length - 1];
    return {
        previousKeyStatus: sb.anthropic.key(previous.id)?.status,
        newKeyStatus: sb.anthropic.key(next.id)?.status,
        proof401: proofs.length,
        proofCall: last ? `${last.method} ${last.path}` : undefined,
    };
}

export function healthHits(sb: Sandbox): number {
    return sb.health.hits(HEALTH_PATH);
}

/** The audit log's lines, parsed (the file holds fingerprints only). */
export function auditLines(path: string): Record<string, unknown>[] {
    if (!existsSync(path)) return [];
    return readFileSync(path, "utf8")
        .split("\n")
        .filter((l) => l.trim().length > 0)
        .map((l) => {
            try {
                return JSON.parse(l) as Record<string, unknown>;
            } catch {
                return { unparsable: true };
            }
        });
}
