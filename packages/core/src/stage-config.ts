/**
 * Stage settings, defined once. The SST stacks (`stacks/`) read them to build each stage on AWS; the local runtime
 * reads the "local" entry to build the same pipeline on one machine; docs/deploy.md explains each field.
 *
 * Pure data and pure functions only: this module is bundled into `sst.config.ts` and imported by the local runtime,
 * so it must not read the environment, the clock or the file system.
 */
import { validateCompactionSettings } from "./compaction/config";
import type { CompactionSettings } from "./compaction/settings";
import { validateAllowOrigins } from "./ingest/cors";
import { validateAutoscalerSettings, type AutoscalerSettings } from "./autoscaler/planner";
import { maxProcessorBufferMb, STREAM_RECORD_LIMITS, worstCaseTransformRequestBytes } from "./firehose/processor-buffer";
import { API_GATEWAY, FIREHOSE } from "./limits";
import { parseMaintenanceWindow } from "./watchdog/maintenance";
import type { LogRetentionDays } from "./log-retention";
import { parseScheduleExpression, typicalIntervalMs } from "./schedule";
import { DEPLOY_VARIABLES } from "./deploy-variables";

/**
 * The transform's processor buffer: the largest one whose worst-case invocation request (smallest records with the
 * longest metadata, then one record of Kinesis's maximum size, all base64-encoded) stays under Lambda's 6 MB
 * (firehose/processor-buffer.ts). 0.9 MB; AWS's 3 MB maximum would allow requests of up to ~16 MB.
 */
const TRANSFORM_BUFFER_MB = maxProcessorBufferMb(STREAM_RECORD_LIMITS) ?? FIREHOSE.processorBufferSizeMb.min;

/** Kinesis shard-level ("enhanced") metrics. Each one is billed per shard as a CloudWatch custom metric. */
export type ShardLevelMetric =
  | "IncomingBytes"
  | "IncomingRecords"
  | "OutgoingBytes"
  | "OutgoingRecords"
  | "WriteProvisionedThroughputExceeded"
  | "ReadProvisionedThroughputExceeded"
  | "IteratorAgeMilliseconds";

/** Every shard-level metric, listed by name (AWS also accepts "ALL", which shows up as a perpetual diff). */
export const ALL_SHARD_LEVEL_METRICS: readonly ShardLevelMetric[] = [
  "IncomingBytes",
  "IncomingRecords",
  "OutgoingBytes",
  "OutgoingRecords",
  "WriteProvisionedThroughputExceeded",
  "ReadProvisionedThroughputExceeded",
  "IteratorAgeMilliseconds",
];

/**
 * The AWS-managed key for Kinesis server-side encryption. Its key policy lets every principal of the account that
 * may call Kinesis use it through Kinesis, so producers and consumers need no `kms:*` grant and there is no key
 * policy to maintain. A customer-managed key (a key ARN in `stream.kmsKeyId`) is supported too: the stacks then grant
 * the producer `kms:GenerateDataKey` on exactly that key (consumers will need `kms:Decrypt`).
 */
export const AWS_MANAGED_KINESIS_KEY = "alias/aws/kinesis";

export type { LogRetentionDays };

/**
 * The lake bucket's layout: one bucket, one prefix per layer. Every writer and reader (stacks, handlers, local
 * runtime, Glue job, Athena tables) uses these prefixes; IAM grants and lifecycle rules are scoped to them.
 */
export const LAKE_PREFIXES = {
  /** Firehose delivery: gzip NDJSON, `year=/month=/day=/hour=` by arrival time. The system of record. */
  raw: "raw/",
  /** Firehose error output (`!{firehose:error-output-type}` below it): undecodable records, byte for byte. */
  rawErrors: "raw-errors/",
  /** Curated Parquet tables (`curated/events/`), written by the Glue streaming job, compacted hourly. */
  curated: "curated/",
  /** Bad rows with a typed reason and the raw payload, per event. */
  quarantine: "quarantine/",
  /** Windowed aggregates (5-minute windows per event type). */
  aggregates: "aggregates/",
  /** Ingest spills: events accepted by the API that Kinesis could not take in time; replayed by `eventlake replay`. */
  fallback: "fallback/",
} as const;

