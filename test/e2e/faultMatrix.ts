import { fingerprint } from "../../components/domain/fingerprint";
import { anthropicErrorBody } from "../../offline/emulators/anthropicEmulator";
import type { Fault, LoopbackServer, RecordedRequest } from "../../offline/emulators/loopbackServer";
import { HEALTH_PATH, Sandbox, UNRELATED_VARS } from "../../offline/harness/sandbox";
import { StateStore } from "../../offline/harness/stateStore";
import { CONSUMER_STILL_ON_PREVIOUS_KEY, Situation } from "./faultMatrixSituations";
import type { Scenario } from "./scenario";

/**
 * The fault matrix (issue 6, item 4; the usage report and the reactivation: issue 13): which calls of a rotation
 * are faulted, how, and how each cell is judged from the emulators' request logs. The test (faultMatrix.test.ts)
 * drives the runs; this module holds the vocabulary and the judges so the table stays readable.
 *
 * Calls and the requests ("legs") that make them up:
 *   validation      POST /v1/messages (the new key's ping)
 *   admin           GET  /v1/organizations/api_keys (the key's record, looked up during validation)
 *   infisical login POST /api/v1/auth/universal-auth/login
 *   infisical write PATCH /api/v3/secrets/raw/ANTHROPIC_API_KEY
 *   heroku          PATCH /apps/{app}/config-vars (every app)
 *   health          GET  /api/agents/health on the health emulator
 *   usage report    GET  /v1/organizations/usage_report/messages (the legacy endpoint: lane A's emulator serves no
 *                        analytics, so each look is a 404 there, then this) or /v1/organizations/analytics/usage (lane B,
 *                        where the auth cell runs): the cut-over check before anything is revoked
 *   revocation      POST /v1/organizations/api_keys/{previous key id} (deactivate) + GET /v1/models (the 401 proof)
 *   reactivation    POST /v1/organizations/api_keys/{previous key id} with status active, after the health watch that
 *                        follows the deactivation fails (a consumer outside targets still on the previous key): a
 *                        situation of its own (faultMatrixSituations.ts), so its cells have runs of their own, which
 *                        must end rolled back with the previous key active again (auth: DEAD, and said so plainly)
 */

export type FaultKind = "429" | "500" | "503/529" | "timeout" | "drop" | "auth";
export const FAULT_KINDS: readonly FaultKind[] = ["429", "500", "503/529", "timeout", "drop", "auth"];

/**
 * Transient faults share runs: each run injects its kinds once each, in this order, on every leg of every
 * call, so every call meets all of them before it succeeds. Two runs, each with a status fault up front and
 * (after it) a transport fault: Infisical's SDK retries 429s and lost connections itself with a growing
 * backoff (about 1, 2, 4 s), which a 5xx resets (the SDK gives up on it and our operation starts over), so
 * this split keeps every Infisical call at about two seconds of waiting. The hang needs the short
 * per-attempt timeout, set for its run only.
 */
export const TRANSIENT_RUNS: readonly { readonly name: string; readonly kinds: readonly FaultKind[]; readonly env: Record<string, string> }[] = [
    { name: "429, 500, drop on every call", kinds: ["429", "500", "drop"], env: {} },
    { name: "503/529, timeout on every call", kinds: ["503/529", "timeout"], env: { ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS: "500" } },
];

/** A call with a situation of its own meets every transient kind in one run (one Anthropic call: no Infisical backoff to split). */
export const OWN_TRANSIENT_RUN: (typeof TRANSIENT_RUNS)[number] = {
    name: "every transient fault",
    kinds: ["429", "500", "503/529", "timeout", "drop"],
    env: { ANTHROPIC_KEY_ROTATION_ATTEMPT_TIMEOUT_MS: "500" },
};

