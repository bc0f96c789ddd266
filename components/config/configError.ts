/** One problem in the stack config: which key, what is wrong, and how to fix it. Never holds a secret. */
export interface ConfigProblem {
    /** Fully qualified config key with a path into it, e.g. `anthropic-key-rotation:targets.heroku[0].app`. */
    readonly key: string;
    readonly message: string;
    readonly fix: string;
}

/** Every problem found in the stack config at once, so the operator fixes them in one pass. */
export class ConfigError extends Error {
    constructor(readonly problems: readonly ConfigProblem[], stack?: string) {
        super(formatProblems(problems, stack));
        this.name = "ConfigError";
    }
}

export function formatProblems(problems: readonly ConfigProblem[], stack?: string): string {
    const where = stack ? ` for stack "${stack}"` : "";
    const lines = problems.map((p) => `  - ${p.key}: ${p.message}.\n    Fix: ${p.fix}`);
    return `The stack configuration${where} has ${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was changed anywhere:\n${lines.join("\n")}`;
}
