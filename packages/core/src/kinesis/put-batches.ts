/**
 * Splitting Kinesis entries into PutRecords calls: at most 500 records and 10 MiB per call, where a record counts its
 * data + partition key bytes (UTF-8). The ExplicitHashKey does not count
 * (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html).
 */
import { KINESIS } from "../limits";

export interface PutRecordsEntryLike {
  partitionKey: string;
  explicitHashKey?: string;
  data: Uint8Array;
}

export interface PutRecordsLimits {
  /** Records per call. Default KINESIS.maxRecordsPerPutRecords. */
  maxRecords: number;
  /** Data + partition key bytes per call. Default KINESIS.maxPutRecordsRequestBytes. */
  maxRequestBytes: number;
  /** Data + partition key bytes per record (the stream's MaxRecordSize). Default KINESIS.maxRecordBytes. */
  maxRecordBytes: number;
}

export const DEFAULT_PUT_RECORDS_LIMITS: Readonly<PutRecordsLimits> = Object.freeze({
  maxRecords: KINESIS.maxRecordsPerPutRecords,
  maxRequestBytes: KINESIS.maxPutRecordsRequestBytes,
  maxRecordBytes: KINESIS.maxRecordBytes,
});

/** Thrown for an entry that no PutRecords call can carry. */
export class PutRecordsEntryTooLargeError extends Error {
  override readonly name = "PutRecordsEntryTooLargeError";
  constructor(
    readonly index: number,
    /** data + partition key bytes */
    readonly sizeBytes: number,
    readonly limitBytes: number,
  ) {
    super(`entry ${index} is ${sizeBytes} bytes (data + partition key), over the ${limitBytes}-byte limit`);
  }
}

/** Bytes an entry counts against the PutRecords limits: data + UTF-8 partition key. */
export function putRecordsEntrySize(entry: PutRecordsEntryLike): number {
  return entry.data.byteLength + Buffer.byteLength(entry.partitionKey, "utf8");
}

/**
 * Greedy, order-preserving split of entries into PutRecords calls. Returns, per call, the indexes of its entries
 * (ascending; concatenated they are 0..n-1). Throws PutRecordsEntryTooLargeError for an entry larger than
 * maxRecordBytes or maxRequestBytes.
 */
export function planPutRecordsBatches(
  entries: readonly PutRecordsEntryLike[],
  limits: Partial<PutRecordsLimits> = {},
): number[][] {
  const { maxRecords, maxRequestBytes, maxRecordBytes } = { ...DEFAULT_PUT_RECORDS_LIMITS, ...limits };
  if (!Number.isInteger(maxRecords) || maxRecords < 1) throw new RangeError(`maxRecords must be a positive integer, got ${maxRecords}`);
  if (!(maxRequestBytes > 0)) throw new RangeError(`maxRequestBytes must be positive, got ${maxRequestBytes}`);
  if (!(maxRecordBytes > 0)) throw new RangeError(`maxRecordBytes must be positive, got ${maxRecordBytes}`);
  const perEntryLimit = Math.min(maxRecordBytes, maxRequestBytes);

  const batches: number[][] = [];
  let current: number[] = [];
  let currentBytes = 0;
  for (let i = 0; i < entries.length; i++) {
    const size = putRecordsEntrySize(entries[i]!);
    if (size > perEntryLimit) throw new PutRecordsEntryTooLargeError(i, size, perEntryLimit);
    if (current.length > 0 && (current.length >= maxRecords || currentBytes + size > maxRequestBytes)) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(i);
    currentBytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** planPutRecordsBatches, returning the entries themselves. */
export function splitPutRecordsBatches<T extends PutRecordsEntryLike>(
  entries: readonly T[],
  limits: Partial<PutRecordsLimits> = {},
): T[][] {
  return planPutRecordsBatches(entries, limits).map((batch) => batch.map((i) => entries[i]!));
}