/** The CloudWatch namespace of a stage's custom metrics (Powertools EMF), so stages sharing an account stay apart. */
export function metricsNamespace(stage: string): string {
  return `eventlake/${stage}`;
}

export interface StageConfig {
  removal: {
    /** `sst remove` refuses to run on this stage (SST `protect`). */
    protect: boolean;
    /**
     * Keep the data when the stage is removed or a resource is replaced: the stream, the buckets (not emptied) and
     * the Glue catalog are retained (`retainOnDelete`), and SST's removal mode is "retain". False: everything is
     * deleted, buckets emptied first.
     */
    retainData: boolean;
  };
  stream: {
    /** "provisioned" (shards managed by the autoscaler; cheaper at steady load) or "on-demand" (AWS scales). */
    mode: "provisioned" | "on-demand";
    /** Provisioned mode: the starting shard count. Later deploys leave the count to the autoscaler. */
    shards: number;
    /** Provisioned mode: the autoscaler's bounds. */
    minShards: number;
    maxShards: number;
    /** Hours a record stays readable: 24 (free) to 8760. Replays and consumer outages must fit in it. */
    retentionHours: number;
    /** Server-side encryption key: AWS_MANAGED_KINESIS_KEY or a customer-managed key ARN. */
    kmsKeyId: string;
    /** Enhanced (shard-level) monitoring; empty disables it. */
    shardLevelMetrics: readonly ShardLevelMetric[];
  };
  api: {
    /** Stage throttling: both must be set (one alone leaves the other at 0 and the API answers 429 to all). */
    throttlingRateLimit: number;
    throttlingBurstLimit: number;
    /** Per-route CloudWatch metrics (billed as custom metrics). */
    detailedMetrics: boolean;
    accessLogRetentionDays: LogRetentionDays;
    /**
     * Origins whose pages may call the API from a browser (CORS, packages/core/src/ingest/cors.ts): "*" for any,
     * exact origins ("https://www.example.com"), or "https://*". The stack sets the HTTP API's CORS configuration from
     * it and the local API answers browsers the same way. A write key in a page is public, so CORS is not what
     * protects the endpoint; listing the site's origins keeps other sites' pages from sending in its name.
     */
    cors: { allowOrigins: readonly string[] };
  };
  ingest: {
    memoryMb: number;
    /** Within API Gateway's 30 s integration timeout. */
    timeoutSeconds: number;
    /**
     * Reserved concurrency: caps the function (protecting the account's other functions and the stream) and
     * guarantees it capacity. Opt-in, at deploy time (stacks/stage.ts: EVENTLAKE_INGEST_RESERVED_CONCURRENCY with
     * EVENTLAKE_ACCOUNT_CONCURRENCY), never a fixed setting: Lambda refuses a reservation that leaves fewer than
     * 100 unreserved executions in the account and Region, and new accounts often have a quota of 10, so a fixed
     * value would fail the deploy (reservedConcurrencyProblems). Undefined: the unreserved pool.
     */
    reservedConcurrency?: number;
    architecture: "arm64" | "x86_64";
    logLevel: "DEBUG" | "INFO" | "WARN" | "ERROR";
    /** Share of invocations (0..1) that log at DEBUG regardless of logLevel (Powertools sampling). */
    debugSampleRate: number;
    logRetentionDays: LogRetentionDays;
  };
  lake: {
    /** S3 versioning on the lake bucket: overwritten or deleted objects stay recoverable. */
    versioning: boolean;
    /** With versioning: days a replaced or deleted object version is kept. */
    noncurrentVersionExpirationDays: number;
    /** raw/ lifecycle: Standard-IA after N days, Glacier Instant Retrieval after M, delete after K (undefined: never). */
    raw: { infrequentAccessAfterDays?: number; glacierInstantRetrievalAfterDays?: number; expireAfterDays?: number };
    /** quarantine/ objects are deleted after this many days (undefined: keep). */
    quarantineExpireAfterDays?: number;
    /** Incomplete multipart uploads (Firehose, Glue, compactor) are cleaned up after this many days. */
    abortIncompleteUploadsAfterDays: number;
    /** Assets bucket: Athena query results and Glue temp files are deleted after this many days. */
    scratchExpireAfterDays: number;
  };
  /** The raw archive: Firehose -> raw/ (ARCHITECTURE.md, "Data flow"). */
  rawArchive: {
    /** S3 buffering hints: 1-128 MB and 0-900 s; set both. Smaller means fresher, more objects. */
    bufferSizeMb: number;
    bufferIntervalSeconds: number;
    /** Transform Lambda buffering: 0.2-3 MB and 0-900 s, within Lambda's 6 MB synchronous limit. */
    transformBufferSizeMb: number;
    transformBufferIntervalSeconds: number;
    transformMemoryMb: number;
    /** At most 300 s (Firehose gives the transform 5 minutes). */
    transformTimeoutSeconds: number;
  };
  /** The curated layer: Glue streaming job -> curated/ (ARCHITECTURE.md, "Curated layer"). */
  curation: {
    /** Pinned: jobs created without a version get the newest one. 4.0 is the newest documented for streaming. */
    glueVersion: "4.0";
    workerType: "G.025X" | "G.1X" | "G.2X";
    /** With auto scaling this is the maximum number of workers. */
    maxWorkers: number;
    /** Micro-batch window. */
    windowSeconds: number;
    /** Retention of the job's continuous log group (driver and executor logs). */
    logRetentionDays: LogRetentionDays;
    /**
     * Glue's maintenance window for the streaming job ("Day:Hour", GMT): Glue restarts the job within 3 hours after
     * it, instead of 7 days after each start at an arbitrary time; the watchdog expects that restart
     * (watchdog/maintenance.ts).
     */
    maintenanceWindow: string;
  };
  /**
   * Scheduled functions (ARCHITECTURE.md, "Operations: shard autoscaler, job watchdog, local scheduler"): EventBridge
   * Scheduler expressions (schedule.ts).
   */
  schedules: {
    autoscaler: string;
    compactor: string;
    watchdog: string;
  };
  /**
   * The shard autoscaler's rules (packages/core/src/autoscaler/planner.ts explains each, and the overload promise
   * they give). Its bounds are stream.minShards/maxShards; its schedule is schedules.autoscaler.
   */
  autoscaler: AutoscalerSettings;
  /** The compactor's settings (compaction/settings.ts describes each field). */
  compaction: CompactionSettings;
  alarms: {
    /**
     * Where alarms are emailed. The deploy-time variable EVENTLAKE_ALARM_EMAIL overrides it (so an open-source
     * checkout needs no edit); undefined creates the topic without a subscription.
     */
    email?: string;
    /** Refuse to deploy without an email subscriber (production must page someone). */
    requireEmail: boolean;
    /** Consumers (Firehose, Glue) falling behind: max GetRecords.IteratorAgeMilliseconds. */
    iteratorAgeMs: number;
    /** Raw archive freshness: max Firehose DeliveryToS3.DataFreshness seconds. */
    rawFreshnessSeconds: number;
    /** Curated layer freshness: max Glue consumer lag (ms). */
    curatedLagMs: number;
    /** Any fallback spill in this many minutes alarms (events are safe but the stream could not take them). */
    fallbackSpillPeriodMinutes: number;
    /** Quarantined share of events (0..1) above which the quarantine-rate alarm fires. */
    quarantineRate: number;
    /** Lambda errors per 5 minutes, per function. */
    functionErrors: number;
    /** Lambda throttles per 5 minutes, per function. */
    functionThrottles: number;
    /** PutRecords: successful share of records (SuccessfulRecords / TotalRecords) below which the alarm fires. */
    putRecordsSuccessRatio: number;
    /** Records refused by the stream's write limits (WriteProvisionedThroughputExceeded) per minute tolerated. */
    writeThrottledRecordsPerMinute: number;
    /** Firehose transform: successful share of Lambda invocations (ExecuteProcessing.Success) below which it fires. */
    transformSuccessRatio: number;
    /** API Gateway: share of requests answered 5xx (5xx / Count) above which the API alarm fires. */
    apiServerErrorRatio: number;
    /** API Gateway: share of requests answered 4xx (bad write keys, bad input, stage throttling's 429). */
    apiClientErrorRatio: number;
    /** API Gateway: average Latency (ms, request in to response out) above which the latency alarm fires. */
    apiLatencyMs: number;
  };
}

