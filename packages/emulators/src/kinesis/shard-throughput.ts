/**
 * Per-shard write limits of Kinesis Data Streams (1 MiB/s and 1,000 records/s per shard,
 * https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html;
 * record size = data + partition key), as a pure model: no I/O, the caller passes the clock value.
 *
 * Model: a sliding (rolling) one-second window per shard. A record is admitted at time `t` when the records and
 * bytes already admitted to its shard in (t - 1000 ms, t], plus this record, stay within the limits. So:
 *  - an idle shard takes a burst of up to one second of capacity at once (1,000 records or 1 MiB);
 *  - no interval of one second ever holds more than the limits, at any alignment;
 *  - a producer offering more than the limits gets exactly the limits over time (capacity frees up as admitted
 *    records age out of the window), with no dependence on wall-clock second boundaries.
 * Why not the alternatives: a token bucket holding one second of capacity and refilled continuously admits up to
 * twice the limit inside one second (a full bucket plus what refills during that second), and fixed per-second
 * windows admit twice the limit across a second boundary (1,000 records at .999 s, 1,000 more at 1.000 s). AWS
 * documents the limit as a per-second rate and throttles micro-bursts inside a second, without promising any
 * carry-over; the rolling window is the strictest model consistent with that contract: a producer that keeps up
 * here stays within the documented limits on AWS, and whatever undocumented slack AWS has is not relied upon.
 * A single record larger than the byte capacity (over 1 MiB of data + key, e.g. with a raised MaxRecordSize) is
 * admitted only into an empty window, standing in for AWS's burst capacity for large records
 * (https://docs.aws.amazon.com/streams/latest/dev/large-records.html).
 */
import { KINESIS } from "@eventlake/core/limits";
import { hashKeyOf as md5HashKey, parseExplicitHashKey } from "@eventlake/core/kinesis/hash-key";
import { findShardIndex, sortShardMap, type ShardRange } from "@eventlake/core/kinesis/shard-map";

/** One record offered for writing. */
export interface WriteEntry {
  readonly partitionKey: string;
  /** Decimal string as on the wire (`0|[1-9]\d{0,38}`), or a bigint; overrides the partition key's MD5. */
  readonly explicitHashKey?: string | bigint;
  /** Size of the data blob in bytes (decoded, not base64). The partition key's UTF-8 bytes are added to it. */
  readonly bytes: number;
}

export interface Admission {
  readonly shardId: string;
  readonly admitted: boolean;
}

export interface ShardWriteLimits {
  readonly recordsPerSecond: number;
  readonly bytesPerSecond: number;
}

export const DEFAULT_SHARD_WRITE_LIMITS: ShardWriteLimits = Object.freeze({
  recordsPerSecond: KINESIS.shardWriteRecordsPerSecond,
  bytesPerSecond: KINESIS.shardWriteBytesPerSecond,
});

/** Length of the rolling window the limits apply to. */
export const SHARD_WRITE_WINDOW_MS = 1000;

export interface ShardWriteLimiterOptions {
  limits?: Partial<ShardWriteLimits>;
  /** Maps a partition key to its 128-bit hash key; default hash-key.ts's hashKeyOf (MD5, unsigned big-endian). */
  hashKeyOf?: (partitionKey: string) => bigint;
}

/** UTF-8 byte length of a string without encoding it (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8ByteLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/** What a record counts against the shard's byte limit: data + partition key (UTF-8). */
export function recordSizeBytes(entry: Pick<WriteEntry, "partitionKey" | "bytes">): number {
  return entry.bytes + utf8ByteLength(entry.partitionKey);
}

/** An ExplicitHashKey's value; throws (InvalidExplicitHashKeyError or RangeError) unless it is in [0, 2^128 - 1]. */
function explicitHashKeyValue(key: string | bigint): bigint {
  if (typeof key === "string") return parseExplicitHashKey(key);
  if (key < 0n || key > KINESIS.maxHashKey) throw new RangeError(`ExplicitHashKey must be in [0, 2^128-1]; was ${key}`);
  return key;
}

/** The hash key a record routes by: its ExplicitHashKey if given, else the hash of its partition key. */
export function hashKeyOfEntry(
  entry: Pick<WriteEntry, "partitionKey" | "explicitHashKey">,
  hashKeyOf: (partitionKey: string) => bigint = md5HashKey,
): bigint {
  return entry.explicitHashKey !== undefined && entry.explicitHashKey !== null
    ? explicitHashKeyValue(entry.explicitHashKey)
    : hashKeyOf(entry.partitionKey);
}

/** Records and bytes admitted to one shard in the current rolling window. */
class WindowLedger {
  private readonly times: number[] = [];
  private readonly records: number[] = [];
  private readonly bytes: number[] = [];
  private head = 0;
  recordsInWindow = 0;
  bytesInWindow = 0;
  lastMs = Number.NEGATIVE_INFINITY;

