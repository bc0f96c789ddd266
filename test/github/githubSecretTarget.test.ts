import * as pulumi from "@pulumi/pulumi";
import type { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { getMonitor } from "@pulumi/pulumi/runtime/settings";
import type { RegisterResourceRequest } from "@pulumi/pulumi/proto/resource_pb";
import { beforeAll, describe, expect, it } from "vitest";
import { githubTargetSchema, infisicalTargetSchema } from "../../components/config/schema";
import { createGithubSecret, GithubProviders } from "../../components/github/githubSecretTarget";

/**
 * What the engine receives when the program registers a GitHub secret: the resource options on the wire
 * (RegisterResourceRequest), not just the inputs. GitHub resources belong to a native provider, so no closure is
 * serialized and the mocks run in-process.
 */

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const FAKE_KEY = `sk-ant-api03-${"x".repeat(93)}AA`;

interface Observed {
    readonly type: string;
    readonly name: string;
    readonly retainOnDelete: boolean | undefined;
    readonly additionalSecretOutputs: string[];
    readonly inputNames: string[];
    readonly secretInputs: string[];
}

const observed: Observed[] = [];

/** What the engine would read from a registration: its options as well as its inputs. */
function observe(req: RegisterResourceRequest): Observed {
    const object = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
    const isSecret = (v: unknown) => typeof v === "object" && v !== null && SECRET_SIG_KEY in v;
    return {
        type: req.getType(),
        name: req.getName(),
        retainOnDelete: req.hasRetainondelete() ? req.getRetainondelete() : undefined,
        additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
        inputNames: Object.keys(object),
        secretInputs: Object.entries(object).filter(([, v]) => isSecret(v)).map(([k]) => k),
    };
}

class Parent extends pulumi.ComponentResource {
    constructor(name: string) {
        super("test:index:Parent", name);
    }
}

const urnOf = (r: pulumi.Resource) => new Promise<string>((resolve) => r.urn.apply(resolve));

async function register(name: string, target: unknown): Promise<Observed> {
    const parent = new Parent(`${name}-parent`);
    const providers = new GithubProviders(name, parent, "http://127.0.0.1:9/");
    const resource = createGithubSecret(
        name,
        { target: githubTargetSchema.parse(target), apiKey: pulumi.secret(FAKE_KEY) },
        providers,
        { parent },
    );
    await urnOf(resource);
    const found = observed.find((o) => o.name === name);
    if (!found) throw new Error(`no registration named ${name}`);
    return found;
}

beforeAll(async () => {
    await pulumi.runtime.setMocks(
        { newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }), call: (args) => args.inputs },
        "anthropic-key-rotation",
        "prod",
        false,
    );
    // The mocks' monitor receives the engine's RegisterResourceRequest: record it on the way through.
    const monitor = getMonitor() as unknown as MockMonitor;
    const registerResource = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: RegisterResourceRequest, callback) => {
        observed.push(observe(req));
        return registerResource(req, callback);
    };
});

const TARGETS = {
    repository: { repository: "raxx-app/agents" },
    environment: { repository: "raxx-app/api", environment: "production", secretName: "ANTHROPIC_API_KEY_PROD" },
    organization: { organization: "raxx-app", visibility: "private" },
} as const;

describe("GitHub secret targets as registered with the engine", () => {
    it.each(Object.entries(TARGETS))("a %s secret is retained on delete by default (destroy leaves consumers' values in place)", async (kind, target) => {
        const r = await register(`retain-${kind}`, target);
        expect(r.retainOnDelete, `${r.type} must be registered with retainOnDelete`).toBe(true);
    });

    it.each(Object.entries(TARGETS))("a %s secret with removeOnDelete: true is deleted on delete", async (kind, target) => {
        const r = await register(`remove-${kind}`, { ...target, removeOnDelete: true });
        expect(r.retainOnDelete ?? false).toBe(false);
    });

    it.each(Object.entries(TARGETS))("a %s secret carries the key in plaintextValue, secret in and out, and has no value input", async (kind, target) => {
        const r = await register(`value-${kind}`, target);
        expect(r.secretInputs).toEqual(["plaintextValue"]);
        expect(r.additionalSecretOutputs).toContain("plaintextValue");
        expect(r.inputNames).not.toContain("value");
    });

    it("registers the types the policies select on", async () => {
        const types = await Promise.all(Object.entries(TARGETS).map(async ([kind, t]) => (await register(`type-${kind}`, t)).type));
        expect(types).toEqual([
            "github:index/actionsSecret:ActionsSecret",
            "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
            "github:index/actionsOrganizationSecret:ActionsOrganizationSecret",
        ]);
    });
});

describe("the GitHub token stays in the provider plugin", () => {
    it("a provider registered while GITHUB_TOKEN is set has no token input (the SDK would copy it there)", async () => {
        const token = "ghp_canarytoken00000000000000000000000";
        process.env.GITHUB_TOKEN = token;
        await register("token-canary", { repository: "other-owner/agents" });
        const provider = observed.find((o) => o.type === "pulumi:providers:github" && o.name === "token-canary-github-other-owner");
        expect(provider, "the owner's explicit provider was registered").toBeDefined();
        expect(provider!.inputNames).not.toContain("token");
        expect(process.env.GITHUB_TOKEN).toBeUndefined();
    });
});

describe("removeOnDelete in the stack config", () => {
    it("defaults to false for GitHub targets and must be a boolean", () => {
        expect(githubTargetSchema.parse(TARGETS.repository)).toMatchObject({ removeOnDelete: false });
        expect(githubTargetSchema.parse(TARGETS.organization)).toMatchObject({ removeOnDelete: false });
        expect(githubTargetSchema.safeParse({ ...TARGETS.repository, removeOnDelete: "yes" }).success).toBe(false);
    });

    it("is accepted for Infisical targets too, as the README documents (default false)", () => {
        const target = { projectId: "p", environment: "prod" };
        expect(infisicalTargetSchema.parse(target)).toMatchObject({ removeOnDelete: false });
        expect(infisicalTargetSchema.parse({ ...target, removeOnDelete: true })).toMatchObject({ removeOnDelete: true });
    });
});