/**
 * The compactor function's size, from measurements (the numbers and the reasoning are in stacks/compactor.ts): its
 * memory is bounded by design (streamed row groups, multipart parts), so the size does not grow with the data.
 */
const COMPACTOR_SIZING = { memoryMb: 1769, timeoutSeconds: 900, ephemeralStorageMb: 512, maxMbPerRun: 2048 } as const;

/** The scheduled functions' rates on AWS (every AWS stage). */
const AWS_SCHEDULES: StageConfig["schedules"] = { autoscaler: "rate(5 minutes)", compactor: "rate(1 hour)", watchdog: "rate(5 minutes)" };

/**
 * The shard autoscaler's policy on AWS (every AWS stage; the local stage shortens its clocks): scale up at 70 % (the
 * user's rule), settle at 50 %, scale down below 30 % for 30 min; CloudWatch: 1-min periods, ~3 min late.
 */
const AWS_AUTOSCALER: StageConfig["autoscaler"] = {
  scaleUpUtilization: 0.7,
  scaleDownUtilization: 0.3,
  targetUtilization: 0.5,
  scaleUpCooldownSeconds: 240,
  scaleDownCooldownSeconds: 1800,
  scaleUpWindowSeconds: 420,
  scaleDownWindowSeconds: 1800,
  maxIteratorAgeMs: 60_000,
  reservedScaleUpCalls: 3,
  metricPeriodSeconds: 60,
  metricDelaySeconds: 180,
};

