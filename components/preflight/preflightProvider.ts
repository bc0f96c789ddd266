import type * as dynamic from "@pulumi/pulumi/dynamic";
import { auditedStep } from "../audit/auditedStep";
import { HttpClient } from "../http/httpClient";
import { UNKNOWN } from "../dynamic/unknown";
import { inputProblems, PREFLIGHT_INPUTS, preflightInputsOf } from "./preflightInputs";
import { STEP_PREFLIGHT } from "./problem";
import { credentialValues, runPreflight } from "./runPreflight";

/**
 * The dynamic provider behind `pulumi-nodejs:dynamic/preflight:CredentialPreflight`.
 *
 * - check, diff: offline. A new key (fingerprint) or a change of targets, endpoints or revocation mode means an
 *   update, so every rotation runs the preflight once, and a run that changes nothing previews clean.
 * - create / update: the only methods that call anything (the engine never calls them during a preview, like the
 *   key validation's). Every credential is tried read-only, in parallel; on any problem one error lists them all,
 *   a `secret.rotate.failed` line with step `preflight` is appended to the audit log, and the engine writes
 *   nothing that depends on this resource: the Infisical write, and after it every other consumer.
 * - read: the state as it is; delete: nothing to remove.
 *
 * Serialization: credentials are read from process.env inside create/update, never at module scope; the HTTP
 * client and the Infisical SDK are constructed (and the SDK required) inside the calls.
 */

type Props = Record<string, unknown>;

/** Equal as values: state may hold an object's keys in another order, and absent equals null. */
function sameValue(a: unknown, b: unknown): boolean {
    return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
    if (v === undefined || v === null) return null;
    if (Array.isArray(v)) return v.map(canonical);
    if (typeof v === "object") {
        return Object.fromEntries(
            Object.entries(v as Props)
                .filter(([, x]) => x !== undefined && x !== null)
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([k, x]) => [k, canonical(x)]),
        );
    }
    return v;
}

function newId(): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { randomBytes } = require("crypto") as typeof import("crypto");
    return `preflight-${randomBytes(8).toString("hex")}`;
}

async function preflight(props: Props): Promise<Props> {
    const env = process.env;
    const inputs = preflightInputsOf(props);
    const { passed } = await auditedStep(props.audit, STEP_PREFLIGHT, credentialValues(env), () => runPreflight(inputs, { env, http: new HttpClient() }), {
        notifications: props.notifications,
    });
    return { ...props, checkedAt: new Date().toISOString(), passed };
}

export const preflightProvider: dynamic.ResourceProvider = {
    async check(_olds: Props, news: Props): Promise<dynamic.CheckResult> {
        return { inputs: news, failures: inputProblems(news, (v) => v === UNKNOWN) };
    },

    async diff(_id: string, olds: Props, news: Props): Promise<dynamic.DiffResult> {
        const changed = PREFLIGHT_INPUTS.filter((k) => news[k] === UNKNOWN || !sameValue(olds[k], news[k]));
        return { changes: changed.length > 0, replaces: [], deleteBeforeReplace: false };
    },

    async create(props: Props): Promise<dynamic.CreateResult> {
        return { id: newId(), outs: await preflight(props) };
    },

    async update(_id: string, _olds: Props, news: Props): Promise<dynamic.UpdateResult> {
        return { outs: await preflight(news) };
    },

    async read(id: string, props?: Props): Promise<dynamic.ReadResult> {
        return { id, props: props ?? {} };
    },

    async delete(): Promise<void> {
        // A preflight is a record of checks, not a remote object: nothing to remove.
    },
};
