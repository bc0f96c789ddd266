import { auditContextProblems } from "../audit/auditLog";
import { auditedStep } from "../audit/auditedStep";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { fingerprint, isFingerprint } from "../domain/fingerprint";
import { describeKeyProblem, keyProblemOf, redact } from "../domain/keyFormat";
import { herokuVarNameProblem } from "../domain/names";
import { receiptProblem, VALIDATION_RECEIPT_INPUT } from "../domain/receipt";
import { ConfigVarChanges, ConfigVars, HerokuApi, herokuApiError, HEROKU_API_URL, isHerokuApiError, normalizeApiUrl, STEP_CONFIG_VARS } from "./herokuApi";
import { UNKNOWN } from "../dynamic/unknown";

/**
 * The dynamic provider behind `pulumi-nodejs:dynamic/heroku:ConfigVars`: the config vars of ONE Heroku app
 * that carry the Anthropic key. All of the app's vars go out in ONE merge-PATCH, so a rotation is one
 * release and one restart per app, and the app's other config vars are never touched.
 *
 * Serialization rules (helper-conventions.md): this object literal is serialized into state as
 * `__provider`. It captures no credentials (HEROKU_API_KEY is read from process.env inside the calls) and
 * no npm module at module scope (`@pulumi/pulumi` is only a type import here, and is `require`d inside the
 * one method that logs). Only local modules are captured, and none holds key-shaped text.
 */

/** The var the key goes into when `vars` is not given. Same default as the stack config. */
export const DEFAULT_HEROKU_VAR = "ANTHROPIC_API_KEY";
/** Value of `remoteFingerprints[var]` when the var does not exist on the app. */
export const MISSING = "missing";