const dev: StageConfig = {
  removal: { protect: false, retainData: false },
  stream: {
    mode: "provisioned",
    shards: 1,
    minShards: 1,
    maxShards: 4,
    retentionHours: 24,
    kmsKeyId: AWS_MANAGED_KINESIS_KEY,
    shardLevelMetrics: ["IncomingBytes", "IncomingRecords", "WriteProvisionedThroughputExceeded"],
  },
  api: { throttlingRateLimit: 100, throttlingBurstLimit: 200, detailedMetrics: false, accessLogRetentionDays: 7, cors: { allowOrigins: ["*"] } },
  ingest: {
    memoryMb: 512,
    timeoutSeconds: 10,
    architecture: "arm64",
    logLevel: "DEBUG",
    debugSampleRate: 0,
    logRetentionDays: 7,
  },
  lake: {
    versioning: false,
    noncurrentVersionExpirationDays: 1,
    raw: { expireAfterDays: 14 },
    quarantineExpireAfterDays: 14,
    abortIncompleteUploadsAfterDays: 1,
    scratchExpireAfterDays: 1,
  },
  rawArchive: {
    bufferSizeMb: 64,
    bufferIntervalSeconds: 60,
    transformBufferSizeMb: TRANSFORM_BUFFER_MB,
    transformBufferIntervalSeconds: 60,
    transformMemoryMb: 512,
    transformTimeoutSeconds: 120,
  },
  curation: { glueVersion: "4.0", workerType: "G.025X", maxWorkers: 2, windowSeconds: 60, logRetentionDays: 7, maintenanceWindow: "Sun:3" },
  schedules: AWS_SCHEDULES,
  autoscaler: AWS_AUTOSCALER,
  compaction: {
    settleMinutes: 60,
    targetFileMb: 128,
    smallFileMb: 96,
    maxFilesPerMerge: 1000,
    maxMbPerRun: COMPACTOR_SIZING.maxMbPerRun,
    lookbackDays: 3,
    intentLeaseMinutes: 30,
    memoryMb: COMPACTOR_SIZING.memoryMb,
    timeoutSeconds: COMPACTOR_SIZING.timeoutSeconds,
    ephemeralStorageMb: COMPACTOR_SIZING.ephemeralStorageMb,
    logRetentionDays: 7,
  },
  alarms: {
    requireEmail: false,
    iteratorAgeMs: 5 * 60_000,
    rawFreshnessSeconds: 600,
    curatedLagMs: 10 * 60_000,
    fallbackSpillPeriodMinutes: 5,
    quarantineRate: 0.05,
    functionErrors: 5,
    functionThrottles: 5,
    putRecordsSuccessRatio: 0.95,
    writeThrottledRecordsPerMinute: 0,
    transformSuccessRatio: 0.9,
    apiServerErrorRatio: 0.05,
    apiClientErrorRatio: 0.5,
    apiLatencyMs: 3_000,
  },
};

