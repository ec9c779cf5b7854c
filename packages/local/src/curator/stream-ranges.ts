/**
 * The curator's stream reading, in whole Kinesis records: a micro-batch is, per shard, the records after the
 * shard's committed position up to (and including) a last sequence number. Ranges are what the curator records
 * before it runs a batch, so a batch interrupted by a crash is re-read exactly (same records, same batch id, same
 * output file names). KPL aggregates are de-aggregated here; one aggregate never straddles two batches.
 *
 * Resharding: a closed shard is read to its end, then marked finished; its children (ParentShardId,
 * AdjacentParentShardId) are read only after every parent still in the stream is finished, so a key's records are
 * curated in order across a split or a merge.
 */
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient, type Shard } from "@aws-sdk/client-kinesis";
import { deaggregate } from "@eventlake/core/kinesis/kpl";
import type { RawRecord } from "./engine";

export interface ShardPosition {
  shardId: string;
  /** Last Kinesis record curated (committed); undefined: nothing yet (read from TRIM_HORIZON). */
  sequenceNumber?: string;
  /** The shard is closed and everything in it was curated. */
  finished: boolean;
}

/** One shard's part of a batch: records after `after` through `through`. */
export interface ShardRange {
  shardId: string;
  after?: string;
  /** Last record of the range; undefined when the range has no records (the shard only finishes). */
  through?: string;
  /** Reading reached the end of the closed shard: it is finished once this batch commits. */
  finishes: boolean;
}

export interface ReadResult {
  ranges: ShardRange[];
  records: RawRecord[];
  /** The budget stopped the reading: more records are waiting. */
  more: boolean;
}

const errorName = (error: unknown) => (error as { name?: string }).name ?? "";
const seq = (s: string) => BigInt(s);

export class StreamRangeReader {
  constructor(
    private readonly client: KinesisClient,
    private readonly streamName: string,
    private readonly log: (line: string) => void = () => undefined,
    /** Kinesis records per GetRecords call. */
    private readonly pageLimit = 1_000,
  ) {}

