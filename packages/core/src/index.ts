/**
 * eventlake's domain core: pure TypeScript, no AWS SDK, no I/O. Subpaths (`@eventlake/core/ingest/...`,
 * `@eventlake/core/kinesis/...`) import single modules, which keeps Lambda bundles small.
 */
export * from "./ingest/index";
export * from "./kinesis/index";
export * from "./limits";
export * from "./ports";
export * from "./stage-config";
