/**
 * One operator's view of a stack, whichever engine runs it: set the key (`pulumi config set --secret apiKey`),
 * change other config, `pulumi up`. The procedure script (script.ts) runs through the real CLI (EngineDriver)
 * and through the engine-free harness (HarnessDriver) so the two can be compared by outcome.
 */
import { existsSync, readFileSync } from "fs";
import { parse } from "yaml";
import type { Sandbox } from "../../../offline/harness/sandbox";
import { sandboxTargets, SandboxTargets } from "../../../tools/rehearse/observe";
import { Scenario } from "../../e2e/scenario";
import type { EngineStack } from "../realEngine";

export interface UpResult {
    readonly ok: boolean;
    /** What the operator reads: the CLI's stdout and stderr, or the harness's error and output. */
    readonly output: string;
}

export interface ProcedureDriver {
    readonly engine: "pulumi-cli" | "harness";
    readonly sb: Sandbox;
    readonly auditFile: string;
    setKey(value: string): Promise<void>;
    /** Merges into the stack's config; `undefined` removes a setting. */
    setConfig(values: Record<string, unknown>): void;
    config(name: string): unknown;
    targets(): SandboxTargets;
    up(): Promise<UpResult>;
}

export class EngineDriver implements ProcedureDriver {
    readonly engine = "pulumi-cli" as const;
    constructor(readonly stack: EngineStack) {}
    get sb(): Sandbox {
        return this.stack.sb;
    }
    get auditFile(): string {
        return this.stack.auditFile;
    }
    setKey(value: string): Promise<void> {
        return this.stack.setKey(value);
    }
    setConfig(values: Record<string, unknown>): void {
        this.stack.setConfig(values);
    }
    config(name: string): unknown {
        return this.stack.config(name);
    }
    targets(): SandboxTargets {
        return sandboxTargets(this.stack.stackFile);
    }
    async up(): Promise<UpResult> {
        const r = await this.stack.up();
        return { ok: r.code === 0, output: `${r.stdout}\n${r.stderr}` };
    }
}

export class HarnessDriver implements ProcedureDriver {
    readonly engine = "harness" as const;
    private key = "";
    private readonly overrides: Record<string, unknown>;
    private readonly stackConfig: Record<string, unknown>;

    constructor(
        readonly scenario: Scenario,
        initial: Record<string, unknown>,
    ) {
        this.overrides = { ...initial };
        const file = readFileSync(scenario.sandbox.stackFile, "utf8");
        this.stackConfig = (parse(file) as { config: Record<string, unknown> }).config;
    }
    get sb(): Sandbox {
        return this.scenario.sandbox;
    }
    get auditFile(): string {
        return this.scenario.auditLog;
    }
    async setKey(value: string): Promise<void> {
        this.key = value;
    }
    setConfig(values: Record<string, unknown>): void {
        Object.assign(this.overrides, values);
    }
    config(name: string): unknown {
        return name in this.overrides ? this.overrides[name] : this.stackConfig[`anthropic-key-rotation:${name}`];
    }
    targets(): SandboxTargets {
        return sandboxTargets(this.scenario.sandbox.stackFile, this.config("targets"));
    }
    async up(): Promise<UpResult> {
        const run = await this.scenario.up(this.key, { config: this.overrides });
        return { ok: run.exitCode === 0, output: `${run.error ?? ""}\n${run.stdout}\n${run.stderr}` };
    }
}

export function auditOf(driver: ProcedureDriver): Record<string, unknown>[] {
    if (!existsSync(driver.auditFile)) return [];
    return readFileSync(driver.auditFile, "utf8")
        .split("\n")
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
}
