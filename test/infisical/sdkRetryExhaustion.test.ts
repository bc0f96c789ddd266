import { afterAll, describe, expect, it } from "vitest";
import { InfisicalClient, InfisicalError, STEP_LOGIN, STEP_READ, STEP_WRITE } from "../../components/infisical/infisicalClient";
import { InfisicalEmulator, INFISICAL_LOGIN_PATH } from "../../offline/emulators/infisicalEmulator";
import { makeApiKey } from "../../offline/emulators/keys";
import { caught, expectNamesTarget, expectNoSecrets, location, secretsOf, startEmulator } from "./helpers";

/**
 * What happens when the SDK's own retries run out. @infisical/sdk 5.x retries 429 and connection failures
 * 4 times after about 1, 2, 4 and 8 s (±20 %), a fixed schedule that cannot be shortened from outside, so
 * each case takes about 15 s: they run concurrently, each against its own emulator, with the default
 * 60 s operation bound. They prove the attempt count is exactly the SDK's 5 (this client adds no retries
 * of its own on 429 or connection failures) and that the final error is mapped, bounded and redacted.
 */

const emulators: InfisicalEmulator[] = [];

async function fresh(): Promise<InfisicalEmulator> {
    const emu = await startEmulator();
    emulators.push(emu);
    return emu;
}

function clientFor(emu: InfisicalEmulator, siteUrl = emu.url): InfisicalClient {
    return new InfisicalClient(siteUrl, {
        env: { INFISICAL_CLIENT_ID: emu.clientId, INFISICAL_CLIENT_SECRET: emu.clientSecret },
        retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, maxTotalMs: 60_000, attemptTimeoutMs: 2_000 },
    });
}

afterAll(async () => {
    await Promise.all(emulators.map((e) => e.stop()));
});

describe.concurrent("after the SDK's own retries", () => {
    it("persistent 429 with retry-after on a secret call: exactly 5 attempts, then a rate-limit error", async () => {
        const emu = await fresh();
        emu.rateLimit({ times: 100, method: "GET", retryAfterSeconds: 30 });
        const key = makeApiKey();
        const started = Date.now();
        const err = (await caught(() => clientFor(emu).putSecret(location, key))) as InfisicalError;
        const elapsed = Date.now() - started;
        expect(err).toBeInstanceOf(InfisicalError);
        expect(err.kind).toBe("rate-limited");
        expect(err.status).toBe(429);
        expectNamesTarget(err, STEP_WRITE);
        expect(err.message).toContain("HTTP 429: Rate limit exceeded. Please try again in 30 seconds");
        expect(err.message).toContain("made 5 attempts");
        expect(emu.calls("GET").map((r) => r.outcome)).toEqual([429, 429, 429, 429, 429]);
        expect(emu.calls("POST", /secrets/)).toHaveLength(0);
        // 1 + 2 + 4 + 8 s ± 20 %, never the 4 × 30 s the server asked for.
        expect(elapsed).toBeGreaterThan(11_000);
        expect(elapsed).toBeLessThan(25_000);
        expectNoSecrets(err, secretsOf(emu, key));
    });

    it("persistent 429 without retry-after on login: exactly 5 login attempts, then a rate-limit error", async () => {
        const emu = await fresh();
        emu.rateLimit({ times: 100, path: INFISICAL_LOGIN_PATH, retryAfterSeconds: null });
        const err = (await caught(() => clientFor(emu).getSecret(location))) as InfisicalError;
        expect(err.kind).toBe("rate-limited");
        expectNamesTarget(err, STEP_LOGIN);
        expect(err.message).toContain("while logging in");
        expect(emu.loginCalls()).toHaveLength(5);
        expect(emu.secretCalls()).toHaveLength(0);
        expectNoSecrets(err, secretsOf(emu));
    });

    it("dropped connections on every attempt: exactly 5 attempts, then 'no answer' naming the site", async () => {
        const emu = await fresh();
        emu.injectFault({ path: "^/api/v3/secrets/raw/", fault: { kind: "drop" }, times: 100 });
        const err = (await caught(() => clientFor(emu).getSecret(location))) as InfisicalError;
        expect(err.kind).toBe("unreachable");
        expectNamesTarget(err, STEP_READ);
        expect(err.message).toContain(`no answer from Infisical at ${emu.url} while reading the secret`);
        expect(err.message).toContain("connection failed on each of the SDK's 5 attempts");
        expect(emu.secretCalls().map((r) => r.outcome)).toEqual(["dropped", "dropped", "dropped", "dropped", "dropped"]);
        expectNoSecrets(err, secretsOf(emu));
    });

    it("nothing listening at siteUrl: 'no answer' after the SDK's attempts", async () => {
        const emu = await fresh();
        const url = emu.url;
        await emu.stop();
        const err = (await caught(() => clientFor(emu, url).putSecret(location, makeApiKey()))) as InfisicalError;
        expect(err.kind).toBe("unreachable");
        expectNamesTarget(err, STEP_LOGIN);
        expect(err.message).toContain("check siteUrl");
    });
});
