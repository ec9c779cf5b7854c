/**
 * The alarm catalog's entries, defined once. Every alarm of the pipeline is an entry here: what it measures
 * (namespace, metric, dimensions templated by resource names, statistic), when it fires (period, evaluation
 * periods, comparison, threshold from the stage settings, missing-data treatment), how bad it is, and its runbook.
 *
 * Consumers, all reading this module and nothing else:
 * - stacks/alarms.ts creates one CloudWatch alarm per entry (SNS actions; the description carries the runbook
 *   summary and a pointer into RUNBOOK.md), stacks/dashboard.ts draws the pipeline from the same metrics;
 * - the local runtime evaluates the same entries against metrics collected from the functions' EMF output and the
 *   local stand-ins (packages/local/src/alarms/);
 * - RUNBOOK.md is generated from it (`npm run runbook`), and a test fails if the file differs.
 *
 * Custom metrics come from the metric catalog (../metrics/catalog.ts), which their producers import too.
 *
 * Pure data and pure functions: no clock, no I/O, no AWS SDK.
 */
import { parseScheduleExpression, typicalIntervalMs } from "../schedule";
import { metricsNamespace, stageConfig, type StageConfig } from "../stage-config";
import { CUSTOM_METRICS } from "../metrics/catalog";
import type { Statistic } from "../ports";
import { PIPELINE_FUNCTION_KEYS, functionProfile } from "./functions";
import type { AlarmDefinition, MetricRef, ResourceKey } from "./types";

/** A fixed reference time for cron intervals (pure: no clock). */
const CRON_REFERENCE_MS = Date.UTC(2025, 0, 6);

/** How often a schedule expression (EventBridge Scheduler, see ../schedule.ts) fires, in seconds. */
export function scheduleIntervalSeconds(expression: string): number {
  const interval = typicalIntervalMs(parseScheduleExpression(expression, { allowSeconds: true }), CRON_REFERENCE_MS);
  if (interval === undefined) throw new Error(`schedule "${expression}" does not repeat: an alarm period cannot be derived from it`);
  return interval / 1000;
}

/** A CloudWatch-valid period covering at least `seconds`: 10, 20, 30, or a multiple of 60. */
export function alarmPeriod(seconds: number): number {
  if (seconds <= 10) return 10;
  if (seconds <= 20) return 20;
  if (seconds <= 30) return 30;
  return Math.ceil(seconds / 60) * 60;
}

export interface CatalogOptions {
  /** Function keys to generate errors/throttles alarms for; default: every pipeline function. */
  functions?: readonly string[];
}

const res = (resource: ResourceKey) => ({ resource });

