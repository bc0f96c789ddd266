import { EmulatorRequest, EmulatorResponse, FaultRule, LoopbackServer, RecordedRequest } from "./loopbackServer";

/**
 * A loopback emulator of consumer health endpoints (the SOP's `GET /api/agents/health`, expecting
 * `{"anthropic":{"ok":true,…}}`). Each path answers from a script: a list of steps consumed one per request,
 * the last one repeating. A step is a response (status, body, headers), `{ hang: true }` (never answers;
 * the client's timeout must fire) or `{ delayMs, then }`. Unscripted paths answer 404.
 * Drops and other raw faults come from LoopbackServer.injectFault.
 */

export type HealthStep =
    | { readonly status: number; readonly body?: unknown; readonly headers?: Readonly<Record<string, string>> }
    | { readonly hang: true }
    | { readonly delayMs: number; readonly then: { readonly status: number; readonly body?: unknown } };

export const HEALTHY_BODY = { anthropic: { ok: true, model: "claude-haiku-4-5" }, status: "ok" };
export const UNHEALTHY_BODY = { anthropic: { ok: false, error: "authentication_error: invalid x-api-key" }, status: "degraded" };

interface Script {
    steps: HealthStep[];
    served: number;
}

export class HealthEmulator {
    readonly server: LoopbackServer;
    private readonly scripts = new Map<string, Script>();

    constructor(name = "health") {
        this.server = new LoopbackServer(name, (req) => this.handle(req));
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

    /** Full URL of a path on this emulator. */
    at(path: string): string {
        return `${this.url}${path}`;
    }

    /** Replaces the path's script. Steps are served in order; the last one repeats forever. */
    script(path: string, ...steps: HealthStep[]): void {
        if (steps.length === 0) throw new Error("a script needs at least one step");
        this.scripts.set(path, { steps, served: 0 });
    }

    /** Always 200 with the SOP's healthy body (or the given one). */
    healthy(path: string, body: unknown = HEALTHY_BODY): void {
        this.script(path, { status: 200, body });
    }

    /** `times` unhealthy answers (default 503 with an unhealthy body), then healthy. */
    unhealthyThenHealthy(path: string, times: number, unhealthy: HealthStep = { status: 503, body: UNHEALTHY_BODY }, body: unknown = HEALTHY_BODY): void {
        this.script(path, ...Array.from({ length: times }, () => unhealthy), { status: 200, body });
    }

    /** How many requests the path's script answered (or left hanging); injected faults are not counted. */
    hits(path: string): number {
        return this.scripts.get(path)?.served ?? 0;
    }

    injectFault(rule: FaultRule): void {
        this.server.injectFault(rule);
    }

    clear(): void {
        this.scripts.clear();
        this.server.clearFaults();
        this.server.requests.length = 0;
    }

    private async handle(req: EmulatorRequest): Promise<EmulatorResponse> {
        const script = this.scripts.get(req.path);
        if (!script) return { status: 404, body: { error: `no health endpoint at ${req.path}` } };
        if (req.method !== "GET") return { status: 405, body: { error: "GET only" } };
        const step = script.steps[Math.min(script.served, script.steps.length - 1)]!;
        script.served += 1;
        if ("hang" in step) return new Promise<EmulatorResponse>(() => undefined);
        if ("delayMs" in step) {
            await new Promise((resolve) => setTimeout(resolve, step.delayMs));
            return { status: step.then.status, body: step.then.body };
        }
        return { status: step.status, body: step.body, headers: step.headers };
    }
}
