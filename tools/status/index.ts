export * from "./stackInventory";
export * from "./adminKeys";
export * from "./audit";
export * from "./format";
export * from "./args";
export * from "./run";
