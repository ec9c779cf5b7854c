/** The shard autoscaler's domain: the planner, its durable state, the run over ports, local counter samples. */
export * from "./planner";
export * from "./state";
export * from "./service";
export * from "./counter-samples";
export * from "./config";