const prod: StageConfig = {
  removal: { protect: true, retainData: true },
  stream: {
    mode: "provisioned",
    shards: 2,
    minShards: 2,
    maxShards: 64,
    retentionHours: 168,
    kmsKeyId: AWS_MANAGED_KINESIS_KEY,
    shardLevelMetrics: ALL_SHARD_LEVEL_METRICS,
  },
  // Burst within the account's regional API Gateway burst quota (API_GATEWAY.accountBurstLimit).
  api: {
    throttlingRateLimit: 5_000,
    throttlingBurstLimit: 5_000,
    detailedMetrics: true,
    accessLogRetentionDays: 90,
    // Any origin, as Segment's own API answers; list the sites' origins here (e.g. ["https://www.example.com"]) to
    // accept browser events from those pages only (docs/deploy.md, "CORS").
    cors: { allowOrigins: ["*"] },
  },
  ingest: {
    memoryMb: 1024,
    timeoutSeconds: 15,
    architecture: "arm64",
    logLevel: "INFO",
    debugSampleRate: 0.01,
    logRetentionDays: 90,
  },
  lake: {
    versioning: true,
    noncurrentVersionExpirationDays: 30,
    raw: { infrequentAccessAfterDays: 30, glacierInstantRetrievalAfterDays: 90 },
    quarantineExpireAfterDays: 365,
    abortIncompleteUploadsAfterDays: 7,
    scratchExpireAfterDays: 7,
  },
  rawArchive: {
    bufferSizeMb: 128,
    bufferIntervalSeconds: 60,
    transformBufferSizeMb: TRANSFORM_BUFFER_MB,
    transformBufferIntervalSeconds: 60,
    transformMemoryMb: 1024,
    transformTimeoutSeconds: 180,
  },
  curation: { glueVersion: "4.0", workerType: "G.025X", maxWorkers: 10, windowSeconds: 60, logRetentionDays: 90, maintenanceWindow: "Sun:3" },
  schedules: AWS_SCHEDULES,
  autoscaler: AWS_AUTOSCALER,
  compaction: {
    settleMinutes: 120,
    targetFileMb: 128,
    smallFileMb: 96,
    maxFilesPerMerge: 1000,
    maxMbPerRun: COMPACTOR_SIZING.maxMbPerRun,
    lookbackDays: 7,
    intentLeaseMinutes: 30,
    memoryMb: COMPACTOR_SIZING.memoryMb,
    timeoutSeconds: COMPACTOR_SIZING.timeoutSeconds,
    ephemeralStorageMb: COMPACTOR_SIZING.ephemeralStorageMb,
    logRetentionDays: 90,
  },
  alarms: {
    requireEmail: true,
    iteratorAgeMs: 60_000,
    rawFreshnessSeconds: 300,
    curatedLagMs: 5 * 60_000,
    fallbackSpillPeriodMinutes: 5,
    quarantineRate: 0.01,
    functionErrors: 1,
    functionThrottles: 1,
    putRecordsSuccessRatio: 0.95,
    writeThrottledRecordsPerMinute: 0,
    transformSuccessRatio: 1,
    apiServerErrorRatio: 0.01,
    apiClientErrorRatio: 0.25,
    apiLatencyMs: 1_000,
  },
};

