import { auditedStep } from "../audit/auditedStep";
import type * as pulumi from "@pulumi/pulumi";
import { parseIsoDate } from "../domain/dates";
import { fingerprint } from "../domain/fingerprint";
import { describeKeyProblem, keyProblemOf, redact } from "../domain/keyFormat";
import { defaultRequireExpiry, REQUIRE_EXPIRY_LEVELS, RequireExpiry } from "../domain/keyExpiry";
import { maxAgeDaysFor } from "../domain/rotationAge";
import { operatorWarning } from "./operatorWarning";
import { DEFAULT_ANTHROPIC_BASE_URL } from "./client";
import { MinimumLimits } from "./rateLimits";
import { checkPreviousKey, KeyValidationInputs, validateKey, ValidationFacts } from "./validateKey";
import { UNKNOWN } from "../dynamic/unknown";
import { normalizeApiRoot, normalizeUrlInput } from "../http/urls";

/**
 * The dynamic provider behind `pulumi-nodejs:dynamic/anthropic:KeyValidation`.
 *
 * - check: validates and defaults the inputs, offline. Never echoes the key.
 * - diff: offline; a change of fingerprint (or of any setting that affects the verdict) means update.
 * - create / update: the only methods that call the API (the engine never calls them during preview).
 *   They throw a redacted KeyValidationError on failure, so nothing that depends on this resource runs.
 *   update also pings the previous key (from the old state) and reports `previousKeyValid`; that is never
 *   a failure, and the previous key is not kept in the outputs.
 * - read: returns the state as it is (a refresh does not spend tokens); delete: nothing to remove.
 *
 * Rules for serialization: no npm module at module scope (the SDK is required inside client.ts), no
 * credentials captured (ANTHROPIC_ADMIN_API_KEY is read at run time in validateKey), no literal key prefix.
 */

export const DEFAULT_VALIDATION_MODE = "messages";
export const DEFAULT_MODEL = "claude-haiku-4-5";
export const DEFAULT_MAX_TOKENS = 10;
export const DEFAULT_MAX_RETRY_SECONDS = 60;


/** Inputs whose change makes the verdict stale: an update re-validates. (apiKey is covered by fingerprint.) */
export const MEANINGFUL_INPUTS: readonly string[] = [
    "fingerprint", "keyName", "environment", "createdAt", "mode", "model", "maxTokens", "baseUrl", "workspace", "minimumLimits",
];

export interface KeyValidationOutputs extends KeyValidationInputs, ValidationFacts {
    /** The validation receipt: the fingerprint of the key that passed (components/domain/receipt.ts). */
    readonly validatedFingerprint: string;
    /** Whether the key being replaced still answered (SOP step 1; rollback possible). Update only. */
    readonly previousKeyValid?: boolean;
    readonly previousFingerprint?: string;
}

type Props = Record<string, unknown>;

function isUnknown(value: unknown): boolean {
    return value === UNKNOWN;
}

/** Why the value is not a usable API key (the shared rule of components/domain), without any part of it. */
function keyShapeProblem(value: string): string | undefined {
    if (value.length > 0 && value.trim() !== value) return "it has spaces or a line break around it; set it again without them";
    const problem = keyProblemOf(value);
    return problem ? describeKeyProblem(problem) : undefined;
}

function sameValue(a: unknown, b: unknown): boolean {
    const norm = (v: unknown) => (v === undefined || v === null ? null : v);
    return JSON.stringify(sortKeys(norm(a))) === JSON.stringify(sortKeys(norm(b)));
}

function sortKeys(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v && typeof v === "object") {
        return Object.fromEntries(Object.entries(v as Props).filter(([, x]) => x !== undefined && x !== null).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sortKeys(x)]));
    }
    return v;
}

