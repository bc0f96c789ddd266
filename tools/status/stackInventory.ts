import { readdirSync } from "fs";
import { join } from "path";
import { CONFIG_NAMESPACE } from "../../components/config/loadConfig";
import { stackConfigSchema } from "../../components/config/schema";
import { readStackFile, StackFileConfig } from "../../components/config/stackFile";
import { containsKeyMaterial, redact } from "../../components/domain/keyFormat";
import { parseKeyName } from "../../components/domain/keyName";
import type { DueBy } from "../../components/domain/keyExpiry";
import { maxAgeDaysFor, rotationStatus, RotationVerdict } from "../../components/domain/rotationAge";
import { GithubActionsConsumer, githubActionsConsumers } from "./githubActionsConsumers";

/**
 * The offline half of `npm run status`: one row per stack file, computed from the key's Console name
 * (the date in it is the day the key was created) and the stack's `maxAgeDays`. Pure functions over
 * already-read files plus one directory reader; no Pulumi CLI, no credentials, no network.
 */

/** Where the stack's `apiKey` stands in its file. The value itself is never read into a row. */
export type ApiKeyState = "encrypted" | "missing" | "plaintext";

export interface StackKeyRow {
    readonly stack: string;
    /** The file's name, e.g. `Pulumi.prod.yaml`. */
    readonly file: string;
    readonly environment: string;
    /** The configured Console name, when it is set and safe to print. */
    readonly keyName?: string;
    /** The Admin API key id (`keyId` config), when set. */
    readonly keyId?: string;
    readonly apiKey: ApiKeyState;
    /** `YYYY-MM-DD`, from the key name. Absent when the row has a problem. */
    readonly createdAt?: string;
    readonly ageDays?: number;
    readonly maxAgeDays: number;
    /** `config` when the stack's maxAgeDays sets it, else the documented default for the environment. */
    readonly maxAgeSource: "config" | "default";
    /** The earlier of the age-based due date and (with --live) the key's expiry; see dueBy. */
    readonly dueDate?: string;
    readonly daysLeft?: number;
    /** With --live, when the key's record was found: which date is the due date (absent offline: the age-based one). */
    readonly dueBy?: DueBy;
    /** With --live: the age-based due date, when dueBy says the expiry came first (or not). */
    readonly ageDueDate?: string;
    /** With --live: the key's Admin API expires_at (RFC 3339), or null when it never expires. */
    readonly expiresAt?: string | null;
    /** The rotation verdict, or `problem` when the stack file does not say enough to compute one. */
    readonly verdict: RotationVerdict | "problem";
    /** What is wrong with the stack file and how to fix it (never holds a secret). */
    readonly problems: readonly string[];
    /** Things worth knowing that are not errors. */
    readonly notes: readonly string[];
    /** GitHub Actions consumers, each of which could drop the static key through workload identity federation. */
    readonly githubActions?: readonly GithubActionsConsumer[];
}

export interface StackFileRef {
    readonly stack: string;
    readonly file: string;
    readonly path: string;
}

const STACK_FILE = /^Pulumi\.(.+)\.ya?ml$/;

/** Every `Pulumi.<stack>.yaml` in the directory, sorted by stack name (`Pulumi.yaml` itself excluded). */
/**
 * Stacks that only ever talk to loopback emulators (`npm run rehearse`). Their key is generated per run, so
 * they are neither reported nor previewed in CI.
 */
export const REHEARSAL_STACKS: readonly string[] = ["sandbox"];

export function findStackFiles(dir: string): StackFileRef[] {
    return readdirSync(dir)
        .map((file) => ({ file, m: STACK_FILE.exec(file) }))
        .filter((e): e is { file: string; m: RegExpExecArray } => e.m !== null && !REHEARSAL_STACKS.includes(e.m[1]!))
        .map(({ file, m }) => ({ stack: m[1]!, file, path: join(dir, file) }))
        .sort((a, b) => (a.stack < b.stack ? -1 : a.stack > b.stack ? 1 : 0));
}

/** Reads and evaluates every stack file in the directory. A file that cannot be read is a problem row. */
export function readInventory(dir: string, now: Date): StackKeyRow[] {
    return findStackFiles(dir).map((ref) => {
        let file: StackFileConfig;
        try {
            file = readStackFile(ref.path, ref.stack);
        } catch (err) {
            // YAML errors quote the offending line: redact in case it held a key.
            const reason = redact(err instanceof Error ? err.message : String(err)).split("\n")[0];
            return problemRow(ref, ref.stack, [`${ref.file} could not be read as YAML (${reason}); fix the file, then run again`]);
        }
        return stackRow(file, ref.file, now);
    });
}