/** The catalog for a stage: thresholds from its settings. */
export function alarmCatalog(stage: string, config: StageConfig = stageConfig(stage), options: CatalogOptions = {}): AlarmDefinition[] {
  const a = config.alarms;
  const ns = metricsNamespace(stage);
  const kinesis = (metricName: string, statistic: Statistic): MetricRef => ({
    namespace: "AWS/Kinesis",
    metricName,
    dimensions: { StreamName: res("stream") },
    statistic,
  });
  const firehose = (metricName: string, statistic: Statistic): MetricRef => ({
    namespace: "AWS/Firehose",
    metricName,
    dimensions: { DeliveryStreamName: res("deliveryStream") },
    statistic,
  });
  // HTTP API metrics (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html): Count,
  // 4xx, 5xx, Latency... per ApiId (per Stage and Route only with detailed metrics).
  const apiGateway = (metricName: string, statistic: Statistic): MetricRef => ({
    namespace: "AWS/ApiGateway",
    metricName,
    dimensions: { ApiId: res("api") },
    statistic,
  });
  const custom = (service: string, metricName: string, statistic: Statistic): MetricRef => ({
    namespace: ns,
    metricName,
    dimensions: { service },
    statistic,
  });
  const retention = `${config.stream.retentionHours} h`;
  // A scheduled function's failure counter: one failed run alarms, one period per run; no report is no failure.
  const anyFailureOf = (fn: "compactor" | "autoscaler"): Omit<AlarmDefinition, "id" | "title" | "runbook"> => ({
    component: "operations",
    severity: "warning",
    signal: { kind: "metric", metric: custom(CUSTOM_METRICS[fn].service, CUSTOM_METRICS[fn].failures, "Sum") },
    periodSeconds: alarmPeriod(scheduleIntervalSeconds(config.schedules[fn])),
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    comparison: "GreaterThanThreshold",
    threshold: 0,
    thresholdSource: `fixed: any failure (period: schedules.${fn})`,
    unit: "count",
    treatMissingData: "notBreaching",
    requires: [`function:${fn}`],
  });
  const spillPeriod = alarmPeriod(a.fallbackSpillPeriodMinutes * 60);

  const entries: AlarmDefinition[] = [
    {
      id: "api-server-errors",
      title: "The ingest API answers 5xx",
      component: "ingest",
      severity: "critical",
      signal: { kind: "ratio", numerator: [apiGateway("5xx", "Sum")], denominator: [apiGateway("Count", "Sum")] },
      periodSeconds: 60,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      comparison: "GreaterThanThreshold",
      threshold: a.apiServerErrorRatio,
      thresholdSource: "alarms.apiServerErrorRatio (share of requests, 3 of 5 minutes)",
      unit: "ratio",
      treatMissingData: "notBreaching",
      runbook: {
        summary: "Too many ingest requests got a 5xx from API Gateway: clients retry, but events are delayed and clients without retries lose them.",
        meaning:
          "5xx / Count of the HTTP API per minute. A 503 comes from the ingest function itself (the stream and the fallback both refused, with Retry-After); a 500 with `{\"message\":\"Internal Server Error\"}` comes from API Gateway when the function could not be invoked: Lambda throttled it (concurrency exhausted: HTTP APIs cannot turn Lambda's 429 into a 429 for the client), it crashed, or timed out (504 past API Gateway's 30 s).",
        checkFirst: [
          "The API's access log (`integrationError`, `integrationStatus`, `status`): 500 with integration status 429 means Lambda throttling; 503 comes from the function.",
          "The ingest function's Throttles and Errors alarms, and its ConcurrentExecutions against the account's unreserved concurrency.",
          "The fallback spills and unwritten events alarms (503s).",
        ],
        fix: [
          "Lambda throttling: raise the account's concurrency quota, or lower `api.throttlingRateLimit`/`api.throttlingBurstLimit` so excess load gets 429 from the API stage (which clients back off on) before it reaches Lambda; see docs/deploy.md, Quotas.",
          "Function errors: see the function errors runbook; fix and redeploy.",
        ],
      },
    },
    {
      id: "api-client-errors",
      title: "The ingest API answers 4xx to a large share of requests",
      component: "ingest",
      severity: "warning",
      signal: { kind: "ratio", numerator: [apiGateway("4xx", "Sum")], denominator: [apiGateway("Count", "Sum")] },
      periodSeconds: 300,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparison: "GreaterThanThreshold",
      threshold: a.apiClientErrorRatio,
      thresholdSource: "alarms.apiClientErrorRatio (share of requests, 2 of 3 five-minute periods)",
      unit: "ratio",
      treatMissingData: "notBreaching",
      runbook: {
        summary: "Many requests are refused with 4xx: a client with a wrong write key or bad payloads, or the API stage throttling (429) under load.",
        meaning:
          "4xx / Count of the HTTP API per 5 minutes. 401: unknown write key; 400/413: malformed or oversized requests (the response says which event and why); 404: a path that is not an ingest route; 429: the stage's throttling (`api.throttlingRateLimit`, `api.throttlingBurstLimit`) or the account's API Gateway quota. Refused events are not in the pipeline; well-behaved clients retry 429s only.",
        checkFirst: [
          "The API's access log: `status` by `routeKey` and `userAgent` (one client or all?), and `errorType` THROTTLED for 429s.",
          "The ingest function's log for 400/401 reasons, and the EventsRejected metric by reason.",
        ],
        fix: [
          "429 under real load: raise the stage's throttling limits (within the account's API Gateway quota: 10,000 requests/s, burst 5,000 by default) and the Lambda concurrency they need.",
          "A misconfigured client (write key, endpoint, payload): fix the client; the pipeline is fine.",
        ],
      },
    },
    {
      id: "api-latency",
      title: "The ingest API is slow",
      component: "ingest",
      severity: "warning",
      signal: { kind: "metric", metric: apiGateway("Latency", "Average") },
      periodSeconds: 300,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparison: "GreaterThanThreshold",
      threshold: a.apiLatencyMs,
      thresholdSource: "alarms.apiLatencyMs (average, 2 of 3 five-minute periods)",
      unit: "milliseconds",
      treatMissingData: "notBreaching",
      runbook: {
        summary: "The API's average latency is high: clients wait longer, and browser beacons may be cut off before they complete.",
        meaning:
          "Latency of the HTTP API (request received to response sent), averaged over 5 minutes. Most of it is the ingest function (IntegrationLatency): Kinesis retries under throttling, fallback spills, cold starts.",
        checkFirst: [
          "IntegrationLatency against Latency: the function or API Gateway itself.",
          "The stream alarms (write throttling, PutRecords success) and the fallback spills alarm: retries before the deadline make requests slow.",
          "The ingest function's Duration and cold starts (Init Duration in its log).",
        ],
        fix: [
          "Stream capacity: add shards (autoscaler bounds).",
          "Cold starts under bursty load: more memory (`ingest.memoryMb`) makes initialization faster.",
        ],
      },
    },
    {
      id: "ingest-fallback-spills",
      title: "Ingest spilled events to the fallback store",
      component: "ingest",
      severity: "critical",
      signal: { kind: "metric", metric: custom(CUSTOM_METRICS.ingest.service, CUSTOM_METRICS.ingest.recordsSpilled, "Sum") },
      periodSeconds: spillPeriod,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      comparison: "GreaterThanThreshold",
      threshold: 0,
      thresholdSource: "fixed: any spill (period from alarms.fallbackSpillPeriodMinutes)",
      unit: "count",
      treatMissingData: "notBreaching",
      runbook: {
        summary:
          "The stream did not take some accepted events before the ingest deadline; they are safe under fallback/ but missing from raw/ and curated/ until replayed.",
        meaning:
          "RecordsSpilled counts events the ingest function wrote to `s3://<lake>/fallback/` (NDJSON, the same bytes) because Kinesis refused or did not answer before the function's deadline. The client got 503 + Retry-After, so it may resend them: the duplicates are removed downstream by messageId. Nothing is lost, but spilled events reach the lake only when replayed.",
        checkFirst: [
          "The stream alarms: write throughput exceeded (capacity) and PutRecords success (throttled vs internal failures).",
          'The ingest function\'s log: `"ingest request"` lines with status 503 carry `stoppedBecause` (deadline, throttling, an error name such as AccessDeniedException or ResourceNotFoundException).',
          "The stream's status (UPDATING during a resharding is normal) and, with a customer-managed key, KMS throttling or key state.",
          "Locally: `npx eventlake status` shows the spill objects under fallback/ and per-shard throttled records.",
        ],
        fix: [
          "Capacity: let the autoscaler add shards (check `stream.maxShards` and the Autoscaler failures alarm) or raise the shard count by hand.",
          "Permissions or a missing stream: fix the stack and redeploy.",
          "Then re-send the spills: `npx eventlake replay --from fallback` (it skips spills whose clients got them through on a retry, and marks each object it re-sent in replay-ledger/; replayed objects can then be deleted).",
        ],
      },
    },
    {
      id: "ingest-unwritten-events",
      title: "Ingest could neither write nor spill events",
      component: "ingest",
      severity: "critical",
      signal: { kind: "metric", metric: custom(CUSTOM_METRICS.ingest.service, CUSTOM_METRICS.ingest.recordsFailed, "Sum") },
      periodSeconds: spillPeriod,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      comparison: "GreaterThanThreshold",
      threshold: 0,
      thresholdSource: "fixed: any event (period from alarms.fallbackSpillPeriodMinutes)",
      unit: "count",
      treatMissingData: "notBreaching",
      runbook: {
        summary:
          "Both the stream and the fallback store refused events: the client got 503 and must retry; clients that do not retry lose these events.",
        meaning:
          "RecordsFailed counts accepted events that neither Kinesis nor the fallback prefix took. The ingest never reports them written: the client got 503 + Retry-After. Well-behaved clients (Segment SDKs) retry, so usually nothing is lost, but the pipeline holds no copy.",
        checkFirst: [
          'The ingest function\'s log: `stoppedBecause` with "spill failed" and the S3 error.',
          "The function role's s3:PutObject grant on `<lake>/fallback/*`, the bucket policy, and S3 health in the region.",
          "The stream alarms (the spill only happens when the stream already failed).",
        ],
        fix: [
          "Restore S3 access for the fallback prefix (IAM, bucket policy), then the stream.",
          "Ask producers without retries to resend the affected time range.",
        ],
      },
    },
    {
      id: "stream-write-throttled",
      title: "Writes exceed the stream's shard limits",
      component: "stream",
      severity: "warning",
      signal: { kind: "metric", metric: kinesis("WriteProvisionedThroughputExceeded", "Sum") },
      periodSeconds: 60,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      comparison: "GreaterThanThreshold",
      threshold: a.writeThrottledRecordsPerMinute,
      thresholdSource: "alarms.writeThrottledRecordsPerMinute",
      unit: "count",
      treatMissingData: "notBreaching",
      runbook: {
        summary:
          "Kinesis refused writes above a shard's 1 MiB/s or 1,000 records/s in 3 of the last 5 minutes: more shards, or a hot partition key, or a lower producer rate.",
        meaning:
          "WriteProvisionedThroughputExceeded counts records refused because their shard was over its write limit. The ingest resends refused entries with backoff, so a short burst costs only latency; sustained throttling ends in fallback spills (503s to clients).",
        checkFirst: [
          "The dashboard's stream widgets: IncomingBytes and IncomingRecords against shards x 1 MiB/s and 1,000 records/s. All shards hot means capacity; one shard hot (shard-level metrics) means a hot partition key.",
          "The autoscaler: its last decisions (SNS notices), the Autoscaler failures alarm, `stream.maxShards`, and its budget of 10 UpdateShardCount calls per rolling 24 h.",
          "The producers: a backfill or a client retry storm shows as a jump in ingest Requests.",
        ],
        fix: [
          "Capacity: raise `stream.maxShards` if the autoscaler hit it, or run UpdateShardCount by hand (half to double the current count per call).",
          "A hot key: events of one userId/anonymousId share a shard; spread that producer's traffic or give it its own source.",
          "Producer rate: lower the API stage's `api.throttlingRateLimit` so excess load gets 429 at the edge instead of spilling.",
        ],
      },
    },
    {
      id: "stream-put-success",
      title: "PutRecords is failing records",
      component: "stream",
      severity: "critical",
      signal: {
        kind: "ratio",
        numerator: [kinesis("PutRecords.SuccessfulRecords", "Sum")],
        denominator: [kinesis("PutRecords.TotalRecords", "Sum")],
      },
      periodSeconds: 60,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      comparison: "LessThanThreshold",
      threshold: a.putRecordsSuccessRatio,
      thresholdSource: "alarms.putRecordsSuccessRatio",
      unit: "ratio",
      treatMissingData: "notBreaching",
      runbook: {
        summary:
          "Too large a share of PutRecords entries failed (throttled or internal failures) in 3 of the last 5 minutes; the ingest retries them, and spills what it cannot write.",
        meaning:
          "PutRecords.SuccessfulRecords / PutRecords.TotalRecords per minute. Failed entries are either throttled (PutRecords.ThrottledRecords: shard limits) or internal failures (PutRecords.FailedRecords: AWS expects a few and says to retry). The ingest resends failed entries only, until its deadline.",
        checkFirst: [
          "PutRecords.ThrottledRecords against PutRecords.FailedRecords: throttling points at capacity (see the write throughput runbook), internal failures at the service.",
          "The fallback spills alarm: are retries still succeeding before the deadline?",
          "With a customer-managed KMS key: KMS throttling and the key's state.",
        ],
        fix: [
          "Throttling: add shards (autoscaler bounds, or UpdateShardCount by hand).",
          "Internal failures that persist: check the AWS Health Dashboard for Kinesis in the region and open a support case.",
          "KMS: raise the KMS request quota or use the AWS-managed key (`stream.kmsKeyId`).",
        ],
      },
    },
    {
      id: "stream-iterator-age",
      title: "Stream consumers are falling behind",
      component: "stream",
      severity: "critical",
      signal: { kind: "metric", metric: kinesis("GetRecords.IteratorAgeMilliseconds", "Maximum") },
      periodSeconds: 60,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: a.iteratorAgeMs,
      thresholdSource: "alarms.iteratorAgeMs",
      unit: "milliseconds",
      treatMissingData: "missing",
      runbook: {
        summary:
          "A consumer of the stream (Firehose or the Glue job) reads records older than the threshold: raw/ or curated/ is late, and records expire unread if the lag reaches the stream's retention.",
        meaning: `GetRecords.IteratorAgeMilliseconds (Maximum) is the age of the last record returned to a polling consumer. It grows when Firehose or the Glue job reads slower than producers write. At the stream's retention (${retention} for this stage) unread records expire: that is data loss for that consumer.`,
        checkFirst: [
          "Which consumer: Firehose's KinesisMillisBehindLatest and DataFreshness against the Glue job's maxConsumerLagInMs (dashboard).",
          "Read throttling: ReadProvisionedThroughputExceeded. Firehose and the Glue job share each shard's 5 reads/s and 2 MiB/s.",
          "Slow transforms: Firehose's ExecuteProcessing.Duration and the transform function's Duration and Errors.",
          "The Glue job: run state, batchProcessingTimeInMs against the window (`curation.windowSeconds`), worker count at `curation.maxWorkers`.",
        ],
        fix: [
          "Consumer capacity: raise `curation.maxWorkers` (or the worker type) for the Glue job; raise the transform's memory for Firehose.",
          "Read limits: add shards, or move a consumer to enhanced fan-out.",
          "If the age approaches the retention: raise the retention now (`stream.retentionHours`, IncreaseStreamRetentionPeriod) to buy time.",
        ],
      },
    },
    {
      id: "raw-delivery-freshness",
      title: "Raw archive delivery is late",
      component: "raw archive",
      severity: "critical",
      signal: { kind: "metric", metric: firehose("DeliveryToS3.DataFreshness", "Maximum") },
      periodSeconds: 300,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: a.rawFreshnessSeconds,
      thresholdSource: "alarms.rawFreshnessSeconds",
      unit: "seconds",
      treatMissingData: "notBreaching",
      runbook: {
        summary:
          "Firehose holds records older than the threshold that are not yet in raw/: delivery to S3, the transform, or reading the stream is failing or slow.",
        meaning:
          "DeliveryToS3.DataFreshness (Maximum) is the age in seconds of the oldest record in Firehose not yet delivered to S3. It normally stays near the buffer interval (`rawArchive.bufferIntervalSeconds`). Firehose retries S3 delivery for up to 24 h; with a Kinesis source, unread data waits in the stream for its retention.",
        checkFirst: [
          "DeliveryToS3.Success: below 1 means S3 puts fail (the Firehose role's s3:PutObject on raw/ and raw-errors/, the bucket policy).",
          "The transform: ExecuteProcessing.Success and ExecuteProcessing.Duration, the transform function's errors.",
          "Reading the stream: KinesisMillisBehindLatest and ThrottledGetRecords.",
          "The delivery stream's error log group (Firehose logs delivery errors there).",
        ],
        fix: [
          "S3 access denied: fix the Firehose role or the bucket policy and redeploy; Firehose delivers the backlog by itself.",
          "Slow or failing transform: see the transform failures runbook.",
          "A threshold close to the buffer interval: keep `alarms.rawFreshnessSeconds` well above `rawArchive.bufferIntervalSeconds`.",
        ],
      },
    },
    {
      id: "raw-transform-failures",
      title: "The raw-archive transform is failing",
      component: "raw archive",
      severity: "critical",
      signal: { kind: "metric", metric: firehose("ExecuteProcessing.Success", "Average") },
      periodSeconds: 300,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      comparison: "LessThanThreshold",
      threshold: a.transformSuccessRatio,
      thresholdSource: "alarms.transformSuccessRatio",
      unit: "ratio",
      treatMissingData: "notBreaching",
      runbook: {
        summary:
          "Firehose's transform invocations are failing; after its retries the records go to raw-errors/ (kept byte for byte) instead of raw/.",
        meaning:
          "ExecuteProcessing.Success (Average) is the share of successful transform Lambda invocations. A failed invocation is retried (3 times by default); then every record of it is written under raw-errors/ as processing-failed. Records the transform itself marks ProcessingFailed (undecodable bytes) also go there, without failing the invocation.",
        checkFirst: [
          "The transform function's Errors, Duration (against its timeout) and Throttles alarms and its log group.",
          "Objects under raw-errors/: their error output type and error codes.",
          "Response size: Lambda's 6 MB synchronous limit against `rawArchive.transformBufferSizeMb`.",
        ],
        fix: [
          "Timeouts or memory: raise `rawArchive.transformTimeoutSeconds` (at most 300) or `rawArchive.transformMemoryMb`.",
          "Responses near 6 MB: lower `rawArchive.transformBufferSizeMb`.",
          "A code fault: fix, redeploy, then reprocess the records under raw-errors/ (they hold the original data).",
        ],
      },
    },
    {
      id: "curated-consumer-lag",
      title: "The curated layer is falling behind",
      component: "curated layer",
      severity: "critical",
      signal: {
        kind: "metric",
        metric: {
          namespace: "Glue",
          metricName: "glue.driver.streaming.maxConsumerLagInMs",
          dimensions: { JobName: res("glueJob"), JobRunId: "ALL", Type: "gauge" },
          statistic: "Maximum",
        },
      },
      periodSeconds: 60,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: a.curatedLagMs,
      thresholdSource: "alarms.curatedLagMs",
      unit: "milliseconds",
      treatMissingData: "notBreaching",
      runbook: {
        summary:
          "The Glue streaming job reads the stream further behind than the threshold: curated/ (and the quarantine and aggregates) are stale by about that much.",
        meaning:
          "glue.driver.streaming.maxConsumerLagInMs (Maximum; emitted with emitConsumerLagMetrics) is how far the job's Kinesis reader is behind the newest record. Glue emits nothing when there is no data, so missing data is not breaching; a stopped job is caught by the job state alarm.",
        checkFirst: [
          "batchProcessingTimeInMs against the window (`curation.windowSeconds`): batches longer than the window mean too little capacity.",
          "numRecords: an input spike (backfill, replay) or a steady rise.",
          "The job run: workers in use against `curation.maxWorkers`, executor errors and retries in the job's logs.",
          "The stream iterator age alarm (Firehose may be fine while Glue lags).",
        ],
        fix: [
          "Capacity: raise `curation.maxWorkers` or the worker type (`curation.workerType`), redeploy, restart the job from its checkpoint.",
          "A skewed batch (one event_type, one huge partition) or dedup state growing with the window: check the job's stage timings.",
          "If it is only a replay or backfill: it will catch up; check the lag falls.",
        ],
      },
    },
    {
      id: "curated-job-not-running",
      title: "The curation job is not running",
      component: "curated layer",
      severity: "critical",
      signal: { kind: "metric", metric: custom(CUSTOM_METRICS.watchdog.service, CUSTOM_METRICS.watchdog.jobNotRunning, "Maximum") },
      periodSeconds: alarmPeriod(2 * scheduleIntervalSeconds(config.schedules.watchdog)),
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      thresholdSource: "fixed: any run that found the job not RUNNING; no report at all notifies as INSUFFICIENT_DATA (period: twice schedules.watchdog)",
      unit: "count",
      treatMissingData: "missing",
      notifyOnInsufficientData: true,
      requires: ["function:watchdog"],
      runbook: {
        summary:
          "The watchdog found the Glue streaming job not RUNNING (it restarts it from its checkpoint), or stopped reporting (INSUFFICIENT_DATA); until it runs, curated/ is not updated and records wait in the stream.",
        meaning:
          "JobNotRunning is emitted by every watchdog run: 1 if the job was not RUNNING (the watchdog then starts it from its checkpoint), 0 otherwise. No data at all means the watchdog itself is not running: the alarm goes to INSUFFICIENT_DATA, which notifies too (and cannot fire right after a deploy, before the first run). Records wait in the stream for its retention, so a job down longer than that loses data for the curated layer (raw/ still has it: replay rebuilds curated/).",
        checkFirst: [
          "The job's last runs (Glue console or `aws glue get-job-runs`): state and ErrorMessage.",
          "The job's driver log (/aws-glue/jobs/error): checkpoint errors at start (incompatible or corrupt checkpoint), out-of-memory, permission errors.",
          "The watchdog function's log and its Errors alarm: did it try to restart, and did StartJobRun fail (concurrent runs, quotas)?",
          "The checkpoint under the assets bucket's glue/jobs/curation/checkpoint/ prefix.",
        ],
        fix: [
          "A code or data fault: fix, redeploy; the watchdog restarts the job on its next run.",
          "A checkpoint that no longer matches the job (after a query change): move it aside and start from a position within the stream's retention; dedup by messageId keeps the reprocessed window exactly once.",
          "The watchdog not reporting: see its Errors alarm and its schedule (`schedules.watchdog`).",
        ],
      },
    },
    {
      id: "curated-quarantine-rate",
      title: "Many events are being quarantined",
      component: "curated layer",
      severity: "warning",
      signal: {
        kind: "ratio",
        numerator: [custom(CUSTOM_METRICS.curation.service, CUSTOM_METRICS.curation.eventsQuarantined, "Sum")],
        denominator: [
          custom(CUSTOM_METRICS.curation.service, CUSTOM_METRICS.curation.eventsCurated, "Sum"),
          custom(CUSTOM_METRICS.curation.service, CUSTOM_METRICS.curation.eventsQuarantined, "Sum"),
        ],
      },
      periodSeconds: 300,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      comparison: "GreaterThanThreshold",
      threshold: a.quarantineRate,
      thresholdSource: "alarms.quarantineRate",
      unit: "ratio",
      treatMissingData: "notBreaching",
      runbook: {
        summary:
          "Over 15 minutes, more than the threshold share of curated rows went to quarantine/: a producer sends malformed or schema-violating events. They are kept, with a typed reason.",
        meaning:
          "EventsQuarantined / (EventsCurated + EventsQuarantined) per 5 minutes, from the curation job. Quarantined rows carry a typed reason and the raw payload, per event; valid events of the same batches are curated normally.",
        checkFirst: [
          "The quarantine table by reason and source: `SELECT reason, source_id, count(*) FROM quarantine WHERE ... GROUP BY 1, 2 ORDER BY 3 DESC` (Athena, or `npx eventlake query` locally).",
          "The ingest's EventsRejectedByReason metric: rejected at the edge or only at curation?",
          "Recent client releases and schema changes in schemas/.",
        ],
        fix: [
          "A producer bug: fix the producer. Events it already sent stay quarantined unless the rules change.",
          "A new event shape that is legitimate: register a new schema version in schemas/ and redeploy, then `npx eventlake replay --from quarantine` (archived bad rows judged again by today's rules; those that pass are curated, the rest stay).",
          "Noise that is expected: raise `alarms.quarantineRate` for the stage.",
        ],
      },
    },
    {
      id: "compaction-failures",
      title: "Compaction failed",
      ...anyFailureOf("compactor"),
      runbook: {
        summary:
          "The compactor could not merge some partitions' small files. Readers keep every row (crash-safe protocol), but small files pile up and queries get slower and dearer.",
        meaning:
          "CompactionFailures counts partitions (or whole runs) whose compaction failed. A failed step leaves the partition readable with every row; the next run converges. Persisting failures mean small files accumulate: slow Athena queries are the symptom users notice.",
        checkFirst: [
          "The compactor's log: the partition and the step that failed (plan, write, commit, cleanup).",
          "Its Duration against the timeout, Max Memory Used against its memory, and /tmp use (REPORT lines).",
          "S3 errors (throttling with SlowDown on one prefix, access denied).",
        ],
        fix: [
          "Timeouts or memory: raise the compactor's memory or timeout, or lower its work per run.",
          "A corrupt input file: move it aside (it is still in raw/ for a replay), then rerun.",
          "Slow queries meanwhile: run the compactor for the affected partitions (`npx eventlake compact` locally, or invoke the function).",
        ],
      },
    },
    {
      id: "autoscaler-failures",
      title: "The shard autoscaler failed",
      ...anyFailureOf("autoscaler"),
      runbook: {
        summary:
          "The autoscaler could not read the stream's metrics or change its shard count; the stream keeps its current shards (throttling under rising load, idle cost under falling load).",
        meaning:
          "ScalingFailures counts failed runs and failed UpdateShardCount calls. Kinesis refuses resharding beyond half to double the current count, more than 10 calls per rolling 24 h, above the account's shard quota, or while the stream is UPDATING.",
        checkFirst: [
          "The autoscaler's SNS notice and log: the error name (LimitExceededException, ResourceInUseException, AccessDeniedException).",
          "UpdateShardCount calls in the last 24 h (CloudTrail) and the account shard quota (DescribeLimits).",
          "The stream's status and open shard count against `stream.minShards`/`stream.maxShards`.",
        ],
        fix: [
          "Quota: request a higher shard quota, or lower `stream.maxShards`.",
          "The 24 h budget spent: scale by hand once it frees up, or switch the stage to on-demand for the peak (at most twice per 24 h).",
          "Permissions: fix the function's grants and redeploy.",
        ],
      },
    },
  ];

  for (const key of options.functions ?? PIPELINE_FUNCTION_KEYS) {
    entries.push(...functionAlarms(key, config));
  }
  return entries;
}

