/**
 * Ports: the small interfaces the core's services use for I/O, one module per port. Adapters (packages/adapters)
 * implement them on AWS SDK v3 clients; the same adapters talk to the local stand-ins through an endpoint override,
 * and the local runtime injects local implementations where no AWS API is involved. A port owns the types it speaks
 * in, so no port imports a service module (ARCHITECTURE.md, "Ports").
 */
export * from "./compaction-store";
export * from "./job-runs";
export * from "./metrics-query";
export * from "./notifier";
export * from "./object-store";
export * from "./stream-capacity";
export * from "./stream-metrics";
export * from "./stream-writer";
