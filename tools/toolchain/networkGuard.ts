/**
 * Catches any attempt of the Pulumi CLI (and the Go plugins it starts) to reach an address other than
 * loopback. The CLI runs with HTTP_PROXY/HTTPS_PROXY pointing here and NO_PROXY covering loopback, so a plugin
 * download, an update check or a provider talking to a real API arrives at this server instead of the network;
 * it is recorded and refused.
 */
import * as http from "http";
import type { AddressInfo } from "net";

export interface BlockedAttempt {
    readonly method: string;
    /** host:port for CONNECT (HTTPS), the absolute URL for plain HTTP. */
    readonly target: string;
}

export class NetworkGuard {
    readonly attempts: BlockedAttempt[] = [];
    private server: http.Server | undefined;
    private port = 0;

    async start(): Promise<void> {
        const server = http.createServer((req, res) => {
            this.attempts.push({ method: req.method ?? "GET", target: req.url ?? "" });
            res.writeHead(403, { "content-type": "text/plain" }).end("blocked by the test network guard: only 127.0.0.1 may be reached");
        });
        server.on("connect", (req: http.IncomingMessage, socket) => {
            this.attempts.push({ method: "CONNECT", target: req.url ?? "" });
            socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        this.server = server;
        this.port = (server.address() as AddressInfo).port;
    }

    /** Environment for a child process: every non-loopback HTTP(S) request goes to the guard. */
    env(): Record<string, string> {
        const proxy = `http://127.0.0.1:${this.port}`;
        const noProxy = "127.0.0.1,localhost,::1";
        return { HTTP_PROXY: proxy, HTTPS_PROXY: proxy, http_proxy: proxy, https_proxy: proxy, NO_PROXY: noProxy, no_proxy: noProxy };
    }

    async stop(): Promise<void> {
        const server = this.server;
        this.server = undefined;
        if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    }
}