/**
 * The cut-over check in every matrix run: one look (maxWaitMinutes 0), no new-key requirement, and a data lag of
 * 30 minutes, so the idle window lies before any key of the matrix was created: the look proves the cut-over
 * whatever the machine's speed, and costs one usage-report call (two in lane A: the analytics 404, then legacy).
 */
export const MATRIX_CUTOVER = { idleMinutes: 1, minNewKeyRequests: 0, maxWaitMinutes: 0, dataLagMinutes: 30 } as const;

type Service = "anthropic" | "heroku" | "infisical" | "health";

export interface Leg {
    readonly service: Service;
    readonly method: string;
    readonly path: string;
    /** The outcome that means this request succeeded (the revocation proof succeeds with a 401). */
    readonly success: (outcome: RecordedRequest["outcome"]) => boolean;
    /** Only requests that carry this key in x-api-key (the new key's ping, not the previous key's). */
    readonly key?: string;
    /** Only requests whose JSON body has these values (the reactivation, not the deactivation before it). */
    readonly body?: Readonly<Record<string, string>>;
    /**
     * The least wait expected after a 429 with `retry-after: 1`: the Anthropic calls honour it in full, the
     * HttpClient calls up to ANTHROPIC_KEY_ROTATION_RETRY_MAX_DELAY_MS (200 ms in the sandbox), Infisical's SDK
     * ignores it but backs off about 1 s (±20 %) itself, health checks poll again after intervalSeconds.
     */
    readonly waitAfter429Ms: number;
}

export interface MatrixContext {
    /** Admin API id of the key being replaced (the one revocation deactivates). */
    readonly previousKeyId: string;
    readonly previousKey: string;
    readonly newKey: string;
    readonly apps: readonly string[];
    /** The usage-report endpoint the lane's Anthropic emulator answers (analytics, or legacy where it has none). */
    readonly usagePath: string;
}

export interface CallSpec {
    readonly id: string;
    readonly label: string;
    legs(ctx: MatrixContext): Leg[];
    /** The legs that get the authentication failure (all of `legs` unless narrower). */
    authLegs(ctx: MatrixContext): Leg[];
    /** The authentication failure as the service sends it. */
    readonly authFault: Fault;
    /** What the failed run's error must say: it names the step (and the target). */
    readonly failure: RegExp;
    /** The `step` of the audit line the failure writes. */
    readonly auditStep: string;
    /** Its `action`; default `secret.rotate.failed`. */
    readonly auditAction?: string;
    /** The previous key's status after the authentication failure; default active (nothing was revoked). */
    readonly previousKeyAfterAuth?: "active" | "inactive";
    /** Legs that must see no request in the authentication failure's run (e.g. no deactivation). */
    untouchedByAuth?(ctx: MatrixContext): Leg[];
    /** A call a clean rotation never makes: its cells get runs of their own in this situation. */
    readonly situation?: Situation;
}

const callById = (id: string): CallSpec => CALLS.find((c) => c.id === id)!;
const ok2xx = (o: RecordedRequest["outcome"]) => typeof o === "number" && o >= 200 && o < 300;
const proven401 = (o: RecordedRequest["outcome"]) => o === 401;
const SECRET_NAME = "ANTHROPIC_API_KEY";
/** The app whose PATCH gets the 401 in the Heroku cell; the other one goes through (a mid-fan-out failure). */
export const HEROKU_FAULTED_APP = "raxx-agents-sandbox";

function anthropicFault(status: number, type: string, message: string, headers: Record<string, string> = {}): Fault {
    const requestId = `req_011matrix${status}`;
    return { kind: "status", status, headers: { "request-id": requestId, ...headers }, body: anthropicErrorBody(type, message, requestId) };
}