export const STAGES = {
  /**
   * The pipeline on one machine (`npm start`): dev's sizes, but the raw archive delivers within seconds (Firehose
   * accepts 0-900 s for both intervals), so what is sent shows up in raw/ while you watch.
   */
  local: {
    ...dev,
    rawArchive: { ...dev.rawArchive, bufferIntervalSeconds: 5, transformBufferIntervalSeconds: 1 },
    // The local curator's micro-batch window: curated rows are queryable within about 30 s of being sent.
    curation: { ...dev.curation, windowSeconds: 30 },
    // Scheduled functions every minute (AWS's smallest rate) and an autoscaler on 10-second periods read straight
    // from the local stream's counters (no CloudWatch delay), so `eventlake send` above a shard's limit scales the
    // stream up within a minute or two and idling scales it back down a few minutes later.
    schedules: { ...dev.schedules, autoscaler: "rate(1 minute)", watchdog: "rate(1 minute)" },
    autoscaler: {
      ...dev.autoscaler,
      scaleUpCooldownSeconds: 50,
      scaleDownCooldownSeconds: 120,
      scaleUpWindowSeconds: 80,
      scaleDownWindowSeconds: 120,
      metricPeriodSeconds: 10,
      metricDelaySeconds: 2,
    },
  },
  /** Shared development stage; personal stages (any unknown name) get the same settings. */
  dev,
  prod,
} satisfies Record<string, StageConfig>;

export type StageName = keyof typeof STAGES;

/**
 * Stage names deployed with the production settings (protected, data retained, alarms required): `prod`,
 * `production`, and either followed by `-<suffix>` (`prod-eu`, `production-us-east`), so a second production stage
 * cannot silently get development settings and force-destroyed buckets.
 */
export const PRODUCTION_STAGE = /^(prod|production)(-[a-z0-9]+)*$/;

export function isProductionStage(stage: string): boolean {
  return PRODUCTION_STAGE.test(stage);
}

/**
 * Stage names are lowercase letters, digits and hyphens, starting with a letter. They go into resource names (S3
 * bucket names are lowercase-only), and a `Prod` that silently got development settings would be unprotected: an
 * uppercase name is refused with the name to use instead, not normalized (SST keeps the stage name as given, so a
 * normalized config and SST's own resource names would disagree).
 */
export function stageNameProblem(stage: string): string | undefined {
  if (/^[a-z][a-z0-9-]*$/.test(stage) && !stage.endsWith("-") && stage.length <= 40) return undefined;
  const lower = stage.toLowerCase();
  const hint = /^[a-z][a-z0-9-]*$/.test(lower) && lower !== stage ? ` Use "${lower}"${isProductionStage(lower) ? " (a production stage)" : ""}.` : "";
  return `stage name "${stage}" is not allowed: use 1-40 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen.${hint}`;
}

/** Throws stageNameProblem's message: for the SST app and the stacks, before anything is declared. */
export function assertStageName(stage: string): void {
  const problem = stageNameProblem(stage);
  if (problem) throw new Error(problem);
}

/** Known stages by name (production names map to "prod"); any other (personal) stage gets the dev settings. */
export function stageConfig(stage: string): StageConfig {
  if (isProductionStage(stage)) return STAGES.prod;
  return (STAGES as Record<string, StageConfig>)[stage] ?? STAGES.dev;
}

