import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fingerprint } from "../../components/domain/fingerprint";
import { checkApiKey } from "../../components/domain/keyFormat";
import {
    DEFAULT_INFISICAL_SECRET_NAME,
    infisicalSecretProvider as provider,
    InfisicalSecretInputs,
    InfisicalSecretOutputs,
    keyCheck,
} from "../../components/infisical/infisicalProvider";
import { InfisicalError } from "../../components/infisical/infisicalClient";
import { InfisicalEmulator } from "../../offline/emulators/infisicalEmulator";
import { makeAdminKey, makeApiKey } from "../../offline/emulators/keys";
import { caught, ENVIRONMENT, expectNamesTarget, expectNoSecrets, location, PROJECT, RETRY_ENV, SECRET_NAME, secretsOf, startEmulator, useCredentials, useFastRetries } from "./helpers";

/**
 * The dynamic provider's methods called directly (as the provider host would, with plaintext inputs)
 * against the emulator. Credentials and retry bounds come from process.env, as in the real host.
 */

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

let emu: InfisicalEmulator;
const savedEnv = { ...process.env };

beforeEach(async () => {
    emu = await startEmulator();
    useFastRetries();
    useCredentials(emu);
});

afterEach(async () => {
    await emu.stop();
    for (const name of [...RETRY_ENV, "INFISICAL_CLIENT_ID", "INFISICAL_CLIENT_SECRET"]) {
        if (savedEnv[name] === undefined) delete process.env[name];
        else process.env[name] = savedEnv[name];
    }
});

/** What `check` makes of the program's inputs (the host then passes these to create/update). */
async function checked(news: Record<string, unknown>): Promise<InfisicalSecretInputs> {
    const result = await provider.check!({}, news);
    expect(result.failures ?? []).toEqual([]);
    return result.inputs as InfisicalSecretInputs;
}

function programInputs(key: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { projectId: PROJECT, environment: ENVIRONMENT, siteUrl: emu.url, apiKey: key, fingerprint: fingerprint(key), ...extra };
}

/** No output except apiKey may carry the key, or anything key-shaped. */
function expectKeyOnlyInApiKey(outs: Record<string, unknown>, key: string): void {
    for (const [name, value] of Object.entries(outs)) {
        if (name === "apiKey") continue;
        expect(JSON.stringify(value) ?? "").not.toContain(key);
        expect(JSON.stringify(value) ?? "").not.toMatch(/sk-ant-/);
    }
}

