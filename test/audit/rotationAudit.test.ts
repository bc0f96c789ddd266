import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../components/audit/auditLog";
import { rotationAuditProvider } from "../../components/audit/rotationAuditProvider";
import { fingerprint } from "../../components/domain/fingerprint";
import { makeApiKey } from "../../offline/emulators/keys";
import { auditLines, auditText, caught, expectErrorClean, expectNoLeaks, tempAuditContext } from "./support";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const keyA = makeApiKey();
const keyB = makeApiKey();
const keyC = makeApiKey();
const p = rotationAuditProvider;

const savedEnv = { ...process.env };
beforeEach(() => {
    process.env.PULUMI_ACTOR = "ops@raxx.app";
});
afterEach(() => {
    process.env = { ...savedEnv };
});

function inputsFor(key: string, ctx = tempAuditContext(fingerprint(key)), extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        audit: { ...ctx, newFingerprint: fingerprint(key) },
        targets: [
            { kind: "infisical", target: "infisical proj/prod/ ANTHROPIC_API_KEY", fingerprint: fingerprint(key) },
            { kind: "heroku", target: "heroku app raxx-api-prod (ANTHROPIC_API_KEY)", fingerprint: fingerprint(key) },
        ],
        health: [{ url: "https://api.raxx.app/api/agents/health", ok: true, status: 200, attempts: 3, seconds: 21.5 }],
        revocation: { mode: "verify", result: "no previous key" },
        ...extra,
    };
}

