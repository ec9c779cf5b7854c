/**
 * Ingest Lambda: API Gateway HTTP API (payload v2) -> the ingest service -> Kinesis.
 * Thin by design: unwrap the event, call the core, shape the response, log and emit metrics. The same file runs on
 * AWS and in the local runtime, which invokes it with the same event shape.
 */
import middy from "@middy/core";
import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { newMessageId } from "@eventlake/core/ingest/message-id";
import { awsTargetFromEnv } from "@eventlake/adapters/aws-config";
import { KinesisShardMap } from "@eventlake/adapters/kinesis-shard-map";
import { KinesisStreamWriter } from "@eventlake/adapters/kinesis-stream-writer";
import { S3ObjectStore } from "@eventlake/adapters/s3-object-store";
import { loadSchemaDirectory } from "@eventlake/adapters/schema-loader";
import { parseWriteKeySecret } from "@eventlake/core/ingest/auth";
import { ingestConfigFromEnv } from "@eventlake/core/ingest/config";
import { createSchemaRegistry } from "@eventlake/core/ingest/schema-registry";
import { handleIngestRequest, type IngestDeps, type IngestOutcome } from "@eventlake/core/ingest/service";
import { ingestFunction } from "@eventlake/core/functions/ingest";
import { linkedSecret } from "./shared/env";

// Service name, namespace and log settings come from the environment the description builds (POWERTOOLS_*).
const logger = new Logger();
const metrics = new Metrics();
const METRIC = ingestFunction.metrics;

/** Time kept back from the Lambda's remaining time for spilling and answering. */
const RESPONSE_RESERVE_MS = 1_500;
/** API Gateway answers 503 itself after 30 s: finish well before. */
const API_GATEWAY_BUDGET_MS = 28_000;

let deps: IngestDeps | undefined;

/** Built once per cold start: config, compiled schemas, write keys, clients. */
export function depsFromEnv(env: NodeJS.ProcessEnv = process.env): IngestDeps {
  const settings = ingestFunction.readEnv(env);
  const fallback = new S3ObjectStore({ bucket: settings.lakeBucket, target: awsTargetFromEnv(env, "S3") });
  const streamName = settings.streamName;
  const kinesisTarget = awsTargetFromEnv(env, "KINESIS");
  const shardMap = new KinesisShardMap({ target: kinesisTarget, streamName });
  return {
    config: ingestConfigFromEnv(env),
    schemas: createSchemaRegistry(loadSchemaDirectory(settings.schemaDir, { required: true })),
    // Set locally (and in tests); on AWS the keys come from the WriteKeys secret linked to the function.
    writeKeys: parseWriteKeySecret(settings.writeKeys ?? linkedSecret("WriteKeys", ingestFunction.env.writeKeys.name)),
    writer: new KinesisStreamWriter({
      streamName,
      target: kinesisTarget,
      shardMap,
      fallback,
      fallbackPrefix: settings.fallbackPrefix,
    }),
    newMessageId,
    retryAfterSeconds: settings.retryAfterSeconds,
  };
}

function lowerCaseHeaders(headers: APIGatewayProxyEventV2["headers"]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
  return out;
}

function recordMetrics(outcome: IngestOutcome) {
  if (outcome.route === "health") {
    metrics.addMetric(METRIC.healthChecks, MetricUnit.Count, 1);
    return;
  }
  metrics.addMetric(METRIC.requests, MetricUnit.Count, 1);
  if (outcome.error) {
    const m = metrics.singleMetric();
    m.addDimension("error", outcome.error);
    m.addMetric(METRIC.requestErrors, MetricUnit.Count, 1);
  }
  if (outcome.events === 0) return;
  metrics.addMetric(METRIC.batchSize, MetricUnit.Count, outcome.events);
  metrics.addMetric(METRIC.eventsAccepted, MetricUnit.Count, outcome.accepted);
  let rejected = 0;
  for (const [reason, count] of Object.entries(outcome.rejectedByReason)) {
    rejected += count;
    const m = metrics.singleMetric();
    m.addDimension("reason", reason);
    m.addMetric(METRIC.eventsRejectedByReason, MetricUnit.Count, count);
  }
  metrics.addMetric(METRIC.eventsRejected, MetricUnit.Count, rejected);
  metrics.addMetric(METRIC.recordsWritten, MetricUnit.Count, outcome.written);
  metrics.addMetric(METRIC.recordsSpilled, MetricUnit.Count, outcome.spilled);
  metrics.addMetric(METRIC.recordsFailed, MetricUnit.Count, outcome.failed);
  metrics.addMetric(METRIC.entriesRetried, MetricUnit.Count, outcome.retriedEntries);
  metrics.addMetric(METRIC.entriesThrottled, MetricUnit.Count, outcome.throttledEntries);
  metrics.addMetric(METRIC.putRecordsCalls, MetricUnit.Count, outcome.putRecordsCalls);
}

async function ingest(event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> {
  deps ??= depsFromEnv();
  const receivedAtMs = Date.now();
  const deadlineMs = receivedAtMs + Math.min(API_GATEWAY_BUDGET_MS, context.getRemainingTimeInMillis() - RESPONSE_RESERVE_MS);
  const { response, outcome } = await handleIngestRequest(
    {
      method: event.requestContext.http.method,
      path: event.rawPath,
      headers: lowerCaseHeaders(event.headers),
      body: event.body,
      isBase64Encoded: event.isBase64Encoded,
      receivedAtMs,
    },
    deps,
    deadlineMs,
  );
  recordMetrics(outcome);
  // Counts and codes only: payloads and keys never reach the logs.
  const level = outcome.statusCode >= 500 ? "warn" : outcome.route === "health" ? "debug" : "info";
  logger[level]("ingest request", {
    route: outcome.route,
    status: outcome.statusCode,
    error: outcome.error,
    events: outcome.events,
    accepted: outcome.accepted,
    rejectedByReason: outcome.rejectedByReason,
    written: outcome.written,
    spilled: outcome.spilled,
    failed: outcome.failed,
    retriedEntries: outcome.retriedEntries,
    throttledEntries: outcome.throttledEntries,
    stoppedBecause: outcome.stoppedBecause,
    durationMs: Date.now() - receivedAtMs,
  });
  return { statusCode: response.statusCode, headers: response.headers, body: response.body };
}

export const handler = middy(ingest)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .onError(async (request) => {
    // An unexpected fault: the client gets a retryable 500 without details; the log gets the error, not the body.
    logger.error("ingest failed", { error: request.error as Error });
    request.response = {
      statusCode: 500,
      headers: { "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify({ ok: false, error: "internal_error", message: "unexpected error; retry the request" }),
    };
  });

/** For tests and the local runtime: replace the cold-start dependencies. */
export function setIngestDeps(next: IngestDeps | undefined) {
  deps = next;
}
