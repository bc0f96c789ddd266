import { randomBytes, randomUUID } from "crypto";
import { EmulatorRequest, EmulatorResponse, FaultRule, LoopbackServer, RecordedRequest } from "./loopbackServer";

/**
 * A loopback emulator of the parts of Heroku's Platform API v3 the rotation uses (api-contracts.md):
 * the token's account (`GET /account`), apps with config vars, merge-PATCH of config vars creating a release per change, the releases list with
 * its Range header, the dynos list (each dyno on a release; after a release succeeds the dynos move to it,
 * optionally only after `dynoLag` observations, as Preboot keeps old dynos serving), token checks,
 * 404/406/422 errors, `RateLimit-Remaining` and `Request-Id` headers.
 * Faults (429, 5xx, hangs, drops) come from LoopbackServer.injectFault.
 */

export type EmulatedReleaseStatus = "pending" | "succeeded" | "failed" | "expired";

export interface EmulatedRelease {
    readonly id: string;
    readonly version: number;
    /** The statuses this release shows on successive observations; the last one sticks. */
    readonly plan: readonly EmulatedReleaseStatus[];
    observations: number;
    readonly created_at: string;
    readonly description: string;
    /** True for releases created through the API (config changes), false for seeded history. */
    readonly fromApi: boolean;
}

export interface EmulatedDyno {
    readonly name: string;
    readonly type: string;
    releaseVersion: number;
    updatedAt: string;
    /** Observations left before it moves to the current release (set when it falls behind). */
    lagLeft?: number;
}

export interface EmulatedApp {
    readonly id: string;
    readonly name: string;
    /** `web.1` and `worker.1` by default. */
    readonly dynos: EmulatedDyno[];
    /** How many dyno-list observations a dyno keeps an older release after a newer one succeeded (default 0). */
    dynoLag: number;
    configVars: Record<string, string>;
    readonly releases: EmulatedRelease[];
    /** Status plan for releases created from now on (overrides the emulator's default). */
    releasePlan?: readonly EmulatedReleaseStatus[];
    /** 403 `forbidden` for every call: the token's user is not a collaborator. */
    forbidden: boolean;
    /** 403 `suspended`. */
    suspended: boolean;
    /** 402 `delinquent`. */
    delinquent: boolean;
}

export interface HerokuEmulatorOptions {
    /** Accepted bearer token; default a random `HRKU-…` string (a canary for leak checks). */
    readonly token?: string;
    /** Status plan for new releases; default pending then succeeded. */
    readonly releasePlan?: readonly EmulatedReleaseStatus[];
    /** Whether a PATCH that changes nothing still creates a release (default true, the conservative reading). */
    readonly releaseOnNoopPatch?: boolean;
    /** Starting value of `RateLimit-Remaining` (default 4500). */
    readonly rateLimit?: number;
}

const ACCEPT = "application/vnd.heroku+json; version=3";

export class HerokuEmulator {
    readonly server: LoopbackServer;
    token: string;
    releasePlan: readonly EmulatedReleaseStatus[];
    releaseOnNoopPatch: boolean;
    rateLimitRemaining: number;
    private readonly apps = new Map<string, EmulatedApp>();

    constructor(options: HerokuEmulatorOptions = {}) {
        this.token = options.token ?? `HRKU-${randomBytes(30).toString("hex")}`;
        this.releasePlan = options.releasePlan ?? ["pending", "succeeded"];
        this.releaseOnNoopPatch = options.releaseOnNoopPatch ?? true;
        this.rateLimitRemaining = options.rateLimit ?? 4500;
        this.server = new LoopbackServer("heroku", (req) => this.handle(req));
    }

    start(): Promise<string> {
        return this.server.start();
    }

    stop(): Promise<void> {
        return this.server.stop();
    }

    get url(): string {
        return this.server.url;
    }

    get requests(): RecordedRequest[] {
        return this.server.requests;
    }

    calls(method?: string, path?: string | RegExp): RecordedRequest[] {
        return this.server.calls(method, path);
    }

    injectFault(rule: FaultRule): void {
        this.server.injectFault(rule);
    }

