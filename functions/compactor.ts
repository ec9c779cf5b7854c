/**
 * Compactor Lambda (EventBridge Scheduler, every `schedules.compactor`): merges the small Parquet files of settled
 * curated partitions into ~128 MB files with the crash-safe protocol (packages/adapters/src/compaction/executor.ts,
 * design in ARCHITECTURE.md "Compaction"). Thin: builds the store, runs one compaction, logs and emits metrics.
 *
 * Metrics (namespace metricsNamespace(stage), dimension service=compactor), every run: CompactionFailures (merges or
 * recoveries that failed, 1 for a run that failed as a whole: the alarm catalog's compaction alarm),
 * CompactionFilesMerged, CompactionBytesMerged, CompactionBytesWritten, CompactionRowsMerged, CompactionOutputFiles,
 * CompactionRecoveries, CompactionDeferredBytes and CompactionRunDuration.
 *
 * The event is the scheduler's ({source: "eventlake.schedule", ...}); `eventlake compact` sends overrides
 * ({settleMinutes?, lookbackDays?, dryRun?}) to run the same handler locally once.
 */
import middy from "@middy/core";
import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import type { Context } from "aws-lambda";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { awsTargetFromEnv } from "@eventlake/adapters/aws-config";
import { runCompaction, type CompactionReport } from "@eventlake/adapters/compaction/executor";
import { S3CompactionStore } from "@eventlake/adapters/compaction/s3-compaction-store";
import { S3ObjectStore } from "@eventlake/adapters/s3-object-store";
import type { CompactionRunConfig } from "@eventlake/core/compaction/config";
import { compactorFunction } from "@eventlake/core/functions/compactor";

// Service name, namespace and log settings come from the environment the description builds (POWERTOOLS_*).
const logger = new Logger();
const metrics = new Metrics();
const METRIC = compactorFunction.metrics;

/** Kept back from the Lambda's remaining time: no merge starts unless it can finish before this reserve. */
const DEADLINE_RESERVE_MS = 30_000;

export interface CompactorEvent {
  source?: string;
  scheduledTime?: string;
  /** Overrides (`eventlake compact`): settle age in minutes, event days listed (0: all), plan only. */
  settleMinutes?: number;
  lookbackDays?: number;
  dryRun?: boolean;
}

interface Deps {
  store: S3CompactionStore;
  config: CompactionRunConfig;
  workerUrl?: URL;
}

let deps: Deps | undefined;

export function depsFromEnv(env: NodeJS.ProcessEnv = process.env): Deps {
  const settings = compactorFunction.readEnv(env);
  const objects = new S3ObjectStore({ bucket: settings.lakeBucket, target: awsTargetFromEnv(env, "S3") });
  // In the Lambda package the worker script sits next to the bundle (stacks/compactor.ts copies it there).
  const worker = settings.parquetWorker;
  const base = env.LAMBDA_TASK_ROOT ?? process.cwd();
  return {
    store: new S3CompactionStore(objects),
    config: settings.compaction,
    ...(worker ? { workerUrl: pathToFileURL(isAbsolute(worker) ? worker : resolve(base, worker)) } : {}),
  };
}

/** Validates the overrides an invocation may carry; the scheduler's event has none. */
export function overridesOf(event: unknown): { config: Partial<CompactionRunConfig>; dryRun: boolean } {
  const e = (event && typeof event === "object" ? event : {}) as Record<string, unknown>;
  const config: Partial<CompactionRunConfig> = {};
  if (e.settleMinutes !== undefined) {
    if (typeof e.settleMinutes !== "number" || !(e.settleMinutes >= 0)) throw new Error("settleMinutes must be a number >= 0");
    config.settleMs = e.settleMinutes * 60_000;
  }
  if (e.lookbackDays !== undefined) {
    if (typeof e.lookbackDays !== "number" || !Number.isInteger(e.lookbackDays) || e.lookbackDays < 0) {
      throw new Error("lookbackDays must be an integer >= 0 (0: the whole table)");
    }
    config.lookbackDays = e.lookbackDays;
  }
  if (e.dryRun !== undefined && typeof e.dryRun !== "boolean") throw new Error("dryRun must be a boolean");
  return { config, dryRun: e.dryRun === true };
}

function recordMetrics(report: CompactionReport) {
  metrics.addMetric(METRIC.failures, MetricUnit.Count, report.failures.length);
  metrics.addMetric(METRIC.filesMerged, MetricUnit.Count, report.totals.filesMerged);
  metrics.addMetric(METRIC.outputFiles, MetricUnit.Count, report.merges.filter((m) => m.result !== "rolled-back").length);
  metrics.addMetric(METRIC.bytesMerged, MetricUnit.Bytes, report.totals.bytesMerged);
  metrics.addMetric(METRIC.bytesWritten, MetricUnit.Bytes, report.totals.bytesWritten);
  metrics.addMetric(METRIC.rowsMerged, MetricUnit.Count, report.totals.rowsMerged);
  metrics.addMetric(METRIC.recoveries, MetricUnit.Count, report.recoveries.filter((r) => r.action !== "wait").length);
  metrics.addMetric(METRIC.deferredBytes, MetricUnit.Bytes, report.deferred.bytes);
  metrics.addMetric(METRIC.runDuration, MetricUnit.Milliseconds, report.durationMs);
}

export async function compact(event: CompactorEvent, context: Context): Promise<CompactionReport> {
  deps ??= depsFromEnv();
  const overrides = overridesOf(event);
  const report = await runCompaction({
    store: deps.store,
    config: { ...deps.config, ...overrides.config },
    runId: context.awsRequestId,
    deadlineMs: Date.now() + context.getRemainingTimeInMillis() - DEADLINE_RESERVE_MS,
    dryRun: overrides.dryRun,
    log: (message, fields) => logger.info(message, fields),
    ...(deps.workerUrl ? { workerUrl: deps.workerUrl } : {}),
  });
  recordMetrics(report);
  for (const failure of report.failures) logger.error("compaction failure", { ...failure });
  const summary = {
    scheduledTime: event.scheduledTime,
    dryRun: report.dryRun,
    listed: { ...report.listed, invalidFiles: report.listed.invalidFiles.length },
    planned: report.planned,
    merged: report.merges.length,
    recoveries: report.recoveries.map((r) => `${r.action} ${r.output}`),
    skipped: report.skipped,
    failures: report.failures.length,
    deferred: report.deferred,
    stoppedBecause: report.stoppedBecause,
    totals: report.totals,
    durationMs: report.durationMs,
  };
  if (report.listed.invalidFiles.length > 0) logger.warn("files too small to be Parquet are left alone", { keys: report.listed.invalidFiles });
  logger[report.failures.length > 0 ? "warn" : "info"]("compaction run", summary);
  return report;
}

export const handler = middy(compact)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .onError(async (request) => {
    // A run that failed as a whole (listing, configuration): counted for the alarm, then rethrown (Lambda Errors).
    metrics.addMetric(METRIC.failures, MetricUnit.Count, 1);
    logger.error("compaction run failed", { error: request.error as Error });
  });

/** For tests and the local runtime: replace the cold-start dependencies. */
export function setCompactorDeps(next: Deps | undefined) {
  deps = next;
}
