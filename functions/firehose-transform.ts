/**
 * The raw archive's transform Lambda: Firehose (Kinesis source, KPL already de-aggregated) -> this function -> S3.
 * Thin by design: the core judges each record and shapes the response (packages/core/src/firehose/transform.ts);
 * this file logs counts and emits metrics. Every recordId is echoed once; canonical events and bad rows are `Ok`
 * with their own bytes plus "\n"; anything else is `ProcessingFailed` and Firehose writes it, byte for byte, to
 * raw-errors/processing-failed/. The same file runs on AWS and in the local Firehose, which invokes it with the same
 * event shape.
 */
import middy from "@middy/core";
import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import type { Context } from "aws-lambda";
import type { FirehoseTransformResponse } from "@eventlake/core/firehose/contract";
import { transformRecords, type TransformSummary } from "@eventlake/core/firehose/transform";
import { firehoseTransformFunction } from "@eventlake/core/functions/firehose-transform";

// Service name, namespace and log settings come from the environment the description builds (POWERTOOLS_*).
const logger = new Logger();
const metrics = new Metrics();
const METRIC = firehoseTransformFunction.metrics;

function recordMetrics(summary: TransformSummary) {
  metrics.addMetric(METRIC.recordsIn, MetricUnit.Count, summary.records);
  metrics.addMetric(METRIC.recordsOk, MetricUnit.Count, summary.ok);
  metrics.addMetric(METRIC.recordsFailed, MetricUnit.Count, summary.processingFailed);
  metrics.addMetric(METRIC.badRowsArchived, MetricUnit.Count, summary.kinds.bad_row);
  metrics.addMetric(METRIC.bytesIn, MetricUnit.Bytes, summary.bytesIn);
  metrics.addMetric(METRIC.bytesOut, MetricUnit.Bytes, summary.bytesOut);
  metrics.addMetric(METRIC.responseBytes, MetricUnit.Bytes, summary.responseBytes);
  for (const [problem, count] of Object.entries(summary.failedByProblem)) {
    const m = metrics.singleMetric();
    m.addDimension("problem", problem);
    m.addMetric(METRIC.recordsFailedByProblem, MetricUnit.Count, count);
  }
}

async function transform(event: unknown, _context: Context): Promise<FirehoseTransformResponse> {
  const started = Date.now();
  const { response, summary } = transformRecords(event);
  recordMetrics(summary);
  // Counts and codes only: record contents never reach the logs.
  logger[summary.processingFailed > 0 ? "warn" : "info"]("firehose transform", {
    invocationId: (event as { invocationId?: unknown }).invocationId,
    records: summary.records,
    ok: summary.ok,
    events: summary.kinds.event,
    badRows: summary.kinds.bad_row,
    processingFailed: summary.processingFailed,
    failedByProblem: summary.failedByProblem,
    bytesIn: summary.bytesIn,
    bytesOut: summary.bytesOut,
    responseBytes: summary.responseBytes,
    durationMs: Date.now() - started,
  });
  return response;
}

export const handler = middy(transform)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .onError(async (request) => {
    // Not a transformation event, or a response Lambda would refuse: the invocation fails, Firehose retries it and
    // then writes the batch to the error output. The log gets the error, never the records.
    logger.error("firehose transform failed", { error: request.error as Error });
  });
