import { auditedStep } from "../audit/auditedStep";
import type { dynamic } from "@pulumi/pulumi";
import { checkApiKey, describeKeyProblem, KeyProblem } from "../domain/keyFormat";
import { fingerprint as fingerprintOf, isFingerprint } from "../domain/fingerprint";
import { receiptProblem, VALIDATION_RECEIPT_INPUT } from "../domain/receipt";
import {
    DEFAULT_INFISICAL_SECRET_PATH,
    DEFAULT_INFISICAL_SITE_URL,
    InfisicalClient,
    SecretLocation,
} from "./infisicalClient";
import { UNKNOWN } from "../dynamic/unknown";
import { normalizeApiRoot, normalizeUrlInput } from "../http/urls";

/**
 * The dynamic provider behind `pulumi-nodejs:dynamic/infisical:Secret`: the Anthropic key in Infisical,
 * the system of record (every value it ever held stays in Infisical's version history).
 *
 * Serialization rules (the provider's text is stored in state as `__provider`): no npm package is
 * imported at module scope here (only types), credentials are read from the environment inside the
 * methods (by InfisicalClient), and nothing captured holds a key or a key prefix.
 */

export const DEFAULT_INFISICAL_SECRET_NAME = "ANTHROPIC_API_KEY";

/** Inputs after `check` (defaults applied, values normalized). */
export interface InfisicalSecretInputs {
    readonly projectId: string;
    readonly environment: string;
    readonly secretPath: string;
    readonly secretName: string;
    readonly siteUrl: string;
    /** The key (a secret input). */
    readonly apiKey: string;
    /** fingerprint(apiKey): what previews and diffs compare. */
    readonly fingerprint: string;
    /** Delete the secret from Infisical on destroy/replace. Default false: it is the record, with history. */
    readonly removeOnDelete: boolean;
    /** The KeyValidation's receipt for the key (components/domain/receipt.ts); checked, never written anywhere. */
    readonly validatedFingerprint?: string;
}

export interface InfisicalSecretOutputs extends InfisicalSecretInputs {
    /** Infisical's version of the secret after our write (or as last read). */
    readonly version: number;
    /**
     * Fingerprint of the value Infisical holds, as of the last write or refresh. After a refresh that found
     * another value, `fingerprint` holds it too, so the next `pulumi up` shows the change and writes the key back.
     * Empty when the identity may not read the value.
     */
    readonly remoteFingerprint: string;
}

/** Properties that name where the secret lives: changing any of them replaces the resource. */
export const LOCATION_PROPERTIES = ["siteUrl", "projectId", "environment", "secretPath", "secretName"] as const;