/** Heroku app names (2-30 characters of a-z, 0-9 and '-', starting with a letter) or an app UUID. */
const APP_NAME = /^(?:[a-z][a-z0-9-]{1,29}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export interface HerokuConfigVarsInputs {
    /** Heroku app name (or id). Changing it replaces the resource. */
    readonly app: string;
    /** Config var names that carry the key; default [ANTHROPIC_API_KEY]. */
    readonly vars: string[];
    /** The Anthropic API key (secret). */
    readonly apiKey: string;
    /** fingerprint(apiKey): what previews, state and audits show instead of the key. */
    readonly fingerprint: string;
    /** Platform API base URL; default https://api.heroku.com. */
    readonly apiUrl: string;
    /** PATCH the vars to null on delete (default false: leave them; removing a production key is an outage). */
    readonly removeOnDelete: boolean;
}

export interface HerokuConfigVarsOutputs {
    readonly app: string;
    readonly vars: string[];
    /** Fingerprint of the key this resource last wrote. */
    readonly fingerprint: string;
    readonly apiUrl: string;
    readonly removeOnDelete: boolean;
    /** "remove" or "retain": what `pulumi destroy` will do to the vars. */
    readonly onDelete: "remove" | "retain";
    /**
     * The release our PATCH created (vNN as a number). When every var already held the key and nothing was
     * removed, no PATCH was sent and this is the app's newest release at that time (`releaseCreated` false).
     * null only if the app has no release at all.
     */
    readonly releaseVersion: number | null;
    readonly releaseCreated: boolean;
    /** Per managed var, the fingerprint of the value on the app when last written or refreshed, or "missing". */
    readonly remoteFingerprints: Record<string, string>;
    /** Managed vars whose remote value is not the key we wrote (changed elsewhere, or missing). Empty when in sync. */
    readonly drift: string[];
    /** Vars dropped from `vars` in the last update that were set to null because they still held our key. */
    readonly removedVars: string[];
    /** Vars dropped from `vars` that were left in place because they held someone else's value. */
    readonly releasedVars: string[];
}

type Props = Record<string, unknown>;

export const herokuConfigVarsProvider: dynamic.ResourceProvider = {
    async check(_olds: Props, news: Props): Promise<dynamic.CheckResult> {
        const failures: dynamic.CheckFailure[] = [];
        const fail = (property: string, reason: string) => failures.push({ property, reason: redact(reason) });
        const known = (v: unknown) => v !== UNKNOWN;

        const app = news.app;
        if (known(app)) {
            if (typeof app !== "string" || !APP_NAME.test(app)) {
                fail("app", `Heroku app names are 2-30 characters of a-z, 0-9 and '-', starting with a letter (check targets.heroku[].app)`);
            }
        }

        let vars: unknown = news.vars === undefined || news.vars === null ? [DEFAULT_HEROKU_VAR] : news.vars;
        if (known(vars)) {
            if (!Array.isArray(vars) || vars.length === 0) {
                fail("vars", "vars must be a non-empty list of config var names, e.g. [ANTHROPIC_API_KEY]");
            } else {
                const seen = new Set<string>();
                for (const name of vars as unknown[]) {
                    if (!known(name)) continue;
                    if (typeof name !== "string") {
                        fail("vars", "every config var name must be a string");
                        continue;
                    }
                    const problem = herokuVarNameProblem(name);
                    if (problem) fail("vars", `config var ${JSON.stringify(name)}: ${problem}`);
                    if (seen.has(name)) fail("vars", `config var ${name} is listed twice`);
                    seen.add(name);
                }
                vars = [...(vars as unknown[])];
            }
        }

        let apiKey = news.apiKey;
        if (known(apiKey)) {
            if (typeof apiKey !== "string" || apiKey.trim().length === 0) {
                fail("apiKey", "apiKey is empty: set it with `pulumi config set --secret apiKey` (value from stdin)");
            } else {
                // A pasted value often carries a newline; the key itself never has whitespace.
                apiKey = apiKey.trim();
                const problem = keyShapeProblem(apiKey as string);
                if (problem) fail("apiKey", problem);
            }
        }

        const fp = news.fingerprint;
        if (known(fp)) {
            if (!isFingerprint(fp)) {
                fail("fingerprint", "fingerprint must look like sha256:<12 hex digits>; compute it with fingerprint(apiKey) from components/domain");
            } else if (typeof apiKey === "string" && known(apiKey) && apiKey.length > 0 && fingerprint(apiKey) !== fp) {
                fail("fingerprint", "fingerprint does not match apiKey; compute it with fingerprint(apiKey) from components/domain, from the same (trimmed) value");
            }
        }

        let apiUrl = news.apiUrl;
        if (known(apiUrl)) {
            if (apiUrl !== undefined && apiUrl !== null && (typeof apiUrl !== "string" || !/^https?:\/\/[^\s/]+/.test(apiUrl))) {
                fail("apiUrl", "apiUrl must be an http(s) URL such as https://api.heroku.com");
            } else {
                apiUrl = normalizeApiUrl(typeof apiUrl === "string" ? apiUrl : undefined);
            }
        }

        const removeOnDelete = news.removeOnDelete === undefined || news.removeOnDelete === null ? false : news.removeOnDelete;
        if (known(removeOnDelete) && typeof removeOnDelete !== "boolean") fail("removeOnDelete", "removeOnDelete must be true or false");

        // The validation receipt, when given: it must vouch for the key these vars would receive.
        const receipt = news[VALIDATION_RECEIPT_INPUT];
        const hasReceipt = receipt !== undefined && receipt !== null;
        const receiptIssue = hasReceipt ? receiptProblem(receipt, fp, (v) => !known(v)) : undefined;
        if (receiptIssue) fail(VALIDATION_RECEIPT_INPUT, receiptIssue);

        // The audit context must survive check: create/update record a secret.rotate.failed line from it.
        for (const problem of auditContextProblems(news.audit, (v) => !known(v))) fail("audit", problem);
        const audit = news.audit === undefined || news.audit === null ? {} : { audit: news.audit };
        // The webhooks told when the write fails (secret input); create/update read them, nothing else keeps them.
        const notifications = news.notifications === undefined || news.notifications === null ? {} : { notifications: news.notifications };

        return { inputs: { app, vars, apiKey, fingerprint: fp, apiUrl, removeOnDelete, ...(hasReceipt ? { [VALIDATION_RECEIPT_INPUT]: receipt } : {}), ...audit, ...notifications }, failures };
    },

    async diff(_id: string, olds: Props, news: Props): Promise<dynamic.DiffResult> {
        const replaces: string[] = [];
        let changes = false;
        if (news.app === UNKNOWN || news.app !== olds.app) {
            changes = true;
            if (news.app !== UNKNOWN) replaces.push("app");
        }
        if (news.fingerprint === UNKNOWN || news.fingerprint !== olds.fingerprint) changes = true;
        if (!sameNames(olds.vars, news.vars)) changes = true;
        if (normalizeApiUrl(asString(news.apiUrl)) !== normalizeApiUrl(asString(olds.apiUrl))) changes = true;
        if ((news.removeOnDelete === true) !== (olds.removeOnDelete === true)) changes = true;
        // Drift found by `pulumi refresh`: a managed var that does not hold the key we want. The update
        // puts it back; there is no network call here.
        const remote = olds.remoteFingerprints;
        if (remote && typeof remote === "object" && Array.isArray(news.vars) && news.fingerprint !== UNKNOWN) {
            for (const name of news.vars) {
                const fp = (remote as Record<string, unknown>)[String(name)];
                if (fp !== undefined && fp !== news.fingerprint) changes = true;
            }
        }
        return { changes, replaces, deleteBeforeReplace: false };
    },

    async create(inputs: Props): Promise<dynamic.CreateResult> {
        const outs = await auditedStep(inputs.audit, "heroku", [inputs.apiKey], () => apply(inputsOf(inputs), { removable: [], oldFingerprint: undefined }), {
            notifications: inputs.notifications,
            target: `heroku app ${String(inputs.app)}`,
        });
        return { id: String(inputs.app), outs };
    },

    async update(_id: string, olds: Props, inputs: Props): Promise<dynamic.UpdateResult> {
        const outs = await auditedStep(inputs.audit, "heroku", [inputs.apiKey], () => {
            const news = inputsOf(inputs);
            const oldVars = Array.isArray(olds.vars) ? olds.vars.map(String) : [];
            const removable = oldVars.filter((v) => !news.vars.includes(v));
            const oldFingerprint = isFingerprint(olds.fingerprint) ? olds.fingerprint : undefined;
            return apply(news, { removable, oldFingerprint });
        }, { notifications: inputs.notifications, target: `heroku app ${String(inputs.app)}` });
        return { outs };
    },

    async read(id: string, props?: Props): Promise<dynamic.ReadResult> {
        const state = (props ?? {}) as Props;
        const app = typeof state.app === "string" && state.app ? state.app : id;
        const vars = Array.isArray(state.vars) ? state.vars.map(String) : [DEFAULT_HEROKU_VAR];
        const want = isFingerprint(state.fingerprint) ? state.fingerprint : "";
        const api = new HerokuApi({ apiUrl: asString(state.apiUrl) });
        let remote: ConfigVars;
        try {
            remote = await api.getConfigVars(app);
        } catch (err) {
            // The app is gone: so are its config vars. Report the resource as deleted (refresh shows it).
            if (isHerokuApiError(err) && err.status === 404 && err.herokuId === "not_found") return { id: "" };
            throw err;
        }
        const remoteFingerprints = fingerprintsOf(remote, vars);
        const drift = vars.filter((v) => remoteFingerprints[v] !== want);
        const removeOnDelete = state.removeOnDelete === true;
        const outs: HerokuConfigVarsOutputs = {
            app,
            vars,
            fingerprint: want,
            apiUrl: normalizeApiUrl(asString(state.apiUrl)),
            removeOnDelete,
            onDelete: removeOnDelete ? "remove" : "retain",
            releaseVersion: typeof state.releaseVersion === "number" ? state.releaseVersion : null,
            releaseCreated: state.releaseCreated === true,
            remoteFingerprints,
            drift,
            removedVars: stringList(state.removedVars),
            releasedVars: stringList(state.releasedVars),
        };
        return { id, props: { ...outs } };
    },

    async delete(_id: string, props: Props): Promise<void> {
        const app = String(props.app);
        const vars = Array.isArray(props.vars) ? props.vars.map(String) : [];
        if (props.removeOnDelete !== true) {
            notice(
                `heroku config vars: heroku app ${app}: left ${vars.join(", ")} in place on delete (removeOnDelete is false: removing a production key is an outage). ` +
                    `Remove them with \`heroku config:unset ${vars.join(" ")} -a ${app}\` if the app no longer needs them.`,
            );
            return;
        }
        const api = new HerokuApi({ apiUrl: asString(props.apiUrl) });
        let remote: ConfigVars;
        try {
            remote = await api.getConfigVars(app);
        } catch (err) {
            if (isHerokuApiError(err) && err.status === 404 && err.herokuId === "not_found") {
                notice(`heroku config vars: heroku app ${app} no longer exists; nothing to remove.`);
                return;
            }
            throw err;
        }
        const ours = vars.filter((v) => v in remote && fingerprint(remote[v]!) === props.fingerprint);
        const foreign = vars.filter((v) => v in remote && !ours.includes(v));
        if (foreign.length > 0) {
            notice(
                `heroku config vars: heroku app ${app}: left ${foreign.join(", ")} in place on delete: they no longer hold the key this stack wrote (${String(props.fingerprint)}), so someone else owns them now.`,
            );
        }
        if (ours.length === 0) return;
        const changes: ConfigVarChanges = {};
        for (const v of ours) changes[v] = null;
        await api.patchConfigVars(app, changes);
        notice(`heroku config vars: heroku app ${app}: removed ${ours.join(", ")} (removeOnDelete); Heroku restarts the app's dynos.`);
    },
};

interface ApplyPlan {
    /** Vars dropped from `vars` since the last write. */
    readonly removable: readonly string[];
    /** Fingerprint of the key written last time. */
    readonly oldFingerprint: string | undefined;
}

/**
 * Writes the key into every managed var in ONE PATCH (one release, one restart) and, in the same PATCH,
 * sets vars dropped from `vars` to null — but only those that still hold a key this stack wrote (the old
 * or the new one). A dropped var holding anything else belongs to someone else and is left alone.
 * Nothing else on the app is named in the PATCH, so every other config var stays byte for byte.
 * When the app already holds the key everywhere and nothing is to be removed, no PATCH is sent (no
 * needless restart; re-running after an interrupted `pulumi up` is safe).
 */
async function apply(news: HerokuConfigVarsInputs, plan: ApplyPlan): Promise<HerokuConfigVarsOutputs> {
    const api = new HerokuApi({ apiUrl: news.apiUrl, secrets: [news.apiKey] });
    const before = await api.getConfigVars(news.app);
    const removedVars = plan.removable.filter((v) => {
        if (!(v in before)) return false;
        const value = before[v]!;
        return value === news.apiKey || (plan.oldFingerprint !== undefined && fingerprint(value) === plan.oldFingerprint);
    });
    const releasedVars = plan.removable.filter((v) => v in before && !removedVars.includes(v));
    if (releasedVars.length > 0) {
        notice(
            `heroku config vars: heroku app ${news.app}: no longer managing ${releasedVars.join(", ")}; left in place because they hold a value this stack did not write.`,
        );
    }
    const stale = news.vars.filter((v) => before[v] !== news.apiKey);
    let after: ConfigVars = before;
    let releaseCreated = false;
    if (stale.length > 0 || removedVars.length > 0) {
        const changes: ConfigVarChanges = {};
        for (const v of news.vars) changes[v] = news.apiKey;
        for (const v of removedVars) changes[v] = null;
        after = await api.patchConfigVars(news.app, changes);
        releaseCreated = true;
        const wrong = news.vars.filter((v) => after[v] !== news.apiKey);
        if (wrong.length > 0) {
            throw herokuApiError(
                redact(
                    `${STEP_CONFIG_VARS}: heroku app ${news.app}: Heroku accepted the change but its answer does not show the new value in ${wrong.join(", ")}; run \`heroku config -a ${news.app}\` to look, then run pulumi up again`,
                    [news.apiKey],
                ),
                STEP_CONFIG_VARS,
                news.app,
            );
        }
    }
    const release = await api.latestRelease(news.app, STEP_CONFIG_VARS);
    const remoteFingerprints = fingerprintsOf(after, news.vars);
    return {
        app: news.app,
        vars: [...news.vars],
        fingerprint: news.fingerprint,
        apiUrl: news.apiUrl,
        removeOnDelete: news.removeOnDelete,
        onDelete: news.removeOnDelete ? "remove" : "retain",
        releaseVersion: release ? release.version : null,
        releaseCreated,
        remoteFingerprints,
        drift: news.vars.filter((v) => remoteFingerprints[v] !== news.fingerprint),
        removedVars,
        releasedVars,
    };
}

/** Inputs as check() left them; re-validated cheaply because create/update must never write a bad value. */
function inputsOf(inputs: Props): HerokuConfigVarsInputs {
    const app = String(inputs.app ?? "");
    const apiKey = typeof inputs.apiKey === "string" ? inputs.apiKey.trim() : "";
    const vars = Array.isArray(inputs.vars) && inputs.vars.length > 0 ? inputs.vars.map(String) : [DEFAULT_HEROKU_VAR];
    const problems: string[] = [];
    if (!APP_NAME.test(app)) problems.push("the app name is not a Heroku app name");
    if (!apiKey) problems.push("apiKey is empty");
    if (apiKey && fingerprint(apiKey) !== inputs.fingerprint) problems.push("fingerprint does not match apiKey");
    for (const v of vars) {
        const problem = herokuVarNameProblem(v);
        if (problem) problems.push(`config var ${JSON.stringify(v)}: ${problem}`);
    }
    if (problems.length > 0) {
        throw new Error(redact(`${STEP_CONFIG_VARS}: heroku app ${app || "(none)"}: ${problems.join("; ")}; fix targets.heroku in the stack config`, [apiKey]));
    }
    return {
        app,
        vars,
        apiKey,
        fingerprint: String(inputs.fingerprint),
        apiUrl: normalizeApiUrl(asString(inputs.apiUrl) ?? HEROKU_API_URL),
        removeOnDelete: inputs.removeOnDelete === true,
    };
}

/** Why the value is not an API key to fan out (the shared rule of components/domain). Never returns any part of it. */
function keyShapeProblem(key: string): string | undefined {
    if (/\s/.test(key)) return "apiKey contains whitespace inside the value; paste the key again, on one line";
    const problem = keyProblemOf(key);
    return problem ? `apiKey is not usable: ${describeKeyProblem(problem)}` : undefined;
}

function fingerprintsOf(remote: ConfigVars, vars: readonly string[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (const v of vars) out[v] = v in remote ? fingerprint(remote[v]!) : MISSING;
    return out;
}

function sameNames(a: unknown, b: unknown): boolean {
    if (!Array.isArray(a) || !Array.isArray(b)) return a === b;
    const x = [...new Set(a.map(String))].sort();
    const y = [...new Set(b.map(String))].sort();
    return x.length === y.length && x.every((v, i) => v === y[i]);
}

function asString(value: unknown): string | undefined {
    return typeof value === "string" ? value : undefined;
}

function stringList(value: unknown): string[] {
    return Array.isArray(value) ? value.map(String) : [];
}

/** A warning the operator sees in `pulumi up` / `destroy` output (redacted; never a value). */
function notice(message: string): void {
    const text = redact(message);
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded at run time, never serialized
        const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
        void pulumi.log.warn(text);
    } catch {
        console.warn(text);
    }
}
