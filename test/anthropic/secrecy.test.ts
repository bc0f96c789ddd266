import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyValidationProvider } from "../../components/anthropic/keyValidationProvider";
import { KeyValidationError } from "../../components/anthropic/failures";
import { fingerprint } from "../../components/domain/fingerprint";
import { AnthropicEmulator } from "../../offline/emulators/anthropicEmulator";
import { makeAdminKey, makeApiKey } from "../../offline/emulators/keys";
import { describeFinding, scanForLeaks } from "../support/leakScan";
import { addRotationKey, inputsFor, outputsWithoutKey, useFastRetries, WORKSPACE } from "./support";

/**
 * Across every failing case: neither the key, nor the admin key, nor any "sk-ant-" string appears in the
 * error (message, stack, properties) or in anything printed while it ran — even with the SDK's debug
 * logging requested through ANTHROPIC_LOG and with an API that echoes the key back in its error bodies.
 */

useFastRetries();
process.env.ANTHROPIC_LOG = "debug";
const provider = keyValidationProvider;
const emulator = new AnthropicEmulator();
let adminKey: string;

beforeAll(async () => {
    await emulator.start();
    adminKey = emulator.addAdminKey();
});
afterAll(async () => {
    await emulator.stop();
    delete process.env.ANTHROPIC_LOG;
    delete process.env.ANTHROPIC_ADMIN_API_KEY;
});

interface Scenario {
    readonly name: string;
    readonly admin?: boolean;
    /** Prepares the emulator; returns the key to validate and any extra inputs. */
    readonly setup: () => { key: string; inputs?: Record<string, unknown>; secrets?: string[] };
}

const echo = (k: string) => `invalid x-api-key: ${k} (header x-api-key=${k})`;

const scenarios: Scenario[] = [
    { name: "401 messages", setup: () => ({ key: emulator.addKey({ status: "inactive" }).value }) },
    { name: "401 models", setup: () => ({ key: emulator.addKey({ status: "inactive" }).value, inputs: { mode: "models" } }) },
    { name: "401 unknown key (a typo)", setup: () => ({ key: makeApiKey() }) },
    {
        name: "401 with the key echoed in the body",
        setup: () => {
            const k = makeApiKey();
            emulator.failNext(401, { message: echo(k) });
            return { key: k };
        },
    },
    { name: "403", setup: () => ({ key: addRotationKey(emulator, { forceError: { status: 403 } }).value }) },
    {
        name: "403 echoing the key",
        setup: () => {
            const k = makeApiKey();
            addRotationKey(emulator, { value: k, forceError: { status: 403, message: echo(k) } });
            return { key: k };
        },
    },
    { name: "402 billing", setup: () => ({ key: addRotationKey(emulator, { forceError: { status: 402 } }).value }) },
    { name: "429 spend limit", setup: () => ({ key: addRotationKey(emulator, { forceError: { status: 429, errorCode: "enforced_spend_limit_reached" } }).value }) },
    { name: "404 model", setup: () => ({ key: addRotationKey(emulator).value, inputs: { model: "claude-instant-1" } }) },
    { name: "404 model, models mode", setup: () => ({ key: addRotationKey(emulator).value, inputs: { mode: "models", model: "claude-instant-1" } }) },
    {
        name: "429 exhausted, echoing",
        setup: () => {
            const k = addRotationKey(emulator).value;
            emulator.failNext(429, { times: 20, message: echo(k), headers: { "retry-after": "0" } });
            return { key: k };
        },
    },
    {
        name: "529 exhausted",
        setup: () => {
            emulator.failNext(529, { times: 20 });
            return { key: addRotationKey(emulator).value };
        },
    },
    {
        name: "retry-after beyond the budget",
        setup: () => {
            emulator.failNext(429, { headers: { "retry-after": "3600" } });
            return { key: addRotationKey(emulator).value };
        },
    },
    {
        name: "500 x-should-retry false, echoing",
        setup: () => {
            const k = addRotationKey(emulator).value;
            emulator.failNext(500, { message: echo(k), headers: { "x-should-retry": "false" } });
            return { key: k };
        },
    },
    {
        name: "dropped connections",
        setup: () => {
            emulator.injectFault({ fault: { kind: "drop" }, times: 20 });
            return { key: addRotationKey(emulator).value };
        },
    },
    {
        name: "non-JSON error body echoing the key",
        setup: () => {
            const k = addRotationKey(emulator).value;
            emulator.injectFault({ fault: { kind: "status", status: 400, body: `bad request for ${k}` } });
            return { key: k };
        },
    },
    {
        name: "rate limits too low",
        setup: () => ({ key: addRotationKey(emulator, { limits: { requests: 5 } }).value, inputs: { minimumLimits: { requestsPerMinute: 50 } } }),
    },
    { name: "admin: name mismatch", admin: true, setup: () => ({ key: addRotationKey(emulator, { name: "raxx-prod-other-2026-11-23" }).value }) },
    { name: "admin: wrong workspace", admin: true, setup: () => ({ key: addRotationKey(emulator).value, inputs: { workspace: "wrkspc_other" } }) },
    {
        name: "admin: inactive (not yet propagated)",
        admin: true,
        setup: () => {
            emulator.propagationDelayMs = 60_000;
            const k = addRotationKey(emulator);
            emulator.setStatus(k.id, "inactive");
            return { key: k.value };
        },
    },
    { name: "admin: date mismatch", admin: true, setup: () => ({ key: addRotationKey(emulator, { createdAt: "2025-01-01T00:00:00Z" }).value }) },
    {
        name: "admin: ambiguous hint",
        admin: true,
        setup: () => {
            const k = addRotationKey(emulator);
            const twin = k.value.slice(0, 16) + makeApiKey().slice(16, -4) + k.value.slice(-4);
            addRotationKey(emulator, { value: twin });
            return { key: k.value, secrets: [twin] };
        },
    },
    { name: "admin: keyId of another key", admin: true, setup: () => ({ key: addRotationKey(emulator).value, inputs: { keyId: emulator.addKey().id } }) },
    { name: "admin: unknown keyId", admin: true, setup: () => ({ key: addRotationKey(emulator).value, inputs: { keyId: "apikey_01Nope" } }) },
    { name: "admin: key of another organisation", admin: true, setup: () => ({ key: addRotationKey(emulator, { organizationId: "org_x" }).value }) },
    {
        name: "admin: admin key rejected, echoing it",
        admin: true,
        setup: () => {
            const wrongAdmin = makeAdminKey();
            process.env.ANTHROPIC_ADMIN_API_KEY = wrongAdmin;
            emulator.failNext(401, { path: "/v1/organizations/api_keys", message: echo(wrongAdmin) });
            return { key: addRotationKey(emulator).value, secrets: [wrongAdmin] };
        },
    },
    {
        name: "admin: Admin API unreachable",
        admin: true,
        setup: () => {
            emulator.injectFault({ path: "/v1/organizations/api_keys", fault: { kind: "drop" }, times: 20 });
            return { key: addRotationKey(emulator).value };
        },
    },
];

