/**
 * What the front knows about each stream: ARN, account, status and open shards (from kinesalite's
 * DescribeStream), cached while the stream is ACTIVE and dropped whenever the front sees a call that changes
 * shards (CreateStream, DeleteStream, SplitShard, MergeShards, UpdateShardCount). Each stream also owns its
 * write limiter, whose shard map follows the stream's open shards.
 */
import { sortShardMap, type ShardRange } from "@eventlake/core/kinesis/shard-map";
import { ShardWriteLimiter } from "./shard-throughput";
import type { Backend } from "./backend";
import { KinesisError } from "./wire";

export interface StreamInfo {
  streamName: string;
  streamArn: string;
  accountId: string;
  status: string;
  /** Open shards (no EndingSequenceNumber), sorted by starting hash key. */
  openShards: ShardRange[];
}

interface DescribedShard {
  ShardId: string;
  HashKeyRange: { StartingHashKey: string; EndingHashKey: string };
  SequenceNumberRange: { StartingSequenceNumber: string; EndingSequenceNumber?: string };
}

interface DescribeStreamOutput {
  StreamDescription: { StreamName: string; StreamARN: string; StreamStatus: string; Shards: DescribedShard[]; HasMoreShards?: boolean };
}

/** The account id in an ARN (`arn:aws:kinesis:region:account:stream/name`). */
export function accountOfArn(arn: string): string {
  return arn.split(":")[4] ?? "000000000000";
}

export function openShardsOf(shards: readonly DescribedShard[]): ShardRange[] {
  return sortShardMap(
    shards
      .filter((s) => s.SequenceNumberRange.EndingSequenceNumber == null)
      .map((s) => ({
        shardId: s.ShardId,
        startingHashKey: BigInt(s.HashKeyRange.StartingHashKey),
        endingHashKey: BigInt(s.HashKeyRange.EndingHashKey),
      })),
  );
}

export class StreamRegistry {
  private readonly cache = new Map<string, StreamInfo>();
  private readonly inflight = new Map<string, Promise<StreamInfo | undefined>>();
  private readonly limiters = new Map<string, ShardWriteLimiter>();
  /** Bumped on every invalidation, so a describe that started before it is not cached. */
  private readonly generation = new Map<string, number>();

  constructor(private readonly backend: Backend) {}

  /** The stream's current info, or undefined if kinesalite does not know it. */
  async get(streamName: string): Promise<StreamInfo | undefined> {
    const cached = this.cache.get(streamName);
    if (cached) return cached;
    const pending = this.inflight.get(streamName);
    if (pending) return pending;
    const tracked: Promise<StreamInfo | undefined> = this.describe(streamName).finally(() => {
      if (this.inflight.get(streamName) === tracked) this.inflight.delete(streamName);
    });
    this.inflight.set(streamName, tracked);
    return tracked;
  }

  /** Forgets what is cached about the stream; the next `get` asks kinesalite again. */
  invalidate(streamName: string): void {
    this.cache.delete(streamName);
    this.inflight.delete(streamName);
    this.generation.set(streamName, (this.generation.get(streamName) ?? 0) + 1);
  }

  /** Forgets the stream entirely (it was deleted). */
  drop(streamName: string): void {
    this.invalidate(streamName);
    this.limiters.delete(streamName);
  }

  /** The stream's limiter, with its shard map brought up to date with `info`. */
  limiterFor(info: StreamInfo): ShardWriteLimiter {
    let limiter = this.limiters.get(info.streamName);
    if (!limiter) {
      limiter = new ShardWriteLimiter(info.openShards);
      this.limiters.set(info.streamName, limiter);
    } else if (!sameShards(limiter.shards, info.openShards)) {
      limiter.setShards(info.openShards);
    }
    return limiter;
  }

  private async describe(streamName: string): Promise<StreamInfo | undefined> {
    const generation = this.generation.get(streamName) ?? 0;
    let output: DescribeStreamOutput;
    try {
      output = await this.backend.call<DescribeStreamOutput>("DescribeStream", { StreamName: streamName });
    } catch (err) {
      if (err instanceof KinesisError && err.type === "ResourceNotFoundException") return undefined;
      throw err;
    }
    const d = output.StreamDescription;
    const info: StreamInfo = {
      streamName: d.StreamName,
      streamArn: d.StreamARN,
      accountId: accountOfArn(d.StreamARN),
      status: d.StreamStatus,
      openShards: openShardsOf(d.Shards),
    };
    if (info.status === "ACTIVE" && (this.generation.get(streamName) ?? 0) === generation) {
      this.cache.set(streamName, info);
    }
    return info;
  }
}

function sameShards(a: readonly ShardRange[], b: readonly ShardRange[]): boolean {
  return a.length === b.length && a.every((s, i) => s.shardId === b[i]?.shardId);
}