  async listShards(): Promise<Shard[]> {
    const out: Shard[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListShardsCommand(token ? { NextToken: token } : { StreamName: this.streamName }));
      out.push(...(page.Shards ?? []));
      token = page.NextToken;
    } while (token);
    return out;
  }

  /** Shards to read now: not finished, and every parent still in the stream finished. */
  readable(shards: readonly Shard[], positions: ReadonlyMap<string, ShardPosition>): Shard[] {
    const known = new Set(shards.map((s) => s.ShardId!));
    const finished = (id: string) => positions.get(id)?.finished === true;
    return shards.filter((s) => {
      if (finished(s.ShardId!)) return false;
      const parents = [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => !!p && known.has(p));
      return parents.every(finished);
    });
  }

  private async iterator(shardId: string, after: string | undefined): Promise<string | undefined> {
    const base = { StreamName: this.streamName, ShardId: shardId };
    if (after !== undefined) {
      try {
        const out = await this.client.send(new GetShardIteratorCommand({ ...base, ShardIteratorType: "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber: after }));
        return out.ShardIterator;
      } catch (error) {
        if (errorName(error) !== "InvalidArgumentException") throw error;
        this.log(`curator: ${shardId}: position ${after} is no longer in the stream (past its retention); reading from TRIM_HORIZON`);
      }
    }
    return (await this.client.send(new GetShardIteratorCommand({ ...base, ShardIteratorType: "TRIM_HORIZON" }))).ShardIterator;
  }

  /**
   * Reads one shard after `after`: everything available (until caught up or the budget is used), or exactly up to
   * `through` when re-reading a recorded range.
   */
  async readShard(shardId: string, after: string | undefined, limits: { budget: number; through?: string }, into: RawRecord[]): Promise<ShardRange & { more: boolean }> {
    const range: ShardRange & { more: boolean } = { shardId, finishes: false, more: false };
    if (after !== undefined) range.after = after;
    if (limits.through === undefined && limits.budget <= 0) return { ...range, more: true };
    let iterator = await this.iterator(shardId, after);
    let taken = 0;
    for (let attempt = 0; iterator; ) {
      let page;
      try {
        page = await this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: this.pageLimit }));
      } catch (error) {
        const name = errorName(error);
        if ((name === "ProvisionedThroughputExceededException" || name === "ExpiredIteratorException") && attempt++ < 20) {
          await new Promise((r) => setTimeout(r, 200));
          if (name === "ExpiredIteratorException") iterator = await this.iterator(shardId, range.through ?? after);
          continue;
        }
        throw error;
      }
      attempt = 0;
      const records = page.Records ?? [];
      for (const record of records) {
        const sequenceNumber = record.SequenceNumber!;
        if (limits.through !== undefined && seq(sequenceNumber) > seq(limits.through)) return range;
        const arrivalTime = record.ApproximateArrivalTimestamp ?? new Date();
        for (const user of deaggregate(record.Data ?? new Uint8Array(0), record.PartitionKey ?? "")) {
          // A copy: de-aggregated data are views into the SDK's response buffer.
          into.push({ data: Uint8Array.from(user.data), arrivalTime });
          taken++;
        }
        range.through = sequenceNumber;
        if (limits.through !== undefined && sequenceNumber === limits.through) return range;
        if (limits.through === undefined && taken >= limits.budget) {
          range.more = true;
          return range;
        }
      }
      iterator = page.NextShardIterator;
      if (!iterator) {
        range.finishes = true; // the end of a closed shard
        return range;
      }
      // Caught up: an empty page at the tip of the shard.
      if (records.length === 0 && (page.MillisBehindLatest ?? 0) === 0) return range;
    }
    return range;
  }

  /**
   * Plans and reads a fresh batch from the committed positions, within the budget (user records, shared evenly by the
   * shards). The shards are read concurrently: each read is a few GetRecords round trips, and on a busy machine each
   * round trip waits behind everything else on the event loop, so reading them one after another made the read (and
   * every event's wait for its batch) grow with the shard count (BENCHMARKS.md, "Batches that wait past their window").
   * Shards readable together are independent (a child becomes readable only once its parents are finished).
   */
  async readNew(positions: ReadonlyMap<string, ShardPosition>, budget: number): Promise<ReadResult> {
    const shards = this.readable(await this.listShards(), positions);
    const share = Math.max(1, Math.ceil(budget / Math.max(1, shards.length)));
    const reads = await Promise.all(
      shards.map(async (shard) => {
        const into: RawRecord[] = [];
        const range = await this.readShard(shard.ShardId!, positions.get(shard.ShardId!)?.sequenceNumber, { budget: share }, into);
        return { range, into };
      }),
    );
    const records: RawRecord[] = [];
    const ranges: ShardRange[] = [];
    let more = false;
    for (const { range, into } of reads) {
      for (const r of into) records.push(r);
      more ||= range.more;
      if (range.through !== undefined || range.finishes) ranges.push({ shardId: range.shardId, ...(range.after !== undefined ? { after: range.after } : {}), ...(range.through !== undefined ? { through: range.through } : {}), finishes: range.finishes });
    }
    return { ranges, records, more };
  }

  /** Re-reads recorded ranges exactly (a batch interrupted before its commit). */
  async readRanges(ranges: readonly ShardRange[]): Promise<RawRecord[]> {
    const records: RawRecord[] = [];
    for (const r of ranges) {
      if (r.through === undefined) continue;
      const got = await this.readShard(r.shardId, r.after, { budget: Number.POSITIVE_INFINITY, through: r.through }, records);
      if (got.through !== r.through) {
        throw new Error(`curator: could not re-read ${r.shardId} through ${r.through} (stopped at ${got.through ?? "nothing"}); the stream lost records`);
      }
    }
    return records;
  }
}
