import * as pulumi from "@pulumi/pulumi";
import { TYPE_KEY_LEDGER } from "../domain/tokens";
import { keyLedgerProvider } from "./keyLedgerProvider";
import type { ConsumerRef } from "./consumers";
import type { RetiredKey, RetiredKeyInfo } from "./retiredKeys";

export { keyLedgerProvider, PROBE_MAX_MS } from "./keyLedgerProvider";
export type { KeyLedgerOutputs } from "./keyLedgerProvider";
export { TYPE_KEY_LEDGER };

export interface KeyLedgerArgs {
    /** The current (new) key. Wrapped in pulumi.secret here whatever the caller passes. */
    readonly apiKey: pulumi.Input<string>;
    /** fingerprint(apiKey). */
    readonly fingerprint: pulumi.Input<string>;
    /** The current key's Admin API id (KeyValidation.keyId), kept with the key once it is retired. */
    readonly keyId?: pulumi.Input<string | null | undefined>;
    /** The environment (the resource id; public). */
    readonly environment: pulumi.Input<string>;
    /** The consumers in the config (consumersOf): recorded as the holders of the current key. */
    readonly consumers?: pulumi.Input<pulumi.Input<ConsumerRef>[]>;
    /** Anthropic API base URL for the probes of retired keys; default https://api.anthropic.com. */
    readonly baseUrl?: pulumi.Input<string | undefined>;
}

/**
 * `pulumi-nodejs:dynamic/anthropic:KeyLedger`: every key that reached a consumer since the last proven
 * revocation. Register it after KeyValidation and make every consumer depend on it, so a key is on record
 * before it is written anywhere; hand `retiredKeys` to PreviousKeyRevocation.
 */
export class KeyLedger extends pulumi.dynamic.Resource {
    declare readonly fingerprint: pulumi.Output<string>;
    declare readonly keyId: pulumi.Output<string | null>;
    declare readonly since: pulumi.Output<string>;
    /** The key the current one replaced on the consumers (null on the first run). */
    declare readonly previousFingerprint: pulumi.Output<string | null>;
    /** Secret: retired keys with their values, for PreviousKeyRevocation only. */
    declare readonly retiredKeys: pulumi.Output<RetiredKey[]>;
    /** Public: fingerprint, Admin API id and date of each retired key not proven dead. */
    declare readonly retired: pulumi.Output<RetiredKeyInfo[]>;
    /** Public: keys the last rotation found dead (401) and dropped from the ledger. */
    declare readonly dropped: pulumi.Output<RetiredKeyInfo[]>;
    /** Public: every consumer that has held the current key. */
    declare readonly holders: pulumi.Output<ConsumerRef[]>;

    constructor(name: string, args: KeyLedgerArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            keyLedgerProvider,
            name,
            {
                ...args,
                apiKey: pulumi.secret(args.apiKey),
                since: undefined,
                previousFingerprint: undefined,
                retiredKeys: undefined,
                retired: undefined,
                dropped: undefined,
                holders: undefined,
            },
            { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "apiKey", "retiredKeys"] },
            "anthropic",
            "KeyLedger",
        );
    }
}
