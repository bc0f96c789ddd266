import * as pulumi from "@pulumi/pulumi";
import { afterEach, describe, expect, it } from "vitest";
import { isSecretConfigKey, pulumiConfigSource, SECRET_KEYS_VARIABLE } from "../../components/config/pulumiSource";

/**
 * How the program learns that `apiKey` is a secret. The Node.js language host sets PULUMI_CONFIG_SECRET_KEYS to a
 * JSON list, `[]` when no key is secret; the runtime's store holds `""` when no list arrived (it initialises the
 * variable to `process.env.PULUMI_CONFIG_SECRET_KEYS || ""`, never undefined).
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const store = (require("@pulumi/pulumi/runtime/state") as { getStore(): { config: Record<string, string | undefined> } }).getStore();
const API_KEY = "anthropic-key-rotation:apiKey";

describe("isSecretConfigKey", () => {
    it("a key in the engine's list is secret", () => {
        expect(isSecretConfigKey(JSON.stringify([API_KEY]), API_KEY)).toBe(true);
    });

    it("an empty list from the engine means no key is secret: the key is plaintext", () => {
        expect(isSecretConfigKey("[]", API_KEY)).toBe(false);
        expect(isSecretConfigKey(JSON.stringify(["anthropic-key-rotation:other"]), API_KEY)).toBe(false);
    });

    it("no list at all (empty or missing variable) is unknown, not plaintext", () => {
        expect(isSecretConfigKey("", API_KEY)).toBeUndefined();
        expect(isSecretConfigKey(undefined, API_KEY)).toBeUndefined();
    });

    it("text that is not a JSON list of strings is unknown", () => {
        expect(isSecretConfigKey("not json", API_KEY)).toBeUndefined();
        expect(isSecretConfigKey('{"a":1}', API_KEY)).toBeUndefined();
        expect(isSecretConfigKey("[1,2]", API_KEY)).toBeUndefined();
    });
});

describe("pulumiConfigSource().isSecret reads what the runtime holds", () => {
    const before = store.config[SECRET_KEYS_VARIABLE];
    afterEach(() => {
        store.config[SECRET_KEYS_VARIABLE] = before;
    });

    it("the runtime's default is the empty string, which means unknown (the old check for undefined never ran)", () => {
        expect(typeof before).toBe("string");
        store.config[SECRET_KEYS_VARIABLE] = "";
        expect(pulumiConfigSource().isSecret!("apiKey")).toBeUndefined();
    });

    it("setAllConfig with the key listed as secret: secret; with an empty list: plaintext", () => {
        pulumi.runtime.setAllConfig({ [API_KEY]: "value" }, [API_KEY]);
        expect(pulumiConfigSource().isSecret!("apiKey")).toBe(true);
        pulumi.runtime.setAllConfig({ [API_KEY]: "value" }, []);
        expect(pulumiConfigSource().isSecret!("apiKey")).toBe(false);
    });
});
