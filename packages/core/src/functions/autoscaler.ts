/** The shard autoscaler (functions/autoscaler.ts), on the stage's `schedules.autoscaler`. */
import { AUTOSCALER_CONFIG_ENV, parseAutoscalerConfig } from "../autoscaler/config";
import { callsOf } from "../aws-calls/functions";
import { CUSTOM_METRICS } from "../metrics/catalog";
import { defineFunction, required } from "./define";
import { ALARM_TOPIC_ARN, LOGGING, METRICS_NAMESPACE, STAGE, STREAM_NAME } from "./variables";

export const autoscalerFunction = defineFunction({
  id: "Autoscaler",
  service: CUSTOM_METRICS.autoscaler.service,
  module: "functions/autoscaler",
  env: {
    stage: STAGE,
    streamName: STREAM_NAME,
    /** Holds the autoscaler's state object (ops/autoscaler/<stream>.json). */
    assetsBucket: required("EVENTLAKE_ASSETS_BUCKET"),
    alarmTopicArn: ALARM_TOPIC_ARN,
    /** Settings and shard bounds from the stage, as `encodeAutoscalerConfig` writes them. */
    config: required(AUTOSCALER_CONFIG_ENV, (raw) => parseAutoscalerConfig(raw)),
    metricsNamespace: METRICS_NAMESPACE,
    ...LOGGING,
  },
  metrics: CUSTOM_METRICS.autoscaler,
  schedule: "autoscaler",
  // One GetMetricData, a few Kinesis calls and two small S3 objects per run.
  size: { memoryMb: 256, timeoutSeconds: 60 },
  calls: callsOf("Autoscaler"),
});
