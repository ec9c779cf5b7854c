/**
 * The shard autoscaler (functions/autoscaler.ts): a scheduled function (EventBridge Scheduler through SST's CronV2,
 * every `schedules.autoscaler`) that reads the stream's metrics, plans with the pure planner
 * (packages/core/src/autoscaler/planner.ts: its rules and its overload promise) and calls UpdateShardCount.
 * Its settings come from the stage (`autoscaler`, `stream.minShards/maxShards`) through one environment variable.
 *
 * State: the UpdateShardCount history (the 10-per-24 h budget, cool-downs) and the last decisions are one JSON
 * object in the assets bucket, `ops/autoscaler/<stream>.json` (core/autoscaler/state.ts explains why).
 *
 * IAM, exactly the calls it makes, derived from its call list (packages/core/src/aws-calls/functions.ts,
 * `Autoscaler`):
 * - cloudwatch:GetMetricData on "*": the action has no resource type (AWS only accepts "*"); it reads metrics, not
 *   stream data (test/infra/iam-rules.ts treats cloudwatch as a non-data service);
 * - kinesis:DescribeStreamSummary and kinesis:UpdateShardCount on the stream;
 * - kinesis:DescribeLimits on "*": an account-level call with no resource (the one kinesis action iam-rules.ts
 *   allows on "*", by name);
 * - sns:Publish on the alarm topic;
 * - s3:GetObject and s3:PutObject on exactly its state object, and s3:ListBucket on the assets bucket,
 *   unconditioned: the state object is missing on the first run, and S3 answers a missing object with 404 only to a
 *   caller allowed ListBucket on the bucket (403 otherwise; the GetObject request carries no s3:prefix, so a grant
 *   conditioned on it does not count). ListBucket reveals key names of the assets bucket, not their content.
 * No retries on the schedule: the next run plans again from fresh metrics.
 */
import { encodeAutoscalerConfig } from "@eventlake/core/autoscaler/config";
import { validateAutoscalerSettings } from "@eventlake/core/autoscaler/planner";
import { autoscalerStateKey } from "@eventlake/core/autoscaler/state";
import { parseScheduleExpression, scheduledEventInput, typicalIntervalMs } from "@eventlake/core/schedule";
import type { Alerts } from "./alerts";
import { autoscalerFunction } from "@eventlake/core/functions/autoscaler";
import { accountValues, grantsFromCalls } from "./iam";
import type { Lake } from "./lake";
import { logRetention, type Stage } from "./stage";
import type { Stream } from "./stream";

export interface AutoscalerDeps {
  stream: Stream;
  lake: Lake;
  alerts: Alerts;
}

/** A schedule expression AWS accepts (no local-only seconds), checked before anything is declared. */
export function awsSchedule(name: string, expression: string): `rate(${string})` | `cron(${string})` {
  try {
    parseScheduleExpression(expression);
  } catch (err) {
    throw new Error(`schedules.${name}: ${(err as Error).message}`);
  }
  return expression as `rate(${string})`;
}

export function createAutoscaler(stage: Stage, { stream, lake, alerts }: AutoscalerDeps) {
  const { config } = stage;
  const schedule = awsSchedule("autoscaler", config.schedules.autoscaler);
  const intervalMs = typicalIntervalMs(parseScheduleExpression(schedule), 0);
  const problems = validateAutoscalerSettings(config.autoscaler, intervalMs === undefined ? undefined : intervalMs / 1000);
  // Kinesis publishes stream metrics once a minute: on AWS a period is whole minutes (the local stage reads 10 s ones).
  if (config.autoscaler.metricPeriodSeconds % 60 !== 0) problems.push("autoscaler.metricPeriodSeconds must be a multiple of 60 on AWS");
  if (problems.length > 0) throw new Error(`stage "${stage.name}": invalid autoscaler settings:\n- ${problems.join("\n- ")}`);
  const stateKey = stream.name.apply(autoscalerStateKey);

  const cron = new sst.aws.CronV2(autoscalerFunction.id, {
    schedule,
    event: scheduledEventInput(autoscalerFunction.schedule!),
    function: {
      description: `eventlake ${stage.name}: Kinesis shard autoscaler`,
      handler: autoscalerFunction.handler,
      runtime: "nodejs22.x",
      architecture: "arm64",
      memory: `${autoscalerFunction.size!.memoryMb} MB`,
      timeout: `${autoscalerFunction.size!.timeoutSeconds} seconds`,
      // Operations functions keep their logs as long as the ingest function's.
      logging: { retention: logRetention(config.ingest.logRetentionDays) },
      environment: autoscalerFunction.toEnv<$util.Input<string>>({
        stage: stage.name,
        streamName: stream.name,
        assetsBucket: lake.assets.name,
        alarmTopicArn: alerts.topic.arn,
        config: encodeAutoscalerConfig({
          settings: config.autoscaler,
          bounds: { minShards: config.stream.minShards, maxShards: config.stream.maxShards },
        }),
        metricsNamespace: stage.metricsNamespace,
        logLevel: "INFO",
        logEvent: "false",
      }),
      permissions: grantsFromCalls(autoscalerFunction.calls, {
        ...accountValues(),
        streamArn: stream.arn,
        assetsBucket: lake.assets.name,
        alarmTopicArn: alerts.topic.arn,
        autoscalerStateKey: stateKey,
      }),
    },
  });
  return { cron, function: cron.nodes.function, stateKey };
}

export type Autoscaler = ReturnType<typeof createAutoscaler>;
