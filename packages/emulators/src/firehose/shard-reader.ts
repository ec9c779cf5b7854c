/**
 * Reads a Kinesis stream the way Firehose's Kinesis source does: every shard, one GetRecords per shard per poll,
 * KPL aggregates de-aggregated into user records (sub-records share the sequence number and carry their index as
 * the subsequence number). It starts each shard after its checkpoint, or at TRIM_HORIZON when the shard has none
 * (the local stream and its Firehose are created together, so that is where Firehose would start), and follows
 * resharding: a shard whose end has been read is closed here, and its children (ListShards' ParentShardId and
 * AdjacentParentShardId) are read once every parent is finished, so one key's records stay in order.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
  type Shard,
} from "@aws-sdk/client-kinesis";
import type { SourceRecord } from "@eventlake/core/firehose/invocations";
import { isAfter, type ShardPosition } from "./positions";
import { deaggregate } from "@eventlake/core/kinesis/kpl";
import type { CheckpointEntry } from "./state";

interface ShardState {
  shardId: string;
  parents: string[];
  iterator?: string;
  /** Last record handed out (re-reads skip up to it). */
  readPosition?: ShardPosition;
  /** The shard is closed and every record has been read. */
  ended: boolean;
}

export interface PollResult {
  records: SourceRecord[];
  /** Shards whose end was read in this poll. */
  endedShards: string[];
  /** The largest MillisBehindLatest seen: > 0 means there is a backlog. */
  millisBehindLatest: number;
  /**
   * Kinesis's GetRecords.IteratorAgeMilliseconds for this poll: the largest age (now - arrival) of the last record
   * a GetRecords call returned; 0 when the calls returned nothing.
   */
  iteratorAgeMs: number;
}

export interface ShardReaderOptions {
  client: KinesisClient;
  streamName: string;
  /** Persisted checkpoints: reading resumes after them; finished shards are not read again. */
  checkpoints: Record<string, CheckpointEntry>;
  /** Records per GetRecords call (Kinesis allows up to 10,000). */
  limit?: number;
  log?: (line: string) => void;
  /** Shards are listed again at most this often (and whenever one ends). */
  listIntervalMs?: number;
  clock?: () => number;
}

const errorName = (error: unknown) => (error as { name?: string }).name ?? "";

export class ShardReader {
  private readonly shards = new Map<string, ShardState>();
  /** Shards finished before this run (checkpoint) or whose end has been read and delivered. */
  private readonly finished = new Set<string>();
  private readonly checkpoints: Record<string, CheckpointEntry>;
  private listedAt = -Infinity;
  private listAgain = true;

  constructor(private readonly options: ShardReaderOptions) {
    this.checkpoints = options.checkpoints;
    for (const [shardId, entry] of Object.entries(options.checkpoints)) if (entry.finished) this.finished.add(shardId);
  }

  /** Marks a shard finished (its end read and every record delivered): its children become readable. */
  markFinished(shardId: string): void {
    this.finished.add(shardId);
    this.shards.delete(shardId);
    this.listAgain = true;
  }

  /** Shards being read, for status. */
  activeShards(): string[] {
    return [...this.shards.keys()].sort();
  }

  private async listShards(): Promise<Shard[]> {
    const out: Shard[] = [];
    let token: string | undefined;
    do {
      const page = await this.options.client.send(
        new ListShardsCommand(token ? { NextToken: token } : { StreamName: this.options.streamName }),
      );
      out.push(...(page.Shards ?? []));
      token = page.NextToken;
    } while (token);
    return out;
  }

  private async refresh(): Promise<void> {
    const listed = await this.listShards();
    const known = new Set(listed.map((s) => s.ShardId!));
    for (const shard of listed) {
      const shardId = shard.ShardId!;
      if (this.finished.has(shardId) || this.shards.has(shardId)) continue;
      // A parent that is gone (trimmed after the retention period) cannot hold back its children.
      const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter((p): p is string => !!p && known.has(p));
      if (parents.some((p) => !this.finished.has(p))) continue;
      const entry = this.checkpoints[shardId];
      const state: ShardState = { shardId, parents, ended: false };
      if (entry && "sequenceNumber" in entry) state.readPosition = { sequenceNumber: entry.sequenceNumber, subsequenceNumber: entry.subsequenceNumber };
      this.shards.set(shardId, state);
    }
    this.listedAt = (this.options.clock ?? Date.now)();
    this.listAgain = false;
  }

