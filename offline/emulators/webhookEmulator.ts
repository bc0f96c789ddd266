import { randomBytes } from "crypto";
import { createServer } from "net";
import { EmulatorRequest, EmulatorResponse, Fault, LoopbackServer, RecordedRequest } from "./loopbackServer";

/**
 * Discord and Slack incoming webhooks on 127.0.0.1, for the notification tests: each webhook is a URL with a
 * random token in its path, as the real ones are (Discord `/api/webhooks/<id>/<token>`, answering 204; Slack
 * `/services/T…/B…/<token>`, answering 200 `ok`). Every request is recorded; faults are scripted per webhook: a
 * 429 with retry-after, a 5xx, a hang or a dropped connection, and `deadUrl()` gives a URL nothing listens on
 * (connection refused). An unknown token is a 404, an empty message a 400, as the vendors answer.
 */

export type WebhookFormat = "discord" | "slack";

export interface Delivery {
    readonly format: WebhookFormat;
    /** The webhook's name in this emulator (never its token). */
    readonly name: string;
    readonly body: unknown;
}

interface Hook {
    readonly format: WebhookFormat;
    readonly name: string;
    readonly path: string;
}

export class WebhookEmulator {
    readonly server: LoopbackServer;
    private readonly hooks = new Map<string, Hook>();
    readonly deliveries: Delivery[] = [];

    private constructor() {
        this.server = new LoopbackServer("webhook", (req) => this.handle(req));
    }

    static async start(): Promise<WebhookEmulator> {
        const emulator = new WebhookEmulator();
        await emulator.server.start();
        return emulator;
    }

    stop(): Promise<void> {
        return this.server.stop();
    }

    /** A new Discord webhook's URL (its token is random and secret). */
    discordUrl(name = "discord"): string {
        const path = `/api/webhooks/${100000 + this.hooks.size}/${token()}`;
        this.hooks.set(path, { format: "discord", name, path });
        return `${this.server.url}${path}`;
    }

    /** A new Slack webhook's URL (its token is random and secret). */
    slackUrl(name = "slack"): string {
        const path = `/services/T0AKR${this.hooks.size}/B0AKR${this.hooks.size}/${token()}`;
        this.hooks.set(path, { format: "slack", name, path });
        return `${this.server.url}${path}`;
    }

    /** Every URL path handed out: the tokens a leak scan must never find. */
    secrets(): string[] {
        return [...this.hooks.keys()].flatMap((p) => [p, p.split("/").pop()!]);
    }

    /** The next `times` requests to this webhook answer 429 with `retry-after` (seconds) and Discord's body. */
    rateLimit(url: string, retryAfterSeconds: number, times = 1): void {
        this.fault(url, { kind: "status", status: 429, headers: { "retry-after": String(retryAfterSeconds) }, body: { message: "You are being rate limited.", retry_after: retryAfterSeconds, global: false } }, times);
    }

    /** The next `times` requests answer `status` (e.g. 500, 503). */
    failWith(url: string, status: number, times = 1): void {
        this.fault(url, { kind: "status", status }, times);
    }

    /** The next `times` requests never get an answer. */
    hang(url: string, times = 1): void {
        this.fault(url, { kind: "hang" }, times);
    }

    /** The next `times` requests lose their connection. */
    drop(url: string, times = 1): void {
        this.fault(url, { kind: "drop" }, times);
    }

    /** Requests that reached this webhook, whatever the answer. */
    requestsTo(url: string): RecordedRequest[] {
        const path = new URL(url).pathname;
        return this.server.requests.filter((r) => r.path === path);
    }

    /** The messages this webhook accepted. */
    deliveredTo(url: string): Delivery[] {
        const hook = this.hooks.get(new URL(url).pathname);
        return hook ? this.deliveries.filter((d) => d.name === hook.name && d.format === hook.format) : [];
    }

    private fault(url: string, fault: Fault, times: number): void {
        this.server.injectFault({ method: "POST", path: new URL(url).pathname, fault, times });
    }

    private handle(req: EmulatorRequest): EmulatorResponse {
        const hook = this.hooks.get(req.path);
        if (!hook) return { status: 404, body: { message: "Unknown Webhook", code: 10015 } };
        if (req.method !== "POST") return { status: 405, body: { message: "405: Method Not Allowed", code: 0 } };
        const body = req.json && typeof req.json === "object" ? (req.json as Record<string, unknown>) : undefined;
        if (hook.format === "discord") {
            const embeds = Array.isArray(body?.embeds) ? body.embeds : [];
            if (!body || (typeof body.content !== "string" && embeds.length === 0)) return { status: 400, body: { message: "Cannot send an empty message", code: 50006 } };
            this.deliveries.push({ format: "discord", name: hook.name, body });
            return { status: 204 };
        }
        if (!body || (typeof body.text !== "string" && !Array.isArray(body.blocks))) return { status: 400, body: "no_text" };
        this.deliveries.push({ format: "slack", name: hook.name, body });
        return { status: 200, body: "ok" };
    }
}

/** A webhook URL on a loopback port nothing listens on: every attempt is refused. */
export async function deadWebhookUrl(format: WebhookFormat = "discord"): Promise<string> {
    const port = await new Promise<number>((resolve, reject) => {
        const probe = createServer();
        probe.once("error", reject);
        probe.listen(0, "127.0.0.1", () => {
            const address = probe.address();
            const free = typeof address === "object" && address ? address.port : 0;
            probe.close(() => resolve(free));
        });
    });
    const path = format === "discord" ? `/api/webhooks/999999/${token()}` : `/services/T0DEAD/B0DEAD/${token()}`;
    return `http://127.0.0.1:${port}${path}`;
}

function token(): string {
    return randomBytes(24).toString("base64url");
}
