/**
 * The job watchdog (functions/watchdog.ts): a scheduled function (CronV2, every `schedules.watchdog`) that keeps the
 * Glue streaming job RUNNING: when no run is active it starts one (StartJobRun resumes from the job's checkpoint
 * location, a default argument of the job) and publishes a notice; every run emits JobNotRunning (0 or 1), which
 * the alarm catalog's job-state alarm watches (packages/core/src/watchdog explains the decision, crash loops
 * included). The deploy-time starter (stacks/glue.ts) and the watchdog may race to start the job: Glue refuses the
 * second with ConcurrentRunsExceededException, which both treat as "already running".
 *
 * IAM, exactly its calls (packages/core/src/aws-calls/functions.ts, `Watchdog`): glue:GetJobRuns and glue:StartJobRun on the job; sns:Publish on the alarm topic.
 * To stop the job on purpose, disable this schedule first (or it restarts the job within one interval).
 */
import { scheduledEventInput } from "@eventlake/core/schedule";
import type { Alerts } from "./alerts";
import { awsSchedule } from "./autoscaler";
import { watchdogFunction } from "@eventlake/core/functions/watchdog";
import { accountValues, grantsFromCalls } from "./iam";
import { logRetention, type Stage } from "./stage";

export interface WatchdogDeps {
  /** The Glue streaming job (stacks/glue.ts). */
  job: { name: $util.Input<string> };
  alerts: Alerts;
}

export function createWatchdog(stage: Stage, { job, alerts }: WatchdogDeps) {
  const schedule = awsSchedule("watchdog", stage.config.schedules.watchdog);
  const cron = new sst.aws.CronV2(watchdogFunction.id, {
    schedule,
    event: scheduledEventInput(watchdogFunction.schedule!),
    function: {
      description: `eventlake ${stage.name}: keeps the Glue streaming job running`,
      handler: watchdogFunction.handler,
      runtime: "nodejs22.x",
      architecture: "arm64",
      memory: `${watchdogFunction.size!.memoryMb} MB`,
      timeout: `${watchdogFunction.size!.timeoutSeconds} seconds`,
      logging: { retention: logRetention(stage.config.ingest.logRetentionDays) },
      environment: watchdogFunction.toEnv<$util.Input<string>>({
        stage: stage.name,
        glueJobName: job.name,
        // Glue's maintenance restart of the job is expected then (no notice, JobNotRunning stays 0).
        maintenanceWindow: stage.config.curation.maintenanceWindow,
        alarmTopicArn: alerts.topic.arn,
        // The watchdog alarms once per condition: it needs its own interval.
        schedule,
        metricsNamespace: stage.metricsNamespace,
        logLevel: "INFO",
        logEvent: "false",
      }),
      permissions: grantsFromCalls(watchdogFunction.calls, { ...accountValues(), glueJobName: job.name, alarmTopicArn: alerts.topic.arn }),
    },
  });
  return { cron, function: cron.nodes.function };
}

export type Watchdog = ReturnType<typeof createWatchdog>;
