import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findShardIndex, sortShardMap, type ShardRange } from "@eventlake/core/kinesis/shard-map";
import { KINESIS } from "@eventlake/core/limits";
import {
  DEFAULT_SHARD_WRITE_LIMITS,
  ShardWriteLimiter,
  hashKeyOfEntry,
  recordSizeBytes,
  utf8ByteLength,
  type WriteEntry,
} from "../src/kinesis/shard-throughput";

const MAX = KINESIS.maxHashKey;
const SPACE = MAX + 1n;

function uniformMap(n: number): ShardRange[] {
  return Array.from({ length: n }, (_, i) => ({
    shardId: `shardId-${String(i).padStart(12, "0")}`,
    startingHashKey: (SPACE * BigInt(i)) / BigInt(n),
    endingHashKey: (SPACE * BigInt(i + 1)) / BigInt(n) - 1n,
  }));
}

function md5(pk: string): bigint {
  return BigInt(`0x${createHash("md5").update(pk, "utf8").digest("hex")}`);
}

/** Largest sum of admitted records/bytes over any window [s, s + 1000) in a list of (time, records, bytes). */
function worstWindow(events: { t: number; bytes: number }[]): { records: number; bytes: number } {
  const sorted = [...events].sort((a, b) => a.t - b.t);
  let worst = { records: 0, bytes: 0 };
  let j = 0;
  let records = 0;
  let bytes = 0;
  // Sliding window anchored at each event's time (the maximum over all windows is reached at one of them).
  for (let i = 0; i < sorted.length; i++) {
    const start = (sorted[i] as { t: number }).t;
    while (j < sorted.length && (sorted[j] as { t: number }).t < start + 1000) {
      records += 1;
      bytes += (sorted[j] as { bytes: number }).bytes;
      j++;
    }
    if (records > worst.records) worst = { ...worst, records };
    if (bytes > worst.bytes) worst = { ...worst, bytes };
    records -= 1;
    bytes -= (sorted[i] as { bytes: number }).bytes;
  }
  return worst;
}

describe("helpers", () => {
  it("counts UTF-8 bytes like Buffer.byteLength", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), (s) => {
        expect(utf8ByteLength(s)).toBe(Buffer.byteLength(s, "utf8"));
      }),
    );
    expect(utf8ByteLength("\ud83d")).toBe(3); // lone surrogate -> U+FFFD
  });

  it("counts record size as data + partition key", () => {
    expect(recordSizeBytes({ partitionKey: "é", bytes: 10 })).toBe(12);
  });

  it("takes explicit hash keys as strings or bigints and rejects bad ones", () => {
    const entry = (explicitHashKey: string | bigint) => ({ partitionKey: "pk", explicitHashKey });
    expect(hashKeyOfEntry(entry("0"))).toBe(0n);
    expect(hashKeyOfEntry(entry(MAX.toString()))).toBe(MAX);
    expect(hashKeyOfEntry(entry(MAX))).toBe(MAX);
    expect(hashKeyOfEntry({ partitionKey: "pk" })).toBe(md5("pk"));
    expect(() => hashKeyOfEntry(entry((MAX + 1n).toString()))).toThrow();
    expect(() => hashKeyOfEntry(entry("01"))).toThrow();
    expect(() => hashKeyOfEntry(entry("-1"))).toThrow();
    expect(() => hashKeyOfEntry(entry(-1n))).toThrow(RangeError);
    expect(() => hashKeyOfEntry(entry(MAX + 1n))).toThrow(RangeError);
  });

  it("rejects overlapping or inverted shard maps", () => {
    expect(() =>
      sortShardMap([
        { shardId: "a", startingHashKey: 0n, endingHashKey: 10n },
        { shardId: "b", startingHashKey: 10n, endingHashKey: 20n },
      ]),
    ).toThrow(/overlap/);
    expect(() => sortShardMap([{ shardId: "a", startingHashKey: 5n, endingHashKey: 4n }])).toThrow(RangeError);
    expect(() => sortShardMap([{ shardId: "a", startingHashKey: 0n, endingHashKey: SPACE }])).toThrow(RangeError);
  });
});

