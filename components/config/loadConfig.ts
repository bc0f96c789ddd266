import type { core as zcore } from "zod";
import { checkApiKey, describeKeyProblem } from "../domain/keyFormat";
import { fingerprint } from "../domain/fingerprint";
import { KeyName, parseKeyName } from "../domain/keyName";
import { defaultRequireExpiry, RequireExpiry } from "../domain/keyExpiry";
import { maxAgeDaysFor } from "../domain/rotationAge";
import { ConfigError, ConfigProblem } from "./configError";
import { NOTIFICATIONS_FIX, WebhookConfig } from "./notificationsSchema";
import { DEFAULT_WATCH_INTERVAL_SECONDS, DEFAULT_WATCH_MINUTES, REVOCATION_MODES } from "./revocationSchema";
import { RevocationMode, stackConfigSchema, StackConfigBody, Targets, ValidationConfig } from "./schema";

export const CONFIG_NAMESPACE = "anthropic-key-rotation";

/** Where config values come from: `pulumi.Config` in the program, a plain map in tests and tools. */
export interface ConfigSource {
    /** The stack's name, e.g. `prod`. */
    readonly stack: string;
    /** Raw config text by short key (Pulumi stores objects and lists as JSON text). */
    get(key: string): string | undefined;
    /** Every short key set for the namespace, when known, so typos are caught. */
    keys?(): readonly string[];
    /** Whether a key is stored as a secret; undefined when unknown. */
    isSecret?(key: string): boolean | undefined;
    /** Reference time for date checks (tests fix it). */
    readonly now?: Date;
}

/** How long the consumers' health is watched after a deactivation (0 minutes: no watch). */
export interface RevocationWatch {
    readonly minutes: number;
    readonly intervalSeconds: number;
}

export interface RotationConfig extends Omit<StackConfigBody, "maxAgeDays" | "environment" | "revocation" | "emergency" | "validation" | "notifications"> {
    /** `validation`, with `requireExpiry` resolved for the environment (mandatory for prod, advisory elsewhere). */
    readonly validation: ValidationConfig & { readonly requireExpiry: RequireExpiry };
    readonly stack: string;
    readonly environment: string;
    /** The trimmed, valid key. Plaintext: wrap it in `pulumi.secret` before it goes anywhere. */
    readonly apiKey: string;
    readonly keyName: string;
    readonly parsedName: KeyName;
    readonly fingerprint: string;
    readonly maxAgeDays: number;
    /** `revocation` (or `revocation.mode`). */
    readonly revocation: RevocationMode;
    readonly revocationWatch: RevocationWatch;
    /** `revocation.acknowledgeRemoved`: removed consumers that may break when their key is revoked. */
    readonly acknowledgeRemoved: readonly string[];
    /** True when `emergency` names a compromised key. */
    readonly emergency: boolean;
    /** The leaked key an emergency rotation is for (fingerprint or Admin API id). */
    readonly compromisedKey?: string;
    /** Things worth telling the operator that are not errors (never contain a secret). */
    readonly notices: readonly string[];
    /**
     * `notifications`: the chat webhooks (empty when not set). Each URL is a secret (it carries the webhook's
     * token): wrap the list in `pulumi.secret` before it goes anywhere, and never print it.
     */
    readonly notifications: readonly WebhookConfig[];
}

const STRUCTURED_KEYS = new Set(["validation", "targets", "healthChecks", "revocation", "emergency", "cutover", "maxAgeDays", "endpoints", "notifications", "exposure"]);
const KNOWN_KEYS = new Set([
    "apiKey", "keyName", "environment", "workspace", "keyId", "validation", "targets", "healthChecks",
    "revocation", "emergency", "cutover", "maxAgeDays", "auditLog", "endpoints", "notifications", "exposure",
]);
const TARGET_KINDS = ["infisical", "heroku", "github", "commands"];

const SET_KEY_FIX =
    `read it from stdin so it never lands in shell history: pbpaste | pulumi config set --secret ${CONFIG_NAMESPACE}:apiKey -s <stack> ` +
    `(or run pulumi config set --secret apiKey -s <stack> and paste at the prompt)`;

