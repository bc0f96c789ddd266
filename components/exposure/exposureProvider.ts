import type * as dynamic from "@pulumi/pulumi/dynamic";
import { errorMessage } from "../audit/auditLog";
import { redact } from "../domain/keyFormat";
import { EVENT_EXPOSURE_READY } from "../notifications/events";
import { failedNotificationsText, NotificationOutcome, sendNotification } from "../notifications/send";
import { webhooksOf, webhookSecrets } from "../notifications/webhooks";
import { operatorWarning } from "../anthropic/operatorWarning";
import { UNKNOWN } from "../dynamic/unknown";
import { writeExposureFile } from "./exposureFile";
import { ExposureReport, ExposureResult, summarizeExposure } from "./exposureTypes";
import { runExposure, UNAVAILABLE } from "./runExposure";
import { exposureSettingsOf } from "./settings";

/**
 * The dynamic provider behind `pulumi-nodejs:dynamic/anthropic:ExposureReport` (emergency mode only, after the
 * leaked key's deactivation): the compromised key's usage over the last hours, written to a file next to the
 * audit log, its summary an output (the audit record's and the stack's `exposure`).
 *
 * - create / update never fail: a missing or refused admin key, an unknown key id, a failing usage query or an
 *   unwritable file give `status: "unavailable"` with the reason ("exposure report unavailable: …"), so the
 *   report can never fail the emergency rotation. A re-run with the same emergency repeats only an unavailable
 *   report.
 * - Credentials: ANTHROPIC_ADMIN_API_KEY, read from process.env inside create/update only.
 * - With `notifications` (a secret input: the webhooks), a ready report is announced ("exposure report ready":
 *   the key's id and fingerprint, the window, the requests, the flags, the file); the outcomes (host only) are
 *   the output `notified`, a failed webhook a warning. The webhooks never reach the outputs.
 * - No key material in any input or output: the key is named by its Admin API id and fingerprint.
 */

type Props = Record<string, unknown>;

const KEY_ID = /^apikey_[A-Za-z0-9]+$/;
const PAGE_BUDGET_MS = 30_000;

/** The compromised key's Admin API id: named directly, or found by fingerprint among the keys the revocation handled. */
export function compromisedKeyId(compromisedKey: unknown, revokedKeys: unknown): string | null {
    if (typeof compromisedKey !== "string") return null;
    if (KEY_ID.test(compromisedKey)) return compromisedKey;
    if (!Array.isArray(revokedKeys)) return null;
    for (const k of revokedKeys) {
        const e = (k ?? {}) as Record<string, unknown>;
        if (e.fingerprint === compromisedKey && typeof e.keyId === "string" && KEY_ID.test(e.keyId)) return e.keyId;
    }
    return null;
}

async function report(props: Props): Promise<Props> {
    const now = new Date();
    const adminKey = process.env.ANTHROPIC_ADMIN_API_KEY?.trim() || undefined;
    const secrets = adminKey ? [adminKey] : [];
    const keyId = compromisedKeyId(props.compromisedKey, props.revokedKeys);
    let result: ExposureResult;
    let file: string | null = null;
    try {
        if (!keyId) {
            result = {
                status: "unavailable",
                keyId: null,
                generatedAt: now.toISOString(),
                reason:
                    `${UNAVAILABLE}: the Admin API id of the compromised key ${String(props.compromisedKey)} is not known (the key validation did not find it); ` +
                    "look it up in the Console (Settings → API keys) and run npm run status -- --exposure apikey_…",
            };
        } else {
            result = await runExposure({
                keyId,
                adminKey,
                baseUrl: typeof props.baseUrl === "string" && props.baseUrl ? props.baseUrl : "https://api.anthropic.com",
                settings: exposureSettingsOf(props.settings),
                now,
                maxTotalMs: PAGE_BUDGET_MS,
            });
        }
        if (result.status === "ready") {
            const audit = (props.audit ?? {}) as { path?: unknown };
            try {
                file = writeExposureFile(typeof audit.path === "string" ? audit.path : undefined, result, secrets);
            } catch (err) {
                result = { status: "unavailable", keyId, generatedAt: now.toISOString(), reason: `${UNAVAILABLE}: the report could not be written: ${errorMessage(err)}` };
            }
        }
    } catch (err) {
        result = { status: "unavailable", keyId, generatedAt: now.toISOString(), reason: redact(`${UNAVAILABLE}: ${errorMessage(err)}`, secrets) };
    }
    const notified = result.status === "ready" ? await announce(props, result, file, secrets) : [];
    const { notifications: _webhooks, ...rest } = props;
    return { ...rest, keyId, file, summary: summarizeExposure(result, file), notified };
}

/** "Exposure report ready" to each configured webhook; never throws. */
async function announce(props: Props, report: ExposureReport, file: string | null, secrets: readonly string[]): Promise<NotificationOutcome[]> {
    const webhooks = webhooksOf(props.notifications);
    if (webhooks.length === 0) return [];
    const fingerprint = typeof props.compromisedKey === "string" && props.compromisedKey.startsWith("sha256:") ? props.compromisedKey : undefined;
    const outcomes = await sendNotification(
        webhooks,
        {
            kind: EVENT_EXPOSURE_READY,
            keyId: report.keyId,
            ...(fingerprint ? { fingerprint } : {}),
            from: report.window.start,
            to: report.window.end,
            requests: report.totals.requests ?? 0,
            flags: report.flags.map((f) => f.summary),
            ...(file ? { report: file } : {}),
        },
        { secrets },
    );
    const warning = failedNotificationsText(outcomes, "exposure report ready");
    if (warning) operatorWarning(warning, [...webhookSecrets(webhooks), ...secrets]);
    return outcomes;
}

const WATCHED = ["compromisedKey", "fingerprint", "settings", "baseUrl"] as const;

export const exposureReportProvider: dynamic.ResourceProvider = {
    async check(_olds: Props, news: Props): Promise<dynamic.CheckResult> {
        const failures: dynamic.CheckFailure[] = [];
        for (const [name, value] of Object.entries(news)) {
            if (name === "__provider") continue;
            const text = JSON.stringify(value) ?? "";
            if (redact(text) !== text) failures.push({ property: name, reason: `${name} holds key material; the exposure report's inputs never carry a key` });
        }
        return { inputs: news, failures };
    },

    async diff(_id: string, olds: Props, news: Props): Promise<dynamic.DiffResult> {
        const changed = WATCHED.some((k) => news[k] === UNKNOWN || JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
        const retry = ((olds.summary ?? {}) as { status?: unknown }).status !== "ready";
        return { changes: changed || retry, replaces: [], deleteBeforeReplace: false };
    },

    async create(props: Props): Promise<dynamic.CreateResult> {
        const outs = await report(props);
        return { id: `exposure-${typeof outs.keyId === "string" ? outs.keyId : "unknown"}-${Date.now().toString(36)}`, outs };
    },

    async update(_id: string, _olds: Props, news: Props): Promise<dynamic.UpdateResult> {
        return { outs: await report(news) };
    },

    async read(id: string, props?: Props): Promise<dynamic.ReadResult> {
        return { id, props: props ?? {} };
    },

    async delete(): Promise<void> {
        // The file under audit/ is evidence: never removed.
    },
};
