/**
 * Scans artifacts (process output, captured state, provider texts, audit lines, error messages, emulator logs)
 * for secret material: each given secret in full, any 24-character slice of one (a truncated or partly
 * redacted key still leaks), and any "sk-ant-" substring at all. Findings never include the secret itself:
 * only where it was and what kind of match it was.
 */

import type { Artifact } from "../../offline/harness/harnessTypes";

export type { Artifact };

export interface LeakFinding {
    readonly artifact: string;
    readonly kind: "secret" | "secret-fragment" | "key-prefix";
    readonly offset: number;
}

const FRAGMENT = 24;

export function scanForLeaks(artifacts: readonly Artifact[], secrets: readonly string[]): LeakFinding[] {
    const findings: LeakFinding[] = [];
    const marker = ["sk", "ant", ""].join("-");
    for (const { name, text } of artifacts) {
        for (const secret of secrets) {
            const full = text.indexOf(secret);
            if (full >= 0) {
                findings.push({ artifact: name, kind: "secret", offset: full });
                continue;
            }
            // The random tail of a key, in overlapping slices.
            for (let i = 13; i + FRAGMENT <= secret.length; i += FRAGMENT / 2) {
                const at = text.indexOf(secret.slice(i, i + FRAGMENT));
                if (at >= 0) {
                    findings.push({ artifact: name, kind: "secret-fragment", offset: at });
                    break;
                }
            }
        }
        const prefix = text.indexOf(marker);
        if (prefix >= 0) findings.push({ artifact: name, kind: "key-prefix", offset: prefix });
    }
    return findings;
}

/** A short, masked view around a finding, for a failing test's message (never the secret). */
export function describeFinding(f: LeakFinding, artifacts: readonly Artifact[]): string {
    const text = artifacts.find((a) => a.name === f.artifact)?.text ?? "";
    const before = text.slice(Math.max(0, f.offset - 40), f.offset).replace(/\s+/g, " ");
    return `${f.kind} in ${f.artifact} at ${f.offset}, after: "…${before}"`;
}
