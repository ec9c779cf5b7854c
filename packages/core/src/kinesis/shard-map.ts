/**
 * A stream's shard map: its open shards by hash key range, as ListShards returns them. The ingest writer routes
 * each aggregate to the shard that owns its hash key (packages/adapters/src/kinesis-shard-map.ts) and the local
 * Kinesis admits writes per shard by the same lookup.
 */
import { KINESIS } from "../limits";

/** One open shard of a stream: its id and its inclusive hash key range. */
export interface ShardRange {
  readonly shardId: string;
  readonly startingHashKey: bigint;
  readonly endingHashKey: bigint;
}

/**
 * Sorts a shard map by starting hash key and checks it: each range non-empty, inside the key space, no overlaps,
 * unique ids. Gaps are allowed (lookups into a gap find no shard). Throws RangeError otherwise.
 */
export function sortShardMap(shards: readonly ShardRange[]): ShardRange[] {
  const sorted = [...shards].sort((a, b) =>
    a.startingHashKey < b.startingHashKey ? -1 : a.startingHashKey > b.startingHashKey ? 1 : 0,
  );
  const ids = new Set<string>();
  let previous: ShardRange | undefined;
  for (const shard of sorted) {
    if (shard.startingHashKey < 0n || shard.endingHashKey > KINESIS.maxHashKey) {
      throw new RangeError(`Shard ${shard.shardId}: hash key range outside [0, 2^128-1]`);
    }
    if (shard.startingHashKey > shard.endingHashKey) {
      throw new RangeError(`Shard ${shard.shardId}: StartingHashKey is above EndingHashKey`);
    }
    if (previous && shard.startingHashKey <= previous.endingHashKey) {
      throw new RangeError(`Shards ${previous.shardId} and ${shard.shardId} overlap`);
    }
    if (ids.has(shard.shardId)) throw new RangeError(`Duplicate shard id ${shard.shardId}`);
    ids.add(shard.shardId);
    previous = shard;
  }
  return sorted;
}

/** Binary search in a map sorted by sortShardMap: index of the shard whose range holds `hashKey`, or -1. */
export function findShardIndex(sorted: readonly ShardRange[], hashKey: bigint): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let candidate = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const shard = sorted[mid] as ShardRange;
    if (shard.startingHashKey <= hashKey) {
      candidate = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (candidate < 0) return -1;
  return hashKey <= (sorted[candidate] as ShardRange).endingHashKey ? candidate : -1;
}