describe("check", () => {
    it("applies the defaults and computes the fingerprint when it is left out", async () => {
        const key = makeApiKey();
        const inputs = await checked({ projectId: PROJECT, environment: ENVIRONMENT, apiKey: key });
        expect(inputs).toEqual({
            projectId: PROJECT,
            environment: ENVIRONMENT,
            secretPath: "/",
            secretName: DEFAULT_INFISICAL_SECRET_NAME,
            siteUrl: "https://app.infisical.com",
            apiKey: key,
            fingerprint: fingerprint(key),
            removeOnDelete: false,
        });
    });

    it("normalizes a pasted key, trailing slashes and surrounding spaces", async () => {
        const key = makeApiKey();
        const inputs = await checked({
            projectId: ` ${PROJECT} `,
            environment: "prod",
            secretPath: "/backend/anthropic/",
            siteUrl: "https://eu.infisical.com/",
            apiKey: `${key}\n`,
        });
        expect(inputs.apiKey).toBe(key);
        expect(inputs.fingerprint).toBe(fingerprint(key));
        expect(inputs.projectId).toBe(PROJECT);
        expect(inputs.secretPath).toBe("/backend/anthropic");
        expect(inputs.siteUrl).toBe("https://eu.infisical.com");
    });

    it("reports every bad input with a reason that never echoes the key", async () => {
        const admin = makeAdminKey();
        const result = await provider.check!(
            {},
            {
                projectId: "My Project",
                environment: "Production env",
                secretPath: "backend",
                secretName: "ANTHROPIC API KEY",
                siteUrl: "https://app.infisical.com/api",
                apiKey: admin,
                fingerprint: "sha256:nothex",
                removeOnDelete: "yes",
            },
        );
        const byProperty = Object.fromEntries((result.failures ?? []).map((f) => [f.property, f.reason]));
        expect(Object.keys(byProperty).sort()).toEqual(
            ["apiKey", "environment", "fingerprint", "projectId", "removeOnDelete", "secretName", "secretPath", "siteUrl"].sort(),
        );
        expect(byProperty.apiKey).toContain("Admin API key");
        expect(byProperty.siteUrl).toContain("without /api");
        expect(byProperty.projectId).toContain("not the project's display name");
        expect(JSON.stringify(result.failures)).not.toContain(admin);
        expect(JSON.stringify(result.failures)).not.toMatch(/sk-ant-/);
    });

    it("requires projectId, environment and apiKey; rejects credentials in siteUrl and a mismatched fingerprint", async () => {
        const missing = await provider.check!({}, {});
        expect((missing.failures ?? []).map((f) => f.property).sort()).toEqual(["apiKey", "environment", "projectId"]);
        const key = makeApiKey();
        const other = makeApiKey();
        const bad = await provider.check!({}, programInputs(key, { siteUrl: "https://user:pass@infisical.example.com", fingerprint: fingerprint(other) }));
        const reasons = Object.fromEntries((bad.failures ?? []).map((f) => [f.property, f.reason]));
        expect(reasons.siteUrl).toContain("must not carry credentials");
        expect(reasons.fingerprint).toContain("does not match apiKey");
    });

    it("classifies keys exactly as the domain's checkApiKey (its serialization-safe twin)", () => {
        const key = makeApiKey();
        const samples = [
            key,
            `  ${key}\n`,
            "",
            "   ",
            makeAdminKey(),
            "sk-proj-abcdef",
            key.slice(0, -1),
            `${key}A`,
            `${key.slice(0, 40)}!${key.slice(41)}`,
            `${key.slice(0, 50)} ${key.slice(51)}`,
            `${key.slice(0, -2)}AB`,
        ];
        for (const sample of samples) {
            const { trimmed: _trimmed, ...expected } = checkApiKey(sample);
            expect(keyCheck(sample)).toEqual(expected);
        }
    });

    it("keeps the validation receipt of the key it carries, and refuses one for another key", async () => {
        const key = makeApiKey();
        expect((await checked(programInputs(key, { validatedFingerprint: fingerprint(key) }))).validatedFingerprint).toBe(fingerprint(key));
        expect((await checked(programInputs(key, { validatedFingerprint: UNKNOWN }))).validatedFingerprint).toBe(UNKNOWN);
        expect(await checked(programInputs(key))).not.toHaveProperty("validatedFingerprint");
        const foreign = await provider.check!({}, programInputs(key, { validatedFingerprint: fingerprint(makeApiKey()) }));
        expect(foreign.failures).toEqual([{ property: "validatedFingerprint", reason: expect.stringMatching(/the key validated is sha256:[0-9a-f]{12}, but this consumer would receive/) }]);
    });

    it("lets unknown (preview) values through", async () => {
        const result = await provider.check!({}, { projectId: PROJECT, environment: UNKNOWN, apiKey: UNKNOWN, siteUrl: UNKNOWN });
        expect(result.failures ?? []).toEqual([]);
        expect(result.inputs).toMatchObject({ environment: UNKNOWN, apiKey: UNKNOWN, fingerprint: UNKNOWN, siteUrl: UNKNOWN });
    });
});