/** Checks the invariants AWS would otherwise reject mid-deploy; returns the problems found (empty when valid). */
export function validateStageConfig(config: StageConfig): string[] {
  const problems: string[] = [];
  const { stream, api, ingest, rawArchive, lake } = config;
  const int = (n: number) => Number.isInteger(n);
  if (!int(stream.shards) || stream.shards < 1) problems.push("stream.shards must be an integer >= 1");
  if (stream.minShards < 1 || stream.minShards > stream.shards || stream.shards > stream.maxShards)
    problems.push("stream: need 1 <= minShards <= shards <= maxShards");
  if (!int(stream.retentionHours) || stream.retentionHours < 24 || stream.retentionHours > 8760)
    problems.push("stream.retentionHours must be an integer in 24..8760");
  if (stream.kmsKeyId !== AWS_MANAGED_KINESIS_KEY && !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/.test(stream.kmsKeyId))
    problems.push(`stream.kmsKeyId must be "${AWS_MANAGED_KINESIS_KEY}" or a KMS key ARN`);
  if (!(api.throttlingRateLimit > 0) || !(api.throttlingBurstLimit > 0))
    problems.push("api: throttlingRateLimit and throttlingBurstLimit must both be > 0");
  problems.push(...validateAllowOrigins(api.cors.allowOrigins));
  // A stage limit above the account's regional quota is never reached: the account throttles first, for every API.
  if (api.throttlingBurstLimit > API_GATEWAY.accountBurstLimit)
    problems.push(`api.throttlingBurstLimit must be <= ${API_GATEWAY.accountBurstLimit} (API Gateway's default regional account burst quota; raise the quota first)`);
  if (api.throttlingRateLimit > API_GATEWAY.accountRateLimit)
    problems.push(`api.throttlingRateLimit must be <= ${API_GATEWAY.accountRateLimit} (API Gateway's default regional account rate quota; raise the quota first)`);
  if (!int(ingest.timeoutSeconds) || ingest.timeoutSeconds < 3 || ingest.timeoutSeconds >= 30)
    problems.push("ingest.timeoutSeconds must be an integer in 3..29 (API Gateway's integration timeout is 30 s)");
  if (!int(ingest.memoryMb) || ingest.memoryMb < 128 || ingest.memoryMb > 10_240)
    problems.push("ingest.memoryMb must be an integer in 128..10240");
  if (ingest.reservedConcurrency !== undefined && (!int(ingest.reservedConcurrency) || ingest.reservedConcurrency < 1))
    problems.push("ingest.reservedConcurrency must be an integer >= 1 (0 would disable the function)");
  if (!(ingest.debugSampleRate >= 0 && ingest.debugSampleRate <= 1)) problems.push("ingest.debugSampleRate must be in 0..1");
  if (rawArchive.bufferSizeMb < 1 || rawArchive.bufferSizeMb > 128) problems.push("rawArchive.bufferSizeMb must be in 1..128");
  if (rawArchive.bufferIntervalSeconds < 0 || rawArchive.bufferIntervalSeconds > 900)
    problems.push("rawArchive.bufferIntervalSeconds must be in 0..900");
  if (rawArchive.transformBufferSizeMb < 0.2 || rawArchive.transformBufferSizeMb > 3)
    problems.push("rawArchive.transformBufferSizeMb must be in 0.2..3");
  else if (worstCaseTransformRequestBytes(rawArchive.transformBufferSizeMb, STREAM_RECORD_LIMITS) >= FIREHOSE.maxLambdaPayloadBytes)
    problems.push(
      `rawArchive.transformBufferSizeMb ${rawArchive.transformBufferSizeMb} can make a transform request of ` +
        `${worstCaseTransformRequestBytes(rawArchive.transformBufferSizeMb, STREAM_RECORD_LIMITS)} bytes, over Lambda's 6 MB ` +
        `(base64 and per-record metadata): at most ${TRANSFORM_BUFFER_MB}`,
    );
  if (rawArchive.transformTimeoutSeconds > 300) problems.push("rawArchive.transformTimeoutSeconds must be <= 300");
  if (!(rawArchive.transformBufferIntervalSeconds >= 0 && rawArchive.transformBufferIntervalSeconds <= 900))
    problems.push("rawArchive.transformBufferIntervalSeconds must be in 0..900");
  if (!int(rawArchive.transformTimeoutSeconds) || rawArchive.transformTimeoutSeconds < 1)
    problems.push("rawArchive.transformTimeoutSeconds must be an integer >= 1");
  const { infrequentAccessAfterDays: ia, glacierInstantRetrievalAfterDays: gir, expireAfterDays: exp } = lake.raw;
  if (ia !== undefined && ia < 30) problems.push("lake.raw.infrequentAccessAfterDays must be >= 30 (S3 minimum for Standard-IA)");
  if (gir !== undefined && ia !== undefined && gir < ia + 30)
    problems.push("lake.raw.glacierInstantRetrievalAfterDays must be >= infrequentAccessAfterDays + 30");
  const lastTransition = Math.max(ia ?? 0, gir ?? 0);
  if (exp !== undefined && (exp < 1 || exp <= lastTransition)) problems.push("lake.raw.expireAfterDays must be >= 1 and after every transition");
  if (config.alarms.email !== undefined && !/^[^@\s]+@[^@\s]+$/.test(config.alarms.email)) problems.push("alarms.email is not an email address");
  const { curation } = config;
  if (!int(curation.maxWorkers) || curation.maxWorkers < 2) problems.push("curation.maxWorkers must be an integer >= 2 (Glue's minimum)");
  if (!int(curation.windowSeconds) || curation.windowSeconds < 1 || curation.windowSeconds > 3600)
    problems.push("curation.windowSeconds must be an integer in 1..3600");
  try {
    parseMaintenanceWindow(curation.maintenanceWindow);
  } catch (err) {
    problems.push(`curation.maintenanceWindow: ${(err as Error).message}`);
  }
  for (const ratioField of ["quarantineRate", "putRecordsSuccessRatio", "transformSuccessRatio", "apiServerErrorRatio", "apiClientErrorRatio"] as const) {
    const value = config.alarms[ratioField];
    if (!(value >= 0 && value <= 1)) problems.push(`alarms.${ratioField} must be in 0..1`);
  }
  problems.push(...validateCompactionSettings(config.compaction));
  for (const [name, expression] of Object.entries(config.schedules)) {
    try {
      // Seconds are accepted here for the local runtime; the stacks parse strictly (AWS's smallest unit is the minute).
      parseScheduleExpression(expression, { allowSeconds: true });
    } catch (err) {
      problems.push(`schedules.${name}: ${(err as Error).message}`);
    }
  }
  let autoscalerIntervalSeconds: number | undefined;
  try {
    const interval = typicalIntervalMs(parseScheduleExpression(config.schedules.autoscaler, { allowSeconds: true }), 0);
    autoscalerIntervalSeconds = interval === undefined ? undefined : interval / 1000;
  } catch {
    // reported above
  }
  problems.push(...validateAutoscalerSettings(config.autoscaler, autoscalerIntervalSeconds));
  if (config.stream.maxShards > 10_000) problems.push("stream.maxShards must be <= 10000 (Kinesis's per-stream limit)");
  return problems;
}

