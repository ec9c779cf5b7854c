/**
 * The metric catalog: every custom metric the pipeline emits, by producer, written once. Producers emit these names
 * (the Lambda handlers with Powertools Metrics, the Glue job and the local curator through the job plan), the alarm
 * catalog (../alarms/entries.ts) and the dashboard read them, and tests import them: no other source file spells a
 * metric name (test/docs/single-spelling.test.ts checks it).
 *
 * Each producer's metrics go to the stage's namespace (`metricsNamespace(stage)`, POWERTOOLS_METRICS_NAMESPACE in a
 * function) with exactly one dimension, `{ service }`, the producer's service name below (the function's
 * POWERTOOLS_SERVICE_NAME); a few are also emitted as single metrics with one more dimension, named in the comment.
 *
 * Pure data: importing it costs nothing (the compactor and the Glue plan need two names, not the alarm catalog).
 */
export const CUSTOM_METRICS = {
  ingest: {
    service: "ingest",
    /** GET /health answers. */
    healthChecks: "HealthChecks",
    /** Ingest requests (health checks excluded). */
    requests: "Requests",
    /** Requests refused as a whole, with the dimension {error}. */
    requestErrors: "RequestErrors",
    /** Events per accepted request. */
    batchSize: "BatchSize",
    eventsAccepted: "EventsAccepted",
    eventsRejected: "EventsRejected",
    /** Rejected events with the dimension {reason}. */
    eventsRejectedByReason: "EventsRejectedByReason",
    recordsWritten: "RecordsWritten",
    /** Events written to fallback/ because the stream did not take them in time. */
    recordsSpilled: "RecordsSpilled",
    /** Events neither written nor spilled (the client got 503). */
    recordsFailed: "RecordsFailed",
    entriesRetried: "EntriesRetried",
    entriesThrottled: "EntriesThrottled",
    putRecordsCalls: "PutRecordsCalls",
  },
  firehoseTransform: {
    service: "firehose-transform",
    recordsIn: "RecordsIn",
    recordsOk: "RecordsOk",
    /** Records answered ProcessingFailed (Firehose writes them to raw-errors/processing-failed/). */
    recordsFailed: "RecordsFailed",
    /** ProcessingFailed records with the dimension {problem}. */
    recordsFailedByProblem: "RecordsFailedByProblem",
    badRowsArchived: "BadRowsArchived",
    bytesIn: "BytesIn",
    bytesOut: "BytesOut",
    responseBytes: "ResponseBytes",
  },
  curation: {
    service: "curation",
    /** Valid rows written to curated/ (per micro-batch). */
    eventsCurated: "EventsCurated",
    /** Rows written to quarantine/ (per micro-batch). */
    eventsQuarantined: "EventsQuarantined",
    records: "CurationRecords",
    duplicates: "DuplicateEvents",
    lateEvents: "LateEvents",
    aggregateWindows: "AggregateWindows",
  },
  watchdog: {
    service: "watchdog",
    /** 1 when a run found the Glue job not RUNNING (it then starts it), 0 when it was running. Every run emits it. */
    jobNotRunning: "JobNotRunning",
    watchdogFailures: "WatchdogFailures",
    jobStarts: "JobStarts",
  },
  compactor: {
    service: "compactor",
    /** Partitions (or whole runs) whose compaction failed, per run. */
    failures: "CompactionFailures",
    filesMerged: "CompactionFilesMerged",
    outputFiles: "CompactionOutputFiles",
    bytesMerged: "CompactionBytesMerged",
    bytesWritten: "CompactionBytesWritten",
    rowsMerged: "CompactionRowsMerged",
    recoveries: "CompactionRecoveries",
    deferredBytes: "CompactionDeferredBytes",
    runDuration: "CompactionRunDuration",
  },
  autoscaler: {
    service: "autoscaler",
    /** Failed runs or failed UpdateShardCount calls, per run. */
    failures: "ScalingFailures",
    openShards: "OpenShards",
    targetShards: "TargetShards",
    scalingCallsLast24h: "ScalingCallsLast24h",
    writeUtilization: "WriteUtilization",
    scaleUps: "ScaleUps",
    scaleDowns: "ScaleDowns",
    /** Runs that decided nothing, with the dimension {code}. */
    scalingDecisions: "ScalingDecisions",
  },
} as const;

export type MetricProducer = keyof typeof CUSTOM_METRICS;

/** Every custom metric name (for checks that no other file spells one). */
export function customMetricNames(): string[] {
  const names = new Set<string>();
  for (const producer of Object.values(CUSTOM_METRICS)) {
    for (const [key, value] of Object.entries(producer)) if (key !== "service") names.add(value);
  }
  return [...names];
}
