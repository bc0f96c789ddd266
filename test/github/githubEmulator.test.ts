import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GithubEmulator } from "../../offline/emulators/githubEmulator";
import { makeApiKey } from "../../offline/emulators/keys";

/**
 * The GitHub emulator stands in for the API that @pulumi/github (and `gh secret set`) talk to on the
 * `pulumi up` path with a real CLI. This proves it behaves like GitHub for what we rely on: public keys,
 * sealed-box PUTs opened to the exact value, metadata without the value, name rules, auth and 404s.
 */

interface Sodium {
    ready: Promise<void>;
    crypto_box_seal(m: Uint8Array, pk: Uint8Array): Uint8Array;
    from_string(s: string): Uint8Array;
    from_base64(s: string, v: number): Uint8Array;
    to_base64(d: Uint8Array, v: number): string;
    base64_variants: { ORIGINAL: number };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sodium = require("libsodium-wrappers") as Sodium;

const gh = new GithubEmulator();
const auth = { authorization: `Bearer ${gh.token}`, accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28" };

async function seal(path: string, value: string): Promise<{ encrypted_value: string; key_id: string }> {
    const res = await fetch(`${gh.url}${path}/public-key`, { headers: auth });
    const { key, key_id } = (await res.json()) as { key: string; key_id: string };
    const sealed = sodium.crypto_box_seal(sodium.from_string(value), sodium.from_base64(key, sodium.base64_variants.ORIGINAL));
    return { encrypted_value: sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL), key_id };
}

beforeAll(async () => {
    await sodium.ready;
    await gh.start();
    gh.addRepository("raxx-app/agents");
});
afterAll(() => gh.stop());

describe("GitHub emulator", () => {
    it("opens a sealed repository secret to the exact value, and never returns it", async () => {
        const key = makeApiKey();
        const body = await seal("/repos/raxx-app/agents/actions/secrets", key);
        const put = await fetch(`${gh.url}/repos/raxx-app/agents/actions/secrets/ANTHROPIC_API_KEY`, { method: "PUT", headers: auth, body: JSON.stringify(body) });
        expect(put.status).toBe(201);
        expect(gh.secret("repo:raxx-app/agents", "ANTHROPIC_API_KEY")?.value).toBe(key);
        const again = await fetch(`${gh.url}/repos/raxx-app/agents/actions/secrets/ANTHROPIC_API_KEY`, { method: "PUT", headers: auth, body: JSON.stringify(await seal("/repos/raxx-app/agents/actions/secrets", key)) });
        expect(again.status).toBe(204);
        const meta = await fetch(`${gh.url}/repos/raxx-app/agents/actions/secrets/ANTHROPIC_API_KEY`, { headers: auth });
        const text = await meta.text();
        expect(JSON.parse(text)).toMatchObject({ name: "ANTHROPIC_API_KEY" });
        expect(text).not.toContain(key);
    });

    it("serves environment secrets under both the current and the repository-id paths (Enterprise prefix too)", async () => {
        const id = gh.addRepository("raxx-app/agents");
        const body = await seal(`/api/v3/repositories/${id}/environments/staging/secrets`, "value-1");
        const put = await fetch(`${gh.url}/api/v3/repositories/${id}/environments/staging/secrets/ANTHROPIC_API_KEY_STAGING`, { method: "PUT", headers: auth, body: JSON.stringify(body) });
        expect(put.status).toBe(201);
        expect(gh.secret("env:raxx-app/agents:staging", "ANTHROPIC_API_KEY_STAGING")?.value).toBe("value-1");
        const meta = await fetch(`${gh.url}/repos/raxx-app/agents/environments/staging/secrets/ANTHROPIC_API_KEY_STAGING`, { headers: auth });
        expect(meta.status).toBe(200);
    });

    it("keeps organization secrets with their visibility", async () => {
        const body = { ...(await seal("/orgs/raxx-app/actions/secrets", "org-value")), visibility: "private" };
        const put = await fetch(`${gh.url}/orgs/raxx-app/actions/secrets/ANTHROPIC_API_KEY`, { method: "PUT", headers: auth, body: JSON.stringify(body) });
        expect(put.status).toBe(201);
        expect(gh.secret("org:raxx-app", "ANTHROPIC_API_KEY")).toMatchObject({ value: "org-value", visibility: "private" });
    });

    it("rejects a stale key id, an undecryptable value and a reserved name", async () => {
        const good = await seal("/repos/raxx-app/agents/actions/secrets", "x");
        const stale = await fetch(`${gh.url}/repos/raxx-app/agents/actions/secrets/A`, { method: "PUT", headers: auth, body: JSON.stringify({ ...good, key_id: "1" }) });
        expect(stale.status).toBe(422);
        const garbage = await fetch(`${gh.url}/repos/raxx-app/agents/actions/secrets/A`, { method: "PUT", headers: auth, body: JSON.stringify({ ...good, encrypted_value: "AAAA" }) });
        expect(garbage.status).toBe(422);
        const reserved = await fetch(`${gh.url}/repos/raxx-app/agents/actions/secrets/GITHUB_X`, { method: "PUT", headers: auth, body: JSON.stringify(good) });
        expect(reserved.status).toBe(422);
    });

    it("answers 401 to a bad token and 404 to repositories the token cannot see", async () => {
        expect((await fetch(`${gh.url}/user`, { headers: { authorization: "Bearer nope" } })).status).toBe(401);
        expect((await fetch(`${gh.url}/repos/raxx-app/secret-repo/actions/secrets/public-key`, { headers: auth })).status).toBe(404);
        expect((await fetch(`${gh.url}/user`, { headers: auth })).status).toBe(200);
    });

    it("counts public-key fetches per scope", () => {
        expect(gh.publicKeyFetches.get("repo:raxx-app/agents")).toBeGreaterThanOrEqual(3);
    });
});
