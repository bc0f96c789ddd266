export * from "./healthChecks";
