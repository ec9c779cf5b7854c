/** The job watchdog (functions/watchdog.ts), on the stage's `schedules.watchdog`. */
import { callsOf } from "../aws-calls/functions";
import { CUSTOM_METRICS } from "../metrics/catalog";
import { defineFunction, optional, required } from "./define";
import { ALARM_TOPIC_ARN, GLUE_JOB_NAME, LOGGING, METRICS_NAMESPACE, STAGE } from "./variables";

export const watchdogFunction = defineFunction({
  id: "Watchdog",
  service: CUSTOM_METRICS.watchdog.service,
  module: "functions/watchdog",
  env: {
    stage: STAGE,
    glueJobName: GLUE_JOB_NAME,
    /** Glue's maintenance window: a restart of the job then is expected (no notice, JobNotRunning stays 0). */
    maintenanceWindow: optional("EVENTLAKE_GLUE_MAINTENANCE_WINDOW"),
    alarmTopicArn: ALARM_TOPIC_ARN,
    /** Its own schedule expression: the watchdog alarms once per condition, so it needs its interval. */
    schedule: required("EVENTLAKE_SCHEDULE"),
    metricsNamespace: METRICS_NAMESPACE,
    ...LOGGING,
  },
  metrics: CUSTOM_METRICS.watchdog,
  schedule: "watchdog",
  // A GetJobRuns and at most a StartJobRun and a Publish per run.
  size: { memoryMb: 256, timeoutSeconds: 60 },
  calls: callsOf("Watchdog"),
});