/** The typed inputs, with defaults; assumes check has passed. */
export function normalizeInputs(props: Props): KeyValidationInputs {
    const str = (k: string) => (typeof props[k] === "string" && props[k] !== "" ? (props[k] as string) : undefined);
    const num = (k: string) => (typeof props[k] === "number" ? (props[k] as number) : undefined);
    const limits = props.minimumLimits as MinimumLimits | undefined | null;
    return {
        apiKey: String(props.apiKey ?? ""),
        keyName: String(props.keyName ?? ""),
        environment: String(props.environment ?? ""),
        createdAt: String(props.createdAt ?? ""),
        fingerprint: String(props.fingerprint ?? ""),
        mode: props.mode === "models" ? "models" : "messages",
        model: str("model") ?? DEFAULT_MODEL,
        maxTokens: num("maxTokens") ?? DEFAULT_MAX_TOKENS,
        maxRetrySeconds: num("maxRetrySeconds") ?? DEFAULT_MAX_RETRY_SECONDS,
        baseUrl: normalizeApiRoot(str("baseUrl") ?? DEFAULT_ANTHROPIC_BASE_URL),
        workspace: str("workspace"),
        keyId: str("keyId"),
        minimumLimits: limits && typeof limits === "object" ? limits : undefined,
        // Absent in state written before expiry checks existed: the defaults of components/config apply.
        maxAgeDays: num("maxAgeDays") ?? maxAgeDaysFor(String(props.environment ?? "")),
        requireExpiry: (REQUIRE_EXPIRY_LEVELS as readonly string[]).includes(String(props.requireExpiry))
            ? (props.requireExpiry as RequireExpiry)
            : defaultRequireExpiry(String(props.environment ?? "")),
    };
}

/** The Admin API checks' advisories, as warnings in the `pulumi up` output (they never fail the step). */
function warnAdvisories(facts: ValidationFacts, keyName: string, secrets: readonly unknown[]): void {
    for (const advisory of facts.adminAdvisories ?? []) {
        operatorWarning(`Key validation advisory for "${keyName}": ${advisory}`, secrets.filter((s): s is string => typeof s === "string"));
    }
}

function outputsOf(inputs: KeyValidationInputs, facts: ValidationFacts, previous: { valid?: boolean; fingerprint?: string }): KeyValidationOutputs {
    return withoutUndefined({
        ...inputs,
        ...facts,
        // The receipt: only a key that has just passed gets one (components/domain/receipt.ts).
        validatedFingerprint: inputs.fingerprint,
        previousKeyValid: previous.valid,
        previousFingerprint: previous.fingerprint,
    });
}

/** The host turns outputs into a protobuf Struct, which rejects `undefined` anywhere: absent means absent. */
function withoutUndefined<T>(value: T): T {
    if (Array.isArray(value)) return value.map(withoutUndefined) as T;
    if (value && typeof value === "object") {
        return Object.fromEntries(Object.entries(value as Props).filter(([, v]) => v !== undefined).map(([k, v]) => [k, withoutUndefined(v)])) as T;
    }
    return value;
}

function newId(): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { randomBytes } = require("crypto") as typeof import("crypto");
    return `keyvalidation-${randomBytes(8).toString("hex")}`;
}

