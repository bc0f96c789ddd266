export * from "./keyFormat";
export * from "./fingerprint";
export * from "./dates";
export * from "./keyName";
export * from "./rotationAge";
export * from "./names";
export * from "./tokens";
export * from "./receipt";