export function loadRotationConfig(source: ConfigSource): RotationConfig {
    const problems: ConfigProblem[] = [];
    const notices: string[] = [];
    const key = (k: string) => `${CONFIG_NAMESPACE}:${k}`;

    for (const k of source.keys?.() ?? []) {
        if (!KNOWN_KEYS.has(k)) {
            problems.push({ key: key(k), message: "is not a setting this program knows", fix: `remove it, or correct the spelling (known settings: ${[...KNOWN_KEYS].join(", ")})` });
        }
    }

    // --- structure of everything but the key and its name
    const rawBody: Record<string, unknown> = {};
    for (const k of KNOWN_KEYS) {
        if (k === "apiKey" || k === "keyName") continue;
        const text = source.get(k);
        if (text === undefined) continue;
        if (!STRUCTURED_KEYS.has(k)) {
            rawBody[k] = text;
            continue;
        }
        try {
            rawBody[k] = JSON.parse(text);
        } catch {
            // A plain word (`revocation: deactivate`) is stored as the text itself.
            if (k === "revocation") {
                rawBody[k] = text;
                continue;
            }
            problems.push({ key: key(k), message: "is not valid JSON/YAML structure", fix: `set it with pulumi config set --path, or write it as a YAML object in Pulumi.${source.stack}.yaml` });
        }
    }
    if (typeof rawBody.revocation === "string" && !(REVOCATION_MODES as readonly string[]).includes(rawBody.revocation)) {
        problems.push({ key: key("revocation"), message: "must be none, verify or deactivate", fix: "use none, verify or deactivate" });
        delete rawBody.revocation;
    }
    if (rawBody.emergency === true) {
        problems.push({
            key: key("emergency"),
            message: "is true but does not name the compromised key; an emergency setting left in the config would turn the next scheduled rotation into an outage",
            fix:
                `name the leaked key by its fingerprint (the \`fingerprint\` stack output or the audit log's newFingerprint when it was deployed): ` +
                `pulumi config set --path emergency.compromisedKey sha256:<12 hex digits> -s ${source.stack} (remove it afterwards: pulumi config rm emergency -s ${source.stack})`,
        });
        delete rawBody.emergency;
    }
    if (rawBody.notifications !== undefined && source.isSecret?.("notifications") === false) {
        problems.push({
            key: key("notifications"),
            message: "is stored in plaintext in the stack file; a webhook URL carries the webhook's token, and anyone who reads it can post to the channel",
            fix:
                `remove it (pulumi config rm notifications -s ${source.stack}), then set each URL as a secret: ` +
                `pulumi config set --secret --path 'notifications[0].url' <webhook URL> -s ${source.stack}; if the file was committed, delete the webhook in the chat's settings and create a new one`,
        });
    }
    const parsed = stackConfigSchema.safeParse(rawBody);
    let body: StackConfigBody | undefined;
    if (parsed.success) {
        body = parsed.data;
    } else {
        for (const issue of parsed.error.issues) problems.push(problemFromIssue(issue, key));
    }
    if (body) problems.push(...duplicateTargets(body.targets, key));
    if (body?.emergency && body.revocation.mode === "none") {
        problems.push({
            key: key("emergency"),
            message: "is set but revocation is none; an emergency rotation exists to kill the compromised key before anything else",
            fix: `set revocation to deactivate (needs ANTHROPIC_ADMIN_API_KEY) or verify (after revoking it in the Console): pulumi config set revocation deactivate -s ${source.stack}`,
        });
    }

    const environment = body?.environment ?? (typeof rawBody.environment === "string" ? rawBody.environment : source.stack);

    // --- the key
    let apiKey = "";
    const rawKey = source.get("apiKey");
    if (rawKey === undefined || rawKey.length === 0) {
        problems.push({ key: key("apiKey"), message: "is not set", fix: `create the key in the Anthropic Console, then ${SET_KEY_FIX}` });
    } else {
        if (source.isSecret?.("apiKey") === false) {
            problems.push({
                key: key("apiKey"),
                message: "is stored in plaintext in the stack file",
                fix: `remove it (pulumi config rm apiKey -s ${source.stack}), then ${SET_KEY_FIX}; treat the key as leaked if the file was committed`,
            });
        }
        const check = checkApiKey(rawKey);
        if (check.problem) {
            problems.push({
                key: key("apiKey"),
                message: `is not a usable Anthropic API key: ${describeKeyProblem(check.problem)}`,
                fix: `copy the key again from the Anthropic Console, then ${SET_KEY_FIX}`,
            });
        } else {
            apiKey = check.value;
            if (check.trimmed) {
                notices.push(`${key("apiKey")} had leading or trailing whitespace (a pasted newline?); the trimmed value is a valid key and is the one used. Re-set it to silence this notice.`);
            }
        }
    }

    // --- the key's Console name
    let parsedName: KeyName | undefined;
    const keyName = source.get("keyName")?.trim();
    if (keyName === undefined || keyName.length === 0) {
        problems.push({
            key: key("keyName"),
            message: "is not set",
            fix: `set the key's Console name: pulumi config set keyName <project>-${environment}-<purpose>-<YYYY-MM-DD> -s ${source.stack}`,
        });
    } else {
        const result = parseKeyName(keyName, { expectedEnvironment: environment, now: source.now });
        if (result.ok) {
            parsedName = result.name;
        } else {
            for (const p of result.problems) {
                problems.push({
                    key: key("keyName"),
                    message: `"${keyName}" is not valid: ${p.message}`,
                    fix:
                        p.kind === "environment-mismatch"
                            ? `use a key created for this environment, or set ${key("environment")} if the stack really is "${p.found}"`
                            : `rename the key in the Console if needed and set keyName to its exact name, e.g. raxx-${environment}-agents-2026-11-23`,
                });
            }
        }
    }

    if (problems.length > 0 || !body || !parsedName) throw new ConfigError(problems, source.stack);

    const overrides = typeof body.maxAgeDays === "number" ? { [environment]: body.maxAgeDays } : body.maxAgeDays ?? {};
    const { maxAgeDays: _ignored, environment: _env, revocation, emergency, validation, notifications, ...rest } = body;
    return {
        ...rest,
        notifications: notifications ?? [],
        validation: { ...validation, requireExpiry: validation.requireExpiry ?? defaultRequireExpiry(environment) },
        revocation: revocation.mode,
        revocationWatch: { minutes: revocation.watchMinutes ?? DEFAULT_WATCH_MINUTES, intervalSeconds: revocation.watchIntervalSeconds ?? DEFAULT_WATCH_INTERVAL_SECONDS },
        acknowledgeRemoved: revocation.acknowledgeRemoved ?? [],
        emergency: emergency !== undefined,
        ...(emergency ? { compromisedKey: emergency.compromisedKey } : {}),
        stack: source.stack,
        environment,
        apiKey,
        keyName: keyName!,
        parsedName,
        fingerprint: fingerprint(apiKey),
        maxAgeDays: maxAgeDaysFor(environment, overrides),
        notices,
    };
}

