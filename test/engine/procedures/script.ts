/**
 * The README's operator procedures in order on one stack, written once and run through any ProcedureDriver:
 *   verify across two runs → an unfinished rotation → an emergency naming the leaked key → a failed rotation →
 *   the rollback → targets marked removeOnDelete → targets removed and renamed.
 * After each `up` the script takes a Snapshot of what an auditor would look at: exit status, what every
 * emulated consumer holds (by key label A…E), every key's status at the Admin API, the audit line, the writes
 * each emulator received during the step, and Heroku releases. Values never leave this module: keys appear
 * only as labels.
 */
import { fingerprint } from "../../../components/domain/fingerprint";
import { HEALTH_PATH } from "../../../offline/harness/sandbox";
import { auditOf, ProcedureDriver } from "./drivers";

export type Label = "A" | "B" | "C" | "D" | "E";
const LABELS: readonly Label[] = ["A", "B", "C", "D", "E"];

export interface Snapshot {
    readonly step: string;
    readonly ok: boolean;
    /** The operator-facing text of the run (stdout and stderr, or the harness's error). Checked by pattern only. */
    readonly output: string;
    /** consumer → label of the key it holds, "-" when it holds none. */
    readonly holdings: Record<string, string>;
    readonly statuses: Partial<Record<Label, string>>;
    /** The audit line this run appended ("-" when none): action, step, flags, old → new, revoked keys. */
    readonly audit: string;
    /** Writes received during the step per emulator, sorted (the fan-out's order is the engine's choice). */
    readonly writes: { readonly heroku: string[]; readonly infisical: string[]; readonly anthropic: string[]; readonly github: string[] };
    readonly releases: Record<string, number>;
    /** In the emergency step: the leaked key was deactivated before the first consumer write of the step. */
    readonly leakedKeyDiedFirst?: boolean;
}

export const APP_KEPT = "raxx-api-sandbox";
export const APP_REMOVED = "raxx-agents-sandbox";
const HEROKU_VARS: Record<string, readonly string[]> = { [APP_KEPT]: ["ANTHROPIC_API_KEY"], [APP_REMOVED]: ["ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY_AGENTS"] };
const GITHUB_SECRETS = [
    ["repo:raxx-app/agents", "ANTHROPIC_API_KEY_SANDBOX"],
    ["env:raxx-app/agents:sandbox", "ANTHROPIC_API_KEY"],
    ["env:raxx-app/agents:sandbox", "ANTHROPIC_API_KEY_V2"],
] as const;

type Targets = { infisical: Record<string, unknown>[]; heroku: Record<string, unknown>[]; github: Record<string, unknown>[] };

export class ProcedureRun {
    readonly keys = new Map<Label, { value: string; id: string; fingerprint: string }>();
    readonly snapshots: Snapshot[] = [];
    private seqAtStepStart = 0;

    constructor(readonly driver: ProcedureDriver) {}

    /** Everything the script does, in order. */
    async run(): Promise<Snapshot[]> {
        const d = this.driver;
        this.healHealth();
        await this.rotate("first rotation to A", "A");

        // 1. verify across two runs
        await this.rotate("verify: rotation to B stops at the revocation step", "B");
        d.sb.anthropic.setStatus(this.key("A").id, "inactive"); // the operator revokes A in the Console
        await this.step("verify: second up after A was revoked in the Console");

        // 2. an unfinished rotation, then an emergency naming the leaked key
        d.setConfig({ revocation: { mode: "deactivate", watchMinutes: 0.05, watchIntervalSeconds: 1 } });
        this.breakHealth();
        await this.rotate("unfinished: rotation to C fails at the health check", "C");
        this.healHealth();
        d.setConfig({ emergency: { compromisedKey: this.key("C").fingerprint } });
        await this.rotate("emergency: C leaked, rotation to D", "D");

        // 3. a failed rotation, then the README's rollback
        d.setConfig({ emergency: undefined });
        this.breakHealth();
        await this.rotate("failed rotation to E", "E");
        this.healHealth();
        d.setConfig({ revocation: "none" });
        await d.setKey(this.key("D").value);
        await this.step("rollback to D with revocation none");

        // 4. targets: opt in to removal, then remove and rename
        const t = d.config("targets") as Targets;
        d.setConfig({
            targets: {
                ...t,
                heroku: t.heroku.map((h) => (h.app === APP_REMOVED ? { ...h, removeOnDelete: true } : h)),
                github: t.github.map((g) => (g.environment ? g : { ...g, removeOnDelete: true })),
            },
        });
        await this.step("targets marked removeOnDelete");
        const marked = d.config("targets") as Targets;
        d.setConfig({ targets: { ...marked, heroku: [], github: marked.github.map((g) => (g.environment ? { ...g, secretName: "ANTHROPIC_API_KEY_V2" } : g)) } });
        await this.step("Heroku apps removed, environment secret renamed");
        return this.snapshots;
    }

    key(label: Label): { value: string; id: string; fingerprint: string } {
        const k = this.keys.get(label);
        if (!k) throw new Error(`key ${label} was not created yet`);
        return k;
    }

    private async rotate(step: string, label: Label): Promise<void> {
        const k = this.driver.sb.createKey();
        this.keys.set(label, k);
        await this.driver.setKey(k.value);
        await this.step(step);
    }

    private breakHealth(): void {
        this.driver.sb.health.script(HEALTH_PATH, { status: 503, body: { anthropic: { ok: false, error: "authentication_error" } } });
        this.driver.setConfig({ healthChecks: this.healthCheck(2) });
    }

