/**
 * The shell text a command target really runs. pulumi-command starts `/bin/sh -c <text>` with the CLI's whole
 * environment plus `environment`, so without this every hook would receive ANTHROPIC_ADMIN_API_KEY,
 * HEROKU_API_KEY, GITHUB_TOKEN, INFISICAL_CLIENT_SECRET, PULUMI_CONFIG_PASSPHRASE… The wrapper, in the same
 * shell process and before the operator's command:
 *   1. unsets every environment variable but PATH, HOME, the key's variable, ANTHROPIC_KEY_FINGERPRINT and the
 *      names the target lists in `passEnv` (names come from `env`, values never leave the shell: nothing is
 *      put in any process's argv);
 *   2. runs the command in a subshell with stderr joined to stdout, piped through awk, which reads the key from
 *      its own environment (ENVIRON, not argv) and masks it, and masks anything shaped like an Anthropic key;
 *   3. exits with the command's own status (POSIX sh has no PIPESTATUS: the status travels on fd 4).
 * So what the provider logs, stores as stdout/stderr or puts into its error message is already redacted.
 */

/** Always kept: what a shell command needs to find programs and its home. */
export const ALWAYS_KEPT = ["PATH", "HOME"] as const;
export const FINGERPRINT_VAR = "ANTHROPIC_KEY_FINGERPRINT";
export const REDACTED = "[redacted]";

/** The project's credentials: never passed to a command, whatever `passEnv` says. */
export const NEVER_PASSED = [
    "ANTHROPIC_ADMIN_API_KEY",
    "HEROKU_API_KEY",
    "GITHUB_TOKEN",
    "INFISICAL_CLIENT_ID",
    "INFISICAL_CLIENT_SECRET",
    "PULUMI_CONFIG_PASSPHRASE",
    "PULUMI_CONFIG_PASSPHRASE_FILE",
    "PULUMI_ACCESS_TOKEN",
    "ANTHROPIC_KEY_ROTATION_WEBHOOKS",
] as const;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The names a command keeps, in order, without duplicates. Throws on a name that is not a variable name. */
export function keptNames(keyVar: string, passEnv: readonly string[] = []): string[] {
    const names = [...ALWAYS_KEPT, keyVar, FINGERPRINT_VAR, ...passEnv];
    for (const n of names) if (!NAME.test(n)) throw new Error(`not an environment variable name: ${JSON.stringify(n)}`);
    return [...new Set(names)];
}

/** awk program: masks the key (from ENVIRON) and anything shaped like an Anthropic key, line by line. */
function redactingAwk(keyVar: string): string {
    return (
        `awk 'BEGIN { k = ENVIRON["${keyVar}"] } ` +
        `{ line = $0; if (k != "") { while ((i = index(line, k)) > 0) line = substr(line, 1, i - 1) "${REDACTED}" substr(line, i + length(k)) } ` +
        // Written sk[-]ant[-] so that the command text itself never looks like a key to a leak scan.
        `gsub(/sk[-]ant[-][A-Za-z0-9_-]+/, "${REDACTED}", line); print line; fflush() }'`
    );
}

/** `script` (the operator's command) wrapped as described above. */
export function isolatedCommand(script: string, keyVar: string, passEnv: readonly string[] = []): string {
    const keep = keptNames(keyVar, passEnv).join("|");
    return [
        "# anthropic-key-rotation: only the key, PATH, HOME and passEnv reach the command; its output is redacted.",
        `for __akr_v in $(env | sed -n 's/^\\([A-Za-z_][A-Za-z0-9_]*\\)=.*/\\1/p'); do`,
        `  case "$__akr_v" in ${keep}|__akr_v) ;; *) unset "$__akr_v" 2>/dev/null || true ;; esac`,
        "done",
        "unset __akr_v",
        `exec 3>&1`,
        `__akr_status=$( { { (`,
        script,
        `) 2>&1; echo $? >&4; } | ${redactingAwk(keyVar)} >&3; } 4>&1 )`,
        `exit "\${__akr_status:-1}"`,
    ].join("\n");
}
