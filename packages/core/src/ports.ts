/**
 * Ports: the small interfaces the core's services use for I/O. Adapters (packages/adapters) implement them on
 * AWS SDK v3 clients; the same adapters talk to the local stand-ins through an endpoint override.
 */

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

export interface PutObjectOptions {
  contentType?: string;
  contentEncoding?: string;
}

export interface ObjectStore {
  put(key: string, body: Uint8Array | string, options?: PutObjectOptions): Promise<void>;
  /** Returns undefined when the key does not exist. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Every object under the prefix, in key order (paginates internally). */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  delete(keys: readonly string[]): Promise<void>;
}

/** One user record for the stream: its partition key and its bytes (a canonical event or a bad row, as JSON). */
export interface StreamRecordInput {
  partitionKey: string;
  data: Uint8Array;
}

/** "written": Kinesis returned a sequence number for it; "spilled": durable in the fallback prefix; "failed": neither. */
export type RecordOutcome = "written" | "spilled" | "failed";

export interface WriteReport {
  /** Per input record, in input order. */
  outcomes: RecordOutcome[];
  putRecordsCalls: number;
  /** Kinesis records (aggregates) resent after a partial failure or a failed call. */
  retriedEntries: number;
  /** Entries refused with ProvisionedThroughputExceededException, per entry or as a whole call. */
  throttledEntries: number;
  /** Where spilled records went, if any. */
  spillKey?: string;
  /** Why the writer stopped retrying, when it did. */
  stoppedBecause?: string;
}

/** Writes records to the stream, never reporting one written that was not. */
export interface StreamWriter {
  write(records: readonly StreamRecordInput[], deadlineMs: number): Promise<WriteReport>;
}

// ---------------------------------------------------------------------------------------------------------------
// Operations: the shard autoscaler and the job watchdog (packages/core/src/autoscaler, packages/core/src/watchdog).

/** Complete metric periods of a stream in [startMs, endMs), aligned to the period. */
export interface StreamMetricsQuery {
  streamName: string;
  startMs: number;
  endMs: number;
  periodSeconds: number;
}

/**
 * The stream's write metrics per period (IncomingBytes, IncomingRecords, WriteProvisionedThroughputExceeded: Sum;
 * GetRecords.IteratorAgeMilliseconds: Maximum). Periods with no writes come back as zeros; only complete periods
 * are returned. CloudWatch on AWS, the local stream layer's samples locally.
 */
export interface StreamMetricsSource {
  read(query: StreamMetricsQuery): Promise<import("./autoscaler/planner").StreamDatapoint[]>;
}

export interface StreamCapacitySummary {
  mode: "provisioned" | "on-demand";
  /** ACTIVE, UPDATING, CREATING, DELETING. */
  status: string;
  openShards: number;
}

/** The control-plane calls the autoscaler makes (Kinesis DescribeStreamSummary, DescribeLimits, UpdateShardCount). */
export interface StreamCapacityControl {
  describe(streamName: string): Promise<StreamCapacitySummary>;
  /** The account's provisioned shard quota and its open shards (all streams). */
  accountShards(): Promise<{ shardLimit: number; openShards: number }>;
  /** UpdateShardCount with UNIFORM_SCALING; resolves once AWS accepted the call (it completes asynchronously). */
  updateShardCount(streamName: string, targetShardCount: number): Promise<void>;
}

/** An operational notice for people (the stage's alarm topic). */
export interface Notice {
  /** One line, ASCII, at most 100 characters (SNS Subject). */
  subject: string;
  message: string;
  /** Filterable attributes (SNS message attributes, strings). */
  attributes?: Record<string, string>;
}

export interface Notifier {
  publish(notice: Notice): Promise<void>;
}

/** The runs of a long-running job (a Glue streaming job on AWS, the local curator locally). */
export interface JobRuns {
  /** The most recent runs, newest first. */
  list(jobName: string, maxResults: number): Promise<import("./watchdog/decision").JobRunInfo[]>;
  /**
   * Starts a run (from the job's checkpoint). `alreadyRunning` when the service refused because a run is active
   * (Glue's ConcurrentRunsExceededException: another starter won the race), which is not a failure.
   */
  start(jobName: string): Promise<{ runId?: string; alreadyRunning: boolean }>;
}