/** Captures everything written to stdout/stderr (console included) while `fn` runs. */
async function capturingOutput<T>(fn: () => Promise<T>): Promise<{ result?: T; error?: unknown; output: string }> {
    const chunks: string[] = [];
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    const capture = (chunk: unknown) => {
        chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
        return true;
    };
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
    // vitest routes console.* around process.stdout, so the console methods are captured too.
    const methods = ["log", "info", "warn", "error", "debug"] as const;
    const saved = methods.map((m) => console[m]);
    for (const m of methods) console[m] = (...args: unknown[]) => void chunks.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    try {
        return { result: await fn(), output: chunks.join("") };
    } catch (e) {
        return { error: e, output: chunks.join("") };
    } finally {
        process.stdout.write = out;
        process.stderr.write = err;
        methods.forEach((m, i) => (console[m] = saved[i]!));
    }
}

describe("no key material in any failure", () => {
    it.each(scenarios.map((s) => [s.name, s] as const))("%s", async (_name, scenario) => {
        emulator.clearFaults();
        emulator.propagationDelayMs = 0;
        if (scenario.admin) process.env.ANTHROPIC_ADMIN_API_KEY = adminKey;
        else delete process.env.ANTHROPIC_ADMIN_API_KEY;
        const { key, inputs, secrets = [] } = scenario.setup();
        const run = await capturingOutput(() => provider.create(inputsFor(emulator, key, inputs)));
        expect(run.error, "the scenario must fail").toBeInstanceOf(KeyValidationError);
        const error = run.error as KeyValidationError;
        const artifacts = [
            { name: "message", text: error.message },
            { name: "stack", text: error.stack ?? "" },
            { name: "properties", text: JSON.stringify({ ...error }) },
            { name: "output", text: run.output },
        ];
        const all = [key, adminKey, ...secrets, process.env.ANTHROPIC_ADMIN_API_KEY ?? adminKey];
        const findings = scanForLeaks(artifacts, all);
        expect(findings.map((f) => describeFinding(f, artifacts))).toEqual([]);
        expect(error.message).toContain(fingerprint(key)); // it names the key the safe way
        expect(error.message).toContain("Nothing was propagated");
        if (scenario.name.includes("echo")) expect(error.message).toContain("[REDACTED]"); // the echo was there, and scrubbed
    });

    it("the capture does see what is printed (so the checks above are real)", async () => {
        const run = await capturingOutput(async () => {
            console.log("visible-line");
            process.stderr.write("visible-err");
        });
        expect(run.output).toContain("visible-line");
        expect(run.output).toContain("visible-err");
    });
});

describe("no key material in outputs other than apiKey", () => {
    it("a passing validation with every check on", async () => {
        emulator.clearFaults();
        process.env.ANTHROPIC_ADMIN_API_KEY = adminKey;
        const k = addRotationKey(emulator);
        const run = await capturingOutput(() => provider.create(inputsFor(emulator, k.value, { workspace: WORKSPACE, minimumLimits: { requestsPerMinute: 10 } })));
        expect(run.error).toBeUndefined();
        const outs = (run.result as { outs: Record<string, unknown> }).outs;
        const artifacts = [
            { name: "outputs", text: JSON.stringify(outputsWithoutKey(outs)) },
            { name: "output", text: run.output },
        ];
        expect(scanForLeaks(artifacts, [k.value, adminKey]).map((f) => describeFinding(f, artifacts))).toEqual([]);
        expect(outs.apiKey).toBe(k.value);
    });
});
