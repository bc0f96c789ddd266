import { createServer, IncomingMessage, Server, ServerResponse } from "http";
import { AddressInfo, Socket } from "net";

/**
 * The base of every API emulator: an HTTP server on 127.0.0.1 with a request log, an emulated per-call
 * latency and fault injection (status codes with headers, delays, hangs, dropped connections). Emulators
 * add their routes as a handler. Faults and the log can also be driven over HTTP (`/__emulator/…`) so an
 * emulator can be controlled from another process.
 */

export interface EmulatorRequest {
    readonly method: string;
    /** Path without the query string. */
    readonly path: string;
    readonly query: URLSearchParams;
    /** Lower-cased header names. */
    readonly headers: Readonly<Record<string, string>>;
    readonly body: string;
    /** The body parsed as JSON, when it is JSON. */
    readonly json: unknown;
}

export interface EmulatorResponse {
    readonly status: number;
    readonly headers?: Readonly<Record<string, string>>;
    /** Objects are sent as JSON. */
    readonly body?: unknown;
}

export interface RecordedRequest extends EmulatorRequest {
    readonly at: number;
    /** Sequence number across every emulator in the process: proves cross-service ordering. */
    readonly seq: number;
    readonly emulator: string;
    /** The status sent, or "dropped" / "hung". */
    readonly outcome: number | "dropped" | "hung";
}

export type Fault =
    | { readonly kind: "status"; readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: unknown }
    | { readonly kind: "drop" }
    | { readonly kind: "hang" }
    | { readonly kind: "delay"; readonly ms: number };

export interface FaultRule {
    readonly method?: string;
    /** Exact path, or a regular expression source when it starts with `^`. */
    readonly path?: string;
    /**
     * Only requests carrying these header values (names in lower case), e.g. `{ "x-api-key": key }`: a fault meant
     * for one caller's requests is not taken by another caller's request to the same path that happens to come first.
     */
    readonly headers?: Readonly<Record<string, string>>;
    /**
     * Only requests whose JSON body has these top-level values, e.g. `{ status: "active" }`: a fault meant for a
     * reactivation is not taken by the deactivation that posts to the same path before it.
     */
    readonly json?: Readonly<Record<string, string | number | boolean | null>>;
    readonly fault: Fault;
    /** How many matching requests it applies to (default 1). */
    readonly times?: number;
}

export type RouteHandler = (req: EmulatorRequest) => EmulatorResponse | Promise<EmulatorResponse>;

let globalSeq = 0;

export class LoopbackServer {
    readonly requests: RecordedRequest[] = [];
    /** Added before every answer, to emulate a remote API (benchmarks). */
    latencyMs = 0;
    private faults: { rule: FaultRule; left: number }[] = [];
    private server: Server | undefined;
    private readonly sockets = new Set<Socket>();
    private base = "";

    constructor(
        readonly name: string,
        private readonly handler: RouteHandler,
    ) {}

    get url(): string {
        if (!this.base) throw new Error(`${this.name} emulator is not started`);
        return this.base;
    }

    async start(port = 0): Promise<string> {
        const server = createServer((req, res) => void this.handle(req, res));
        server.on("connection", (socket) => {
            this.sockets.add(socket);
            socket.on("close", () => this.sockets.delete(socket));
        });
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(port, "127.0.0.1", () => resolve());
        });
        this.server = server;
        this.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        return this.base;
    }

    async stop(): Promise<void> {
        for (const s of this.sockets) s.destroy();
        await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
        this.server = undefined;
    }

    injectFault(rule: FaultRule): void {
        this.faults.push({ rule, left: rule.times ?? 1 });
    }

    clearFaults(): void {
        this.faults = [];
    }

    /** Requests to the emulator's API (control calls excluded), optionally filtered. */
    calls(method?: string, path?: string | RegExp): RecordedRequest[] {
        return this.requests.filter(
            (r) => (!method || r.method === method) && (!path || (typeof path === "string" ? r.path === path : path.test(r.path))),
        );
    }

    private takeFault(method: string, path: string, headers: Readonly<Record<string, string>>, json: unknown): Fault | undefined {
        const body = json && typeof json === "object" ? (json as Record<string, unknown>) : {};
        const entry = this.faults.find(
            (f) =>
                f.left > 0 &&
                (!f.rule.method || f.rule.method === method) &&
                (!f.rule.path || (f.rule.path.startsWith("^") ? new RegExp(f.rule.path).test(path) : f.rule.path === path)) &&
                Object.entries(f.rule.headers ?? {}).every(([name, value]) => headers[name.toLowerCase()] === value) &&
                Object.entries(f.rule.json ?? {}).every(([name, value]) => body[name] === value),
        );
        if (!entry) return undefined;
        entry.left -= 1;
        return entry.rule.fault;
    }

    private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const body = Buffer.concat(chunks).toString("utf8");
        const parsedUrl = new URL(req.url ?? "/", "http://127.0.0.1");
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v ?? "";
        let json: unknown;
        try {
            json = body ? JSON.parse(body) : undefined;
        } catch {
            json = undefined;
        }
        const request: EmulatorRequest = { method: req.method ?? "GET", path: parsedUrl.pathname, query: parsedUrl.searchParams, headers, body, json };

        if (request.path.startsWith("/__emulator/")) {
            this.send(res, this.control(request));
            return;
        }
        if (this.latencyMs > 0) await sleep(this.latencyMs);
        const record = (outcome: RecordedRequest["outcome"]) =>
            this.requests.push({ ...request, at: Date.now(), seq: ++globalSeq, emulator: this.name, outcome });

        const fault = this.takeFault(request.method, request.path, request.headers, request.json);
        if (fault?.kind === "drop") {
            record("dropped");
            req.socket.destroy();
            return;
        }
        if (fault?.kind === "hang") {
            record("hung");
            return; // never answers; the client's timeout must fire. stop() destroys the socket.
        }
        if (fault?.kind === "delay") await sleep(fault.ms);
        if (fault?.kind === "status") {
            record(fault.status);
            this.send(res, { status: fault.status, headers: fault.headers, body: fault.body ?? { message: `injected ${fault.status}` } });
            return;
        }
        let response: EmulatorResponse;
        try {
            response = await this.handler(request);
        } catch (err) {
            response = { status: 500, body: { message: `emulator error: ${(err as Error).message}` } };
        }
        record(response.status);
        this.send(res, response);
    }

    private control(req: EmulatorRequest): EmulatorResponse {
        if (req.path === "/__emulator/faults" && req.method === "POST") {
            this.injectFault(req.json as FaultRule);
            return { status: 204 };
        }
        if (req.path === "/__emulator/faults" && req.method === "DELETE") {
            this.clearFaults();
            return { status: 204 };
        }
        if (req.path === "/__emulator/requests" && req.method === "GET") return { status: 200, body: this.requests };
        if (req.path === "/__emulator/latency" && req.method === "POST") {
            this.latencyMs = Number((req.json as { ms?: number } | undefined)?.ms ?? 0);
            return { status: 204 };
        }
        return { status: 404, body: { message: "unknown control call" } };
    }

    private send(res: ServerResponse, response: EmulatorResponse): void {
        if (res.destroyed) return;
        const isText = typeof response.body === "string";
        const payload = response.body === undefined ? "" : isText ? (response.body as string) : JSON.stringify(response.body);
        const headers: Record<string, string> = { ...response.headers };
        if (payload && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
            headers["content-type"] = isText ? "text/plain" : "application/json";
        }
        res.writeHead(response.status, headers);
        res.end(payload);
    }
}

export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}