const PROJECT_ID = /^[A-Za-z0-9_-]{1,128}$/;
const ENVIRONMENT = /^[A-Za-z0-9_-]{1,64}$/;
const SECRET_PATH = /^\/([A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*)?$/;
const SECRET_NAME = /^[A-Za-z0-9_.-]{1,256}$/;

type InfisicalSecretInputsLocation = SecretLocation & { readonly siteUrl: string };

function locationOf(p: SecretLocation): SecretLocation {
    return { projectId: p.projectId, environment: p.environment, secretPath: p.secretPath, secretName: p.secretName };
}

/** The secret's place, as the failed notification names it (never the key). */
function infisicalLabel(p: SecretLocation): string {
    return `infisical ${p.projectId}/${p.environment}${p.secretPath} ${p.secretName}`;
}

/** Stable, readable, derived only from the location (never from the key). */
function resourceId(p: InfisicalSecretInputs): string {
    return `${p.projectId}:${p.environment}:${p.secretPath}:${p.secretName}`;
}

/** The location named by a resource id (`projectId:environment:secretPath:secretName`), for import. */
function fromId(id: string, props?: Partial<InfisicalSecretOutputs>): InfisicalSecretInputsLocation & { removeOnDelete: boolean } {
    const parts = id.split(":");
    if (parts.length !== 4 || parts.some((p) => p.length === 0)) {
        throw new Error(
            `infisical import: the id must be projectId:environment:secretPath:secretName, e.g. 6f1c…:prod:/:ANTHROPIC_API_KEY; the site is siteUrl (default ${DEFAULT_INFISICAL_SITE_URL})`,
        );
    }
    const [projectId, environment, secretPath, secretName] = parts as [string, string, string, string];
    return { projectId, environment, secretPath, secretName, siteUrl: props?.siteUrl ?? DEFAULT_INFISICAL_SITE_URL, removeOnDelete: false };
}

function outputsOf(inputs: InfisicalSecretInputs, version: number, remoteFingerprint: string): InfisicalSecretOutputs {
    return {
        projectId: inputs.projectId,
        environment: inputs.environment,
        secretPath: inputs.secretPath,
        secretName: inputs.secretName,
        siteUrl: inputs.siteUrl,
        apiKey: inputs.apiKey,
        fingerprint: inputs.fingerprint,
        removeOnDelete: inputs.removeOnDelete,
        version,
        remoteFingerprint,
    };
}

/** The shared key-format rule (components/domain/keyFormat.ts), on the trimmed value. Never returns any part of it. */
export function keyCheck(raw: string): { value: string; problem?: KeyProblem } {
    const { value, problem } = checkApiKey(raw);
    return problem ? { value, problem } : { value };
}

function normalizeSiteUrl(raw: string): string {
    return normalizeApiRoot(raw);
}

/** A location property in the form check gives it, so state written in another spelling is not a replacement. */
function comparableLocation(property: (typeof LOCATION_PROPERTIES)[number], value: unknown): unknown {
    if (property === "siteUrl") return normalizeUrlInput(value, normalizeSiteUrl);
    if (property === "secretPath") return normalizeUrlInput(value, normalizeSecretPath);
    return value;
}

function normalizeSecretPath(raw: string): string {
    const trimmed = raw.trim();
    return trimmed.length > 1 ? trimmed.replace(/\/+$/, "") : trimmed;
}

export const infisicalSecretProvider: dynamic.ResourceProvider = {
    async check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.CheckResult> {
        const failures: dynamic.CheckFailure[] = [];
        const fail = (property: string, reason: string) => failures.push({ property, reason });
        const inputs: Record<string, unknown> = { ...news };
        const known = (v: unknown) => v !== UNKNOWN;

        const text = (name: string, fallback?: string): string | undefined => {
            const v = news[name];
            if (v === undefined || v === null || v === "") return fallback;
            if (typeof v !== "string") {
                fail(name, `must be a string`);
                return undefined;
            }
            return v;
        };

        const projectId = text("projectId");
        if (projectId === undefined) fail("projectId", "is required: the Infisical project ID (Project Settings > Project ID)");
        else if (known(projectId) && !PROJECT_ID.test(projectId.trim())) {
            fail("projectId", "must be the Infisical project ID (letters, digits, '-' and '_', e.g. a UUID), not the project's display name");
        } else inputs.projectId = known(projectId) ? projectId.trim() : projectId;

        const environment = text("environment");
        if (environment === undefined) fail("environment", "is required: the Infisical environment slug, e.g. prod");
        else if (known(environment) && !ENVIRONMENT.test(environment.trim())) {
            fail("environment", "must be an Infisical environment slug (e.g. prod, staging, dev), not its display name");
        } else inputs.environment = known(environment) ? environment.trim() : environment;

        const secretPath = text("secretPath", DEFAULT_INFISICAL_SECRET_PATH)!;
        if (known(secretPath)) {
            const normalized = normalizeSecretPath(secretPath);
            if (!SECRET_PATH.test(normalized)) {
                fail("secretPath", "must be a folder path starting with '/', e.g. / or /backend/anthropic (letters, digits, '_', '.', '-')");
            } else inputs.secretPath = normalized;
        } else inputs.secretPath = secretPath;

        const secretName = text("secretName", DEFAULT_INFISICAL_SECRET_NAME)!;
        if (known(secretName) && !SECRET_NAME.test(secretName)) {
            fail("secretName", "must contain only letters, digits, '_', '.' and '-', e.g. ANTHROPIC_API_KEY");
        } else inputs.secretName = secretName;

        const siteUrl = text("siteUrl", DEFAULT_INFISICAL_SITE_URL)!;
        if (known(siteUrl)) {
            const normalized = normalizeSiteUrl(siteUrl);
            let url: URL | undefined;
            try {
                url = new URL(normalized);
            } catch {
                url = undefined;
            }
            if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
                fail("siteUrl", `must be the http(s) URL of the Infisical site, e.g. ${DEFAULT_INFISICAL_SITE_URL}`);
            } else if (url.username || url.password) {
                fail("siteUrl", "must not carry credentials; the machine identity comes from INFISICAL_CLIENT_ID / INFISICAL_CLIENT_SECRET");
            } else if (/\/api$/i.test(url.pathname.replace(/\/+$/, ""))) {
                fail("siteUrl", "is the site root without /api (the SDK adds /api/v1, /api/v3), e.g. https://app.infisical.com");
            } else inputs.siteUrl = normalized;
        } else inputs.siteUrl = siteUrl;

        const apiKey = news.apiKey;
        let keyValue: string | undefined;
        if (apiKey === undefined || apiKey === null || apiKey === "") {
            fail("apiKey", "is required: the Anthropic API key, as a secret");
        } else if (typeof apiKey !== "string") {
            fail("apiKey", "must be a string");
        } else if (known(apiKey)) {
            const checked = keyCheck(apiKey);
            if (checked.problem) fail("apiKey", describeKeyProblem(checked.problem));
            else {
                keyValue = checked.value;
                inputs.apiKey = checked.value;
            }
        }

        const given = news.fingerprint;
        if (given === undefined || given === null || given === "") {
            if (keyValue !== undefined) inputs.fingerprint = fingerprintOf(keyValue);
            else if (apiKey === UNKNOWN) inputs.fingerprint = UNKNOWN;
        } else if (known(given)) {
            if (!isFingerprint(given)) fail("fingerprint", "must look like sha256:<12 hex digits>, as computed by fingerprint(apiKey)");
            else if (keyValue !== undefined && fingerprintOf(keyValue) !== given) {
                fail("fingerprint", "does not match apiKey; pass fingerprint(apiKey) of the same (trimmed) key, or leave it out");
            }
        }

        // The validation receipt, when given: it must vouch for the key this secret would receive.
        const receipt = news[VALIDATION_RECEIPT_INPUT];
        if (receipt === undefined || receipt === null) delete inputs[VALIDATION_RECEIPT_INPUT];
        else {
            const issue = receiptProblem(receipt, inputs.fingerprint, (v) => !known(v));
            if (issue) fail(VALIDATION_RECEIPT_INPUT, issue);
        }

        const removeOnDelete = news.removeOnDelete;
        if (removeOnDelete === undefined || removeOnDelete === null) inputs.removeOnDelete = false;
        else if (known(removeOnDelete) && typeof removeOnDelete !== "boolean") fail("removeOnDelete", "must be true or false");

        // Outputs are never inputs.
        delete inputs.version;
        delete inputs.remoteFingerprint;
        return failures.length ? { inputs, failures } : { inputs };
    },

    /** Offline: a different location replaces the resource; a different key (by fingerprint) updates it. */
    async diff(_id: string, olds: InfisicalSecretOutputs, news: InfisicalSecretInputs): Promise<dynamic.DiffResult> {
        const replaces = LOCATION_PROPERTIES.filter((p) => news[p] === UNKNOWN || comparableLocation(p, olds[p]) !== comparableLocation(p, news[p]));
        const keyChanged = news.fingerprint === UNKNOWN || news.apiKey === UNKNOWN || olds.fingerprint !== news.fingerprint;
        const flagChanged = (olds.removeOnDelete ?? false) !== (news.removeOnDelete ?? false);
        return {
            changes: replaces.length > 0 || keyChanged || flagChanged,
            replaces: [...replaces],
            deleteBeforeReplace: false,
        };
    },

    async create(inputs: InfisicalSecretInputs): Promise<dynamic.CreateResult> {
        const { audit, notifications } = inputs as unknown as Record<string, unknown>;
        const written = await auditedStep(audit, "infisical", [inputs.apiKey], () => new InfisicalClient(inputs.siteUrl).putSecret(locationOf(inputs), inputs.apiKey), {
            notifications,
            target: infisicalLabel(inputs),
        });
        return { id: resourceId(inputs), outs: outputsOf(inputs, written.version, fingerprintOf(inputs.apiKey)) };
    },

    async update(_id: string, olds: InfisicalSecretOutputs, news: InfisicalSecretInputs): Promise<dynamic.UpdateResult> {
        if (olds.fingerprint === news.fingerprint && olds.remoteFingerprint === news.fingerprint && typeof olds.version === "number") {
            // Only removeOnDelete changed: nothing to write.
            return { outs: outputsOf(news, olds.version, olds.remoteFingerprint) };
        }
        const { audit, notifications } = news as unknown as Record<string, unknown>;
        const written = await auditedStep(audit, "infisical", [news.apiKey], () => new InfisicalClient(news.siteUrl).putSecret(locationOf(news), news.apiKey), {
            notifications,
            target: infisicalLabel(news),
        });
        return { outs: outputsOf(news, written.version, fingerprintOf(news.apiKey)) };
    },

    /**
     * Refresh: reads the value Infisical holds now. When it is not our key (someone edited it in Infisical),
     * `fingerprint` and `remoteFingerprint` take the remote value's fingerprint, so the refresh shows the drift
     * and the next `pulumi up` writes the key back as a new version. A secret that no longer exists is
     * reported as gone (empty id), so the next `up` creates it again.
     */
    async read(id: string, props?: InfisicalSecretOutputs): Promise<dynamic.ReadResult> {
        // `pulumi import` passes only the id: rebuild the location from it.
        const current: Partial<InfisicalSecretOutputs> & InfisicalSecretInputsLocation = props?.projectId ? props : fromId(id, props);
        const client = new InfisicalClient(current.siteUrl);
        const remote = await client.getSecret(locationOf(current));
        if (!remote) return { id: "", props: {} };
        if (remote.hidden) {
            // The identity may not read the value: nothing to compare, so no drift is claimed.
            return { id, props: { ...current, version: remote.version, remoteFingerprint: "" } };
        }
        const remoteFingerprint = fingerprintOf(remote.value);
        return { id, props: { ...current, version: remote.version, fingerprint: remoteFingerprint, remoteFingerprint } };
    },

    /** Leaves the secret (and its history) in Infisical unless removeOnDelete is true. */
    async delete(_id: string, props: InfisicalSecretOutputs): Promise<void> {
        if (props.removeOnDelete !== true) return;
        const client = new InfisicalClient(props.siteUrl);
        await client.deleteSecret(locationOf(props));
    },
};
