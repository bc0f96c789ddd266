/**
 * Child-process helper (run with ts-node, as Pulumi runs a TypeScript program — NOT inside vitest, whose module
 * transform breaks closure serialization): constructs a KeyValidation under Pulumi mocks and writes what the
 * engine would receive — the type token, the registered inputs and the serialized provider text in
 * `__provider` — as JSON to the file named in argv[2].
 *
 * The key arrives in AKR_TEST_API_KEY; ANTHROPIC_ADMIN_API_KEY may be set, to prove it is not captured.
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
                return { id: `${args.name}-id`, state: args.inputs };
            },
            call(args) {
                return args.inputs;
            },
        },
        "anthropic-key-rotation",
        "test",
        false,
    )
    .then(async () => {
        // Loaded after the mocks are in place, as the program would be.
        const { KeyValidation } = await import("../../components/anthropic/keyValidation");
        const validation = new KeyValidation("prod-validation", {
            apiKey,
            keyName: "raxx-prod-agents-2026-11-23",
            environment: "prod",
            createdAt: "2026-11-23",
            fingerprint: fingerprint(apiKey),
        });
        await new Promise<void>((resolve) => validation.urn.apply(() => resolve()));
        // Let the registration (and its serialized provider) settle.
        await new Promise((resolve) => setTimeout(resolve, 200));
        writeFileSync(outPath, JSON.stringify(registrations));
    });
