/**
 * Shard autoscaler Lambda (EventBridge Scheduler, every `schedules.autoscaler`): reads the stream's write metrics,
 * plans the shard count with the pure planner and calls UpdateShardCount (packages/core/src/autoscaler).
 * Thin by design: builds the ports from the environment, runs the core, logs and emits metrics. The same file runs
 * locally, where the metrics come from the local stream layer (EVENTLAKE_LOCAL_STREAM_METRICS_DIR) and the other
 * calls go to the local stand-ins through endpoint overrides.
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
import { LocalStreamMetrics } from "@eventlake/adapters/local-stream-metrics";
import { S3ObjectStore } from "@eventlake/adapters/s3-object-store";
import { SnsNotifier } from "@eventlake/adapters/sns-notifier";
import { AUTOSCALER_CONFIG_ENV, parseAutoscalerConfig } from "@eventlake/core/autoscaler/config";
import { runAutoscaler, type AutoscalerConfig, type AutoscalerDeps, type AutoscalerOutcome } from "@eventlake/core/autoscaler/service";
import { autoscalerStateKey } from "@eventlake/core/autoscaler/state";
import type { ScheduledEvent } from "@eventlake/core/schedule";
import { requireEnv } from "./shared/env";

const logger = new Logger({ serviceName: "autoscaler" });
const metrics = new Metrics({ namespace: process.env.EVENTLAKE_METRICS_NAMESPACE ?? "eventlake", serviceName: "autoscaler" });

let built: { deps: AutoscalerDeps; config: AutoscalerConfig } | undefined;

/** Built once per cold start. */
export function buildFromEnv(env: NodeJS.ProcessEnv = process.env): { deps: AutoscalerDeps; config: AutoscalerConfig } {
  const streamName = requireEnv("EVENTLAKE_STREAM_NAME", env);
  const { settings, bounds } = parseAutoscalerConfig(env[AUTOSCALER_CONFIG_ENV]);
  const localSamples = env.EVENTLAKE_LOCAL_STREAM_METRICS_DIR;
  return {
    deps: {
      metrics: localSamples ? new LocalStreamMetrics(localSamples) : new CloudWatchStreamMetrics({ target: awsTargetFromEnv(env, "CLOUDWATCH") }),
      stream: new KinesisStreamControl({ target: awsTargetFromEnv(env, "KINESIS") }),
      store: new S3ObjectStore({ bucket: requireEnv("EVENTLAKE_ASSETS_BUCKET", env), target: awsTargetFromEnv(env, "S3") }),
      notifier: new SnsNotifier(requireEnv("EVENTLAKE_ALARM_TOPIC_ARN", env), { target: awsTargetFromEnv(env, "SNS") }),
    },
    config: { stage: requireEnv("EVENTLAKE_STAGE", env), streamName, stateKey: autoscalerStateKey(streamName), settings, bounds },
  };
}

function recordMetrics(outcome: AutoscalerOutcome) {
  // Every run reports ScalingFailures (0 or 1), so the alarm sees the function alive.
  metrics.addMetric("ScalingFailures", MetricUnit.Count, outcome.outcome === "failed" ? 1 : 0);
  const d = outcome.decision;
  if (!d) return;
  metrics.addMetric("OpenShards", MetricUnit.Count, d.current);
  metrics.addMetric("TargetShards", MetricUnit.Count, d.target);
  metrics.addMetric("ScalingCallsLast24h", MetricUnit.Count, d.callsInWindow + (outcome.outcome === "done" ? 1 : 0));
  if (d.utilization !== undefined) metrics.addMetric("WriteUtilization", MetricUnit.Percent, Math.round(d.utilization * 1000) / 10);
  if (outcome.outcome === "done") metrics.addMetric(d.action === "scale-up" ? "ScaleUps" : "ScaleDowns", MetricUnit.Count, 1);
  if (d.action === "none") {
    const m = metrics.singleMetric();
    m.addDimension("code", d.code);
    m.addMetric("ScalingDecisions", MetricUnit.Count, 1);
  }
}

export async function autoscale(event: Partial<ScheduledEvent>, _context: Context): Promise<AutoscalerOutcome> {
  built ??= buildFromEnv();
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

export const handler = middy(autoscale)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
