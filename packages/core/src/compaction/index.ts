/** Compaction: layout and names, settings, the pure planner, and the crash-safe protocol's pure parts. */
export * from "./config";
export * from "./layout";
export * from "./planner";
export * from "./protocol";
