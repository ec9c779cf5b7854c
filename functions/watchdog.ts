/**
 * Job watchdog Lambda (EventBridge Scheduler, every `schedules.watchdog`): the curation job (a Glue streaming job)
 * must be RUNNING; otherwise it is started from its checkpoint and people are told (packages/core/src/watchdog).
 * Thin: builds the ports, runs the core, logs, and emits JobNotRunning (0 or 1) on every run, which the alarm
 * catalog's job-state alarm watches. Locally the same file checks the local curator through the local job stand-in
 * (EVENTLAKE_GLUE_ENDPOINT), which reports the curator's runs and restarts it.
 */
import middy from "@middy/core";
import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import type { Context } from "aws-lambda";
import { awsTargetFromEnv } from "@eventlake/adapters/aws-config";
import { GlueJobControl } from "@eventlake/adapters/glue-job-control";
import { SnsNotifier } from "@eventlake/adapters/sns-notifier";
import { parseScheduleExpression, typicalIntervalMs, type ScheduledEvent } from "@eventlake/core/schedule";
import { DEFAULT_WATCHDOG_SETTINGS } from "@eventlake/core/watchdog/decision";
import { runWatchdog, type WatchdogConfig, type WatchdogDeps, type WatchdogOutcome } from "@eventlake/core/watchdog/service";
import { requireEnv } from "./shared/env";

const logger = new Logger({ serviceName: "watchdog" });
const metrics = new Metrics({ namespace: process.env.EVENTLAKE_METRICS_NAMESPACE ?? "eventlake", serviceName: "watchdog" });

let built: { deps: WatchdogDeps; config: WatchdogConfig } | undefined;

export function buildFromEnv(env: NodeJS.ProcessEnv = process.env): { deps: WatchdogDeps; config: WatchdogConfig } {
  const schedule = requireEnv("EVENTLAKE_SCHEDULE", env);
  const intervalMs = typicalIntervalMs(parseScheduleExpression(schedule, { allowSeconds: true }), Date.now());
  if (intervalMs === undefined) throw new Error(`EVENTLAKE_SCHEDULE ${schedule} does not repeat`);
  return {
    deps: {
      jobs: new GlueJobControl(awsTargetFromEnv(env, "GLUE")),
      notifier: new SnsNotifier(requireEnv("EVENTLAKE_ALARM_TOPIC_ARN", env), { target: awsTargetFromEnv(env, "SNS") }),
    },
    config: {
      stage: requireEnv("EVENTLAKE_STAGE", env),
      jobName: requireEnv("EVENTLAKE_GLUE_JOB_NAME", env),
      settings: {
        ...DEFAULT_WATCHDOG_SETTINGS,
        intervalSeconds: intervalMs / 1000,
        ...(env.EVENTLAKE_GLUE_MAINTENANCE_WINDOW ? { maintenanceWindow: env.EVENTLAKE_GLUE_MAINTENANCE_WINDOW } : {}),
      },
    },
  };
}

export async function watch(event: Partial<ScheduledEvent>, _context: Context): Promise<WatchdogOutcome> {
  built ??= buildFromEnv();
  const outcome = await runWatchdog(built.deps, built.config, Date.now());
  const d = outcome.decision;
  // Every run: 1 when the job was not RUNNING (or its state could not be read), 0 when it was or when Glue's
  // maintenance restart explains it (packages/core/src/watchdog/maintenance.ts).
  metrics.addMetric("JobNotRunning", MetricUnit.Count, d?.running || d?.expected ? 0 : 1);
  metrics.addMetric("WatchdogFailures", MetricUnit.Count, outcome.failure ? 1 : 0);
  if (outcome.startedRunId) metrics.addMetric("JobStarts", MetricUnit.Count, 1);
  const fields = {
    scheduledTime: event.scheduledTime,
    job: built.config.jobName,
    code: d?.code,
    running: d?.running,
    expected: d?.expected,
    start: d?.start,
    alarm: d?.alarm,
    reason: d?.reason,
    startedRunId: outcome.startedRunId,
    alreadyRunning: outcome.alreadyRunning,
    failure: outcome.failure,
    notices: outcome.notices,
  };
  if (outcome.failure) logger.error("watchdog run failed", fields);
  else if (d && !d.running) logger.warn("watchdog run", fields);
  else logger.info("watchdog run", fields);
  if (outcome.notifyError) throw new Error(`watchdog could not publish its notice: ${outcome.notifyError}`);
  return outcome;
}

export const handler = middy(watch)
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