  private async iteratorFor(state: ShardState): Promise<string | undefined> {
    const base = { StreamName: this.options.streamName, ShardId: state.shardId };
    if (state.readPosition) {
      try {
        // AT (not AFTER) the position: the rest of a KPL aggregate may still be unread; records up to it are skipped.
        const out = await this.options.client.send(
          new GetShardIteratorCommand({ ...base, ShardIteratorType: "AT_SEQUENCE_NUMBER", StartingSequenceNumber: state.readPosition.sequenceNumber }),
        );
        return out.ShardIterator;
      } catch (error) {
        if (errorName(error) !== "InvalidArgumentException") throw error;
        this.options.log?.(
          `firehose: ${state.shardId}: checkpoint ${state.readPosition.sequenceNumber} is no longer in the stream (past its retention); reading from TRIM_HORIZON`,
        );
      }
    }
    const out = await this.options.client.send(new GetShardIteratorCommand({ ...base, ShardIteratorType: "TRIM_HORIZON" }));
    return out.ShardIterator;
  }

  /** One GetRecords per readable shard. */
  async poll(): Promise<PollResult> {
    const now = (this.options.clock ?? Date.now)();
    if (this.listAgain || now - this.listedAt >= (this.options.listIntervalMs ?? 10_000)) await this.refresh();
    const result: PollResult = { records: [], endedShards: [], millisBehindLatest: 0, iteratorAgeMs: 0 };
    for (const state of [...this.shards.values()]) {
      if (state.ended) continue;
      try {
        state.iterator ??= await this.iteratorFor(state);
        if (!state.iterator) {
          state.ended = true;
          result.endedShards.push(state.shardId);
          continue;
        }
        const page = await this.options.client.send(new GetRecordsCommand({ ShardIterator: state.iterator, Limit: this.options.limit ?? 10_000 }));
        for (const record of page.Records ?? []) {
          const sequenceNumber = record.SequenceNumber!;
          const arrivalMs = record.ApproximateArrivalTimestamp?.getTime() ?? now;
          const users = deaggregate(record.Data ?? new Uint8Array(0), record.PartitionKey ?? "");
          for (let i = 0; i < users.length; i++) {
            const position = { sequenceNumber, subsequenceNumber: i };
            if (!isAfter(position, state.readPosition)) continue;
            const user = users[i]!;
            result.records.push({
              shardId: state.shardId,
              partitionKey: user.partitionKey,
              sequenceNumber,
              subsequenceNumber: i,
              arrivalMs,
              // A copy: de-aggregated data are views into the SDK's response buffer.
              data: Uint8Array.from(user.data),
            });
            state.readPosition = position;
          }
        }
        result.millisBehindLatest = Math.max(result.millisBehindLatest, page.MillisBehindLatest ?? 0);
        const last = page.Records?.at(-1)?.ApproximateArrivalTimestamp;
        if (last) result.iteratorAgeMs = Math.max(result.iteratorAgeMs, now - last.getTime());
        state.iterator = page.NextShardIterator;
        if (!state.iterator) {
          state.ended = true;
          result.endedShards.push(state.shardId);
          this.listAgain = true;
        }
      } catch (error) {
        const name = errorName(error);
        if (name === "ExpiredIteratorException") {
          state.iterator = undefined; // re-created at the read position next poll
        } else if (name === "ProvisionedThroughputExceededException") {
          // The shard's read limit (shared with other consumers): try again next poll.
        } else if (name === "ResourceNotFoundException") {
          this.options.log?.(`firehose: ${state.shardId} is gone: ${(error as Error).message}`);
          this.shards.delete(state.shardId);
          this.listAgain = true;
        } else {
          throw error;
        }
      }
    }
    return result;
  }
}