function pathText(path: readonly PropertyKey[]): string {
    let out = "";
    for (const part of path) out += typeof part === "number" ? `[${part}]` : out ? `.${String(part)}` : String(part);
    return out;
}

function problemFromIssue(issue: zcore.$ZodIssue, key: (k: string) => string): ConfigProblem {
    const where = key(pathText(issue.path));
    if (issue.code === "unrecognized_keys") {
        const path = issue.path;
        if (path.length === 1 && path[0] === "targets") {
            return {
                key: where,
                message: `has unknown target kind${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`,
                fix: `use only ${TARGET_KINDS.join(", ")}; a consumer without a provider can be a "commands" target`,
            };
        }
        return { key: where, message: `has unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}`, fix: "remove or correct them (see the configuration reference in the README)" };
    }
    if (issue.code === "invalid_union") {
        return {
            key: where,
            message: "is not a GitHub target",
            fix: "use { repository, secretName } for a repository secret, add environment for an environment secret, or { organization, visibility, secretName } for an organization secret",
        };
    }
    if (issue.code === "custom" && typeof issue.params?.fix === "string") {
        // Rules that know their own fix (urlSchema.ts); their messages never quote a value.
        return { key: where, message: issue.message, fix: issue.params.fix };
    }
    if (issue.code === "invalid_type" && issue.input === undefined) {
        return { key: where, message: "is required", fix: issue.path[0] === "notifications" ? NOTIFICATIONS_FIX : "set it in the stack file (see the configuration reference in the README)" };
    }
    // Messages from the schema never contain values, only rules.
    return { key: where, message: issue.message, fix: fixFor(issue) };
}