export const CALLS: readonly CallSpec[] = [
    {
        id: "validation",
        label: "validation (Messages)",
        // The new key's ping (the previous key's own ping, reported only, is not this call).
        legs: (ctx) => [{ service: "anthropic", method: "POST", path: "/v1/messages", success: ok2xx, key: ctx.newKey, waitAfter429Ms: 950 }],
        authLegs: (ctx) => callById("validation").legs(ctx),
        authFault: anthropicFault(401, "authentication_error", "invalid x-api-key"),
        failure: /^Key validation failed: the API rejected the new key[\s\S]*step: validate the new key[\s\S]*target: Anthropic Messages API/,
        auditStep: "validation",
    },
    {
        id: "admin",
        label: "Admin API key lookup",
        legs: () => [{ service: "anthropic", method: "GET", path: "/v1/organizations/api_keys", success: ok2xx, waitAfter429Ms: 950 }],
        authLegs: (ctx) => callById("admin").legs(ctx),
        authFault: anthropicFault(401, "authentication_error", "invalid x-api-key"),
        failure: /^Key validation failed: the Admin API rejected ANTHROPIC_ADMIN_API_KEY[\s\S]*step: validate the new key[\s\S]*target: Anthropic Admin API/,
        auditStep: "validation",
    },
    {
        id: "infisical-login",
        label: "Infisical login",
        legs: () => [{ service: "infisical", method: "POST", path: "/api/v1/auth/universal-auth/login", success: ok2xx, waitAfter429Ms: 700 }],
        authLegs: (ctx) => callById("infisical-login").legs(ctx),
        authFault: { kind: "status", status: 401, body: { reqId: "req-matrix", statusCode: 401, message: "Invalid credentials", error: "UnauthorizedError" } },
        // The credential preflight (right after validation) is the first to log in, so it reports the refusal,
        // before any consumer is written.
        failure: /^preflight: 1 problem with the credentials this run needs; nothing was written anywhere[\s\S]*INFISICAL_CLIENT_ID[\s\S]*HTTP 401/,
        auditStep: "preflight",
    },
    {
        id: "infisical-write",
        label: "Infisical write",
        legs: () => [{ service: "infisical", method: "PATCH", path: `/api/v3/secrets/raw/${SECRET_NAME}`, success: ok2xx, waitAfter429Ms: 700 }],
        authLegs: (ctx) => callById("infisical-write").legs(ctx),
        authFault: {
            kind: "status",
            status: 403,
            body: { reqId: "req-matrix", statusCode: 403, message: "Your token has expired. Please re-authenticate.", error: "TokenError" },
        },
        failure: new RegExp(`^infisical write failed for secret ${SECRET_NAME} in Infisical project [\\s\\S]*HTTP 403`),
        auditStep: "infisical",
    },
    {
        id: "heroku",
        label: "Heroku PATCH",
        legs: (ctx) => ctx.apps.map((app) => ({ service: "heroku" as const, method: "PATCH", path: `/apps/${app}/config-vars`, success: ok2xx, waitAfter429Ms: 180 })),
        authLegs: () => [{ service: "heroku", method: "PATCH", path: `/apps/${HEROKU_FAULTED_APP}/config-vars`, success: ok2xx, waitAfter429Ms: 180 }],
        authFault: { kind: "status", status: 401, body: { id: "unauthorized", message: "Invalid credentials provided." } },
        failure: new RegExp(`^heroku config vars: heroku app ${HEROKU_FAULTED_APP}: [\\s\\S]*401`),
        auditStep: "heroku",
    },
    {
        id: "health",
        label: "health",
        legs: () => [{ service: "health", method: "GET", path: HEALTH_PATH, success: ok2xx, waitAfter429Ms: 180 }],
        authLegs: (ctx) => callById("health").legs(ctx),
        authFault: { kind: "status", status: 401, body: { error: "unauthorized" } },
        failure: new RegExp(`^health: 1 of 1 health check\\(s\\) failed[\\s\\S]*${HEALTH_PATH.replace(/\//g, "\\/")} did not pass[\\s\\S]*HTTP 401`),
        auditStep: "health",
    },
    {
        id: "usage-report",
        label: "usage report (cut-over check)",
        legs: (ctx) => [{ service: "anthropic", method: "GET", path: ctx.usagePath, success: ok2xx, waitAfter429Ms: 180 }],
        authLegs: (ctx) => callById("usage-report").legs(ctx),
        authFault: anthropicFault(401, "authentication_error", "invalid x-api-key"),
        failure:
            /^revocation: nothing was deactivated — the usage report does not prove the cut-over[\s\S]*the Admin API refused ANTHROPIC_ADMIN_API_KEY \(GET \/v1\/organizations\/[\w/]+ answered HTTP 401[\s\S]*ANTHROPIC_ADMIN_API_KEY was rejected: set it to an active Admin API key/,
        auditStep: "revocation",
        untouchedByAuth: (ctx) => [callById("revocation").legs(ctx)[0]!],
    },
    {
        id: "revocation",
        label: "revocation (deactivate + 401 proof)",
        legs: (ctx) => [
            { service: "anthropic", method: "POST", path: `/v1/organizations/api_keys/${ctx.previousKeyId}`, success: ok2xx, waitAfter429Ms: 950 },
            { service: "anthropic", method: "GET", path: "/v1/models", success: proven401, key: ctx.previousKey, waitAfter429Ms: 180 },
        ],
        // The proof expects a 401: an authentication failure there is success. The admin key is what can be refused.
        authLegs: (ctx) => [callById("revocation").legs(ctx)[0]!],
        authFault: anthropicFault(401, "authentication_error", "invalid x-api-key"),
        failure: /^revocation: could not set apikey_\w+ to inactive through the Anthropic Admin API[\s\S]*HTTP 401[\s\S]*ANTHROPIC_ADMIN_API_KEY was rejected/,
        auditStep: "revocation",
    },
    {
        id: "reactivation",
        label: "reactivation (after a failed watch)",
        legs: (ctx) => [
            { service: "anthropic", method: "POST", path: `/v1/organizations/api_keys/${ctx.previousKeyId}`, body: { status: "active" }, success: ok2xx, waitAfter429Ms: 950 },
        ],
        authLegs: (ctx) => callById("reactivation").legs(ctx),
        authFault: anthropicFault(401, "authentication_error", "invalid x-api-key"),
        failure:
            /^revocation: \S+ failed [\s\S]* was deactivated [\s\S]*, and reactivating FAILED for apikey_\w+ \(sha256:[0-9a-f]{12}\): the Admin API rejected ANTHROPIC_ADMIN_API_KEY \(HTTP 401[^)]*\)\. The old key sha256:[0-9a-f]{12} is DEAD and this run could not bring it back; the new key sha256:[0-9a-f]{12} is on every consumer in targets/,
        auditStep: "revocation",
        auditAction: "secret.rotate.rolled_back",
        previousKeyAfterAuth: "inactive",
        situation: CONSUMER_STILL_ON_PREVIOUS_KEY,
    },
];

