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