describe("routing", () => {
  it("finds the shard by binary search, equal to a linear scan, with gaps", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.bigInt({ min: 1n, max: MAX }), { minLength: 0, maxLength: 40 }),
        fc.array(fc.bigInt({ min: 0n, max: MAX }), { minLength: 1, maxLength: 50 }),
        fc.boolean(),
        (cuts, keys, withGaps) => {
          const starts = [0n, ...cuts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          const shards: ShardRange[] = starts.map((start, i) => {
            const next = starts[i + 1] ?? SPACE;
            // With gaps: every other shard gives up the upper half of its range.
            const end = withGaps && i % 2 === 1 && next - start > 2n ? start + (next - start) / 2n : next - 1n;
            return { shardId: `s${i}`, startingHashKey: start, endingHashKey: end };
          });
          const shuffled = [...shards].reverse();
          const sorted = sortShardMap(shuffled);
          for (const key of [...keys, ...starts, ...shards.map((s) => s.endingHashKey)]) {
            const linear = shards.findIndex((s) => s.startingHashKey <= key && key <= s.endingHashKey);
            const found = findShardIndex(sorted, key);
            expect(found < 0 ? undefined : sorted[found]?.shardId).toBe(linear < 0 ? undefined : shards[linear]?.shardId);
          }
        },
      ),
    );
  });

  it("routes by explicit hash key, overriding the partition key", () => {
    const limiter = new ShardWriteLimiter(uniformMap(4));
    const quarter = SPACE / 4n;
    const entries: WriteEntry[] = [
      { partitionKey: "same", explicitHashKey: "0", bytes: 1 },
      { partitionKey: "same", explicitHashKey: (quarter - 1n).toString(), bytes: 1 },
      { partitionKey: "same", explicitHashKey: quarter.toString(), bytes: 1 },
      { partitionKey: "same", explicitHashKey: (2n * quarter + 5n).toString(), bytes: 1 },
      { partitionKey: "same", explicitHashKey: MAX, bytes: 1 },
    ];
    expect(limiter.admit(entries, 0).map((a) => a.shardId)).toEqual([
      "shardId-000000000000",
      "shardId-000000000000",
      "shardId-000000000001",
      "shardId-000000000002",
      "shardId-000000000003",
    ]);
  });

  it("routes by the MD5 of the partition key without an explicit hash key", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 256 }), fc.integer({ min: 1, max: 16 }), (pk, n) => {
        const map = uniformMap(n);
        const [admission] = new ShardWriteLimiter(map).admit([{ partitionKey: pk, bytes: 0 }], 0);
        const key = md5(pk);
        expect(admission?.shardId).toBe(map.find((s) => s.startingHashKey <= key && key <= s.endingHashKey)?.shardId);
      }),
    );
  });

  it("throws for a key outside the shard map and for a bad explicit key", () => {
    const limiter = new ShardWriteLimiter([{ shardId: "a", startingHashKey: 10n, endingHashKey: 20n }]);
    expect(() => limiter.admit([{ partitionKey: "x", explicitHashKey: 5n, bytes: 1 }], 0)).toThrow(/not covered/);
    expect(() => limiter.admit([{ partitionKey: "x", explicitHashKey: "abc", bytes: 1 }], 0)).toThrow();
  });
});

