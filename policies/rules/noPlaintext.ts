/**
 * anthropic-key-no-plaintext (mandatory): no Anthropic key (anything with the key prefix) in any resource
 * property except the inputs built to carry the secret: the Heroku config vars' `apiKey`, the Infisical
 * secret's `apiKey`, the GitHub secret's `plaintextValue`/`value`, the KeyValidation's `apiKey`, a command's
 * `environment`, the PreviousKeyRevocation's `apiKey` and `retiredKeys` (the current key, and the keys it must
 * prove dead), and the KeyLedger's `apiKey`.
 * A key in a command's argv, a description, a tag or a resource name is a leak: it lands in process lists,
 * logs, the console and state in plaintext.
 */
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import {
    ADMIN_KEY_PREFIX,
    TYPE_COMMAND,
    TYPE_GITHUB_ENV_SECRET,
    TYPE_GITHUB_ORG_SECRET,
    TYPE_GITHUB_REPO_SECRET,
    TYPE_HEROKU_CONFIG_VARS,
    TYPE_INFISICAL_SECRET,
    TYPE_KEY_LEDGER,
    TYPE_KEY_VALIDATION,
    TYPE_PREVIOUS_KEY_REVOCATION,
    TYPE_DYNAMIC_PROVIDER,
    STACK_CONFIG_API_KEY,
} from "../../components/domain";
import {
    ConfigSpec,
    describeResource,
    hasKeyMaterial,
    keysIn,
    keysInResource,
    resolveConfig,
    safeReporter,
    stringLeaves,
} from "./common";

export const NO_PLAINTEXT_POLICY = "anthropic-key-no-plaintext";

export const DEFAULT_ALLOWED_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
    [TYPE_HEROKU_CONFIG_VARS]: ["apiKey"],
    [TYPE_INFISICAL_SECRET]: ["apiKey"],
    [TYPE_GITHUB_REPO_SECRET]: ["plaintextValue", "value"],
    [TYPE_GITHUB_ENV_SECRET]: ["plaintextValue", "value"],
    [TYPE_GITHUB_ORG_SECRET]: ["plaintextValue", "value"],
    [TYPE_KEY_VALIDATION]: ["apiKey"],
    [TYPE_COMMAND]: ["environment"],
    [TYPE_PREVIOUS_KEY_REVOCATION]: ["apiKey", "retiredKeys"],
    [TYPE_KEY_LEDGER]: ["apiKey"],
    // Found by the real engine: the stack config it passes to the dynamic providers' default provider.
    [TYPE_DYNAMIC_PROVIDER]: [STACK_CONFIG_API_KEY],
};

export interface NoPlaintextConfig {
    readonly allowedProperties: Readonly<Record<string, readonly string[]>>;
}

export const noPlaintextConfig: ConfigSpec<NoPlaintextConfig> = {
    policy: NO_PLAINTEXT_POLICY,
    properties: {
        allowedProperties: {
            type: "object",
            description:
                "Per resource type token, the properties that may carry the key (a property name, or a dotted path such as " +
                "\"environment.ANTHROPIC_API_KEY\"; a name also covers everything under it). Replaces the default table when set.",
            additionalProperties: { type: "array", items: { type: "string", minLength: 1 } },
            default: structuredClone(DEFAULT_ALLOWED_PROPERTIES) as Record<string, string[]>,
        },
    },
};

function isAllowed(path: string, allowed: readonly string[]): boolean {
    return allowed.some((a) => path === a || path.startsWith(`${a}.`) || path.startsWith(`${a}[`));
}

function fixFor(type: string, root: string, allowed: readonly string[]): string {
    if (type === TYPE_COMMAND && ["create", "update", "delete", "read", "interpreter", "stdin", "triggers", "dir"].includes(root)) {
        return (
            "pass the key in the command's `environment` (e.g. ANTHROPIC_API_KEY) and refer to it as \"$ANTHROPIC_API_KEY\" in the command; " +
            "never put the key itself into the command line (it shows in process lists, logs and state)"
        );
    }
    const where = allowed.length ? `only ${allowed.map((a) => `\`${a}\``).join(" or ")} may carry it on this resource type` : "this resource type may not carry it at all";
    return `remove the key from \`${root}\` — ${where}; treat the key as exposed if this was ever applied`;
}

export const noPlaintextPolicy: ResourceValidationPolicy = {
    name: NO_PLAINTEXT_POLICY,
    description:
        "No Anthropic key appears in any resource property except the inputs built to carry it (Heroku/Infisical/KeyValidation/PreviousKeyRevocation apiKey, GitHub secret value, a command's environment).",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
        "Move the key into the secret-carrying input (for commands: `environment`, referenced as $ANTHROPIC_API_KEY). If a stack with the key in another property was ever applied, rotate the key.",
    configSchema: { properties: noPlaintextConfig.properties },
    validateResource: (args, reportViolation) => validateNoPlaintext(args, reportViolation),
};

export function validateNoPlaintext(args: ResourceValidationArgs, reportViolation: ReportViolation): void {
    const config = resolveConfig(noPlaintextConfig, args.getConfig());
    const report = safeReporter(reportViolation, keysInResource(args.props, args.name));
    const who = describeResource(args);
    const allowed = config.allowedProperties[args.type] ?? [];

    if (hasKeyMaterial(args.name)) {
        report(`${who}: the resource name contains an Anthropic key, so the key is in the URN, the console output and state. Fix: never derive a resource name from the key; treat the key as exposed.`);
    }
    const reported = new Set<string>();
    for (const leaf of stringLeaves(args.props)) {
        if (!hasKeyMaterial(leaf.value)) continue;
        if (isAllowed(leaf.path, allowed)) {
            if (keysIn(leaf.value).some((k) => k.startsWith(ADMIN_KEY_PREFIX)) && !reported.has(leaf.path)) {
                reported.add(leaf.path);
                report(
                    `${who}: \`${leaf.path}\` carries an Anthropic Admin API key (admin01). Only the API key (api03) is ever fanned out. ` +
                        "Fix: put the API key there; the Admin key belongs only in ANTHROPIC_ADMIN_API_KEY in the environment of `pulumi up`.",
                );
            }
            continue;
        }
        if (reported.has(leaf.path)) continue;
        reported.add(leaf.path);
        report(`${who}: property \`${leaf.path}\` contains an Anthropic key in plaintext. Fix: ${fixFor(args.type, leaf.root, allowed)}.`);
    }
}
