import type * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { keyValidationProvider } from "../../components/anthropic/keyValidationProvider";
import { fingerprint } from "../../components/domain/fingerprint";
import { UNKNOWN } from "../../components/dynamic/unknown";
import { healthChecksProvider } from "../../components/health/healthChecksProvider";
import { herokuConfigVarsProvider } from "../../components/heroku/herokuConfigVarsProvider";
import { normalizeApiRoot, normalizeEndpointUrl, normalizeUrlInput } from "../../components/http/urls";
import { infisicalSecretProvider } from "../../components/infisical/infisicalProvider";
import { keyLedgerProvider } from "../../components/revocation/keyLedgerProvider";
import { previousKeyRevocationProvider } from "../../components/revocation/previousKeyRevocationProvider";
import { makeApiKey } from "../../offline/emulators/keys";

/**
 * A trailing slash in a URL input (`endpoints.anthropic: http://x/`) must not be a change: the outputs hold the
 * normal form, so an input that is not normalised the same way in check differs from them on every run (for
 * KeyValidation that is a paid Messages call per `pulumi up`, and a preview that is never clean). For every dynamic
 * provider with a URL input: check gives both spellings the same value, and diff finds no change between state
 * written with one spelling and a program using the other.
 */

type Props = Record<string, unknown>;
const key = makeApiKey();
const fp = fingerprint(key);

interface UrlCase {
    readonly provider: pulumi.dynamic.ResourceProvider;
    /** Valid inputs, with the URL input set to `url`. */
    readonly inputs: (url: string) => Props;
    /** Where the URL sits in the checked inputs. */
    readonly urlOf: (checked: Props) => unknown;
    /** The state a create with these inputs leaves (the outputs the engine passes back to diff as olds). */
    readonly stateOf: (checked: Props) => Props;
}

const CASES: Record<string, UrlCase> = {
    "KeyValidation (baseUrl)": {
        provider: keyValidationProvider,
        inputs: (url) => ({ apiKey: key, keyName: "raxx-prod-agents-2026-11-23", environment: "prod", createdAt: "2026-11-23", fingerprint: fp, baseUrl: url }),
        urlOf: (c) => c.baseUrl,
        stateOf: (c) => ({ ...c, validatedFingerprint: fp, requestId: "req_1" }),
    },
    "PreviousKeyRevocation (baseUrl)": {
        provider: previousKeyRevocationProvider,
        inputs: (url) => ({ apiKey: key, fingerprint: fp, mode: "verify", emergency: false, baseUrl: url }),
        urlOf: (c) => c.baseUrl,
        stateOf: (c) => ({ ...c, previousFingerprint: null, result: "no previous key" }),
    },
    "KeyLedger (baseUrl)": {
        provider: keyLedgerProvider,
        inputs: (url) => ({ apiKey: key, fingerprint: fp, baseUrl: url }),
        urlOf: (c) => c.baseUrl,
        stateOf: (c) => ({ ...c, keyId: null, since: "2026-11-23T10:00:00Z", previousFingerprint: null, retiredKeys: [], retired: [], dropped: [] }),
    },
    "Infisical Secret (siteUrl)": {
        provider: infisicalSecretProvider,
        inputs: (url) => ({ projectId: "p1", environment: "prod", secretPath: "/anthropic", secretName: "ANTHROPIC_API_KEY", siteUrl: url, apiKey: key, fingerprint: fp }),
        urlOf: (c) => c.siteUrl,
        stateOf: (c) => ({ ...c, version: 1, remoteFingerprint: fp }),
    },
    "Heroku ConfigVars (apiUrl)": {
        provider: herokuConfigVarsProvider,
        inputs: (url) => ({ app: "raxx-api-prod", vars: ["ANTHROPIC_API_KEY"], apiKey: key, fingerprint: fp, apiUrl: url, removeOnDelete: false }),
        urlOf: (c) => c.apiUrl,
        stateOf: (c) => ({ ...c, releaseVersion: 7, releaseCreated: true, onDelete: "retain" }),
    },
    "HealthChecks (checks[].url)": {
        provider: healthChecksProvider,
        inputs: (url) => ({ checks: [{ url, timeoutSeconds: 300, intervalSeconds: 10 }], herokuReleases: [], fingerprint: fp }),
        urlOf: (c) => (c.checks as Props[])[0]!.url,
        stateOf: (c) => ({ ...c, results: [], checkedAt: "2026-11-23T10:00:00Z" }),
    },
};

async function checked(c: UrlCase, url: string): Promise<Props> {
    const result = await c.provider.check!({}, c.inputs(url));
    expect(result.failures ?? [], url).toEqual([]);
    return result.inputs as Props;
}

describe.each(Object.entries(CASES))("%s: http://x/ and http://x are the same input", (_name, c) => {
    it("check gives both spellings the same value", async () => {
        expect(c.urlOf(await checked(c, "http://x/"))).toEqual(c.urlOf(await checked(c, "http://x")));
    });

    it.each([
        ["http://x/", "http://x"],
        ["http://x", "http://x/"],
    ])("state written from %s, program now says %s: no diff", async (before, after) => {
        const olds = c.stateOf(await checked(c, before));
        const diff = await c.provider.diff!("id", olds, await checked(c, after));
        expect(diff.changes).toBe(false);
        expect(diff.replaces ?? []).toEqual([]);
    });

    it("state that holds the raw spelling (written before inputs were normalised) is no diff either", async () => {
        const news = await checked(c, "http://x");
        const normal = c.urlOf(news) as string;
        const other = normal.endsWith("/") ? normal.slice(0, -1) : `${normal}/`;
        const raw = JSON.parse(JSON.stringify(c.stateOf(news)).split(JSON.stringify(normal)).join(JSON.stringify(other))) as Props;
        expect(c.urlOf(raw)).toBe(other);
        const diff = await c.provider.diff!("id", raw, news);
        expect(diff.changes).toBe(false);
    });

    it("another host is still a change", async () => {
        const olds = c.stateOf(await checked(c, "http://x/"));
        expect((await c.provider.diff!("id", olds, await checked(c, "http://y/"))).changes).toBe(true);
    });
});

describe("the URL normal forms", () => {
    it("an API root loses surrounding spaces and trailing slashes, keeps its path", () => {
        expect(normalizeApiRoot(" https://proxy.example/anthropic// ")).toBe("https://proxy.example/anthropic");
        expect(normalizeApiRoot("http://x")).toBe("http://x");
    });

    it("an endpoint is what fetch requests: http://x and http://x/ are one, /health/ and /health are two", () => {
        expect(normalizeEndpointUrl("http://x")).toBe(normalizeEndpointUrl("http://x/"));
        expect(normalizeEndpointUrl("HTTP://X:80/health")).toBe("http://x/health");
        expect(normalizeEndpointUrl("https://a.example/health/")).not.toBe(normalizeEndpointUrl("https://a.example/health"));
        expect(normalizeEndpointUrl(" not a url ")).toBe("not a url");
    });

    it("a preview's unknown and non-strings pass through untouched", () => {
        expect(normalizeUrlInput(UNKNOWN, normalizeApiRoot)).toBe(UNKNOWN);
        expect(normalizeUrlInput(undefined, normalizeApiRoot)).toBeUndefined();
        expect(normalizeUrlInput(42, normalizeEndpointUrl)).toBe(42);
    });
});
