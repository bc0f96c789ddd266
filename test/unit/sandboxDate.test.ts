import { afterEach, describe, expect, it, vi } from "vitest";
import { Sandbox } from "../../offline/harness/sandbox";

/** A scenario that runs across midnight UTC must name its keys and its stack by the same day. */
describe("sandbox date", () => {
    afterEach(() => vi.useRealTimers());

    it("keys created after midnight and the config handed out then carry the day the sandbox started", async () => {
        vi.useFakeTimers({ toFake: ["Date"] });
        vi.setSystemTime(new Date("2026-12-06T23:59:58Z"));
        const sb = await Sandbox.start();
        try {
            vi.setSystemTime(new Date("2026-12-07T00:00:05Z"));
            const key = sb.createKey();
            expect(key.name).toBe("raxx-sandbox-agents-2026-12-06");
            expect(sb.config().keyName).toBe(key.name);
        } finally {
            await sb.stop();
        }
    });
});
