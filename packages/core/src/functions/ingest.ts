/**
 * The ingest function (functions/ingest.ts behind the HTTP API): settings, metrics and AWS calls. Limits of the
 * request validation come from `EVENTLAKE_INGEST_<NAME>` overrides that ../ingest/config.ts reads itself.
 */
import { callsOf } from "../aws-calls/functions";
import { CUSTOM_METRICS } from "../metrics/catalog";
import { defineFunction, nonNegativeNumber, optional, required } from "./define";
import { LAKE_BUCKET, LOGGING, LOG_SAMPLE_RATE, METRICS_NAMESPACE, STREAM_NAME } from "./variables";

export const ingestFunction = defineFunction({
  id: "Ingest",
  service: CUSTOM_METRICS.ingest.service,
  module: "functions/ingest",
  env: {
    streamName: STREAM_NAME,
    lakeBucket: LAKE_BUCKET,
    /** Where refused events are spilled in the lake (LAKE_PREFIXES.fallback). */
    fallbackPrefix: required("EVENTLAKE_FALLBACK_PREFIX"),
    /** The event schema registry's directory (relative to the package root on AWS). */
    schemaDir: required("EVENTLAKE_SCHEMA_DIR"),
    /** The write keys as JSON ({sourceId: sha256 hex}); unset on AWS, where they come from the linked WriteKeys secret. */
    writeKeys: optional("EVENTLAKE_WRITE_KEYS"),
    /** Retry-After of a 503, in seconds. */
    retryAfterSeconds: optional("EVENTLAKE_RETRY_AFTER_SECONDS", nonNegativeNumber, 1),
    metricsNamespace: METRICS_NAMESPACE,
    ...LOGGING,
    logSampleRate: LOG_SAMPLE_RATE,
  },
  metrics: CUSTOM_METRICS.ingest,
  calls: callsOf("Ingest"),
});
