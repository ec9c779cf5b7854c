/**
 * The compaction executor end to end against the real stand-ins: curated Parquet written by DuckDB (the local
 * curator's engine) into the file-backed local S3, merged by parquet-wasm through the S3 adapter, and read back by
 * DuckDB: same column types and timestamp unit, same rows (checksum over every row), inputs gone, no intent left.
 */
import { runConfigFromSettings } from "@eventlake/core/compaction/config";
import { compactedKey } from "@eventlake/core/compaction/layout";
import { STAGES } from "@eventlake/core/stage-config";
import { runCompaction } from "@eventlake/adapters/compaction/executor";
import { MIN_PART_BYTES } from "@eventlake/adapters/compaction/output-sink";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PARTITION, startTestLake, type TestLake } from "../helpers/compaction-lake";

const config = { ...runConfigFromSettings(STAGES.dev.compaction), settleMs: 0, lookbackDays: 0 };
let lake: TestLake;

beforeAll(async () => {
  lake = await startTestLake("compaction");
});
afterAll(async () => {
  await lake.close();
});

const key = (partition: string, batch: number) => `${partition}part-${String(batch).padStart(10, "0")}-0.parquet`;

describe("compaction executor (parquet-wasm over the S3 adapter, local S3, DuckDB as the reader)", () => {
  it("merges a partition's small files into one file with the same schema, timestamp unit and rows", async () => {
    const inputs = [1, 2, 3, 4, 5].map((b) => key(PARTITION, b));
    for (const [i, k] of inputs.entries()) await lake.putCurated(k, 300 + i * 37, 100 + i);
    const before = await lake.readerChecksum();
    const typesBefore = await lake.parquet.describe(lake.fileOf(inputs[0]!));

    const report = await runCompaction({ store: lake.store, config, runId: "t1" });

    expect(report.failures).toEqual([]);
    expect(report.merges).toHaveLength(1);
    const output = compactedKey(PARTITION, inputs);
    expect(report.merges[0]).toMatchObject({ output, inputs: 5, rows: before.rows, result: "merged" });
    expect(await lake.visibleKeys()).toEqual([output]);
    expect(await lake.intents()).toEqual([]);
    expect(await lake.readerChecksum()).toEqual(before);
    const typesAfter = await lake.parquet.describe(lake.fileOf(output));
    expect(typesAfter.columns).toEqual(typesBefore.columns);
    expect(typesAfter.leaves).toEqual(typesBefore.leaves);
    // Every timestamp column stays INT64 microseconds, UTC-adjusted.
    const timestamps = typesAfter.leaves.filter((l) => l.includes("Timestamp"));
    expect(timestamps.length).toBeGreaterThanOrEqual(5);
    for (const t of timestamps) expect(t).toMatch(/:INT64:TIMESTAMP_MICROS:.*isAdjustedToUTC=1.*MICROS=MicroSeconds\(\)/);
    // Sub-millisecond values survive (a millisecond writer would have cut them).
    const [micros] = await lake.parquet.query(
      `SELECT count(*)::BIGINT AS n FROM read_parquet('${lake.fileOf(output)}') WHERE epoch_us(received_at) % 1000 <> 0`,
    );
    expect(Number(micros!.n)).toBeGreaterThan(0);
    const [codec] = await lake.parquet.query(`SELECT DISTINCT compression FROM parquet_metadata('${lake.fileOf(output)}')`);
    expect(codec!.compression).toBe("ZSTD");
  });

  it("streams a larger merge: inputs staged in local files and read by range, output in multipart parts", async () => {
    const p = PARTITION.replace("day=05", "day=09");
    const inputs = [1, 2, 3, 4].map((b) => key(p, b));
    for (const [i, k] of inputs.entries()) await lake.putCurated(k, 22_000, 300 + i);
    const before = await lake.readerChecksum(p);
    const report = await runCompaction({
      store: lake.store,
      config,
      runId: "large",
      // Every input through the on-disk path; small row groups and S3's smallest part size, so the ~7 MB output
      // is encoded row group by row group and uploaded in more than one part.
      tuning: { memoryInputBytes: 0, partBytes: MIN_PART_BYTES, maxRowGroupRows: 16_384 },
    });
    expect(report.failures).toEqual([]);
    const merge = report.merges.find((m) => m.partition === p)!;
    expect(merge.parts).toBeGreaterThanOrEqual(2);
    expect(merge.bytesOut).toBeGreaterThan(MIN_PART_BYTES);
    expect(await lake.visibleKeys(p)).toEqual([compactedKey(p, inputs)]);
    expect(await lake.readerChecksum(p)).toEqual(before);
    const [groups] = await lake.parquet.query(`SELECT count(DISTINCT row_group_id)::BIGINT AS n FROM parquet_metadata('${lake.fileOf(merge.output)}')`);
    expect(Number(groups!.n)).toBe(Math.ceil(before.rows / 16_384));
  }, 120_000);

  it("leaves unsettled partitions and other keys alone, and never deletes what is not in its plan", async () => {
    const settled = PARTITION.replace("event_type=track", "event_type=page");
    const fresh = PARTITION.replace("event_type=track", "event_type=identify");
    await lake.putCurated(key(settled, 1), 200, 1);
    await lake.putCurated(key(settled, 2), 200, 2);
    await lake.putBytes(`${settled}_SUCCESS`, new Uint8Array(0));
    await lake.putBytes(`${settled}notes.txt`, "not data");
    // The clock the run sees: `settled` was last written a settle age ago, `fresh` after that (over a second later,
    // whatever the store's timestamp resolution). No dependence on how fast this machine is.
    const t0 = Date.now();
    const settleMs = 10 * 60_000;
    const now = () => new Date(t0 + settleMs);
    await new Promise((r) => setTimeout(r, 1_100));
    await lake.putCurated(key(fresh, 1), 200, 3);
    await lake.putCurated(key(fresh, 2), 200, 4);
    const before = await lake.readerChecksum();
    const report = await runCompaction({ store: lake.store, config: { ...config, settleMs }, now, runId: "t2" });
    expect(report.failures).toEqual([]);
    expect(report.merges.map((m) => m.partition)).toEqual([settled]);
    const after = await lake.visibleKeys();
    expect(after.filter((k) => k.startsWith(settled))).toHaveLength(1);
    expect(after.filter((k) => k.startsWith(fresh))).toHaveLength(2);
    expect(await lake.objects.get(`${settled}_SUCCESS`)).toBeDefined();
    expect(await lake.objects.get(`${settled}notes.txt`)).toBeDefined();
    expect(await lake.readerChecksum()).toEqual(before);

    // A fresh writer file makes the partition unsettled again: nothing happens to it.
    await lake.putCurated(key(settled, 3), 50, 5);
    const second = await runCompaction({ store: lake.store, config: { ...config, settleMs }, now, runId: "t3" });
    expect(second.merges.filter((m) => m.partition === settled)).toEqual([]);
  });

  it("merges only the inputs that share a schema (additive evolution), and reports the rest", async () => {
    const p = PARTITION.replace("day=05", "day=06");
    await lake.putCurated(key(p, 1), 100, 11);
    await lake.putCurated(key(p, 2), 100, 12);
    // A file with an extra column (an additive schema change).
    const odd = `/tmp/eventlake-odd-${process.pid}.parquet`;
    await lake.parquet.query(`COPY (SELECT *, 'v2' AS added FROM read_parquet('${lake.fileOf(key(p, 1))}')) TO '${odd}' (FORMAT parquet)`);
    await lake.putBytes(key(p, 3), new Uint8Array(await import("node:fs").then((fs) => fs.readFileSync(odd))));
    const before = await lake.readerChecksum();
    const report = await runCompaction({ store: lake.store, config, runId: "t4" });
    expect(report.failures).toEqual([]);
    const merge = report.merges.find((m) => m.partition === p);
    expect(merge).toMatchObject({ inputs: 2, output: compactedKey(p, [key(p, 1), key(p, 2)]) });
    expect((await lake.visibleKeys()).filter((k) => k.startsWith(p))).toEqual([key(p, 3), merge!.output].sort());
    expect(await lake.readerChecksum()).toEqual(before);
  });

  it("fails a merge with a corrupt input without losing a row or stopping the run (parquet-wasm's panic stays in its worker)", async () => {
    const p = PARTITION.replace("day=05", "day=07");
    const q = PARTITION.replace("day=05", "day=08");
    await lake.putCurated(key(p, 1), 400, 21);
    await lake.putCurated(key(p, 2), 400, 22);
    await lake.putCurated(key(q, 1), 100, 23);
    await lake.putCurated(key(q, 2), 100, 24);
    // Corrupt the middle of p's second file (its footer stays valid: the damage shows only while decoding).
    const good = (await lake.objects.get(key(p, 2)))!;
    const bad = new Uint8Array(good);
    bad.fill(0x5a, 64, Math.min(bad.length - 2_000, 6_000));
    await lake.putBytes(key(p, 2), bad);
    const report = await runCompaction({ store: lake.store, config, runId: "t5" });
    expect(report.failures).toEqual([{ subject: expect.stringContaining(p), stage: "merge", error: expect.any(String) }]);
    expect(report.merges.map((m) => m.partition)).toContain(q);
    // Nothing of p was touched, and its intent was rolled back.
    expect((await lake.visibleKeys()).filter((k) => k.startsWith(p))).toEqual([key(p, 1), key(p, 2)]);
    expect(await lake.intents()).toEqual([]);
  });
});