export function serverOf(sb: Sandbox, service: Service): LoopbackServer {
    return sb[service].server;
}

/** The fault a service sends for a transient kind. */
export function transientFault(kind: FaultKind, service: Service): Fault {
    const anthropic = service === "anthropic";
    switch (kind) {
        case "429":
            return anthropic
                ? anthropicFault(429, "rate_limit_error", "Number of requests has exceeded your per-minute rate limit", { "retry-after": "1" })
                : { kind: "status", status: 429, headers: { "retry-after": "1" }, body: { message: "rate limited" } };
        case "500":
            return anthropic ? anthropicFault(500, "api_error", "Internal server error") : { kind: "status", status: 500, body: { message: "internal error" } };
        case "503/529":
            return anthropic ? anthropicFault(529, "overloaded_error", "Overloaded") : { kind: "status", status: 503, body: { message: "service unavailable" } };
        case "timeout":
            return { kind: "hang" };
        case "drop":
            return { kind: "drop" };
        case "auth":
            throw new Error("authentication failures are not transient");
    }
}

/** The outcome the emulator records for a faulted request. */
export function faultOutcome(kind: FaultKind, service: Service): RecordedRequest["outcome"] {
    switch (kind) {
        case "429":
            return 429;
        case "500":
            return 500;
        case "503/529":
            return service === "anthropic" ? 529 : 503;
        case "timeout":
            return "hung";
        case "drop":
            return "dropped";
        case "auth":
            throw new Error("no single outcome");
    }
}