/** The errors and throttles alarms of one function. */
export function functionAlarms(key: string, config: StageConfig): AlarmDefinition[] {
  const profile = functionProfile(key);
  const lambda = (metricName: string): MetricRef => ({
    namespace: "AWS/Lambda",
    metricName,
    dimensions: { FunctionName: res(`function:${key}`) },
    statistic: "Sum",
  });
  return [
    {
      id: `function-errors-${key}`,
      title: `Function ${key}: errors`,
      component: "functions",
      severity: key === "ingest" || key === "firehose-transform" ? "critical" : "warning",
      signal: { kind: "metric", metric: lambda("Errors") },
      periodSeconds: 300,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: config.alarms.functionErrors,
      thresholdSource: "alarms.functionErrors",
      unit: "count",
      treatMissingData: "notBreaching",
      runbook: {
        summary: `The ${key} function (${profile.role}) failed invocations. ${profile.onErrors}`,
        meaning: `Errors (Sum over 5 minutes) counts invocations that threw, timed out or ran out of memory. ${profile.onErrors}`,
        checkFirst: profile.checkFirst,
        fix: profile.fix,
      },
    },
    {
      id: `function-throttles-${key}`,
      title: `Function ${key}: throttles`,
      component: "functions",
      severity: key === "ingest" ? "critical" : "warning",
      signal: { kind: "metric", metric: lambda("Throttles") },
      periodSeconds: 300,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      comparison: "GreaterThanOrEqualToThreshold",
      threshold: config.alarms.functionThrottles,
      thresholdSource: "alarms.functionThrottles",
      unit: "count",
      treatMissingData: "notBreaching",
      runbook: {
        summary: `Invocations of the ${key} function were refused for lack of concurrency. ${profile.onThrottles}`,
        meaning: `Throttles (Sum over 5 minutes) counts invocations Lambda refused because the function's reserved concurrency or the account's concurrency was exhausted. ${profile.onThrottles}`,
        checkFirst: [
          "ConcurrentExecutions of the function and of the account against their limits (reserved concurrency, account quota).",
          "Another function using up the account's unreserved concurrency.",
        ],
        fix: [
          "Reserve concurrency for the function, or raise the account's concurrency quota (Service Quotas).",
          ...(key === "ingest" ? ["Lower the API stage's `api.throttlingRateLimit` so excess requests get 429 before reaching the function."] : []),
        ],
      },
    },
  ];
}
