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
import { ingestFunction } from "@eventlake/core/functions/ingest";
import { LAKE_PREFIXES } from "@eventlake/core/stage-config";
import { accountValues, grantsFromCalls } from "./iam";
import type { Lake } from "./lake";
import type { Secrets } from "./secrets";
import { logRetention, type Stage } from "./stage";
import { streamKmsKeyArn, type Stream } from "./stream";

/** The event schemas, copied into the package under the same name. */
const SCHEMA_DIR = "schemas";

export interface IngestDeps {
  stream: Stream;
  lake: Lake;
  secrets: Secrets;
}

export function createIngest(stage: Stage, { stream, lake, secrets }: IngestDeps) {
  const { ingest } = stage.config;
  return new sst.aws.Function(ingestFunction.id, {
    description: `eventlake ${stage.name}: HTTP API -> Kinesis`,
    handler: ingestFunction.handler,
    runtime: "nodejs22.x",
    architecture: ingest.architecture,
    memory: `${ingest.memoryMb} MB`,
    timeout: `${ingest.timeoutSeconds} seconds`,
    ...(ingest.reservedConcurrency !== undefined ? { concurrency: { reserved: ingest.reservedConcurrency } } : {}),
    logging: { retention: logRetention(ingest.logRetentionDays) },
    // The event schema registry is read from disk at cold start (`schemaDir`, relative to /var/task).
    copyFiles: [{ from: SCHEMA_DIR, to: SCHEMA_DIR }],
    environment: ingestFunction.toEnv<$util.Input<string>>({
      streamName: stream.name,
      lakeBucket: lake.lake.name,
      fallbackPrefix: LAKE_PREFIXES.fallback,
      schemaDir: SCHEMA_DIR,
      metricsNamespace: stage.metricsNamespace,
      logLevel: ingest.logLevel,
      logSampleRate: String(ingest.debugSampleRate),
      logEvent: "false",
    }),
    permissions: grantsFromCalls(ingestFunction.calls, {
      ...accountValues(),
      streamArn: stream.arn,
      lakeBucket: lake.lake.name,
      streamKmsKeyArn: streamKmsKeyArn(stage),
    }),
    link: [secrets.writeKeys],
  });
}

export type Ingest = ReturnType<typeof createIngest>;