/** Every request any emulator has seen so far has a sequence number at most this. */
export function lastSeq(sb: Sandbox): number {
    return Math.max(0, ...sb.servers.flatMap((s) => s.requests.map((r) => r.seq)));
}

export function legRequests(sb: Sandbox, leg: Leg, afterSeq: number): RecordedRequest[] {
    const body = (r: RecordedRequest) => (r.json && typeof r.json === "object" ? (r.json as Record<string, unknown>) : {});
    return serverOf(sb, leg.service).requests.filter(
        (r) =>
            r.seq > afterSeq &&
            r.method === leg.method &&
            r.path === leg.path &&
            (leg.key === undefined || r.headers["x-api-key"] === leg.key) &&
            Object.entries(leg.body ?? {}).every(([name, value]) => body(r)[name] === value),
    );
}

/** The fault rule's narrowing for a leg: only its key's requests, only requests with its body. */
export function legMatcher(leg: Leg): { headers?: Record<string, string>; json?: Readonly<Record<string, string>> } {
    return { ...(leg.key !== undefined ? { headers: { "x-api-key": leg.key } } : {}), ...(leg.body ? { json: leg.body } : {}) };
}

/** One cell's verdict. */
export interface Cell {
    readonly call: string;
    readonly fault: FaultKind;
    readonly passed: boolean;
    /** e.g. "ok after retries", "failed clearly at infisical, converged". */
    readonly outcome: string;
    /** Requests the call made at the emulator in the cell's (failing) run, per leg. */
    readonly attempts: string;
    /** From the call's first request to its last, at the emulator. */
    readonly callSeconds: number;
    /** The run(s) the cell took: the shared run, or the failing run + the convergence run. */
    readonly runSeconds: string;
    readonly problems: readonly string[];
}

export function callSpan(requests: readonly RecordedRequest[]): number {
    if (requests.length === 0) return 0;
    const times = requests.map((r) => r.at);
    return Math.round((Math.max(...times) - Math.min(...times)) / 100) / 10;
}

/** For a transient kind: the leg saw the fault, and a later request on the same leg succeeded. */
export function judgeTransientLeg(requests: readonly RecordedRequest[], leg: Leg, kind: FaultKind): string | undefined {
    const expected = faultOutcome(kind, leg.service);
    const at = requests.findIndex((r) => r.outcome === expected);
    const where = `${leg.method} ${leg.path}`;
    if (at < 0) return `${where}: no request got the injected ${kind} (outcomes: ${requests.map((r) => r.outcome).join(", ") || "none"})`;
    if (!requests.slice(at + 1).some((r) => leg.success(r.outcome))) {
        return `${where}: not retried to success after the ${kind} (outcomes: ${requests.map((r) => r.outcome).join(", ")})`;
    }
    if (kind === "429") {
        const waited = requests[at + 1]!.at - requests[at]!.at;
        if (waited < leg.waitAfter429Ms) return `${where}: retried ${waited} ms after the 429 (retry-after: 1), expected at least ${leg.waitAfter429Ms} ms`;
    }
    return undefined;
}

/** How long the leg waited after its 429, in seconds, for the table. */
export function waitAfter429(requests: readonly RecordedRequest[]): number | undefined {
    const at = requests.findIndex((r) => r.outcome === 429);
    return at >= 0 && requests[at + 1] ? (requests[at + 1]!.at - requests[at]!.at) / 1000 : undefined;
}

