/** Every policy of the pack, in the order the analyzer runs them. */
import type { Policies } from "@pulumi/policy";
import { environmentIsolationPolicy } from "./environmentIsolation";
import { githubSecretNamePolicy } from "./githubSecretName";
import { githubAcknowledgedScopePolicy, githubProdScopePolicy } from "./githubSecretScope";
import { herokuConfigVarNamePolicy } from "./herokuConfigVarName";
import { keyExpiryAdvisoryPolicy, keyExpiryPolicy } from "./keyExpiry";
import { keyNamePolicy } from "./keyName";
import { maxAgePolicy } from "./maxAge";
import { noPlaintextPolicy } from "./noPlaintext";
import { revocationProofPolicy } from "./revocationProof";
import { rotationDuePolicy } from "./rotationDue";
import { validatedBeforeFanoutPolicy } from "./validatedBeforeFanout";
import { validationCostPolicy } from "./validationCost";

export const POLICY_PACK_NAME = "anthropic-key-rotation";

export const policies: Policies = [
    keyNamePolicy,
    maxAgePolicy,
    rotationDuePolicy,
    noPlaintextPolicy,
    validatedBeforeFanoutPolicy,
    environmentIsolationPolicy,
    validationCostPolicy,
    githubSecretNamePolicy,
    githubProdScopePolicy,
    githubAcknowledgedScopePolicy,
    herokuConfigVarNamePolicy,
    revocationProofPolicy,
    keyExpiryPolicy,
    keyExpiryAdvisoryPolicy,
];

export * from "./common";
export * from "./environments";
export * from "./age";
export * from "./keyName";
export * from "./maxAge";
export * from "./rotationDue";
export * from "./noPlaintext";
export * from "./validatedBeforeFanout";
export * from "./environmentIsolation";
export * from "./validationCost";
export * from "./naming";
export * from "./githubSecretName";
export * from "./githubSecretScope";
export * from "./githubScopeAcknowledgements";
export * from "./herokuConfigVarName";
export * from "./revocationProof";
export * from "./keyExpiry";
