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
import { readSecret, requireEnv } from "./shared/env";

const logger = new Logger({ serviceName: "ingest" });
const metrics = new Metrics({ namespace: process.env.EVENTLAKE_METRICS_NAMESPACE ?? "eventlake", serviceName: "ingest" });

/** Time kept back from the Lambda's remaining time for spilling and answering. */
const RESPONSE_RESERVE_MS = 1_500;
/** API Gateway answers 503 itself after 30 s: finish well before. */
const API_GATEWAY_BUDGET_MS = 28_000;

let deps: IngestDeps | undefined;

/** Built once per cold start: config, compiled schemas, write keys, clients. */
export function depsFromEnv(env: NodeJS.ProcessEnv = process.env): IngestDeps {
  const fallback = new S3ObjectStore({ bucket: requireEnv("EVENTLAKE_LAKE_BUCKET", env), target: awsTargetFromEnv(env, "S3") });
  const streamName = requireEnv("EVENTLAKE_STREAM_NAME", env);
  const kinesisTarget = awsTargetFromEnv(env, "KINESIS");
  const shardMap = new KinesisShardMap({ target: kinesisTarget, streamName });
  return {
    config: ingestConfigFromEnv(env),
    schemas: createSchemaRegistry(
      loadSchemaDirectory(env.EVENTLAKE_SCHEMA_DIR ?? "schemas", { required: env.EVENTLAKE_SCHEMA_DIR !== undefined }),
    ),
    writeKeys: parseWriteKeySecret(readSecret("EVENTLAKE_WRITE_KEYS", "WriteKeys", env)),
    writer: new KinesisStreamWriter({
      streamName,
      target: kinesisTarget,
      shardMap,
      fallback,
      fallbackPrefix: env.EVENTLAKE_FALLBACK_PREFIX ?? "fallback/",
    }),
    newMessageId,
    retryAfterSeconds: Number(env.EVENTLAKE_RETRY_AFTER_SECONDS ?? 1),
  };
}

function lowerCaseHeaders(headers: APIGatewayProxyEventV2["headers"]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
  return out;
}

function recordMetrics(outcome: IngestOutcome) {
  if (outcome.route === "health") {
    metrics.addMetric("HealthChecks", MetricUnit.Count, 1);
    return;
  }
  metrics.addMetric("Requests", MetricUnit.Count, 1);
  if (outcome.error) {
    const m = metrics.singleMetric();
    m.addDimension("error", outcome.error);
    m.addMetric("RequestErrors", MetricUnit.Count, 1);
  }
  if (outcome.events === 0) return;
  metrics.addMetric("BatchSize", MetricUnit.Count, outcome.events);
  metrics.addMetric("EventsAccepted", MetricUnit.Count, outcome.accepted);
  let rejected = 0;
  for (const [reason, count] of Object.entries(outcome.rejectedByReason)) {
    rejected += count;
    const m = metrics.singleMetric();
    m.addDimension("reason", reason);
    m.addMetric("EventsRejectedByReason", MetricUnit.Count, count);
  }
  metrics.addMetric("EventsRejected", MetricUnit.Count, rejected);
  metrics.addMetric("RecordsWritten", MetricUnit.Count, outcome.written);
  metrics.addMetric("RecordsSpilled", MetricUnit.Count, outcome.spilled);
  metrics.addMetric("RecordsFailed", MetricUnit.Count, outcome.failed);
  metrics.addMetric("EntriesRetried", MetricUnit.Count, outcome.retriedEntries);
  metrics.addMetric("EntriesThrottled", MetricUnit.Count, outcome.throttledEntries);
  metrics.addMetric("PutRecordsCalls", MetricUnit.Count, outcome.putRecordsCalls);
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