/** Lambda keeps at least this many executions unreserved per account and Region (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html). */
export const LAMBDA_MIN_UNRESERVED_CONCURRENCY = 100;

/**
 * Problems with a reserved concurrency for the ingest function, given the account's concurrency quota
 * (`aws lambda get-account-settings`: AccountLimit.ConcurrentExecutions) and what other functions already reserve.
 */
export function reservedConcurrencyProblems(reserved: number, account: { concurrency?: number; reservedByOthers?: number }): string[] {
  if (!Number.isInteger(reserved) || reserved < 1) return ["ingest.reservedConcurrency must be an integer >= 1 (0 would disable the function)"];
  if (account.concurrency === undefined) {
    return [
      `reserving concurrency needs the account's concurrency quota: set ${DEPLOY_VARIABLES.accountConcurrency} to AccountLimit.ConcurrentExecutions of \`aws lambda get-account-settings\``,
    ];
  }
  if (!Number.isInteger(account.concurrency) || account.concurrency < 1) return [`${DEPLOY_VARIABLES.accountConcurrency} must be an integer >= 1`];
  const others = account.reservedByOthers ?? 0;
  if (!Number.isInteger(others) || others < 0) return [`${DEPLOY_VARIABLES.accountReservedConcurrency} must be an integer >= 0`];
  const left = account.concurrency - others - reserved;
  if (left < LAMBDA_MIN_UNRESERVED_CONCURRENCY) {
    return [
      `reserving ${reserved} of the account's ${account.concurrency} concurrent executions${others ? ` (${others} already reserved)` : ""} leaves ${left} unreserved; ` +
        `Lambda requires at least ${LAMBDA_MIN_UNRESERVED_CONCURRENCY}: reserve at most ${Math.max(0, account.concurrency - others - LAMBDA_MIN_UNRESERVED_CONCURRENCY)}, ` +
        "or request a higher concurrency quota (Service Quotas, Lambda: Concurrent executions)",
    ];
  }
  return [];
}
