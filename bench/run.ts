/**
 * `npm run bench`: every performance figure of SPEC section 9 that exists so far, each measured side by side with
 * its baseline in this one run and printed as a ratio. Not part of `npm test` (timings are noisy on shared machines).
 */
import { benchIngestCpu } from "./ingest-cpu";
import { benchShardEfficiency } from "./shard-efficiency";

const f = (x: number, digits = 0) => x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

console.log(`eventlake benchmarks — node ${process.version}, ${new Date().toISOString()}\n`);

const cpu = await benchIngestCpu();
console.log("1. Ingest handler CPU per event (500-event Segment batches, stream client stubbed at the network boundary)");
console.log(`   event size ~${f(cpu.eventBytes)} B`);
console.log(`   handler  ${f(cpu.handlerMicrosPerEvent, 2)} µs/event`);
console.log(`   floor    ${f(cpu.floorMicrosPerEvent, 2)} µs/event (JSON.parse + JSON.stringify of the same body)`);
console.log(`   ratio    ${f(cpu.ratio, 2)}x the floor (target: within 3x) ${cpu.ratio <= 3 ? "PASS" : "MISS"}\n`);

console.log("2. Shard efficiency at Kinesis's write limits (1 MiB/s, 1,000 records/s per shard)");
console.log("   event B  users/batch  events/shard-s plain  aggregated  (of byte-limit ideal)  PUT units/M plain  aggregated");
for (const row of benchShardEfficiency()) {
  const share = row.aggregated.eventsPerShardSecond / row.idealByBytes;
  console.log(
    `   ${String(row.eventBytes).padStart(7)}  ${String(row.usersPerBatch).padStart(11)}  ${f(row.plain.eventsPerShardSecond).padStart(20)}  ${f(row.aggregated.eventsPerShardSecond).padStart(10)}  ${`(${f(share * 100, 1)}%)`.padStart(21)}  ${f(row.plain.putUnitsPerMillion).padStart(17)}  ${f(row.aggregated.putUnitsPerMillion).padStart(10)}`,
  );
}
console.log("   target: with aggregation within 10% of the byte limit for 200 B events (one user per batch, as SDKs batch)");