// ---------------------------------------------------------------- state checks

export type KeyLabel = "NEW" | "OLD" | "OTHER" | "NONE";

export function labelOf(value: unknown, keys: { newKey: string; oldKey?: string }): KeyLabel {
    if (value === undefined || value === null) return "NONE";
    if (value === keys.newKey) return "NEW";
    if (keys.oldKey !== undefined && value === keys.oldKey) return "OLD";
    return "OTHER";
}

/**
 * Where the key is held: every emulated consumer (Heroku vars, Infisical), plus the GitHub secrets as the state
 * says the engine last sent them (they go through a native provider, recorded by the harness). Labels only.
 */
export function holders(sc: Scenario, keys: { newKey: string; oldKey?: string }): Record<string, KeyLabel> {
    const out: Record<string, KeyLabel> = {};
    for (const [label, value] of Object.entries(sc.consumerValues())) out[label] = labelOf(value, keys);
    for (const r of new StateStore(sc.statePath, process.env.PULUMI_CONFIG_PASSPHRASE ?? "rehearsal").all()) {
        if (r.type.startsWith("github:index/actions")) out[`github ${r.urn.split("::").pop()}`] = labelOf(r.inputs.plaintextValue, keys);
    }
    return out;
}

/**
 * "At no point does a consumer hold anything but the old or the new key": every consumer now, and every write
 * a consumer received since `afterSeq` (Heroku PATCH bodies, Infisical write bodies) carried only the old or
 * the new key; other Heroku vars are intact byte for byte and no var was added or removed.
 */
export function invariantProblems(
    sc: Scenario,
    keys: { newKey: string; oldKey: string },
    afterSeq: number,
    /** Each app's var names after the first clean run: no var may appear or disappear. */
    baselineVars: Readonly<Record<string, readonly string[]>>,
): string[] {
    const problems: string[] = [];
    const allowed = (label: KeyLabel) => label === "NEW" || label === "OLD";
    for (const [where, label] of Object.entries(holders(sc, keys))) if (!allowed(label)) problems.push(`${where} holds ${label}`);
    const sb = sc.sandbox;
    for (const r of sb.heroku.server.requests.filter((x) => x.seq > afterSeq && x.method === "PATCH")) {
        for (const [name, value] of Object.entries((r.json ?? {}) as Record<string, unknown>)) {
            if (!allowed(labelOf(value, keys))) problems.push(`a PATCH ${r.path} (outcome ${r.outcome}) set ${name} to ${labelOf(value, keys)}`);
        }
    }
    for (const r of sb.infisical.server.requests.filter((x) => x.seq > afterSeq && (x.method === "PATCH" || x.method === "POST") && x.path.startsWith("/api/v3/secrets"))) {
        const value = (r.json as { secretValue?: unknown } | undefined)?.secretValue;
        if (!allowed(labelOf(value, keys))) problems.push(`an Infisical ${r.method} ${r.path} (outcome ${r.outcome}) wrote ${labelOf(value, keys)}`);
    }
    for (const app of sb.targets().herokuApps) {
        const now = sb.heroku.configVars(app);
        for (const [name, value] of Object.entries(UNRELATED_VARS)) if (now[name] !== value) problems.push(`heroku ${app} ${name} changed`);
        const expected = [...(baselineVars[app] ?? [])].sort();
        if (JSON.stringify(Object.keys(now).sort()) !== JSON.stringify(expected)) problems.push(`heroku ${app} has vars ${Object.keys(now).sort().join(",")}, expected ${expected.join(",")}`);
    }
    return problems;
}

/**
 * What a clean run leaves behind, with keys replaced by labels: where the key is held, each Heroku app's full
 * config, every resource in state with the key and fingerprint it holds, the last audit line, the new key's
 * status. Equal snapshots = the same state up to which key is current.
 */
