/**
 * Shard autoscaler Lambda (EventBridge Scheduler, every `schedules.autoscaler`): reads the stream's write metrics,
 * plans the shard count with the pure planner and calls UpdateShardCount (packages/core/src/autoscaler).
 * Thin by design: builds the ports from the environment, runs the core, logs and emits metrics. `autoscalerHandler`
 * takes ports that replace the AWS ones: the local runtime runs this handler with the local stream's metrics
 * (packages/local/src/functions/autoscaler.ts); its other calls go to the local stand-ins through endpoint overrides.
 *
 * Failures: every failure is a ScalingFailures metric (the alarm catalog's "autoscaler failures") and an SNS notice.
 * The invocation itself fails only when the notice could not be published, so one failure pages once; the Lambda
 * Errors alarm then covers that case.
 */
import middy from "@middy/core";
import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import type { Context } from "aws-lambda";
import { awsTargetFromEnv } from "@eventlake/adapters/aws-config";
import { CloudWatchStreamMetrics } from "@eventlake/adapters/cloudwatch-stream-metrics";
import { KinesisStreamControl } from "@eventlake/adapters/kinesis-stream-control";
import { S3ObjectStore } from "@eventlake/adapters/s3-object-store";
import { SnsNotifier } from "@eventlake/adapters/sns-notifier";
import { runAutoscaler, type AutoscalerConfig, type AutoscalerDeps, type AutoscalerOutcome } from "@eventlake/core/autoscaler/service";
import { autoscalerStateKey } from "@eventlake/core/autoscaler/state";
import { autoscalerFunction } from "@eventlake/core/functions/autoscaler";
import type { ScheduledEvent } from "@eventlake/core/schedule";

// Service name, namespace and log settings come from the environment the description builds (POWERTOOLS_*).
const logger = new Logger();
const metrics = new Metrics();
const METRIC = autoscalerFunction.metrics;

/** Built once per cold start: the AWS ports from the environment, except those given in `ports`. */
export function buildFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  ports: Partial<AutoscalerDeps> = {},
): { deps: AutoscalerDeps; config: AutoscalerConfig } {
  const settings = autoscalerFunction.readEnv(env);
  const { streamName } = settings;
  return {
    deps: {
      metrics: ports.metrics ?? new CloudWatchStreamMetrics({ target: awsTargetFromEnv(env, "CLOUDWATCH") }),
      stream: ports.stream ?? new KinesisStreamControl({ target: awsTargetFromEnv(env, "KINESIS") }),
      store: ports.store ?? new S3ObjectStore({ bucket: settings.assetsBucket, target: awsTargetFromEnv(env, "S3") }),
      notifier: ports.notifier ?? new SnsNotifier(settings.alarmTopicArn, { target: awsTargetFromEnv(env, "SNS") }),
    },
    config: { stage: settings.stage, streamName, stateKey: autoscalerStateKey(streamName), ...settings.config },
  };
}

function recordMetrics(outcome: AutoscalerOutcome) {
  // Every run reports ScalingFailures (0 or 1), so the alarm sees the function alive.
  metrics.addMetric(METRIC.failures, MetricUnit.Count, outcome.outcome === "failed" ? 1 : 0);
  const d = outcome.decision;
  if (!d) return;
  metrics.addMetric(METRIC.openShards, MetricUnit.Count, d.current);
  metrics.addMetric(METRIC.targetShards, MetricUnit.Count, d.target);
  metrics.addMetric(METRIC.scalingCallsLast24h, MetricUnit.Count, d.callsInWindow + (outcome.outcome === "done" ? 1 : 0));
  if (d.utilization !== undefined) metrics.addMetric(METRIC.writeUtilization, MetricUnit.Percent, Math.round(d.utilization * 1000) / 10);
  if (outcome.outcome === "done") metrics.addMetric(d.action === "scale-up" ? METRIC.scaleUps : METRIC.scaleDowns, MetricUnit.Count, 1);
  if (d.action === "none") {
    const m = metrics.singleMetric();
    m.addDimension("code", d.code);
    m.addMetric(METRIC.scalingDecisions, MetricUnit.Count, 1);
  }
}

async function autoscale(built: { deps: AutoscalerDeps; config: AutoscalerConfig }, event: Partial<ScheduledEvent>): Promise<AutoscalerOutcome> {
  const outcome = await runAutoscaler(built.deps, built.config, Date.now());
  recordMetrics(outcome);
  const d = outcome.decision;
  const fields = {
    scheduledTime: event.scheduledTime,
    action: d?.action,
    code: d?.code,
    current: d?.current,
    target: d?.target,
    utilization: d?.utilization,
    callsInWindow: d?.callsInWindow,
    reason: d?.reason,
    outcome: outcome.outcome,
    failure: outcome.failure,
    inferred: outcome.inferred,
    notices: outcome.notices,
    warnings: outcome.warnings,
  };
  if (outcome.outcome === "failed") logger.error("autoscaler run failed", fields);
  else if (outcome.outcome === "done" || outcome.warnings.length > 0) logger.warn("autoscaler run", fields);
  else logger.info("autoscaler run", fields);
  if (outcome.notifyError) throw new Error(`autoscaler could not publish its notice: ${outcome.notifyError}`);
  // The state is large-ish and already persisted: the invocation result carries the decision only.
  const { state: _state, ...result } = outcome;
  return result;
}

/** The handler with some ports replaced (the local runtime's); the rest are built from the environment. */
export function autoscalerHandler(ports: Partial<AutoscalerDeps> = {}) {
  let built: { deps: AutoscalerDeps; config: AutoscalerConfig } | undefined;
  return middy(async (event: Partial<ScheduledEvent>, _context: Context): Promise<AutoscalerOutcome> => {
    built ??= buildFromEnv(process.env, ports);
    return autoscale(built, event);
  })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

export const handler = autoscalerHandler();
