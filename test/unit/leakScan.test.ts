import { describe, expect, it } from "vitest";
import { scanForLeaks } from "../support/leakScan";
import { makeApiKey } from "../../offline/emulators/keys";

describe("leak scan", () => {
    const key = makeApiKey();
    it("finds a whole key, a fragment of one, and any key prefix", () => {
        const findings = scanForLeaks(
            [
                { name: "whole", text: `x ${key} y` },
                { name: "fragment", text: `tail ${key.slice(40, 80)}` },
                { name: "prefix", text: "redacted sk-ant-[gone]" },
                { name: "clean", text: "sha256:0123456789ab [REDACTED]" },
            ],
            [key],
        );
        expect(findings.map((f) => `${f.artifact}:${f.kind}`)).toEqual(["whole:secret", "whole:key-prefix", "fragment:secret-fragment", "prefix:key-prefix"]);
    });
    it("finds nothing in clean text", () => {
        expect(scanForLeaks([{ name: "clean", text: "fingerprint sha256:0123456789ab" }], [key])).toEqual([]);
    });
});