    clearFaults(): void {
        this.server.clearFaults();
    }

    /** Creates (or replaces) an app with the given config vars and `history` succeeded releases (default 10). */
    seedApp(name: string, configVars: Record<string, string> = {}, history = 10): EmulatedApp {
        const app: EmulatedApp = {
            id: randomUUID(),
            name,
            configVars: { ...configVars },
            releases: [],
            dynos: [],
            dynoLag: 0,
            forbidden: false,
            suspended: false,
            delinquent: false,
        };
        for (let v = 1; v <= history; v++) {
            app.releases.push(makeRelease(v, ["succeeded"], v === 1 ? "Initial release" : `Deploy ${v}`, false));
        }
        for (const dyno of ["web.1", "worker.1"]) {
            app.dynos.push({ name: dyno, type: dyno.split(".")[0]!, releaseVersion: history, updatedAt: new Date().toISOString() });
        }
        this.apps.set(name, app);
        return app;
    }

    app(name: string): EmulatedApp {
        const app = this.apps.get(name);
        if (!app) throw new Error(`no emulated heroku app ${name}`);
        return app;
    }

    /** A copy of the app's config vars as they are now. */
    configVars(name: string): Record<string, string> {
        return { ...this.app(name).configVars };
    }

    /** Releases created through the API (config changes) since the app was seeded. */
    releaseCount(name: string): number {
        return this.app(name).releases.filter((r) => r.fromApi).length;
    }

    latestVersion(name: string): number {
        const releases = this.app(name).releases;
        return releases.length === 0 ? 0 : releases[releases.length - 1]!.version;
    }

    /** Change a var "from the dashboard" (a release, like the real thing, but not counted as a request). */
    setConfigVarOutOfBand(name: string, varName: string, value: string | null): void {
        const app = this.app(name);
        const next = { ...app.configVars };
        if (value === null) delete next[varName];
        else next[varName] = value;
        app.configVars = next;
        app.releases.push(makeRelease(this.latestVersion(name) + 1, ["succeeded"], `Set ${varName} config vars`, false));
    }

    /** Bodies of the PATCH calls that reached the app's config vars (they hold secrets: test use only). */
    patches(name: string): Record<string, string | null>[] {
        return this.calls("PATCH", `/apps/${name}/config-vars`)
            .filter((r) => typeof r.outcome === "number" && r.outcome === 200)
            .map((r) => r.json as Record<string, string | null>);
    }

    private handle(req: EmulatorRequest): EmulatorResponse {
        this.rateLimitRemaining = Math.max(0, this.rateLimitRemaining - 1);
        const headers = { "RateLimit-Remaining": String(this.rateLimitRemaining), "Request-Id": randomUUID() };
        const reply = (status: number, body: unknown, extra: Record<string, string> = {}): EmulatorResponse => ({
            status,
            headers: { ...headers, ...extra },
            body,
        });
        const error = (status: number, id: string, message: string) => reply(status, { id, message, url: "https://devcenter.heroku.com/articles/platform-api-reference#clients" });

        if (!(req.headers["accept"] ?? "").split(",").some((a) => a.trim().replace(/\s+/g, " ") === ACCEPT)) {
            return error(406, "not_acceptable", "Please specify a version along with Heroku's API MIME type. For example, `Accept: application/vnd.heroku+json; version=3`.");
        }
        const auth = req.headers["authorization"] ?? "";
        if (!auth) {
            return error(401, "unauthorized", "There were no credentials in your `Authorization` header. Try `Authorization: Bearer <OAuth access token>`.");
        }
        if (auth !== `Bearer ${this.token}`) return error(401, "unauthorized", "Invalid credentials provided.");

        // The token's own account (the credential preflight's first call).
        if (req.path === "/account" && req.method === "GET") return reply(200, { id: "01234567-89ab-cdef-0123-456789abcdef", email: "rotation-bot@example.com" });

        const m = /^\/apps\/([^/]+)(\/config-vars|\/dynos|\/releases(?:\/([^/]+))?)?$/.exec(req.path);
        if (!m) return error(404, "not_found", "The requested API endpoint was not found. Are you using the right HTTP verb (i.e. `GET` vs. `POST`), and did you specify your intended version with the `Accept` header?");
        const app = this.apps.get(decodeURIComponent(m[1]!));
        if (!app) return error(404, "not_found", "Couldn't find that app.");
        if (app.forbidden) return error(403, "forbidden", `You do not have access to the app ${app.name}.`);
        if (app.suspended) return error(403, "suspended", "This app is suspended.");
        if (app.delinquent) return error(402, "delinquent", "This account is delinquent. Please update your payment information.");

        const sub = m[2] ?? "";
        if (sub === "" && req.method === "GET") {
            return reply(200, { id: app.id, name: app.name, web_url: `https://${app.name}.herokuapp.com/` });
        }
        if (sub === "/config-vars" && req.method === "GET") return reply(200, { ...app.configVars });
        if (sub === "/config-vars" && req.method === "PATCH") return this.patch(app, req, reply, error);
        if (sub === "/releases" && req.method === "GET") return this.listReleases(app, req.headers["range"], reply, error);
        if (sub === "/dynos" && req.method === "GET") return reply(200, this.renderDynos(app));
        if (sub.startsWith("/releases/") && req.method === "GET") {
            const key = decodeURIComponent(m[3]!);
            const release = app.releases.find((r) => r.id === key || String(r.version) === key);
            if (!release) return error(404, "not_found", "Couldn't find that release.");
            return reply(200, this.render(app, [release])[0]);
        }
        return error(405, "method_not_allowed", `${req.method} is not allowed here.`);
    }

