export * from "./previousKeyRevocation";
export * from "./keyLedger";
export { probeKey, proveDead } from "./keyProof";
export type { ProbeOutcome, ProofResult } from "./keyProof";
export type { RetiredKey, RetiredKeyInfo } from "./retiredKeys";
