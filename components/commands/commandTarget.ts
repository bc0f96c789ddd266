import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { CommandTarget } from "../config/schema";
import { FINGERPRINT_VAR, isolatedCommand } from "./isolatedCommand";

/**
 * A consumer with no Pulumi provider (`fly secrets import`, `kubectl`, a deploy hook) reached through
 * @pulumi/command. The key reaches the command only through an environment variable (never its argv, where
 * `ps` and shell history would show it), and the command re-runs whenever the key's fingerprint changes.
 *
 * Re-running is an update, not a replacement: a replacement would run the old instance's `delete` command
 * after the new `create`, undoing the rotation. Any change to `environment` makes the command provider run
 * `update` (or `create` when no `update` is given).
 */
export interface CommandTargetArgs {
    readonly target: CommandTarget;
    readonly apiKey: pulumi.Input<string>;
    readonly fingerprint: string;
}

export function commandTargetLabel(target: CommandTarget): string {
    return `command ${target.name}`;
}

export function createCommandTarget(name: string, args: CommandTargetArgs, opts: pulumi.CustomResourceOptions): command.local.Command {
    const { target } = args;
    return new command.local.Command(
        name,
        {
            // Each runs isolated: only the key, PATH, HOME, the fingerprint and passEnv reach it, and whatever it
            // prints (logged by the provider, stored as stdout/stderr, quoted in its error) is redacted.
            create: isolatedCommand(target.create, target.envVar, target.passEnv),
            update: target.update === undefined ? undefined : isolatedCommand(target.update, target.envVar, target.passEnv),
            delete: target.delete === undefined ? undefined : isolatedCommand(target.delete, target.envVar, target.passEnv),
            dir: target.dir,
            environment: {
                [target.envVar]: pulumi.secret(args.apiKey),
                // Plain, so previews show sha256:old → sha256:new for this consumer, and the command can log it.
                [FINGERPRINT_VAR]: args.fingerprint,
            },
        },
        // A command might echo its environment; keep whatever it prints out of plaintext state.
        { ...opts, additionalSecretOutputs: ["stdout", "stderr"] },
    );
}
