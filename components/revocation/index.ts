export * from "./previousKeyRevocation";
export { probeKey, proveDead } from "./keyProof";
export type { ProbeOutcome, ProofResult } from "./keyProof";
