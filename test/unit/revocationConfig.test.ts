import { describe, expect, it } from "vitest";
import { ConfigError, ConfigSource, loadRotationConfig } from "../../components/config";
import { fingerprint } from "../../components/domain";
import { makeApiKey } from "../../offline/emulators/keys";

/** `revocation` (a word or an object with the watch), `emergency` (names the compromised key). */

const NOW = new Date("2026-11-23T12:00:00Z");

function source(values: Record<string, unknown>): ConfigSource {
    const text: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) text[k] = typeof v === "string" ? v : JSON.stringify(v);
    return { stack: "prod", now: NOW, get: (k) => text[k], keys: () => Object.keys(text), isSecret: (k) => (k in text ? k === "apiKey" : undefined) };
}

const base = () => ({ apiKey: makeApiKey(), keyName: "raxx-prod-agents-2026-11-23" });

function problems(values: Record<string, unknown>): { key: string; message: string; fix: string }[] {
    try {
        loadRotationConfig(source({ ...base(), ...values }));
    } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return [...(err as ConfigError).problems];
    }
    throw new Error("expected a ConfigError");
}

describe("revocation", () => {
    it("a word keeps working and gets the default watch", () => {
        const cfg = loadRotationConfig(source({ ...base(), revocation: "deactivate" }));
        expect(cfg.revocation).toBe("deactivate");
        expect(cfg.revocationWatch).toEqual({ minutes: 5, intervalSeconds: 30 });
        expect(loadRotationConfig(source(base())).revocationWatch).toEqual({ minutes: 5, intervalSeconds: 30 });
    });

    it("an object sets the mode and the watch", () => {
        const cfg = loadRotationConfig(source({ ...base(), revocation: { mode: "deactivate", watchMinutes: 15, watchIntervalSeconds: 60 } }));
        expect(cfg).toMatchObject({ revocation: "deactivate", revocationWatch: { minutes: 15, intervalSeconds: 60 } });
        expect(loadRotationConfig(source({ ...base(), revocation: { watchMinutes: 0 } }))).toMatchObject({ revocation: "verify", revocationWatch: { minutes: 0 } });
    });

    it("names the field and the fix for each wrong value", () => {
        expect(problems({ revocation: "revoke" })).toEqual([{ key: "anthropic-key-rotation:revocation", message: "must be none, verify or deactivate", fix: "use none, verify or deactivate" }]);
        expect(problems({ revocation: { mode: "revoke" } })).toEqual([{ key: "anthropic-key-rotation:revocation.mode", message: "must be none, verify or deactivate", fix: "use none, verify or deactivate" }]);
        const watch = problems({ revocation: { mode: "deactivate", watchMinutes: 120, watchIntervalSeconds: 0, watch: true } });
        expect(watch.map((p) => p.key).sort()).toEqual([
            "anthropic-key-rotation:revocation",
            "anthropic-key-rotation:revocation.watchIntervalSeconds",
            "anthropic-key-rotation:revocation.watchMinutes",
        ]);
        expect(watch.find((p) => p.key.endsWith("watchMinutes"))).toMatchObject({ message: "must be at most 60 minutes", fix: expect.stringContaining("revocation.watchMinutes: 5") });
        expect(watch.find((p) => p.key.endsWith("watchIntervalSeconds"))).toMatchObject({ message: "must be a number of seconds above 0" });
        expect(watch.find((p) => p.key.endsWith(":revocation"))).toMatchObject({ message: "has unknown field watch" });
    });
});

describe("revocation.acknowledgeRemoved", () => {
    it("lists removed consumers allowed to break; empty by default; an empty name is refused with the fix", () => {
        expect(loadRotationConfig(source(base())).acknowledgeRemoved).toEqual([]);
        const cfg = loadRotationConfig(source({ ...base(), revocation: { mode: "deactivate", acknowledgeRemoved: ["heroku app raxx-worker-prod"] } }));
        expect(cfg.acknowledgeRemoved).toEqual(["heroku app raxx-worker-prod"]);
        expect(problems({ revocation: { acknowledgeRemoved: [""] } })).toEqual([
            { key: "anthropic-key-rotation:revocation.acknowledgeRemoved[0]", message: "must name a consumer, e.g. heroku app raxx-worker-prod", fix: expect.stringContaining("revocation.acknowledgeRemoved: [heroku app") },
        ]);
    });
});

describe("emergency", () => {
    it("names the compromised key by fingerprint or Admin API id", () => {
        const leaked = fingerprint(makeApiKey());
        const cfg = loadRotationConfig(source({ ...base(), revocation: "deactivate", emergency: { compromisedKey: leaked } }));
        expect(cfg).toMatchObject({ emergency: true, compromisedKey: leaked });
        expect(loadRotationConfig(source({ ...base(), revocation: "deactivate", emergency: { compromisedKey: "apikey_01Leaked" } })).compromisedKey).toBe("apikey_01Leaked");
    });

    it("false or unset is no emergency", () => {
        expect(loadRotationConfig(source({ ...base(), emergency: false }))).toMatchObject({ emergency: false });
        expect(loadRotationConfig(source(base())).compromisedKey).toBeUndefined();
    });

    it("true is refused: it must name the key, and the fix says how and how to remove it afterwards", () => {
        const [p, ...rest] = problems({ revocation: "deactivate", emergency: true });
        expect(rest).toEqual([]);
        expect(p).toMatchObject({ key: "anthropic-key-rotation:emergency", message: expect.stringContaining("does not name the compromised key") });
        expect(p!.fix).toContain("pulumi config set --path emergency.compromisedKey sha256:");
        expect(p!.fix).toContain("pulumi config rm emergency -s prod");
    });

    it("a value that is not a fingerprint or a key id (never echoed), and emergency with revocation none", () => {
        const key = makeApiKey();
        const wrong = problems({ revocation: "deactivate", emergency: { compromisedKey: key } });
        expect(wrong).toEqual([{ key: "anthropic-key-rotation:emergency.compromisedKey", message: expect.stringContaining("fingerprint (sha256:"), fix: expect.stringContaining("emergency.compromisedKey") }]);
        expect(JSON.stringify(wrong)).not.toContain(key);
        expect(problems({ revocation: "none", emergency: { compromisedKey: "sha256:0123456789ab" } })[0]).toMatchObject({ key: "anthropic-key-rotation:emergency", message: expect.stringContaining("revocation is none") });
    });
});

describe("cutover", () => {
    it("is on with the defaults; false turns it off; each field is bounded", () => {
        expect(loadRotationConfig(source(base())).cutover).toEqual({ enabled: true, idleMinutes: 15, minNewKeyRequests: 1, maxWaitMinutes: 30, dataLagMinutes: 5, pollSeconds: 60 });
        expect(loadRotationConfig(source({ ...base(), cutover: false })).cutover.enabled).toBe(false);
        expect(loadRotationConfig(source({ ...base(), cutover: { idleMinutes: 30, maxWaitMinutes: 60 } })).cutover).toMatchObject({ enabled: true, idleMinutes: 30, maxWaitMinutes: 60 });
        const wrong = problems({ cutover: { idleMinutes: 0, pollSeconds: 5, extra: 1 } });
        expect(wrong.map((p) => p.key).sort()).toEqual(["anthropic-key-rotation:cutover", "anthropic-key-rotation:cutover.idleMinutes", "anthropic-key-rotation:cutover.pollSeconds"]);
        expect(wrong.find((p) => p.key.endsWith("pollSeconds"))).toMatchObject({ message: "must be at least 60 seconds: the usage buckets are one minute wide", fix: expect.stringContaining("cutover: false") });
    });
});
