/**
 * The stream-writer port: what the ingest function and the replay write to the stream through
 * (packages/adapters/src/kinesis-stream-writer.ts: KPL-aggregated PutRecords, retries, spill to the fallback prefix).
 */

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