describe("limits", () => {
  const one = uniformMap(1);

  it("lets an idle shard take a burst of exactly one second of records", () => {
    const limiter = new ShardWriteLimiter(one);
    const entries = Array.from({ length: 1500 }, (_, i) => ({ partitionKey: `k${i}`, bytes: 10 }));
    const result = limiter.admit(entries, 1_000_000);
    expect(result.filter((r) => r.admitted).length).toBe(1000);
    expect(result.slice(0, 1000).every((r) => r.admitted)).toBe(true);
    expect(result.slice(1000).some((r) => r.admitted)).toBe(false);
    // 999 ms later the window still holds them; 1000 ms later it is empty again.
    expect(limiter.admit([{ partitionKey: "x", bytes: 1 }], 1_000_999)[0]?.admitted).toBe(false);
    expect(limiter.admit(entries, 1_001_000).filter((r) => r.admitted).length).toBe(1000);
  });

  it("lets an idle shard take a burst of exactly one second of bytes (data + key)", () => {
    const limiter = new ShardWriteLimiter(one);
    // 16 records of 64 KiB total (data 65,535 + 1-byte key) = 1 MiB exactly; the 17th does not fit.
    const entries = Array.from({ length: 17 }, (_, i) => ({ partitionKey: String.fromCharCode(97 + i), bytes: 65_535 }));
    const result = limiter.admit(entries, 0);
    expect(result.map((r) => r.admitted)).toEqual([...Array(16).fill(true), false]);
    expect(limiter.usage("shardId-000000000000", 0)).toEqual({ records: 16, bytes: 1024 * 1024 });
    // A smaller later record still fits: entries are judged one by one.
    const limiter2 = new ShardWriteLimiter(one);
    const mixed = limiter2.admit(
      [
        { partitionKey: "a", bytes: 1024 * 1024 - 11 },
        { partitionKey: "b", bytes: 100 },
        { partitionKey: "c", bytes: 9 },
      ],
      0,
    );
    expect(mixed.map((r) => r.admitted)).toEqual([true, false, true]);
  });

  it("admits a record larger than the byte capacity only into an empty window", () => {
    const limiter = new ShardWriteLimiter(one);
    const big = { partitionKey: "big", bytes: 2 * 1024 * 1024 };
    expect(limiter.admit([{ partitionKey: "a", bytes: 1 }, big], 0).map((r) => r.admitted)).toEqual([true, false]);
    expect(limiter.admit([big], 1000)[0]?.admitted).toBe(true);
    expect(limiter.admit([{ partitionKey: "a", bytes: 1 }], 1500)[0]?.admitted).toBe(false);
  });

  it("keeps shards independent", () => {
    const limiter = new ShardWriteLimiter(uniformMap(2));
    const low = Array.from({ length: 1200 }, () => ({ partitionKey: "k", explicitHashKey: 1n, bytes: 1 }));
    const high = Array.from({ length: 1200 }, () => ({ partitionKey: "k", explicitHashKey: MAX, bytes: 1 }));
    const result = limiter.admit([...low, ...high], 0);
    expect(result.slice(0, 1200).filter((r) => r.admitted).length).toBe(1000);
    expect(result.slice(1200).filter((r) => r.admitted).length).toBe(1000);
  });

  it("does not free capacity when the clock steps back", () => {
    const limiter = new ShardWriteLimiter(one);
    const batch = Array.from({ length: 1000 }, () => ({ partitionKey: "k", bytes: 1 }));
    limiter.admit(batch, 10_000);
    expect(limiter.admit([{ partitionKey: "k", bytes: 1 }], 5_000)[0]?.admitted).toBe(false);
  });

  it("keeps the window of surviving shards when the map changes, and starts new ones idle", () => {
    const limiter = new ShardWriteLimiter(uniformMap(2));
    const full = Array.from({ length: 1000 }, () => ({ partitionKey: "k", explicitHashKey: 1n, bytes: 1 }));
    limiter.admit(full, 0);
    const [s0, s1] = uniformMap(2) as [ShardRange, ShardRange];
    // Split shard 1 into two new shards; shard 0 stays and is still full.
    const mid = s1.startingHashKey + (s1.endingHashKey - s1.startingHashKey) / 2n;
    limiter.setShards([
      s0,
      { shardId: "shardId-000000000002", startingHashKey: s1.startingHashKey, endingHashKey: mid },
      { shardId: "shardId-000000000003", startingHashKey: mid + 1n, endingHashKey: s1.endingHashKey },
    ]);
    expect(limiter.admit([{ partitionKey: "k", explicitHashKey: 1n, bytes: 1 }], 10)[0]?.admitted).toBe(false);
    expect(limiter.admit([{ partitionKey: "k", explicitHashKey: MAX, bytes: 1 }], 10)[0]).toEqual({
      shardId: "shardId-000000000003",
      admitted: true,
    });
  });

  it("never admits more than the limits in any 1 s window, and admits at the limit under overload", () => {
    const limits = { recordsPerSecond: 50, bytesPerSecond: 4_000 };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.array(
          fc.record({
            dt: fc.integer({ min: 0, max: 400 }),
            batch: fc.array(
              fc.record({ key: fc.bigInt({ min: 0n, max: MAX }), pk: fc.string({ maxLength: 8 }), bytes: fc.integer({ min: 0, max: 300 }) }),
              { maxLength: 60 },
            ),
          }),
          { minLength: 1, maxLength: 80 },
        ),
        (shardCount, calls) => {
          const map = uniformMap(shardCount);
          const limiter = new ShardWriteLimiter(map, { limits });
          const admitted = new Map<string, { t: number; bytes: number }[]>();
          let t = 0;
          for (const call of calls) {
            t += call.dt;
            const entries = call.batch.map((e) => ({ partitionKey: e.pk || "k", explicitHashKey: e.key, bytes: e.bytes }));
            const result = limiter.admit(entries, t);
            result.forEach((r, i) => {
              if (!r.admitted) return;
              const list = admitted.get(r.shardId) ?? [];
              list.push({ t, bytes: recordSizeBytes(entries[i] as WriteEntry) });
              admitted.set(r.shardId, list);
            });
          }
          for (const events of admitted.values()) {
            const worst = worstWindow(events);
            expect(worst.records).toBeLessThanOrEqual(limits.recordsPerSecond);
            expect(worst.bytes).toBeLessThanOrEqual(limits.bytesPerSecond);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("sustains the full limit (and no more) when offered twice the limit every 100 ms", () => {
    const limiter = new ShardWriteLimiter(uniformMap(1));
    const events: { t: number; bytes: number }[] = [];
    let total = 0;
    for (let t = 0; t < 10_000; t += 100) {
      const batch = Array.from({ length: 200 }, (_, i) => ({ partitionKey: `p${t}-${i}`, bytes: 500 }));
      limiter.admit(batch, t).forEach((r, i) => {
        if (r.admitted) {
          total++;
          events.push({ t, bytes: recordSizeBytes(batch[i] as WriteEntry) });
        }
      });
    }
    expect(worstWindow(events).records).toBeLessThanOrEqual(DEFAULT_SHARD_WRITE_LIMITS.recordsPerSecond);
    expect(total).toBe(10 * DEFAULT_SHARD_WRITE_LIMITS.recordsPerSecond);
  });
});