    /** Healthy again, with a limit generous enough that machine load never decides the outcome. */
    private healHealth(): void {
        this.driver.sb.health.healthy(HEALTH_PATH);
        this.driver.setConfig({ healthChecks: this.healthCheck(300) });
    }

    private healthCheck(timeoutSeconds: number): Record<string, unknown>[] {
        return [{ url: this.driver.sb.health.at(HEALTH_PATH), expect: "anthropic.ok == true", timeoutSeconds, intervalSeconds: 0.5 }];
    }

    private async step(step: string): Promise<void> {
        const auditBefore = auditOf(this.driver).length;
        this.seqAtStepStart = this.lastSeq();
        const result = await this.driver.up();
        const audit = auditOf(this.driver);
        this.snapshots.push({
            step,
            ok: result.ok,
            output: result.output,
            holdings: this.holdings(),
            statuses: Object.fromEntries([...this.keys].map(([label, k]) => [label, this.driver.sb.anthropic.key(k.id)?.status ?? "?"])),
            audit: audit.length > auditBefore ? this.describeAudit(audit[audit.length - 1]!) : "-",
            writes: this.writes(),
            releases: Object.fromEntries(Object.keys(HEROKU_VARS).map((app) => [app, this.driver.sb.heroku.releaseCount(app)])),
            ...(step.startsWith("emergency") ? { leakedKeyDiedFirst: this.leakedKeyDiedFirst() } : {}),
        });
    }

    private labelOf(value: string | undefined): string {
        if (value === undefined) return "-";
        const fp = fingerprint(value);
        return LABELS.find((l) => this.keys.get(l)?.fingerprint === fp) ?? "?";
    }

    private labelOfFingerprint(fp: unknown): string {
        return LABELS.find((l) => this.keys.get(l)?.fingerprint === fp) ?? String(fp);
    }

    private holdings(): Record<string, string> {
        const sb = this.driver.sb;
        const out: Record<string, string> = {};
        for (const [app, vars] of Object.entries(HEROKU_VARS)) for (const v of vars) out[`heroku ${app} ${v}`] = this.labelOf(sb.heroku.configVars(app)[v]);
        out["infisical /anthropic ANTHROPIC_API_KEY"] = this.labelOf(
            sb.infisical.currentValue({ projectId: "raxx-sandbox-project", environment: "sandbox", secretPath: "/anthropic", secretName: "ANTHROPIC_API_KEY" }),
        );
        for (const [scope, name] of GITHUB_SECRETS) out[`github ${scope} ${name}`] = this.labelOf(sb.github.secret(scope, name)?.value);
        return out;
    }

    private describeAudit(line: Record<string, unknown>): string {
        const revocation = line.revocation as { keys?: { fingerprint: string; outcome: string }[] } | null | undefined;
        const revoked = (revocation?.keys ?? []).map((k) => `${this.labelOfFingerprint(k.fingerprint)} ${k.outcome}`).join(", ");
        return [
            String(line.action),
            line.step ? `step ${String(line.step)}` : "",
            line.emergency ? `emergency (compromised ${this.labelOfFingerprint(line.compromisedKey)})` : "",
            line.rollback ? "rollback" : "",
            `${line.oldFingerprint ? this.labelOfFingerprint(line.oldFingerprint) : "-"} → ${this.labelOfFingerprint(line.newFingerprint)}`,
            revoked ? `revoked: ${revoked}` : "",
        ]
            .filter((x) => x)
            .join("; ");
    }

    private lastSeq(): number {
        return Math.max(0, ...this.driver.sb.servers.flatMap((s) => s.requests.map((r) => r.seq)));
    }

    private requestsOfStep(server: { requests: readonly { seq: number; method: string; path: string }[] }): { seq: number; method: string; path: string }[] {
        return server.requests.filter((r) => r.seq > this.seqAtStepStart);
    }

    private writes(): Snapshot["writes"] {
        const sb = this.driver.sb;
        const idToLabel = (path: string) => path.replace(/apikey_\w+/, (id) => LABELS.find((l) => this.keys.get(l)?.id === id) ?? id);
        const isWrite = (m: string) => m !== "GET" && m !== "HEAD";
        return {
            heroku: this.requestsOfStep(sb.heroku.server)
                .filter((r) => isWrite(r.method))
                .map((r) => `${r.method} ${r.path}`)
                .sort(),
            infisical: this.requestsOfStep(sb.infisical.server)
                .filter((r) => isWrite(r.method) && r.path.startsWith("/api/v3/secrets"))
                .map((r) => `${r.method} ${r.path}`)
                .sort(),
            anthropic: this.requestsOfStep(sb.anthropic.server)
                .filter((r) => r.method === "POST" && r.path.startsWith("/v1/organizations/api_keys/"))
                .map((r) => `${r.method} ${idToLabel(r.path)}`)
                .sort(),
            github: this.requestsOfStep(sb.github.server)
                .filter((r) => isWrite(r.method))
                .map((r) => `${r.method} ${r.path}`)
                .sort(),
        };
    }

    private leakedKeyDiedFirst(): boolean {
        const sb = this.driver.sb;
        const leaked = this.key("C").id;
        const died = this.requestsOfStep(sb.anthropic.server).find((r) => r.method === "POST" && r.path.endsWith(`/${leaked}`));
        const firstWrite = Math.min(
            ...this.requestsOfStep(sb.heroku.server).filter((r) => r.method === "PATCH").map((r) => r.seq),
            ...this.requestsOfStep(sb.infisical.server).filter((r) => r.method !== "GET" && r.path.startsWith("/api/v3/secrets")).map((r) => r.seq),
        );
        return died !== undefined && died.seq < firstWrite;
    }
}
