/**
 * The ingest function's Powertools settings for the in-process handler of the ingest bench: the handler builds
 * Logger and Metrics from the environment the function's description gives it on AWS (`toEnv`), so the bench sets
 * the same two variables before the handler module loads (ES modules evaluate their imports in order: this module
 * is imported first). Only these two: the bench's other parts start their own pipelines with their own environment.
 */
import { ingestFunction } from "@eventlake/core/functions/ingest";
import { SERVICE_NAME_VARIABLE } from "@eventlake/core/functions/define";
import { METRICS_NAMESPACE } from "@eventlake/core/functions/variables";

const env = ingestFunction.toEnv({
  streamName: "bench",
  lakeBucket: "bench",
  fallbackPrefix: "fallback/",
  schemaDir: "schemas",
  metricsNamespace: "eventlake/bench",
});
for (const name of [METRICS_NAMESPACE.name, SERVICE_NAME_VARIABLE]) process.env[name] = env[name];