describe("RotationAudit provider", () => {
    it("check refuses inputs that carry key material and a missing context", async () => {
        const good = inputsFor(keyA);
        expect((await p.check!({}, good)).failures).toEqual([]);
        const leaky = await p.check!({}, { ...good, targets: [{ target: `cmd ${keyA}`, fingerprint: fingerprint(keyA) }] });
        expect(leaky.failures!.map((f) => f.property)).toEqual(["targets"]);
        expect(JSON.stringify(leaky.failures)).not.toContain(keyA);
        const missing = await p.check!({}, { targets: [] });
        expect(missing.failures!.map((f) => f.property)).toContain("audit");
        // Unknown values (preview) are not failures.
        expect((await p.check!({}, { audit: UNKNOWN, targets: UNKNOWN, health: UNKNOWN })).failures).toEqual([]);
    });

    it("create appends one secret.rotate.completed line and outputs the same record; the id is not derived from the key", async () => {
        const inputs = inputsFor(keyA);
        const ctx = inputs.audit as { path: string };
        const { id, outs } = await p.create(inputs);
        expect(id).toBe("prod/raxx-prod-agents-2026-11-23");
        const lines = auditLines(ctx.path);
        expect(lines).toHaveLength(1);
        const line = lines[0]!;
        expect(outs.record).toEqual(line);
        expect(outs.fingerprint).toBe(fingerprint(keyA));
        expect(line).toMatchObject({
            action: "secret.rotate.completed",
            actor: "ops@raxx.app",
            environment: "prod",
            keyName: "raxx-prod-agents-2026-11-23",
            secretName: "ANTHROPIC_API_KEY",
            oldFingerprint: null,
            newFingerprint: fingerprint(keyA),
            workspace: "default",
            method: "operator-assisted-console",
            emergency: false,
            revocation: { mode: "verify", result: "no previous key" },
        });
        expect(line.targets).toHaveLength(2);
        expect(line.health[0]).toEqual({ url: "https://api.raxx.app/api/agents/health", ok: true, status: 200, attempts: 3, seconds: 21.5 });
        expect(Date.parse(line.timestamp)).toBeGreaterThan(Date.now() - 60_000);
        expectNoLeaks({ audit: auditText(ctx.path), outs: JSON.stringify(outs) }, [keyA]);
    });

    it("diff is offline: only a changed (or unknown) fingerprint is a rotation event", async () => {
        const inputs = inputsFor(keyA);
        const { outs } = await p.create(inputs);
        const same = await p.diff!("id", outs, { ...inputs, targets: [] });
        expect(same.changes).toBe(false);
        const changed = await p.diff!("id", outs, inputsFor(keyB, inputs.audit as never));
        expect(changed.changes).toBe(true);
        expect(changed.replaces).toEqual([]);
        expect((await p.diff!("id", outs, { ...inputs, audit: UNKNOWN })).changes).toBe(true);
        expect((await p.diff!("id", outs, { ...inputs, audit: { ...(inputs.audit as object), newFingerprint: UNKNOWN } })).changes).toBe(true);
    });

    it("update with a new key appends a second line whose oldFingerprint is the previous key's", async () => {
        const first = inputsFor(keyA);
        const ctx = first.audit as ReturnType<typeof tempAuditContext>;
        const created = await p.create(first);
        const second = inputsFor(keyB, ctx, { revocation: { mode: "deactivate", result: "deactivated apikey_01A; 401 proven after 0.4 s" } });
        const { outs } = await p.update!("id", created.outs, second);
        const lines = auditLines(ctx.path);
        expect(lines).toHaveLength(2);
        expect(lines[1]).toMatchObject({ oldFingerprint: fingerprint(keyA), newFingerprint: fingerprint(keyB), revocation: { mode: "deactivate" } });
        expect((outs!.record as AuditRecord).newFingerprint).toBe(fingerprint(keyB));
        // An explicit previousFingerprint (from PreviousKeyRevocation) wins.
        const third = inputsFor(keyC, ctx, { previousFingerprint: "sha256:0123456789ab" });
        await p.update!("id", outs!, third);
        expect(auditLines(ctx.path)[2]!.oldFingerprint).toBe("sha256:0123456789ab");
        expectNoLeaks({ audit: auditText(ctx.path) }, [keyA, keyB, keyC]);
    });

    it("update with the same key writes nothing and keeps the last record", async () => {
        const inputs = inputsFor(keyA);
        const ctx = inputs.audit as { path: string };
        const created = await p.create(inputs);
        const { outs } = await p.update!("id", created.outs, { ...inputs, targets: [] });
        expect(auditLines(ctx.path)).toHaveLength(1);
        expect(outs!.record).toEqual(created.outs.record);
    });

    it("read changes nothing and delete never removes audit lines", async () => {
        const inputs = inputsFor(keyA);
        const ctx = inputs.audit as { path: string };
        const created = await p.create(inputs);
        const before = auditText(ctx.path);
        const read = await p.read!("id", created.outs);
        expect(read.props).toEqual(created.outs);
        await p.delete!("id", created.outs);
        expect(auditText(ctx.path)).toBe(before);
    });

    it("create fails clearly without a context, and a key in a context field is refused without leaking", async () => {
        const err = await caught(() => p.create({ targets: [] }));
        expect(err.message).toMatch(/audit context is missing/);
        const ctx = tempAuditContext(fingerprint(keyA));
        const leak = await caught(() => p.create(inputsFor(keyA, { ...ctx, keyName: `name-${keyA}` })));
        expect(leak.message).toMatch(/refused to write a line because field\(s\) keyName/);
        expectErrorClean(leak, [keyA]);
        expect(auditText(ctx.path)).toBe("");
    });
    it("a rollback (the same key again after a failed attempt with another) is a rotation event and gets its own line", async () => {
        const { recordFailure } = await import("../../components/audit/auditLog");
        const first = inputsFor(keyA);
        const ctx = first.audit as ReturnType<typeof tempAuditContext>;
        const created = await p.create(first);
        // An attempt with key B fails at the health step (its provider writes the failed line)…
        recordFailure({ ...ctx, newFingerprint: fingerprint(keyB) }, "health", "https://x/health did not pass");
        // …and the operator puts key A back: same fingerprint as this resource's state, yet a change.
        const back = inputsFor(keyA, ctx);
        expect((await p.diff!("id", created.outs, back)).changes).toBe(true);
        const { outs } = await p.update!("id", created.outs, back);
        const lines = auditLines(ctx.path);
        expect(lines.map((l) => l.action)).toEqual(["secret.rotate.completed", "secret.rotate.failed", "secret.rotate.completed"]);
        expect(lines[2]).toMatchObject({ rollback: true, oldFingerprint: fingerprint(keyB), newFingerprint: fingerprint(keyA) });
        expect(outs!.record).toEqual(lines[2]);
        // Once recorded, the same inputs are no change again.
        expect((await p.diff!("id", outs!, back)).changes).toBe(false);
        // A failed line of another environment or stack in the same file does not count.
        recordFailure({ ...ctx, environment: "staging", newFingerprint: fingerprint(keyC) }, "health", "x");
        recordFailure({ ...ctx, stack: "prod-eu", newFingerprint: fingerprint(keyC) }, "health", "x");
        expect((await p.diff!("id", outs!, back)).changes).toBe(false);
        // A failed retry with the SAME key is not a rollback.
        recordFailure(ctx, "revocation", "previous key still works");
        expect((await p.diff!("id", outs!, back)).changes).toBe(false);
        expect(lines[0]!.rollback).toBeUndefined();
    });
});