    private patch(
        app: EmulatedApp,
        req: EmulatorRequest,
        reply: (status: number, body: unknown) => EmulatorResponse,
        error: (status: number, id: string, message: string) => EmulatorResponse,
    ): EmulatorResponse {
        const body = req.json;
        if (!body || typeof body !== "object" || Array.isArray(body)) return error(422, "invalid_params", "Request body must be a JSON object of config vars.");
        const entries = Object.entries(body as Record<string, unknown>);
        const badNames = entries.map(([k]) => k).filter((k) => !/^\w+$/.test(k));
        if (badNames.length > 0) return error(422, "invalid_params", `Invalid config var names: ${badNames.join(", ")}.`);
        const badValues = entries.filter(([, v]) => v !== null && typeof v !== "string").map(([k]) => k);
        if (badValues.length > 0) return error(422, "invalid_params", `Config var values must be strings: ${badValues.join(", ")}.`);
        const next = { ...app.configVars };
        for (const [k, v] of entries) {
            if (v === null) delete next[k];
            else next[k] = v as string;
        }
        const changed = JSON.stringify(sortedEntries(next)) !== JSON.stringify(sortedEntries(app.configVars));
        app.configVars = next;
        if (entries.length > 0 && (changed || this.releaseOnNoopPatch)) {
            const set = entries.filter(([, v]) => v !== null).map(([k]) => k);
            const removed = entries.filter(([, v]) => v === null).map(([k]) => k);
            const description = [set.length ? `Set ${set.join(", ")}` : "", removed.length ? `Remove ${removed.join(", ")}` : ""].filter(Boolean).join(", ") + " config vars";
            app.releases.push(makeRelease(this.latestVersion(app.name) + 1, app.releasePlan ?? this.releasePlan, description, true));
        }
        return reply(200, { ...app.configVars });
    }

    private listReleases(
        app: EmulatedApp,
        range: string | undefined,
        reply: (status: number, body: unknown, extra?: Record<string, string>) => EmulatorResponse,
        error: (status: number, id: string, message: string) => EmulatorResponse,
    ): EmulatorResponse {
        const parsed = parseRange(range ?? "version ..");
        if (!parsed) return error(400, "bad_request", "Invalid Range header. Use e.g. `Range: version ..; order=desc, max=10`.");
        let list = app.releases.filter((r) => (parsed.start === undefined || r.version >= parsed.start) && (parsed.end === undefined || r.version <= parsed.end));
        list = [...list].sort((a, b) => (parsed.order === "desc" ? b.version - a.version : a.version - b.version));
        const page = list.slice(0, parsed.max);
        const body = this.render(app, page);
        if (page.length < list.length) {
            const next = list[page.length]!;
            return reply(206, body, {
                "Content-Range": `version ${page[0]!.version}..${page[page.length - 1]!.version}`,
                "Next-Range": `version ${parsed.order === "desc" ? `..${next.version}` : `${next.version}..`}; order=${parsed.order}, max=${parsed.max}`,
            });
        }
        return reply(200, body);
    }