export const keyValidationProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: Props, news: Props): Promise<pulumi.dynamic.CheckResult> {
        const failures: pulumi.dynamic.CheckFailure[] = [];
        const fail = (property: string, reason: string) => failures.push({ property, reason });
        const known = (k: string) => news[k] !== undefined && news[k] !== null && !isUnknown(news[k]);
        const inputs: Props = {
            ...news,
            mode: news.mode ?? DEFAULT_VALIDATION_MODE,
            model: news.model ?? DEFAULT_MODEL,
            maxTokens: news.maxTokens ?? DEFAULT_MAX_TOKENS,
            maxRetrySeconds: news.maxRetrySeconds ?? DEFAULT_MAX_RETRY_SECONDS,
            // The outputs hold the normal form: so must the inputs, or `http://x/` would differ from it forever.
            baseUrl: normalizeUrlInput(news.baseUrl ?? DEFAULT_ANTHROPIC_BASE_URL, normalizeApiRoot),
        };

        const apiKey = news.apiKey;
        if (!isUnknown(apiKey)) {
            if (typeof apiKey !== "string") {
                fail("apiKey", "the new key is missing: set it with pulumi config set --secret apiKey -s <stack>");
            } else {
                const problem = keyShapeProblem(apiKey);
                if (problem) fail("apiKey", `the new key is not a well-formed Anthropic API key: ${problem}`);
                else if (known("fingerprint") && news.fingerprint !== fingerprint(apiKey)) {
                    fail("fingerprint", "does not belong to apiKey: pass fingerprint(apiKey) from components/domain");
                }
            }
        }
        for (const k of ["keyName", "environment", "createdAt", "fingerprint"]) {
            if (!isUnknown(news[k]) && (typeof news[k] !== "string" || (news[k] as string).length === 0)) fail(k, "is required");
        }
        if (known("createdAt") && typeof news.createdAt === "string") {
            if (!parseIsoDate(news.createdAt)) fail("createdAt", `"${news.createdAt}" is not a real YYYY-MM-DD date`);
            else if (known("keyName") && typeof news.keyName === "string" && !news.keyName.endsWith(`-${news.createdAt}`)) {
                fail("createdAt", `must be the date at the end of keyName ("${news.keyName}")`);
            }
        }
        if (known("fingerprint") && typeof news.fingerprint === "string" && !/^sha256:[0-9a-f]{12}$/.test(news.fingerprint)) {
            fail("fingerprint", "must look like sha256:<12 hex digits>");
        }
        if (!isUnknown(inputs.mode) && inputs.mode !== "messages" && inputs.mode !== "models") {
            fail("mode", `must be "messages" (one cheap Messages call, the default) or "models" (GET /v1/models/{model}, free)`);
        }
        if (!isUnknown(inputs.model) && (typeof inputs.model !== "string" || inputs.model.length === 0)) fail("model", "must be a model name, e.g. claude-haiku-4-5");
        if (!isUnknown(inputs.maxTokens) && (typeof inputs.maxTokens !== "number" || !Number.isInteger(inputs.maxTokens) || inputs.maxTokens < 1 || inputs.maxTokens > 4096)) {
            fail("maxTokens", "must be a whole number from 1 to 4096 (10 is plenty for a ping)");
        }
        if (!isUnknown(inputs.maxRetrySeconds) && (typeof inputs.maxRetrySeconds !== "number" || !(inputs.maxRetrySeconds > 0) || inputs.maxRetrySeconds > 600)) {
            fail("maxRetrySeconds", "must be a number of seconds above 0 and at most 600");
        }
        if (!isUnknown(inputs.baseUrl)) {
            let ok = false;
            try {
                ok = typeof inputs.baseUrl === "string" && /^https?:$/.test(new URL(inputs.baseUrl).protocol);
            } catch {
                ok = false;
            }
            if (!ok) fail("baseUrl", "must be an http(s) URL, e.g. https://api.anthropic.com");
        }
        if (known("maxAgeDays") && (typeof news.maxAgeDays !== "number" || !Number.isInteger(news.maxAgeDays) || news.maxAgeDays < 1)) {
            fail("maxAgeDays", "must be a positive whole number of days (the stack's maxAgeDays for the environment)");
        }
        if (known("requireExpiry") && !(REQUIRE_EXPIRY_LEVELS as readonly unknown[]).includes(news.requireExpiry)) {
            fail("requireExpiry", "must be mandatory or advisory (validation.requireExpiry)");
        }
        if (known("workspace") && (typeof news.workspace !== "string" || news.workspace.length === 0)) fail("workspace", "must be a workspace id, e.g. wrkspc_01…");
        if (known("keyId") && (typeof news.keyId !== "string" || !/^apikey_[A-Za-z0-9]+$/.test(news.keyId))) fail("keyId", "must be an Admin API key id like apikey_01AbC…");
        if (known("minimumLimits")) {
            const limits = news.minimumLimits as Props;
            if (typeof limits !== "object" || Array.isArray(limits)) fail("minimumLimits", "must be { requestsPerMinute?, inputTokensPerMinute? }");
            else {
                for (const [k, v] of Object.entries(limits)) {
                    if (k !== "requestsPerMinute" && k !== "inputTokensPerMinute") fail(`minimumLimits.${k}`, "is not a known limit (requestsPerMinute, inputTokensPerMinute)");
                    else if (v !== undefined && v !== null && !isUnknown(v) && (typeof v !== "number" || !Number.isInteger(v) || v <= 0)) fail(`minimumLimits.${k}`, "must be a positive whole number");
                }
            }
        }
        const secrets = typeof apiKey === "string" ? [apiKey] : [];
        return { inputs, failures: failures.map((f) => ({ property: f.property, reason: redact(f.reason, secrets) })) };
    },

    async diff(_id: string, olds: Props, news: Props): Promise<pulumi.dynamic.DiffResult> {
        // baseUrl compared in its normal form, as check writes it (state may hold another spelling).
        const comparable = (k: string, v: unknown) => (k === "baseUrl" ? normalizeUrlInput(v ?? DEFAULT_ANTHROPIC_BASE_URL, normalizeApiRoot) : v);
        const changed = MEANINGFUL_INPUTS.filter((k) => isUnknown(news[k]) || !sameValue(comparable(k, olds[k]), comparable(k, news[k])));
        // keyId is also an output (the id the Admin API found): only a configured keyId can differ.
        if (news.keyId !== undefined && news.keyId !== null && (isUnknown(news.keyId) || news.keyId !== olds.keyId)) changed.push("keyId");
        if (typeof news.apiKey === "string" && !isUnknown(news.apiKey) && typeof olds.apiKey === "string" && news.apiKey !== olds.apiKey && !changed.includes("fingerprint")) {
            changed.push("fingerprint");
        }
        // State written before receipts existed has none: validate once more so the consumers get theirs.
        if (typeof olds.validatedFingerprint !== "string" || olds.validatedFingerprint !== olds.fingerprint) changed.push("validatedFingerprint");
        return { changes: changed.length > 0, replaces: [], deleteBeforeReplace: false };
    },

    async create(props: Props): Promise<pulumi.dynamic.CreateResult> {
        const inputs = normalizeInputs(props);
        const facts = await auditedStep(props.audit, "validation", [props.apiKey], () => validateKey(inputs), { notifications: props.notifications });
        warnAdvisories(facts, inputs.keyName, [props.apiKey]);
        return { id: newId(), outs: { ...outputsOf(inputs, facts, {}), ...(props.audit ? { audit: props.audit } : {}) } };
    },

    async update(_id: string, olds: Props, news: Props): Promise<pulumi.dynamic.UpdateResult> {
        const inputs = normalizeInputs(news);
        const facts = await auditedStep(news.audit, "validation", [news.apiKey], () => validateKey(inputs), { notifications: news.notifications });
        warnAdvisories(facts, inputs.keyName, [news.apiKey]);
        const previousKey = typeof olds.apiKey === "string" && olds.apiKey.length > 0 && olds.apiKey !== inputs.apiKey ? olds.apiKey : undefined;
        const audit = news.audit ? { audit: news.audit } : {};
        if (!previousKey) return { outs: { ...outputsOf(inputs, facts, {}), ...audit } };
        const valid = await checkPreviousKey(previousKey, inputs);
        return { outs: { ...outputsOf(inputs, facts, { valid, fingerprint: fingerprint(previousKey) }), ...audit } };
    },

    async read(id: string, props?: Props): Promise<pulumi.dynamic.ReadResult> {
        return { id, props: props ?? {} };
    },

    async delete(): Promise<void> {
        // A validation is a record, not a remote object: nothing to remove.
    },
};
