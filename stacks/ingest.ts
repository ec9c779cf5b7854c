/**
 * The ingest function (functions/ingest.ts): authenticates, validates and normalizes events, writes them to the
 * stream with PutRecords, and spills what the stream cannot take to `fallback/` in the lake.
 *
 * IAM, exactly the calls it makes, derived from its call list (packages/core/src/aws-calls/functions.ts, `Ingest`):
 * kinesis:PutRecords and kinesis:ListShards (its shard map) on the stream, s3:PutObject under `<lake>/fallback/`,
 * kms:GenerateDataKey on the stream's key only if it is customer-managed. Names reach it through `environment`; the
 * only link is the WriteKeys secret (linking the stream or the bucket would grant `kinesis:*` / `s3:*`).
 * SST adds AWSLambdaBasicExecutionRole (its own log group). The role trusts only lambda.amazonaws.com (defaults.ts).
 */
import { callsOf } from "@eventlake/core/aws-calls/functions";
import { LAKE_PREFIXES } from "@eventlake/core/stage-config";
import { accountValues, grantsFromCalls } from "./iam";
import type { Lake } from "./lake";
import type { Secrets } from "./secrets";
import { logRetention, type Stage } from "./stage";
import { streamKmsKeyArn, type Stream } from "./stream";

export interface IngestDeps {
  stream: Stream;
  lake: Lake;
  secrets: Secrets;
}

export function createIngest(stage: Stage, { stream, lake, secrets }: IngestDeps) {
  const { ingest } = stage.config;
  return new sst.aws.Function("Ingest", {
    description: `eventlake ${stage.name}: HTTP API -> Kinesis`,
    handler: "functions/ingest.handler",
    runtime: "nodejs22.x",
    architecture: ingest.architecture,
    memory: `${ingest.memoryMb} MB`,
    timeout: `${ingest.timeoutSeconds} seconds`,
    ...(ingest.reservedConcurrency !== undefined ? { concurrency: { reserved: ingest.reservedConcurrency } } : {}),
    logging: { retention: logRetention(ingest.logRetentionDays) },
    // The event schema registry is read from disk at cold start (EVENTLAKE_SCHEMA_DIR, relative to /var/task).
    copyFiles: [{ from: "schemas", to: "schemas" }],
    environment: {
      EVENTLAKE_STREAM_NAME: stream.name,
      EVENTLAKE_LAKE_BUCKET: lake.lake.name,
      EVENTLAKE_FALLBACK_PREFIX: LAKE_PREFIXES.fallback,
      EVENTLAKE_SCHEMA_DIR: "schemas",
      EVENTLAKE_METRICS_NAMESPACE: stage.metricsNamespace,
      POWERTOOLS_SERVICE_NAME: "ingest",
      POWERTOOLS_METRICS_NAMESPACE: stage.metricsNamespace,
      POWERTOOLS_LOG_LEVEL: ingest.logLevel,
      POWERTOOLS_LOGGER_SAMPLE_RATE: String(ingest.debugSampleRate),
      POWERTOOLS_LOGGER_LOG_EVENT: "false",
    },
    permissions: grantsFromCalls(callsOf("Ingest"), {
      ...accountValues(),
      streamArn: stream.arn,
      lakeBucket: lake.lake.name,
      streamKmsKeyArn: streamKmsKeyArn(stage),
    }),
    link: [secrets.writeKeys],
  });
}

export type Ingest = ReturnType<typeof createIngest>;
