/**
 * One side of the compaction benchmark, in its own process so that its peak memory is its own (VmHWM):
 * - `executor`: the Lambda's code path (runCompaction over the S3 adapter, parquet-wasm in its worker thread)
 *   against the parent's local S3 (env S3_ENDPOINT, BUCKET; settle 0, the whole table);
 * - `duckdb`: DuckDB's merge of the same files (env FILES: a JSON list of local paths, OUT), one thread and a
 *   memory limit (env DUCKDB_MEMORY_LIMIT), the same codec.
 * Prints one JSON line: { ms, cpuMs (all threads of the process), peakRssBytes, ... }.
 */
import { readFileSync } from "node:fs";

function peakRssBytes(): number {
  // VmHWM: the process's peak resident set (all threads, wasm memory included).
  const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

const mode = process.argv[2];
if (mode === "executor") {
  const { runCompaction } = await import("@eventlake/adapters/compaction/executor");
  const { S3CompactionStore } = await import("@eventlake/adapters/compaction/s3-compaction-store");
  const { S3ObjectStore } = await import("@eventlake/adapters/s3-object-store");
  const { runConfigFromSettings } = await import("@eventlake/core/compaction/config");
  const { STAGES } = await import("@eventlake/core/stage-config");
  const objects = new S3ObjectStore({ bucket: process.env.BUCKET!, target: { region: "us-east-1", endpoint: process.env.S3_ENDPOINT! } });
  const started = performance.now();
  const cpu = process.cpuUsage();
  const report = await runCompaction({
    store: new S3CompactionStore(objects),
    config: { ...runConfigFromSettings(STAGES.prod.compaction), settleMs: 0, lookbackDays: 0 },
  });
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  objects.destroy();
  console.log(JSON.stringify({ ms, cpuMs: (used.user + used.system) / 1000, peakRssBytes: peakRssBytes(), merges: report.merges, failures: report.failures }));
} else if (mode === "duckdb") {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const files = JSON.parse(process.env.FILES!) as string[];
  const instance = await DuckDBInstance.create(":memory:", { threads: "1", memory_limit: process.env.DUCKDB_MEMORY_LIMIT ?? "256MB" });
  const connection = await instance.connect();
  const list = files.map((f) => `'${f}'`).join(",");
  const started = performance.now();
  const cpu = process.cpuUsage();
  await connection.run(`COPY (SELECT * FROM read_parquet([${list}])) TO '${process.env.OUT}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 131072)`);
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  console.log(JSON.stringify({ ms, cpuMs: (used.user + used.system) / 1000, peakRssBytes: peakRssBytes() }));
  connection.closeSync();
  instance.closeSync();
} else {
  throw new Error(`usage: compaction-child.ts executor|duckdb`);
}
