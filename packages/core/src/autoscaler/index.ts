/** The shard autoscaler's domain: the planner, its durable state, the run over ports. */
export * from "./planner";
export * from "./state";
export * from "./service";
export * from "./config";
