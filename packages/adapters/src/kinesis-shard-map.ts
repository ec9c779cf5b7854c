/**
 * The stream's open shards, as the KPL keeps them: listed with ListShards, cached, and refreshed when a write lands
 * on a shard other than the one predicted (the stream was resharded) or when the cache is old.
 *
 * Why: an aggregate of user records is routed by ONE hash key. Without a shard map, a request's records pack into a
 * single aggregate routed by its lowest hash key, which nearly always falls in the first shard, so adding shards
 * added no capacity (measured by bench/end-to-end.ts: 58% / 4% / 38% / 0% of the bytes over 4 shards). With the
 * map, records are grouped per shard and each shard gets its own aggregate.
 */
import { KinesisClient, ListShardsCommand, type ListShardsCommandOutput } from "@aws-sdk/client-kinesis";
import { findShardIndex, sortShardMap, type ShardRange } from "@eventlake/core/kinesis/shard-map";
import { clientConfig, type AwsTarget } from "./aws-config";

/** What the stream writer needs: a shard lookup, when one is known, and a way to say it was wrong. */
export interface ShardMapSource {
  /** The shard of a hash key, or undefined while no map is known (then records are not grouped by shard). */
  lookup(): Promise<((hashKey: bigint) => string) | undefined>;
  /** A write landed elsewhere than predicted: list the shards again before the next lookup. */
  invalidate(): void;
}

export interface KinesisShardMapOptions {
  /** A client, or the target to make one for (with the SDK's retries: listing is not on the writes' deadline). */
  client?: KinesisClient;
  target?: AwsTarget;
  streamName: string;
  /** How long a listing is trusted without contrary evidence (default 60 s). */
  ttlMs?: number;
  /** After a failed listing, how long to write without a map before listing again (default 10 s). */
  retryAfterFailureMs?: number;
  now?: () => number;
}

/** Open shards: those whose sequence number range has no end (closed parents keep theirs after resharding). */
export function openShardRanges(shards: NonNullable<ListShardsCommandOutput["Shards"]>): ShardRange[] {
  return sortShardMap(
    shards
      .filter((s) => s.SequenceNumberRange?.EndingSequenceNumber == null)
      .map((s) => ({ shardId: s.ShardId!, startingHashKey: BigInt(s.HashKeyRange!.StartingHashKey!), endingHashKey: BigInt(s.HashKeyRange!.EndingHashKey!) })),
  );
}

export class KinesisShardMap implements ShardMapSource {
  private map: ShardRange[] | undefined;
  private listedAt = -Infinity;
  private failedAt = -Infinity;
  private listing: Promise<void> | undefined;
  private readonly now: () => number;
  private readonly client: KinesisClient;

  constructor(private readonly options: KinesisShardMapOptions) {
    this.now = options.now ?? Date.now;
    this.client = options.client ?? new KinesisClient(clientConfig(options.target ?? { region: "us-east-1" }));
  }

  async lookup(): Promise<((hashKey: bigint) => string) | undefined> {
    const now = this.now();
    const stale = now - this.listedAt > (this.options.ttlMs ?? 60_000);
    const mayRetry = now - this.failedAt > (this.options.retryAfterFailureMs ?? 10_000);
    if (stale && mayRetry) {
      this.listing ??= this.list().finally(() => (this.listing = undefined));
      await this.listing;
    }
    const map = this.map;
    if (!map || map.length === 0) return undefined;
    return (hashKey) => {
      const i = findShardIndex(map, hashKey);
      return i < 0 ? "unmapped" : map[i]!.shardId;
    };
  }

  invalidate(): void {
    this.listedAt = -Infinity;
  }

  private async list(): Promise<void> {
    try {
      const shards: NonNullable<ListShardsCommandOutput["Shards"]> = [];
      let nextToken: string | undefined;
      do {
        // With a NextToken, ListShards refuses the stream name.
        const page = await this.client.send(new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: this.options.streamName }));
        shards.push(...(page.Shards ?? []));
        nextToken = page.NextToken;
      } while (nextToken);
      this.map = openShardRanges(shards);
      this.listedAt = this.now();
    } catch {
      // Keep the last map, if any (stale is still better balanced than none); without one, writing is still
      // correct, only less balanced. Never fail a write over it.
      this.failedAt = this.now();
    }
  }
}
