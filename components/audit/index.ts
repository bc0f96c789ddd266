export * from "./auditLog";
export { RotationAudit, rotationAuditProvider } from "./rotationAudit";
export type { RotationAuditArgs } from "./rotationAudit";
export type { RotationAuditOutputs } from "./rotationAuditProvider";
