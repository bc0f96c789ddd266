import { z } from "zod";
import { REQUIRE_EXPIRY_LEVELS } from "../domain/keyExpiry";
import { DEFAULT_SECRET_NAME, herokuVarNameProblem } from "../domain/names";
import { githubTargetSchema } from "./githubTargetSchema";
import { notificationsSchema } from "./notificationsSchema";
import { cutoverSchema, emergencySchema, revocationSchema } from "./revocationSchema";
import { exposureSchema } from "./exposureSchema";
import { transportUrl } from "./urlSchema";
import { NEVER_PASSED } from "../commands/isolatedCommand";

/**
 * The structure of the stack config (DESIGN.md, "Public surface"). Semantic checks that need more than one
 * field (the key, the key name against the environment, duplicate targets) live in loadConfig.ts.
 */

export { DEFAULT_SECRET_NAME, githubTargetSchema };
export const DEFAULT_VALIDATION_MODEL = "claude-haiku-4-5";
export const DEFAULT_VALIDATION_MAX_TOKENS = 10;
export const DEFAULT_VALIDATION_MAX_RETRY_SECONDS = 60;
/**
 * Heroku restarts every dyno after a config change; a web dyno has 60 s to bind its port on boot, and a
 * release phase can take minutes. Five minutes covers a release, a restart and a slow boot.
 */
export const DEFAULT_HEALTH_TIMEOUT_SECONDS = 300;
export const DEFAULT_HEALTH_INTERVAL_SECONDS = 10;
export const DEFAULT_AUDIT_PATH = "audit/rotations.jsonl";

const url = transportUrl;

export const infisicalTargetSchema = z.strictObject({
    projectId: z.string().min(1),
    environment: z.string().min(1),
    secretPath: z.string().regex(/^\//, "must start with /").default("/"),
    secretName: z.string().regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, '_', '.' and '-' only").default(DEFAULT_SECRET_NAME),
    siteUrl: url.optional(),
    /** Delete the secret from Infisical on `pulumi destroy` or when the target is removed. Off by default. */
    removeOnDelete: z.boolean().default(false),
});

export const herokuTargetSchema = z.strictObject({
    app: z.string().regex(/^[a-z][a-z0-9-]{1,29}$/, "Heroku app names are 2-30 characters of a-z, 0-9 and '-', starting with a letter"),
    vars: z
        .array(
            z.string().superRefine((name, ctx) => {
                const problem = herokuVarNameProblem(name);
                if (problem) ctx.addIssue({ code: "custom", message: problem });
            }),
        )
        .min(1)
        .default([DEFAULT_SECRET_NAME]),
    /** Remove the vars from the app on `pulumi destroy`. Off by default: deleting a production key is an outage. */
    removeOnDelete: z.boolean().default(false),
});

export const commandTargetSchema = z.strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "lower-case letters, digits and '-'"),
    /** Shell command run on create and whenever the key's fingerprint changes. Reads the key from `envVar`. */
    create: z.string().min(1),
    update: z.string().min(1).optional(),
    delete: z.string().min(1).optional(),
    envVar: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "an upper-case environment variable name").default(DEFAULT_SECRET_NAME),
    dir: z.string().optional(),
    /**
     * Other environment variables the command may see (e.g. FLY_API_TOKEN, KUBECONFIG). Everything else is unset
     * before it runs (components/commands/isolatedCommand.ts); the project's own credentials can never be passed.
     */
    passEnv: z
        .array(
            z
                .string()
                .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name")
                .refine((n) => !(NEVER_PASSED as readonly string[]).includes(n), {
                    error: (iss) => `${String(iss.input)} is one of this project's credentials and never reaches a command; give the command its own, narrower credential`,
                }),
        )
        .default([]),
});

export const targetsSchema = z.strictObject({
    infisical: z.array(infisicalTargetSchema).default([]),
    heroku: z.array(herokuTargetSchema).default([]),
    github: z.array(githubTargetSchema).default([]),
    commands: z.array(commandTargetSchema).default([]),
});