/** The row for one stack file, given "now". Pure. */
export function stackRow(file: StackFileConfig, fileName: string, now: Date): StackKeyRow {
    const ref = { stack: file.stack, file: fileName };
    const k = (short: string) => `${CONFIG_NAMESPACE}:${short}`;
    const problems: string[] = [];
    const notes: string[] = [];

    let environment = file.stack;
    const envText = file.values.environment;
    if (envText !== undefined) {
        if (stackConfigSchema.shape.environment.safeParse(envText).success) environment = envText;
        else problems.push(`${k("environment")} must be lower-case letters and digits; fix it in ${fileName}`);
    }

    const apiKey: ApiKeyState = file.secureKeys.includes("apiKey") ? "encrypted" : file.values.apiKey !== undefined ? "plaintext" : "missing";
    if (apiKey === "plaintext") {
        problems.push(
            `${k("apiKey")} is stored in PLAINTEXT in ${fileName}: treat the key as leaked (emergency rotation), remove it with ` +
                `pulumi config rm apiKey -s ${file.stack} and set the new one with pulumi config set --secret apiKey -s ${file.stack}`,
        );
    } else if (apiKey === "missing") {
        notes.push(`${k("apiKey")} is not set in ${fileName} yet; set it with pulumi config set --secret apiKey -s ${file.stack} before pulumi up`);
    }

    const maxAge = maxAgeOf(file.values.maxAgeDays, environment);
    if ("problem" in maxAge) problems.push(`${k("maxAgeDays")} ${maxAge.problem}; fix it in ${fileName}`);
    const maxAgeDays = "problem" in maxAge ? maxAgeDaysFor(environment) : maxAge.days;
    const maxAgeSource = "problem" in maxAge ? "default" : maxAge.source;

    const keyId = file.values.keyId;
    const rawName = file.values.keyName?.trim();
    let keyName: string | undefined;
    let createdAt: string | undefined;
    if (rawName === undefined || rawName.length === 0) {
        problems.push(`${k("keyName")} is not set; set the key's Console name: pulumi config set keyName <project>-${environment}-<purpose>-<YYYY-MM-DD> -s ${file.stack}`);
    } else if (containsKeyMaterial(rawName)) {
        problems.push(
            `${k("keyName")} holds a key value instead of the key's name: treat that key as leaked, then set keyName to the Console name, e.g. raxx-${environment}-agents-2026-11-23`,
        );
    } else {
        keyName = rawName;
        const parsed = parseKeyName(rawName, { expectedEnvironment: environment, now });
        if (parsed.ok) createdAt = parsed.name.date;
        else for (const p of parsed.problems) problems.push(`${k("keyName")} "${rawName}" is not valid: ${p.message}`);
    }

    const consumers = githubActionsConsumers(file.values.targets, file.foreign["github:owner"]);
    const base = { ...ref, environment, keyName, keyId, apiKey, maxAgeDays, maxAgeSource, notes, ...(consumers.length ? { githubActions: consumers } : {}) } as const;
    if (problems.length > 0 || createdAt === undefined) return { ...base, verdict: "problem", problems };
    const status = rotationStatus(createdAt, maxAgeDays, now);
    return {
        ...base,
        createdAt,
        ageDays: status.ageDays,
        dueDate: status.dueDate,
        daysLeft: status.daysLeft,
        verdict: status.verdict,
        problems,
    };
}

function problemRow(ref: { stack: string; file: string }, environment: string, problems: string[]): StackKeyRow {
    return {
        ...ref,
        environment,
        apiKey: "missing",
        maxAgeDays: maxAgeDaysFor(environment),
        maxAgeSource: "default",
        verdict: "problem",
        problems,
        notes: [],
    };
}

export type MaxAge = { days: number; source: "config" | "default" } | { problem: string };

/**
 * The stack's `maxAgeDays` (a number, or a per-environment map as JSON text, as readStackFile gives it)
 * resolved for the environment, with the same precedence as loadRotationConfig: the stack's value, then
 * the documented default for the environment (prod/staging 90, dev 365), then 90.
 */
const MAX_AGE_PROBLEM = "must be a positive whole number of days, or a map from environment to a positive whole number of days";

export function maxAgeOf(text: string | undefined, environment: string): MaxAge {
    if (text === undefined) return { days: maxAgeDaysFor(environment), source: "default" };
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch {
        return { problem: MAX_AGE_PROBLEM };
    }
    // The same rule the program applies (config schema): a positive whole number, or a map of them.
    const parsed = stackConfigSchema.shape.maxAgeDays.safeParse(value);
    if (!parsed.success || parsed.data === undefined) {
        return { problem: MAX_AGE_PROBLEM };
    }
    const overrides = typeof parsed.data === "number" ? { [environment]: parsed.data } : parsed.data;
    const days = maxAgeDaysFor(environment, overrides);
    return { days, source: overrides[environment] !== undefined ? "config" : "default" };
}
