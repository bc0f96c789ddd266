/**
 * Key age, shared by anthropic-key-max-age (mandatory) and anthropic-key-rotation-due (advisory). The rules
 * (limits per environment, due date, days left) come from components/domain/rotationAge.ts.
 */
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import {
    DEFAULT_MAX_AGE_DAYS,
    echoableKeyName,
    FALLBACK_MAX_AGE_DAYS,
    isRealDate,
    maxAgeDaysFor,
    rotationStatus,
    RotationStatus,
} from "../../components/domain";
import { readString, UNKNOWN } from "./common";
import { canonicalEnvironment } from "./environments";

export interface AgeConfig {
    /** Limit in days per environment (canonical name or exact token). */
    readonly maxAgeDays: Readonly<Record<string, number>>;
    /** Limit for environments the table does not name. */
    readonly otherEnvironmentsMaxAgeDays: number;
}

export const DEFAULT_POLICY_MAX_AGE_DAYS: Readonly<Record<string, number>> = {
    prod: DEFAULT_MAX_AGE_DAYS.prod!,
    staging: DEFAULT_MAX_AGE_DAYS.staging!,
    dev: DEFAULT_MAX_AGE_DAYS.dev!,
};

export const AGE_CONFIG_PROPERTIES: Record<string, PolicyConfigJSONSchema> = {
    maxAgeDays: {
        type: "object",
        description:
            "Maximum key age in days per environment, e.g. {\"prod\": 90, \"staging\": 90, \"dev\": 365}. The SOP follows " +
            "Anthropic's 90-day advice; the security policy allows 180. Environments not listed use the built-in defaults " +
            "(prod/staging 90, dev 365), then otherEnvironmentsMaxAgeDays.",
        additionalProperties: { type: "integer", minimum: 1, maximum: 3650 },
        default: { ...DEFAULT_POLICY_MAX_AGE_DAYS },
    },
    otherEnvironmentsMaxAgeDays: {
        type: "integer",
        minimum: 1,
        maximum: 3650,
        description: "Maximum key age in days for environments with no entry in maxAgeDays and no built-in default.",
        default: FALLBACK_MAX_AGE_DAYS,
    },
};

/** The same settings without defaults, for anthropic-key-rotation-due: when absent they are inherited. */
export const INHERITED_AGE_CONFIG_PROPERTIES: Record<string, PolicyConfigJSONSchema> = Object.fromEntries(
    Object.entries(AGE_CONFIG_PROPERTIES).map(([k, v]) => {
        const schema: PolicyConfigJSONSchema = { ...v, description: `${v.description} When not set, the value anthropic-key-max-age uses applies.` };
        delete schema.default;
        return [k, schema];
    }),
);

export const DEFAULT_AGE_CONFIG: AgeConfig = {
    maxAgeDays: DEFAULT_POLICY_MAX_AGE_DAYS,
    otherEnvironmentsMaxAgeDays: FALLBACK_MAX_AGE_DAYS,
};

/**
 * The limits anthropic-key-max-age ran with. Within one Analyze call the policies run in pack order, max-age
 * before rotation-due, and the config is fixed for the life of the pack process; so the reminders follow the
 * limits the mandatory policy enforces unless rotation-due is given its own. Built-in defaults when max-age
 * did not run (disabled).
 */
let enforcedAgeConfig: AgeConfig | undefined;

export function rememberEnforcedAgeConfig(config: AgeConfig | undefined): void {
    enforcedAgeConfig = config;
}

export function enforcedAgeConfigOrDefault(): AgeConfig {
    return enforcedAgeConfig ?? DEFAULT_AGE_CONFIG;
}

/** The age limit that applies to an environment. */
export function limitFor(environment: string, config: AgeConfig): number {
    const table = config.maxAgeDays;
    const direct = table[environment] ?? table[canonicalEnvironment(environment)];
    if (direct !== undefined) return direct;
    if (DEFAULT_MAX_AGE_DAYS[environment] !== undefined) return maxAgeDaysFor(environment);
    return config.otherEnvironmentsMaxAgeDays;
}

/** `keyName` is present only when messages may quote it (echoableKeyName): a name that could hold a key tail is left out. */
export type KeyAge =
    | { kind: "known"; environment: string; keyName?: string; createdAt: string; from: string; status: RotationStatus }
    | { kind: "undetermined"; environment?: string; keyName?: string; reason: string }
    | { kind: "unknown" };

/** The date at the end of a key name, when it is a real date. */
export function dateInKeyName(keyName: string): string | undefined {
    const m = /(\d{4}-\d{2}-\d{2})$/.exec(keyName);
    return m && isRealDate(m[1]!) ? m[1] : undefined;
}

/**
 * The age of the key a KeyValidation validates. Age counts from `createdAt`, falling back to the date in
 * `keyName`; when both are present and differ, the earlier date counts (the conservative choice).
 */
export function keyAgeOf(props: unknown, config: AgeConfig, now: Date = new Date()): KeyAge {
    const environment = readString(props, "environment");
    const keyName = readString(props, "keyName");
    const createdAt = readString(props, "createdAt");
    if (environment === UNKNOWN || keyName === UNKNOWN || createdAt === UNKNOWN) return { kind: "unknown" };
    const shownName = keyName ? echoableKeyName(keyName) : undefined;
    const base = { ...(environment ? { environment } : {}), ...(shownName ? { keyName: shownName } : {}) };
    if (!environment) return { kind: "undetermined", ...base, reason: "the `environment` input is missing" };
    const fromCreated = createdAt && isRealDate(createdAt) ? createdAt : undefined;
    const fromName = keyName ? dateInKeyName(keyName) : undefined;
    const candidates = [fromCreated, fromName].filter((d): d is string => d !== undefined).sort();
    const used = candidates[0];
    if (!used) {
        return {
            kind: "undetermined",
            ...base,
            reason: "neither `createdAt` nor the date at the end of `keyName` is a real YYYY-MM-DD date",
        };
    }
    const from =
        fromCreated && fromName && fromCreated !== fromName
            ? `${used}, the earlier of createdAt ${fromCreated} and the date in keyName ${fromName}`
            : used === fromCreated
              ? `${used}, per createdAt`
              : `${used}, per the date in keyName`;
    return { kind: "known", environment, ...base, createdAt: used, from, status: rotationStatus(used, limitFor(environment, config), now) };
}
