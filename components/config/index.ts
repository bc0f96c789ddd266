export * from "./configError";
export * from "./schema";
export * from "./loadConfig";
export * from "./stackFile";
