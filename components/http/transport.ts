/**
 * The transport rule for every URL the key, a token or a credential is sent to (`endpoints.*`, Infisical
 * `siteUrl`, health checks, the status tool's Admin API URL): HTTPS, or plain HTTP only to this machine's
 * loopback interface (the emulators of `npm run rehearse` and the tests), and never credentials in the URL
 * itself. A URL with `user:password@` would put that password in the stack file, in state, in every log line
 * that prints the URL and in a Basic `Authorization` header next to the key.
 *
 * Messages never quote the URL's user-info or path, only its scheme and host, so they are safe to print.
 */

/** What is wrong with a URL, and how to fix it. Never holds a secret. */
export interface TransportProblem {
    readonly message: string;
    readonly fix: string;
}

export const LOOPBACK_HOSTS_TEXT = "127.0.0.0/8, localhost or [::1]";

/**
 * Whether a WHATWG URL `hostname` is this machine's loopback interface: an IPv4 address in 127.0.0.0/8 (the
 * URL parser already turned `127.1` or `0x7f.0.0.1` into dotted quads), `localhost`, or the IPv6 `[::1]`.
 */
export function isLoopbackHost(hostname: string): boolean {
    const host = hostname.toLowerCase();
    if (host === "localhost" || host === "[::1]") return true;
    const quad = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
    return quad !== null && quad[1] === "127" && quad.slice(2).every((p) => Number(p) <= 255);
}

/** The problem with sending a key or a token to `text`, or undefined when the URL is fine. */
export function transportProblem(text: string): TransportProblem | undefined {
    let url: URL;
    try {
        url = new URL(text.trim());
    } catch {
        return { message: "is not a URL", fix: "write a full https URL, e.g. https://api.anthropic.com" };
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
        return { message: `must be an https URL (got ${url.protocol}//)`, fix: `use https://${url.host || "<host>"}` };
    }
    if (url.username !== "" || url.password !== "") {
        return {
            message: "embeds credentials (user:password@) in the URL, where they would be stored in the stack file and in state, and printed with the URL",
            fix: `remove the user:password@ part (https://${url.host}/…); credentials come from the environment at run time (README: Credentials), and a leaked password there must be changed`,
        };
    }
    if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
        return {
            message: `uses http:// to ${url.host}, which would send the key or a token in clear text; plain http is allowed only to loopback addresses (${LOOPBACK_HOSTS_TEXT})`,
            fix: `use https://${url.host}${url.pathname === "/" ? "" : "/…"} (a proxy or GitHub Enterprise Server must serve TLS)`,
        };
    }
    return undefined;
}
