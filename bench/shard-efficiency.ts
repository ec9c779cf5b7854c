/**
 * BENCHMARKS.md figure 2: shard efficiency. How many events one shard carries per second at Kinesis's write limits (1 MiB/s and
 * 1,000 records/s, counting data + partition key), and PUT payload units (25 KB each) per million events, with and
 * without KPL aggregation, computed from the records the real aggregator produces.
 */
import { aggregate, type UserRecord } from "@eventlake/core/kinesis/kpl";
import { KINESIS } from "@eventlake/core/limits";

function events(count: number, bytes: number, users: number): UserRecord[] {
  return Array.from({ length: count }, (_, i) => ({ partitionKey: `user-${String(i % users).padStart(8, "0")}`, data: Buffer.alloc(bytes, 0x61) }));
}

function measure(records: readonly { partitionKey: string; data: Uint8Array }[], eventCount: number) {
  let bytes = 0;
  let units = 0;
  for (const r of records) {
    const size = r.data.length + Buffer.byteLength(r.partitionKey);
    bytes += size;
    units += Math.ceil(size / KINESIS.putPayloadUnitBytes);
  }
  const eventsPerShardSecond = Math.min(
    KINESIS.shardWriteBytesPerSecond / (bytes / eventCount),
    KINESIS.shardWriteRecordsPerSecond / (records.length / eventCount),
  );
  return { eventsPerShardSecond, putUnitsPerMillion: (units / eventCount) * 1e6 };
}

export function benchShardEfficiency() {
  const rows = [];
  for (const bytes of [200, 1024]) {
    for (const users of [1, 500]) {
      const batches = 20;
      const plain: UserRecord[] = [];
      const aggregated = [];
      for (let b = 0; b < batches; b++) {
        const batch = events(500, bytes, users);
        plain.push(...batch);
        aggregated.push(...aggregate(batch));
      }
      const count = batches * 500;
      const ideal = KINESIS.shardWriteBytesPerSecond / bytes;
      rows.push({
        eventBytes: bytes,
        usersPerBatch: users,
        plain: measure(plain, count),
        aggregated: measure(aggregated, count),
        idealByBytes: ideal,
      });
    }
  }
  return rows;
}
