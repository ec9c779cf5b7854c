/**
 * `npm run bench`: every performance figure of BENCHMARKS.md (its table lists each with its target), each measured
 * side by side with its baseline in this one run and printed as a ratio. Not part of `npm test` (timings are noisy on shared machines).
 */
import { benchIngestCpu } from "./ingest-cpu";
import { benchShardEfficiency } from "./shard-efficiency";
import { benchCompaction } from "./compaction";
import { printCurationBench } from "./curation";
import { printEndToEndBench } from "./end-to-end";
import { printStateScalingBench } from "./state-scaling";

const f = (x: number, digits = 0) => x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

console.log(`eventlake benchmarks — node ${process.version}, ${new Date().toISOString()}\n`);

const cpu = await benchIngestCpu();
console.log("1. Ingest handler CPU per event (500-event Segment batches, stream client stubbed at the network boundary)");
console.log(`   event size ~${f(cpu.eventBytes)} B`);
console.log(`   handler  ${f(cpu.handlerMicrosPerEvent, 2)} µs/event`);
console.log(`   floor    ${f(cpu.floorMicrosPerEvent, 2)} µs/event (JSON.parse + JSON.stringify of the same body)`);
console.log(`   ratio    ${f(cpu.ratio, 2)}x the floor (target: within 3x) ${cpu.ratio <= 3 ? "PASS" : "MISS"}`);
console.log(
  `   where it goes: core (decode, validate, normalize, encode) ${f(cpu.coreMicrosPerEvent, 2)} µs, KPL aggregation ${f(cpu.aggregationMicrosPerEvent, 2)} µs, AWS SDK PutRecords (JSON/base64 serialization, SigV4) ${f(cpu.sdkMicrosPerEvent, 2)} µs per event\n`,
);

console.log("2. Shard efficiency at Kinesis's write limits (1 MiB/s, 1,000 records/s per shard)");
console.log("   event B  users/batch  events/shard-s plain  aggregated  (of byte-limit ideal)  PUT units/M plain  aggregated");
for (const row of benchShardEfficiency()) {
  const share = row.aggregated.eventsPerShardSecond / row.idealByBytes;
  console.log(
    `   ${String(row.eventBytes).padStart(7)}  ${String(row.usersPerBatch).padStart(11)}  ${f(row.plain.eventsPerShardSecond).padStart(20)}  ${f(row.aggregated.eventsPerShardSecond).padStart(10)}  ${`(${f(share * 100, 1)}%)`.padStart(21)}  ${f(row.plain.putUnitsPerMillion).padStart(17)}  ${f(row.aggregated.putUnitsPerMillion).padStart(10)}`,
  );
}
console.log("   target: with aggregation within 10% of the byte limit for 200 B events (one user per batch, as SDKs batch)");

console.log("");
await printCurationBench();

const mib = (bytes: number) => `${f(bytes / 1024 / 1024)} MB`;
const compaction = await benchCompaction();
console.log("\n4. Compaction in the Lambda's code path (executor over the S3 adapter and the local S3, parquet-wasm in its worker)");
console.log(`   ${f(compaction.files)} files, ${f(compaction.rows)} rows, ${mib(compaction.inputBytes)} -> ${f(compaction.executor.merges)} file(s), ${mib(compaction.outputBytes)}, ${f(compaction.executor.parts)} multipart part(s); median of ${compaction.rounds} interleaved rounds, each side in a fresh process`);
console.log(`   executor ${f(compaction.executor.ms / 1000, 2)} s (CPU ${f(compaction.executor.cpuMs / 1000, 2)} s), peak RSS ${mib(compaction.executor.peakRssBytes)} (wasm memory ${mib(compaction.executor.wasmMemoryBytes)})`);
console.log(`   DuckDB   ${f(compaction.duckdb.ms / 1000, 2)} s (CPU ${f(compaction.duckdb.cpuMs / 1000, 2)} s), peak RSS ${mib(compaction.duckdb.peakRssBytes)} (COPY ... read_parquet, threads=1, memory_limit=256MB)`);
console.log(`   ratio    ${f(compaction.ratio, 2)}x DuckDB's time (CPU ${f(compaction.cpuRatio, 2)}x) (target: within 3x) ${compaction.ratio <= 3 ? "PASS" : "MISS"}`);
console.log(`   memory   ${mib(compaction.executor.peakRssBytes)} peak (target: at most 512 MB) ${compaction.executor.peakRssBytes <= 512 * 1024 * 1024 ? "PASS" : "MISS"}`);
console.log(`   rows     ${compaction.rowsMatch ? "every input row exactly once in both outputs (DuckDB checksum)" : "MISMATCH: an output does not hold exactly the input rows"}`);

console.log("");
await printEndToEndBench();

console.log("");
await printStateScalingBench();