  /** Drops what was admitted at or before now - window: the window is (now - window, now]. */
  advance(nowMs: number, windowMs: number): number {
    const now = Math.max(nowMs, this.lastMs); // a clock stepping back does not free capacity
    this.lastMs = now;
    const cutoff = now - windowMs;
    while (this.head < this.times.length && (this.times[this.head] as number) <= cutoff) {
      this.recordsInWindow -= this.records[this.head] as number;
      this.bytesInWindow -= this.bytes[this.head] as number;
      this.head++;
    }
    if (this.head > 256 && this.head * 2 > this.times.length) {
      this.times.splice(0, this.head);
      this.records.splice(0, this.head);
      this.bytes.splice(0, this.head);
      this.head = 0;
    }
    return now;
  }

  tryAdmit(nowMs: number, size: number, limits: ShardWriteLimits): boolean {
    if (this.recordsInWindow + 1 > limits.recordsPerSecond) return false;
    const fits = this.bytesInWindow + size <= limits.bytesPerSecond;
    const oversizeIntoEmptyWindow = size > limits.bytesPerSecond && this.recordsInWindow === 0;
    if (!fits && !oversizeIntoEmptyWindow) return false;
    const last = this.times.length - 1;
    if (last >= this.head && this.times[last] === nowMs) {
      this.records[last] = (this.records[last] as number) + 1;
      this.bytes[last] = (this.bytes[last] as number) + size;
    } else {
      this.times.push(nowMs);
      this.records.push(1);
      this.bytes.push(size);
    }
    this.recordsInWindow += 1;
    this.bytesInWindow += size;
    return true;
  }
}

/**
 * The write limiter for one stream. Keep one per stream; give it the stream's open shards and call `admit` with
 * each request's records and the current time in ms (any monotonic-ish clock; it only compares differences).
 */
export class ShardWriteLimiter {
  private sorted: ShardRange[];
  private ledgers = new Map<string, WindowLedger>();
  readonly limits: ShardWriteLimits;
  private readonly hashKeyOf: (partitionKey: string) => bigint;

  constructor(shards: readonly ShardRange[], options: ShardWriteLimiterOptions = {}) {
    this.limits = { ...DEFAULT_SHARD_WRITE_LIMITS, ...options.limits };
    if (!(this.limits.recordsPerSecond > 0) || !(this.limits.bytesPerSecond > 0)) {
      throw new RangeError("Shard write limits must be positive");
    }
    this.hashKeyOf = options.hashKeyOf ?? md5HashKey;
    this.sorted = sortShardMap(shards);
  }

  /** The shard map in hash key order. */
  get shards(): readonly ShardRange[] {
    return this.sorted;
  }

  /**
   * Replaces the shard map (after a split, merge or rescale). Shards that stay keep what they admitted in the
   * current window; new shards start idle; shards that left are forgotten.
   */
  setShards(shards: readonly ShardRange[]): void {
    this.sorted = sortShardMap(shards);
    const keep = new Set(this.sorted.map((s) => s.shardId));
    for (const id of [...this.ledgers.keys()]) if (!keep.has(id)) this.ledgers.delete(id);
  }

  /** The shard id whose range holds the hash key, or undefined if the map does not cover it. */
  shardFor(hashKey: bigint): string | undefined {
    const i = findShardIndex(this.sorted, hashKey);
    return i < 0 ? undefined : (this.sorted[i] as ShardRange).shardId;
  }

  /**
   * Routes and admits each entry, in order, independently: a record that does not fit is refused while a later,
   * smaller one to the same shard may still fit. Admitted records use up capacity; refused ones do not.
   * Throws for an invalid ExplicitHashKey, and RangeError for a hash key no shard covers (a broken shard map).
   */
  admit(entries: readonly WriteEntry[], nowMs: number): Admission[] {
    const out: Admission[] = new Array(entries.length);
    const now = new Map<string, number>();
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as WriteEntry;
      const key = hashKeyOfEntry(entry, this.hashKeyOf);
      const shardId = this.shardFor(key);
      if (shardId === undefined) throw new RangeError(`Hash key ${key} is not covered by the shard map`);
      const ledger = this.ledger(shardId);
      let t = now.get(shardId);
      if (t === undefined) {
        t = ledger.advance(nowMs, SHARD_WRITE_WINDOW_MS);
        now.set(shardId, t);
      }
      out[i] = { shardId, admitted: ledger.tryAdmit(t, recordSizeBytes(entry), this.limits) };
    }
    return out;
  }

  /** What the shard has admitted in the window ending at nowMs. */
  usage(shardId: string, nowMs: number): { records: number; bytes: number } {
    const ledger = this.ledgers.get(shardId);
    if (!ledger) return { records: 0, bytes: 0 };
    ledger.advance(nowMs, SHARD_WRITE_WINDOW_MS);
    return { records: ledger.recordsInWindow, bytes: ledger.bytesInWindow };
  }

  private ledger(shardId: string): WindowLedger {
    let ledger = this.ledgers.get(shardId);
    if (!ledger) {
      ledger = new WindowLedger();
      this.ledgers.set(shardId, ledger);
    }
    return ledger;
  }
}