    /**
     * The dynos as the API shows them now: each on its release; a dyno behind the current (newest succeeded)
     * release moves to it once its lag is used up (one observation per list).
     */
    private renderDynos(app: EmulatedApp): Record<string, unknown>[] {
        const current = [...app.releases].reverse().find((r) => statusOf(r) === "succeeded");
        const shown = app.dynos.map((d) => {
            if (current && d.releaseVersion < current.version) {
                if (d.lagLeft === undefined) d.lagLeft = app.dynoLag;
                if (d.lagLeft <= 0) {
                    d.releaseVersion = current.version;
                    d.updatedAt = new Date().toISOString();
                    d.lagLeft = undefined;
                } else {
                    d.lagLeft -= 1;
                }
            }
            const release = app.releases.find((r) => r.version === d.releaseVersion);
            return {
                id: `${app.id}-${d.name}`,
                name: d.name,
                type: d.type,
                state: "up",
                updated_at: d.updatedAt,
                release: { id: release?.id ?? "", version: d.releaseVersion },
                app: { id: app.id, name: app.name },
            };
        });
        return shown;
    }

    /**
     * The releases as the API shows them now (one consistent snapshot: statuses and `current` are computed
     * before anything moves); then each shown release advances one step along its status plan.
     */
    private render(app: EmulatedApp, releases: readonly EmulatedRelease[]): Record<string, unknown>[] {
        const current = [...app.releases].reverse().find((r) => statusOf(r) === "succeeded");
        const shown = releases.map((release) => ({
            id: release.id,
            version: release.version,
            status: statusOf(release),
            current: current?.id === release.id,
            created_at: release.created_at,
            updated_at: release.created_at,
            description: release.description,
            app: { id: app.id, name: app.name },
            user: { id: "00000000-0000-0000-0000-000000000001", email: "operator@example.com" },
        }));
        for (const release of releases) release.observations += 1;
        return shown;
    }
}

function statusOf(release: EmulatedRelease): EmulatedReleaseStatus {
    return release.plan[Math.min(release.observations, release.plan.length - 1)]!;
}

function makeRelease(version: number, plan: readonly EmulatedReleaseStatus[], description: string, fromApi: boolean): EmulatedRelease {
    return { id: randomUUID(), version, plan: plan.length ? plan : ["succeeded"], observations: 0, created_at: new Date().toISOString(), description, fromApi };
}

function sortedEntries(vars: Record<string, string>): [string, string][] {
    return Object.entries(vars).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

interface ParsedRange {
    readonly start?: number;
    readonly end?: number;
    readonly order: "asc" | "desc";
    readonly max: number;
}

/** Parses `version [start]..[end][; order=asc|desc][, max=N]` (Heroku's list Range header). */
export function parseRange(header: string): ParsedRange | undefined {
    const m = /^\s*version\s+(\d*)\s*\.\.\s*(\d*)\s*(?:;\s*(.*))?$/.exec(header);
    if (!m) return undefined;
    let order: "asc" | "desc" = "asc";
    let max = 200;
    for (const part of (m[3] ?? "").split(/[;,]/).map((p) => p.trim()).filter(Boolean)) {
        const [k, v] = part.split("=").map((s) => s.trim());
        if (k === "order" && (v === "asc" || v === "desc")) order = v;
        else if (k === "max" && v !== undefined && /^\d+$/.test(v) && Number(v) >= 1) max = Math.min(1000, Number(v));
        else return undefined;
    }
    return {
        ...(m[1] ? { start: Number(m[1]) } : {}),
        ...(m[2] ? { end: Number(m[2]) } : {}),
        order,
        max,
    };
}
