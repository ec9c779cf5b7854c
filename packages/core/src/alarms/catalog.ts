/**
 * The alarm catalog, one import for its consumers (stacks/alarms.ts, stacks/dashboard.ts, the local evaluator, the
 * runbook generator): the types (types.ts), the entries with their runbooks (entries.ts) and the helpers that render
 * them (render.ts). Producers of custom metrics import the metric catalog (../metrics/catalog.ts) instead.
 */
export * from "./types";
export * from "./entries";
export * from "./render";
export { CUSTOM_METRICS } from "../metrics/catalog";
