/**
 * The environment variables more than one function reads, each named here once; a function's own variables live in
 * its description (./ingest.ts, ./autoscaler.ts, ...). Powertools reads its variables itself
 * (https://docs.powertools.aws.dev/lambda/typescript/latest/#environment-variables): the handlers build Logger and
 * Metrics without arguments, so the namespace and log settings set here are the ones they use.
 */
import { optional, required } from "./define";

export const STAGE = required("EVENTLAKE_STAGE");
export const STREAM_NAME = required("EVENTLAKE_STREAM_NAME");
export const LAKE_BUCKET = required("EVENTLAKE_LAKE_BUCKET");
export const ALARM_TOPIC_ARN = required("EVENTLAKE_ALARM_TOPIC_ARN");
export const GLUE_JOB_NAME = required("EVENTLAKE_GLUE_JOB_NAME");

/** The stage's metrics namespace (`metricsNamespace(stage)`), read by Powertools Metrics. */
export const METRICS_NAMESPACE = required("POWERTOOLS_METRICS_NAMESPACE");

/** Powertools Logger's settings: level, the incoming event (never logged: it holds payloads), debug sampling. */
export const LOGGING = {
  logLevel: optional("POWERTOOLS_LOG_LEVEL"),
  logEvent: optional("POWERTOOLS_LOGGER_LOG_EVENT"),
} as const;
export const LOG_SAMPLE_RATE = optional("POWERTOOLS_LOGGER_SAMPLE_RATE");