describe("diff (offline)", () => {
    async function outputsFor(key: string, extra: Record<string, unknown> = {}): Promise<InfisicalSecretOutputs> {
        const inputs = await checked(programInputs(key, extra));
        return { ...inputs, version: 3, remoteFingerprint: inputs.fingerprint };
    }

    it("no change when the fingerprint and location are the same, without any request", async () => {
        const key = makeApiKey();
        const olds = await outputsFor(key);
        const news = await checked(programInputs(key));
        expect(await provider.diff!("id", olds, news)).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
        expect(emu.requests).toHaveLength(0);
    });

    it("a new key is an update, not a replace", async () => {
        const olds = await outputsFor(makeApiKey());
        const news = await checked(programInputs(makeApiKey()));
        expect(await provider.diff!("id", olds, news)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    });

    it("a new location replaces the resource (create the new one first; the old one is retained by default)", async () => {
        const key = makeApiKey();
        const olds = await outputsFor(key);
        for (const [prop, value] of Object.entries({ projectId: "other-project", environment: "staging", secretPath: "/x", secretName: "ANTHROPIC_API_KEY_PROD", siteUrl: "https://eu.infisical.com" })) {
            const news = await checked(programInputs(key, { [prop]: value }));
            expect(await provider.diff!("id", olds, news)).toEqual({ changes: true, replaces: [prop], deleteBeforeReplace: false });
        }
    });

    it("removeOnDelete alone is an update; unknown values are changes", async () => {
        const key = makeApiKey();
        const olds = await outputsFor(key);
        expect(await provider.diff!("id", olds, await checked(programInputs(key, { removeOnDelete: true })))).toMatchObject({ changes: true, replaces: [] });
        const unknownKey = { ...(await checked(programInputs(key))), apiKey: UNKNOWN, fingerprint: UNKNOWN };
        expect(await provider.diff!("id", olds, unknownKey)).toMatchObject({ changes: true, replaces: [] });
    });
});

describe("create, update, read, delete", () => {
    it("create writes the key as version 1; outputs carry the key only in apiKey and the id is not derived from it", async () => {
        const key = makeApiKey();
        const inputs = await checked(programInputs(key));
        const { id, outs } = await provider.create(inputs);
        expect(id).toBe(`${PROJECT}:${ENVIRONMENT}:/:${SECRET_NAME}`);
        expect(id).not.toContain(key);
        expect(outs).toEqual({ ...inputs, version: 1, remoteFingerprint: fingerprint(key) });
        expectKeyOnlyInApiKey(outs, key);
        expect(emu.currentValue(location)).toBe(key);
    });

    it("update writes a new version and Infisical's history holds both keys", async () => {
        const first = makeApiKey();
        const second = makeApiKey();
        const created = await provider.create(await checked(programInputs(first)));
        const news = await checked(programInputs(second));
        expect((await provider.diff!(created.id, created.outs, news)).changes).toBe(true);
        const updated = await provider.update!(created.id, created.outs, news);
        expect(updated.outs).toMatchObject({ version: 2, fingerprint: fingerprint(second), remoteFingerprint: fingerprint(second), apiKey: second });
        expectKeyOnlyInApiKey(updated.outs, second);
        expect(emu.history(location).map((v) => v.value)).toEqual([first, second]);
        expect(emu.history(location).map((v) => v.version)).toEqual([1, 2]);
    });

    it("no-op: the same key again diffs as unchanged, and an update that only flips removeOnDelete writes nothing", async () => {
        const key = makeApiKey();
        const created = await provider.create(await checked(programInputs(key)));
        expect((await provider.diff!(created.id, created.outs, await checked(programInputs(key)))).changes).toBe(false);
        const before = emu.requests.length;
        const flipped = await provider.update!(created.id, created.outs, await checked(programInputs(key, { removeOnDelete: true })));
        expect(flipped.outs).toMatchObject({ removeOnDelete: true, version: 1 });
        expect(emu.requests.length).toBe(before);
        expect(emu.history(location)).toHaveLength(1);
    });

    it("create over an existing secret keeps its history: same value → no new version, other value → a new version", async () => {
        const old = makeApiKey();
        emu.seedSecret(location, old);
        const same = await provider.create(await checked(programInputs(old)));
        expect(same.outs.version).toBe(1);
        const key = makeApiKey();
        const other = await provider.create(await checked(programInputs(key)));
        expect(other.outs.version).toBe(2);
        expect(emu.history(location).map((v) => v.value)).toEqual([old, key]);
    });

    it("read without drift reports the same fingerprint and the current version", async () => {
        const key = makeApiKey();
        const created = await provider.create(await checked(programInputs(key)));
        const read = await provider.read!(created.id, created.outs);
        expect(read.id).toBe(created.id);
        expect(read.props).toEqual(created.outs);
        expect(read.inputs).toBeUndefined();
    });

    it("read with drift reports the remote fingerprint; the next diff shows it and update writes the key back", async () => {
        const key = makeApiKey();
        const created = await provider.create(await checked(programInputs(key)));
        const intruder = makeApiKey();
        emu.editOutOfBand(location, intruder);

        const read = await provider.read!(created.id, created.outs);
        expect(read.id).toBe(created.id);
        expect(read.props).toMatchObject({ version: 2, fingerprint: fingerprint(intruder), remoteFingerprint: fingerprint(intruder), apiKey: key });
        expectKeyOnlyInApiKey(read.props as Record<string, unknown>, intruder);
        expect(JSON.stringify(read.props)).not.toContain(intruder);

        const news = await checked(programInputs(key));
        expect((await provider.diff!(created.id, read.props as InfisicalSecretOutputs, news)).changes).toBe(true);
        const fixed = await provider.update!(created.id, read.props as InfisicalSecretOutputs, news);
        expect(fixed.outs).toMatchObject({ version: 3, fingerprint: fingerprint(key), remoteFingerprint: fingerprint(key) });
        expect(emu.history(location).map((v) => [v.value, v.by])).toEqual([
            [key, "create"],
            [intruder, "out-of-band"],
            [key, "update"],
        ]);
    });

    it("read of a secret that was deleted in Infisical reports the resource as gone", async () => {
        const created = await provider.create(await checked(programInputs(makeApiKey())));
        emu.secrets.clear();
        expect(await provider.read!(created.id, created.outs)).toEqual({ id: "", props: {} });
    });

    it("read claims no drift when the value is hidden from the identity", async () => {
        const key = makeApiKey();
        const created = await provider.create(await checked(programInputs(key)));
        emu.hideValues = true;
        const read = await provider.read!(created.id, created.outs);
        expect(read.props).toMatchObject({ fingerprint: fingerprint(key), remoteFingerprint: "", version: 1 });
    });

    it("read by id alone (pulumi import) finds the secret at the default site", async () => {
        const err = await caught(() => provider.read!("not-an-id", undefined));
        expect(err.message).toContain("projectId:environment:secretPath:secretName");
        const key = makeApiKey();
        emu.seedSecret(location, key);
        const read = await provider.read!(`${PROJECT}:${ENVIRONMENT}:/:${SECRET_NAME}`, { siteUrl: emu.url } as InfisicalSecretOutputs);
        expect(read.props).toMatchObject({ projectId: PROJECT, environment: ENVIRONMENT, secretPath: "/", secretName: SECRET_NAME, fingerprint: fingerprint(key), version: 1 });
        expect(JSON.stringify(read.props)).not.toContain(key);
    });

    it("delete leaves the secret and its history in Infisical by default (no request at all)", async () => {
        const key = makeApiKey();
        const created = await provider.create(await checked(programInputs(key)));
        const before = emu.requests.length;
        await provider.delete!(created.id, created.outs);
        expect(emu.requests.length).toBe(before);
        expect(emu.currentValue(location)).toBe(key);
    });

    it("delete with removeOnDelete removes the secret; deleting an already missing one succeeds", async () => {
        const key = makeApiKey();
        const created = await provider.create(await checked(programInputs(key, { removeOnDelete: true })));
        await provider.delete!(created.id, created.outs);
        expect(emu.secret(location)).toBeUndefined();
        expect(emu.calls("DELETE").map((r) => r.outcome)).toEqual([200]);
        await provider.delete!(created.id, created.outs);
        expect(emu.calls("DELETE").map((r) => r.outcome)).toEqual([200, 404]);
    });
});

describe("failures through the provider name the step and target and leak nothing", () => {
    it("missing credentials", async () => {
        delete process.env.INFISICAL_CLIENT_SECRET;
        const key = makeApiKey();
        const err = await caught(async () => provider.create(await checked(programInputs(key))));
        expect(err).toBeInstanceOf(InfisicalError);
        expect(err.message).toContain("INFISICAL_CLIENT_SECRET is not set");
        expect(err.message).toContain("INFISICAL_CLIENT_ID");
        expectNoSecrets(err, [key]);
    });

    it("bad login (401) on create", async () => {
        process.env.INFISICAL_CLIENT_SECRET = "not-the-right-secret-42";
        const key = makeApiKey();
        const err = await caught(async () => provider.create(await checked(programInputs(key))));
        expectNamesTarget(err, "infisical login");
        expect(err.message).toContain("HTTP 401");
        expectNoSecrets(err, [key, "not-the-right-secret-42", emu.clientSecret]);
    });

    it("token expired mid-run: renewed once, the write completes", async () => {
        const key = makeApiKey();
        emu.seedSecret(location, makeApiKey());
        // The token of this run's login expires after one call: the GET passes, the PATCH meets 403 TokenError.
        emu.expireNextTokenAfterCalls(1);
        const result = await provider.create(await checked(programInputs(key)));
        expect(result.outs.version).toBe(2);
        expect(emu.calls("PATCH").map((r) => r.outcome)).toEqual([403, 200]);
        expect(emu.loginCalls()).toHaveLength(2);
        expect(emu.currentValue(location)).toBe(key);
    });

    it("403 TokenError that persists on read (refresh)", async () => {
        const created = await provider.create(await checked(programInputs(makeApiKey())));
        emu.tokenTtlSeconds = 0;
        const err = await caught(() => provider.read!(created.id, created.outs));
        expectNamesTarget(err, "infisical read");
        expect(err.message).toContain("HTTP 403");
        expect(err.message).toContain("TokenError");
        expectNoSecrets(err, secretsOf(emu, created.outs.apiKey as string));
    });

    it("404 project on create", async () => {
        const key = makeApiKey();
        const err = await caught(async () => provider.create(await checked(programInputs(key, { projectId: "0000-missing" }))));
        expectNamesTarget(err, "infisical write", { projectId: "0000-missing" });
        expect(err.message).toContain("HTTP 404");
        expectNoSecrets(err, secretsOf(emu, key));
    });

    it("5xx on delete with removal, bounded by the policy's attempts", async () => {
        const created = await provider.create(await checked(programInputs(makeApiKey(), { removeOnDelete: true })));
        emu.serverError({ status: 503, times: 100, method: "DELETE" });
        const err = await caught(() => provider.delete!(created.id, created.outs));
        expectNamesTarget(err, "infisical delete");
        expect(err.message).toContain("3 times in a row");
        expect(emu.calls("DELETE")).toHaveLength(3);
        expect(emu.secret(location)).toBeDefined();
        expectNoSecrets(err, secretsOf(emu, created.outs.apiKey as string));
    });

    it("a hung server on update is bounded by ANTHROPIC_KEY_ROTATION_RETRY_MAX_TOTAL_MS", async () => {
        const key = makeApiKey();
        const created = await provider.create(await checked(programInputs(makeApiKey())));
        process.env.ANTHROPIC_KEY_ROTATION_RETRY_MAX_TOTAL_MS = "700";
        emu.injectFault({ fault: { kind: "hang" }, times: 100 });
        const started = Date.now();
        const err = await caught(async () => provider.update!(created.id, created.outs, await checked(programInputs(key))));
        expect(Date.now() - started).toBeLessThan(1_700);
        expectNamesTarget(err, "infisical write");
        expect(err.message).toContain("no result within 0.7 s");
        expectNoSecrets(err, secretsOf(emu, key, created.outs.apiKey as string));
    });
});