function fixFor(issue: zcore.$ZodIssue): string {
    const last = issue.path[issue.path.length - 1];
    if (issue.path.includes("vars")) return "rename the config var, e.g. ANTHROPIC_API_KEY or ANTHROPIC_API_KEY_AGENTS";
    if (last === "secretName") return "use a name like ANTHROPIC_API_KEY or ANTHROPIC_API_KEY_STAGING";
    if (last === "revocation" || (issue.path[0] === "revocation" && last === "mode")) return "use none, verify or deactivate";
    if (issue.path[0] === "revocation" && last === "watchMinutes") return "set how long to watch the consumers' health after a deactivation, e.g. revocation.watchMinutes: 5 (0 turns the watch off)";
    if (issue.path[0] === "revocation" && last === "watchIntervalSeconds") return "set the seconds between two health polls of the watch, e.g. revocation.watchIntervalSeconds: 30";
    if (issue.path[0] === "revocation" && issue.path.includes("acknowledgeRemoved")) return "list the consumers the refusal named, e.g. revocation.acknowledgeRemoved: [heroku app raxx-worker-prod]";
    if (issue.path[0] === "cutover") return "see the README's revocation section for cutover (idleMinutes 15, minNewKeyRequests 1, maxWaitMinutes 30, dataLagMinutes 5, pollSeconds 60), or set cutover: false to revoke without the usage proof";
    if (issue.path[0] === "notifications") return NOTIFICATIONS_FIX;
    if (issue.path[0] === "emergency") return "pulumi config set --path emergency.compromisedKey sha256:<12 hex digits> -s <stack> (the leaked key's fingerprint), or pulumi config rm emergency when it is over";
    if (issue.path[0] === "validation" && last === "requireExpiry") {
        return "use mandatory (a key that never expires, or expires long after its maximum age, stops the rotation) or advisory (a warning); remove it for the default (mandatory for prod, advisory elsewhere)";
    }
    if (last === "mode") return "use messages (one cheap Messages call) or models (free, proves authentication only)";
    return "correct the value (see the configuration reference in the README)";
}

function duplicateTargets(targets: Targets, key: (k: string) => string): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const check = <T>(kind: keyof Targets, list: readonly T[], identity: (t: T) => string, label: (t: T) => string) => {
        const seen = new Map<string, number>();
        list.forEach((t, i) => {
            const id = identity(t);
            const first = seen.get(id);
            if (first !== undefined) {
                problems.push({
                    key: key(`targets.${kind}[${i}]`),
                    message: `duplicates targets.${kind}[${first}] (${label(t)})`,
                    fix: kind === "heroku" ? "list each app once and put all its vars in that entry's vars" : "remove one of the two entries",
                });
            } else {
                seen.set(id, i);
            }
        });
    };
    check("infisical", targets.infisical, (t) => `${t.projectId}|${t.environment}|${t.secretPath}|${t.secretName}`, (t) => `${t.projectId}/${t.environment}${t.secretPath}${t.secretName}`);
    check("heroku", targets.heroku, (t) => t.app, (t) => `app ${t.app}`);
    check(
        "github",
        targets.github,
        (t) => ("organization" in t ? `org|${t.organization}|${t.secretName}` : `repo|${t.repository}|${t.environment ?? ""}|${t.secretName.toUpperCase()}`),
        (t) => ("organization" in t ? `org ${t.organization} secret ${t.secretName}` : `${t.repository}${t.environment ? ` env ${t.environment}` : ""} secret ${t.secretName}`),
    );
    check("commands", targets.commands, (t) => t.name, (t) => `command ${t.name}`);
    for (const [i, app] of targets.heroku.entries()) {
        const seen = new Set<string>();
        for (const v of app.vars) {
            if (seen.has(v)) problems.push({ key: key(`targets.heroku[${i}].vars`), message: `lists ${v} twice`, fix: "list each var once" });
            seen.add(v);
        }
    }
    return problems;
}
