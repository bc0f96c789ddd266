import { describe, expect, it } from "vitest";
import { redactSdkDebugLog } from "../../components/dynamic/sdkDebugRedaction";

const KEY = `sk-ant-api03-${"Q".repeat(93)}AA`;

function fakeLog() {
    const seen: string[] = [];
    return { seen, module: { debug: async (msg: string) => void seen.push(msg) } };
}

describe("the SDK's debug log in the program process", () => {
    it("never carries an Anthropic key or a credential of the run, whatever the SDK puts in it", async () => {
        const { seen, module } = fakeLog();
        redactSdkDebugLog(module, { HEROKU_API_KEY: "heroku-token-0123456789", GITHUB_TOKEN: "ghp_token0123456789" });
        await module.debug(`RegisterResource RPC finished: ledger; err: null, resp: urn,retiredKeys,4dabf18193072939515e22adb298388d,value,${KEY},heroku-token-0123456789,ghp_token0123456789`);
        expect(seen).toHaveLength(1);
        expect(seen[0]).not.toContain(KEY);
        expect(seen[0]).not.toContain("sk-ant-");
        expect(seen[0]).not.toContain("heroku-token-0123456789");
        expect(seen[0]).not.toContain("ghp_token0123456789");
        expect(seen[0]).toContain("RegisterResource RPC finished: ledger");
    });

    it("wraps once: installing twice redacts once and keeps messages without secrets as they are", async () => {
        const { seen, module } = fakeLog();
        redactSdkDebugLog(module, {});
        redactSdkDebugLog(module, {});
        await module.debug("RegisterResource RPC prepared: t=pulumi-nodejs:dynamic/heroku:ConfigVars");
        expect(seen).toEqual(["RegisterResource RPC prepared: t=pulumi-nodejs:dynamic/heroku:ConfigVars"]);
    });

    it("the program installs it on the SDK's own log module before registering anything", async () => {
        const { readFileSync } = await import("fs");
        const program = readFileSync(`${__dirname}/../../index.ts`, "utf8");
        const install = program.indexOf("redactSdkDebugLog(");
        expect(install).toBeGreaterThan(0);
        expect(install).toBeLessThan(program.indexOf("new AnthropicKey("));
    });
});
