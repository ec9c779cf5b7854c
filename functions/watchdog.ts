/**
 * Job watchdog Lambda (EventBridge Scheduler, every `schedules.watchdog`): the curation job (a Glue streaming job)
 * must be RUNNING; otherwise it is started from its checkpoint and people are told (packages/core/src/watchdog).
 * Thin: builds the ports, runs the core, logs, and emits JobNotRunning (0 or 1) on every run, which the alarm
 * catalog's job-state alarm watches. Locally the same file checks the local curator through the local job stand-in
 * (an endpoint override, packages/adapters/src/aws-config.ts), which reports the curator's runs and restarts it.
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
import { watchdogFunction } from "@eventlake/core/functions/watchdog";
import { DEFAULT_WATCHDOG_SETTINGS } from "@eventlake/core/watchdog/decision";
import { runWatchdog, type WatchdogConfig, type WatchdogDeps, type WatchdogOutcome } from "@eventlake/core/watchdog/service";

// Service name, namespace and log settings come from the environment the description builds (POWERTOOLS_*).
const logger = new Logger();
const metrics = new Metrics();
const METRIC = watchdogFunction.metrics;

let built: { deps: WatchdogDeps; config: WatchdogConfig } | undefined;

export function buildFromEnv(env: NodeJS.ProcessEnv = process.env): { deps: WatchdogDeps; config: WatchdogConfig } {
  const settings = watchdogFunction.readEnv(env);
  const intervalMs = typicalIntervalMs(parseScheduleExpression(settings.schedule, { allowSeconds: true }), Date.now());
  if (intervalMs === undefined) throw new Error(`${watchdogFunction.env.schedule.name} ${settings.schedule} does not repeat`);
  return {
    deps: {
      jobs: new GlueJobControl(awsTargetFromEnv(env, "GLUE")),
      notifier: new SnsNotifier(settings.alarmTopicArn, { target: awsTargetFromEnv(env, "SNS") }),
    },
    config: {
      stage: settings.stage,
      jobName: settings.glueJobName,
      settings: {
        ...DEFAULT_WATCHDOG_SETTINGS,
        intervalSeconds: intervalMs / 1000,
        ...(settings.maintenanceWindow ? { maintenanceWindow: settings.maintenanceWindow } : {}),
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
  metrics.addMetric(METRIC.jobNotRunning, MetricUnit.Count, d?.running || d?.expected ? 0 : 1);
  metrics.addMetric(METRIC.watchdogFailures, MetricUnit.Count, outcome.failure ? 1 : 0);
  if (outcome.startedRunId) metrics.addMetric(METRIC.jobStarts, MetricUnit.Count, 1);
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
