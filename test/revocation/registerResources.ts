/**
 * Child-process helper (ts-node, as Pulumi runs the program; not vitest, whose transform breaks closure
 * serialization): constructs HealthChecks, PreviousKeyRevocation and RotationAudit under Pulumi mocks, wired
 * the way AnthropicKey wires them, and writes to argv[2]: each registration (type token, inputs with the
 * serialized provider), and the values the resource objects expose as outputs (proves the output properties
 * are not clobbered by class-field emit). The key arrives in AKR_TEST_API_KEY.
 */
import { writeFileSync } from "fs";
import * as pulumi from "@pulumi/pulumi";
import { fingerprint } from "../../components/domain/fingerprint";

const outPath = process.argv[2]!;
const apiKey = process.env.AKR_TEST_API_KEY!;
delete process.env.AKR_TEST_API_KEY;

const registrations: { type: string; name: string; inputs: Record<string, unknown> }[] = [];

void pulumi.runtime
    .setMocks(
        {
            newResource(args) {
                registrations.push({ type: args.type, name: args.name, inputs: args.inputs });
                // What the providers would return (create), enough to resolve every declared output.
                const state: Record<string, unknown> = { ...args.inputs };
                if (args.type.endsWith(":HealthChecks")) Object.assign(state, { results: [{ url: "https://h.example/health", ok: true, status: 200, attempts: 1, seconds: 0.1 }], releases: [], checkedAt: "2026-11-23T10:00:00Z" });
                if (args.type.endsWith(":PreviousKeyRevocation")) Object.assign(state, { previousFingerprint: null, previousKeyId: null, result: "no previous key", provedAt: null, summary: { mode: "verify", result: "no previous key" } });
                if (args.type.endsWith(":RotationAudit")) Object.assign(state, { fingerprint: fingerprint(apiKey), record: { action: "secret.rotate.completed" } });
                return { id: `${args.name}-id`, state };
            },
            call(args) {
                return args.inputs;
            },
        },
        "anthropic-key-rotation",
        "prod",
        false,
    )
    .then(async () => {
        const { HealthChecks } = await import("../../components/health/healthChecks");
        const { PreviousKeyRevocation } = await import("../../components/revocation/previousKeyRevocation");
        const { RotationAudit } = await import("../../components/audit/rotationAudit");
        const fp = fingerprint(apiKey);
        const audit = { path: "audit/rotations.jsonl", environment: "prod", keyName: "raxx-prod-agents-2026-11-23", newFingerprint: fp, workspace: "default", emergency: false, stack: "prod" };
        const health = new HealthChecks("prod-health", {
            checks: [{ url: "https://h.example/health", expect: "anthropic.ok == true", timeoutSeconds: 300, intervalSeconds: 10 }],
            herokuReleases: [],
            fingerprint: fp,
            audit,
        });
        const revocation = new PreviousKeyRevocation(
            "prod-previous-key",
            { apiKey: pulumi.output(apiKey), fingerprint: fp, mode: "verify", emergency: false, audit },
            { dependsOn: [health] },
        );
        const record = new RotationAudit("prod-audit", {
            audit,
            targets: [{ kind: "heroku", target: "heroku app raxx-api-prod (ANTHROPIC_API_KEY)", fingerprint: fp }],
            health: health.results,
            revocation: revocation.summary,
            previousFingerprint: revocation.previousFingerprint,
        });
        const unwrap = <T>(o: pulumi.Output<T> | undefined) =>
            o === undefined ? Promise.resolve("MISSING") : new Promise<unknown>((resolve) => o.apply((v) => resolve(v === undefined ? "UNDEFINED" : v)));
        const outputs = {
            healthResults: await unwrap(health.results),
            healthCheckedAt: await unwrap(health.checkedAt),
            revocationResult: await unwrap(revocation.result),
            revocationSummary: await unwrap(revocation.summary),
            revocationPrevious: await unwrap(revocation.previousFingerprint),
            auditFingerprint: await unwrap(record.fingerprint),
            auditRecord: await unwrap(record.record),
        };
        await new Promise((resolve) => setTimeout(resolve, 200));
        writeFileSync(outPath, JSON.stringify({ registrations, outputs }));
    });
