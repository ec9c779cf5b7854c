/** The raw archive's transform function (functions/firehose-transform.ts, invoked by Firehose): no AWS call. */
import { callsOf } from "../aws-calls/functions";
import { CUSTOM_METRICS } from "../metrics/catalog";
import { defineFunction } from "./define";
import { LOGGING, METRICS_NAMESPACE } from "./variables";

export const firehoseTransformFunction = defineFunction({
  id: "RawTransform",
  service: CUSTOM_METRICS.firehoseTransform.service,
  module: "functions/firehose-transform",
  env: { metricsNamespace: METRICS_NAMESPACE, ...LOGGING },
  metrics: CUSTOM_METRICS.firehoseTransform,
  calls: callsOf("RawTransform"),
});
