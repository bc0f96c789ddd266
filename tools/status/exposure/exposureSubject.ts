import { resolve } from "path";
import { readStackFile } from "../../../components/config/stackFile";
import { exposureSchema } from "../../../components/config/exposureSchema";
import { DEFAULT_EXPOSURE_SETTINGS, ExposureSettings } from "../../../components/exposure/settings";
import { DEFAULT_AUDIT_LOG_PATH } from "../../../components/audit/auditLog";
import { UsageError } from "../args";
import { StackFileRef } from "../stackInventory";

/** Which key `--exposure` names, the settings that apply and where the file goes. */
export interface ExposureSubject {
    readonly keyId: string;
    readonly stack?: string;
    readonly settings: ExposureSettings;
    /** Absolute path of the audit log; the report goes next to it. */
    readonly auditLog: string;
}

const KEY_ID = /^apikey_[A-Za-z0-9]+$/;

export function resolveExposureSubject(subject: string, dir: string, stacks: readonly StackFileRef[], hours: number | undefined): ExposureSubject {
    const withHours = (s: ExposureSettings): ExposureSettings => (hours !== undefined ? { ...s, hours } : s);
    if (KEY_ID.test(subject)) {
        return { keyId: subject, settings: withHours(DEFAULT_EXPOSURE_SETTINGS), auditLog: resolve(dir, DEFAULT_AUDIT_LOG_PATH) };
    }
    const ref = stacks.find((s) => s.stack === subject);
    if (!ref) {
        throw new UsageError(`--exposure ${subject}: neither a key id (apikey_…) nor a stack of this project (stacks: ${stacks.map((s) => s.stack).join(", ") || "none"})`);
    }
    const values = readStackFile(ref.path, ref.stack).values;
    const parsed = exposureSchema.safeParse(values.exposure === undefined ? undefined : JSON.parse(values.exposure));
    if (!parsed.success) throw new UsageError(`${ref.file}: anthropic-key-rotation:exposure ${parsed.error.issues[0]?.message ?? "is not valid"}`);
    const compromised = jsonField(values.emergency, "compromisedKey");
    const keyId = typeof compromised === "string" && KEY_ID.test(compromised) ? compromised : values.keyId;
    if (!keyId || !KEY_ID.test(keyId)) {
        throw new UsageError(
            `stack ${ref.stack} names no key by its Admin API id (emergency.compromisedKey${compromised ? ` is the fingerprint ${String(compromised)}` : " is not set"}, keyId is not set); ` +
                "pass the id instead: npm run status -- --exposure apikey_… (the revocation stack output and the Console list it)",
        );
    }
    return { keyId, stack: ref.stack, settings: withHours(parsed.data), auditLog: resolve(dir, values.auditLog ?? DEFAULT_AUDIT_LOG_PATH) };
}

function jsonField(text: string | undefined, field: string): unknown {
    if (text === undefined) return undefined;
    try {
        const v = JSON.parse(text) as unknown;
        return v && typeof v === "object" ? (v as Record<string, unknown>)[field] : undefined;
    } catch {
        return undefined;
    }
}