export function convergedSnapshot(sc: Scenario, newKey: string): string[] {
    const keys = { newKey };
    const fp = (v: unknown) => (v === fingerprint(newKey) ? "NEW" : v === undefined || v === null ? "NONE" : "OTHER");
    const lines: string[] = [];
    for (const [where, label] of Object.entries(holders(sc, keys))) lines.push(`holds: ${where} = ${label}`);
    for (const app of sc.sandbox.targets().herokuApps) {
        const vars = Object.entries(sc.sandbox.heroku.configVars(app))
            .map(([k, v]) => `${k}=${k.startsWith("ANTHROPIC_API_KEY") ? labelOf(v, keys) : JSON.stringify(v)}`)
            .sort();
        lines.push(`heroku ${app}: ${vars.join(" ")}`);
    }
    for (const r of new StateStore(sc.statePath, process.env.PULUMI_CONFIG_PASSPHRASE ?? "rehearsal").all()) {
        const key = r.inputs.apiKey ?? r.inputs.plaintextValue;
        lines.push(`state: ${r.type} ${r.urn.split("::").pop()} key=${key === undefined ? "-" : labelOf(key, keys)} fingerprint=${fp(r.outputs.fingerprint ?? r.inputs.fingerprint)}`);
    }
    const last = sc.auditRecords().at(-1);
    lines.push(`audit: ${last?.action} new=${fp(last?.newFingerprint)} targets=${last?.targets.length} health=${last?.health.map((h) => h.ok).join(",")}`);
    lines.push(`anthropic: new key ${sc.sandbox.anthropic.key(newKey)?.status}`);
    return lines.sort();
}

/** The previous key is gone the way a clean rotation leaves it: deactivated, proven, recorded. */
export function previousKeyProblems(sc: Scenario, keys: { newKey: string; oldKey: string }): string[] {
    const problems: string[] = [];
    const status = sc.sandbox.anthropic.key(keys.oldKey)?.status;
    if (status !== "inactive") problems.push(`the previous key is ${status}, not inactive`);
    const last = sc.auditRecords().at(-1);
    if (last?.action !== "secret.rotate.completed") problems.push(`the last audit line is ${last?.action}`);
    if (last?.oldFingerprint !== fingerprint(keys.oldKey)) problems.push(`the last audit line's oldFingerprint is not the previous key's`);
    if (last?.newFingerprint !== fingerprint(keys.newKey)) problems.push(`the last audit line's newFingerprint is not the new key's`);
    if (!/deactivated apikey_\w+.*401 proven|already inactive.*401 proven/.test(String(last?.revocation?.result))) {
        problems.push(`the audit line does not record the deactivation and its 401 proof (${last?.revocation?.result})`);
    }
    return problems;
}

// ---------------------------------------------------------------- the table

export function formatTable(cells: readonly Cell[]): string {
    const header = ["call", "fault", "outcome", "attempts", "call s", "run s"];
    const rows = cells.map((c) => [CALLS.find((x) => x.id === c.call)?.label ?? c.call, c.fault, `${c.passed ? "PASS" : "FAIL"} ${c.outcome}`, c.attempts, c.callSeconds.toFixed(1), c.runSeconds]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: string[]) => r.map((v, i) => v.padEnd(widths[i]!)).join("  ").trimEnd();
    const out = [line(header), widths.map((w) => "-".repeat(w)).join("  ")];
    let previous = "";
    for (const r of rows) {
        if (previous && r[0] !== previous) out.push("");
        previous = r[0]!;
        out.push(line(r));
    }
    const passed = cells.filter((c) => c.passed).length;
    out.push("", `fault matrix: ${passed} passed, ${cells.length - passed} failed (of ${cells.length})`);
    for (const c of cells.filter((x) => !x.passed)) out.push(`  ${c.call} × ${c.fault}: ${c.problems.join("; ")}`);
    return out.join("\n");
}