export const validationSchema = z.strictObject({
    mode: z.enum(["messages", "models"]).default("messages"),
    model: z.string().min(1).default(DEFAULT_VALIDATION_MODEL),
    maxTokens: z.number().int().min(1).max(4096).default(DEFAULT_VALIDATION_MAX_TOKENS),
    /** Upper bound on the validation call with all its retries (429, 529, 5xx). */
    maxRetrySeconds: z.number().positive().max(600).default(DEFAULT_VALIDATION_MAX_RETRY_SECONDS),
    minimumLimits: z
        .strictObject({
            requestsPerMinute: z.number().int().positive().optional(),
            inputTokensPerMinute: z.number().int().positive().optional(),
        })
        .optional(),
    /**
     * Whether the key's own expiry (Admin API `expires_at`) must be a backstop for a forgotten rotation: a key
     * that never expires, or expires long after its maximum age, is an error (mandatory) or a warning (advisory).
     * Not set: mandatory for prod, advisory elsewhere (loadConfig.ts, components/domain/keyExpiry.ts).
     */
    requireExpiry: z.enum(REQUIRE_EXPIRY_LEVELS, { error: "must be mandatory or advisory" }).optional(),
});

export const healthCheckSchema = z.strictObject({
    url,
    /** Optional JSON condition on the body, e.g. `anthropic.ok == true`. A 2xx status is always required. */
    expect: z.string().regex(/^[A-Za-z_][\w.[\]]*\s*(==|!=)\s*.+$/, "a condition like anthropic.ok == true").optional(),
    timeoutSeconds: z.number().positive().max(3600).default(DEFAULT_HEALTH_TIMEOUT_SECONDS),
    intervalSeconds: z.number().positive().max(300).default(DEFAULT_HEALTH_INTERVAL_SECONDS),
});

export const endpointsSchema = z.strictObject({
    anthropic: url.optional(),
    heroku: url.optional(),
    infisical: url.optional(),
    github: url.optional(),
});

/** Everything except apiKey and keyName, which get hand-written checks with better messages. */
export const stackConfigSchema = z.strictObject({
    environment: z.string().regex(/^[a-z0-9]+$/, "lower-case letters and digits").optional(),
    workspace: z.string().min(1).optional(),
    keyId: z.string().regex(/^apikey_[A-Za-z0-9]+$/, "an Admin API key id like apikey_01AbC…").optional(),
    validation: validationSchema.default(validationSchema.parse({})),
    targets: targetsSchema.default(targetsSchema.parse({})),
    healthChecks: z.array(healthCheckSchema).default([]),
    revocation: revocationSchema,
    emergency: emergencySchema,
    /** The exposure report of a compromised key (exposureSchema.ts): window, allowed models, business hours. */
    exposure: exposureSchema,
    cutover: cutoverSchema,
    maxAgeDays: z.union([z.number().int().positive(), z.record(z.string(), z.number().int().positive())]).optional(),
    auditLog: z.string().min(1).default(DEFAULT_AUDIT_PATH),
    endpoints: endpointsSchema.default({}),
    /** Chat webhooks told about each rotation event (notificationsSchema.ts); every URL a secret. */
    notifications: notificationsSchema.optional(),
});

export type InfisicalTarget = z.infer<typeof infisicalTargetSchema>;
export type HerokuTarget = z.infer<typeof herokuTargetSchema>;
export type GithubTarget = z.infer<typeof githubTargetSchema>;
export type CommandTarget = z.infer<typeof commandTargetSchema>;
export type Targets = z.infer<typeof targetsSchema>;
export type ValidationConfig = z.infer<typeof validationSchema>;
export type HealthCheckConfig = z.infer<typeof healthCheckSchema>;
export type Endpoints = z.infer<typeof endpointsSchema>;
export type RevocationMode = "none" | "verify" | "deactivate";
export type StackConfigBody = z.infer<typeof stackConfigSchema>;
