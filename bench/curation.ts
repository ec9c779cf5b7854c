/**
 * Curation throughput of the local engine (the curator's: load the micro-batch, run the contract's compiled
 * DuckDB SQL, write curated/quarantine/aggregates Parquet with Hive partitions, commit the state) against DuckDB's
 * direct NDJSON -> Parquet COPY of the same rows (read_json with schema detection, zstd). Same records, same
 * process, same DuckDB thread count, runs interleaved; the median of the runs is reported.
 *
 * The records are what the ingest path puts on the stream (the real parse/plan code): realistic clickstream with
 * 2% invalid events (bad rows) and 1% resent duplicates.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { DEFAULT_INGEST_CONFIG } from "@eventlake/core/ingest/config";
import { newMessageId } from "@eventlake/core/ingest/message-id";
import { parseRequestBody, planIngest } from "@eventlake/core/ingest/request";
import { createSchemaRegistry } from "@eventlake/core/ingest/schema-registry";
import { buildGlueJobPlan, glueJobPlanJson } from "@eventlake/core/glue/job-plan";
import { CurationEngine, type RawRecord } from "@eventlake/local/curator/engine";
import { GLUE_PYTHON, sparkJobInstalled } from "@eventlake/local/curator/spark-job";
import { ClickstreamGenerator } from "@eventlake/local/loadgen/clickstream";

/** Set to 0 to leave the Spark run out (it takes about a minute). */
const SPARK_SWITCH = "EVENTLAKE_BENCH_SPARK";
const sparkTurnedOff = () => process.env[SPARK_SWITCH] === "0";

export interface CurationBench {
  records: number;
  meanRecordBytes: number;
  threads: number;
  runs: number;
  /** Median wall time (ms) and the CPU time of that run (ms). */
  engine: { wallMs: number; cpuMs: number; loadMs: number; sqlMs: number; writeMs: number; commitMs: number; curated: number; quarantined: number; duplicates: number };
  copy: { wallMs: number; cpuMs: number };
  /** The same COPY into the curated table's Hive partitions (for reference). */
  copyPartitioned: { wallMs: number; cpuMs: number };
  /** copy time / engine time: the engine's throughput as a share of the COPY's. */
  ratio: number;
  cpuRatio: number;
  /** The Glue job's engine (glue/local/bench_curation.py, local Spark) on the same records; undefined when not installed. */
  spark?: SparkCurationBench;
}

export interface SparkCurationBench {
  sparkVersion: string;
  runs: number;
  wallMs: number;
  loadMs: number;
  stats: Record<string, number>;
}

/**
 * The same records through the Glue job's own engine in local-mode Spark (2 cores): informative only, Spark's fixed
 * costs per statement dominate small batches and a Glue worker is not this machine.
 */
export function benchSparkCuration(lines: Buffer[], runs: number, root: string): SparkCurationBench | undefined {
  if (!sparkJobInstalled()) return undefined;
  const input = join(root, "records.b64");
  const plan = join(root, "plan.json");
  writeFileSync(input, lines.map((l) => l.toString("base64")).join("\n"));
  writeFileSync(plan, glueJobPlanJson(buildGlueJobPlan()));
  const result = spawnSync(GLUE_PYTHON, ["-B", join(import.meta.dirname, "..", "glue", "local", "bench_curation.py"), input, String(runs), plan], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`bench_curation.py failed (${result.status ?? result.signal}):\n${result.stderr.slice(-4000)}`);
  const line = result.stdout.trim().split("\n").pop()!;
  return JSON.parse(line) as SparkCurationBench;
}

/** The stream records for `count` events: canonical events and bad rows as the ingest path writes them. */
export function streamRecords(count: number, options: { invalidRatio?: number; duplicateRatio?: number; seed?: number } = {}): Buffer[] {
  const generator = new ClickstreamGenerator({ seed: options.seed ?? 11, invalidRatio: options.invalidRatio ?? 0.02, users: 5_000 });
  const schemas = createSchemaRegistry([]);
  const out: Buffer[] = [];
  const receivedAtMs = Date.now();
  while (out.length < count) {
    const batch = Array.from({ length: Math.min(500, count - out.length) }, () => generator.next().event);
    const parsed = parseRequestBody("batch", JSON.stringify({ batch }), "application/json", DEFAULT_INGEST_CONFIG);
    const plan = planIngest(parsed, { route: "batch", endpoint: "/v1/batch", sourceId: "bench", receivedAtMs, config: DEFAULT_INGEST_CONFIG, schemas, newMessageId });
    for (const r of plan.records) out.push(Buffer.from(r.data));
  }
  // Resent events (a client retrying after a 503): the same records again.
  const duplicates = Math.floor(count * (options.duplicateRatio ?? 0.01));
  for (let i = 0; i < duplicates; i++) out[count - 1 - i] = out[i * 7]!;
  return out;
}

const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

async function runEngine(records: RawRecord[], dir: string, threads: number) {
  const engine = await CurationEngine.open(join(dir, "state.duckdb"), { threads });
  try {
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    const stats = await engine.runBatch(0, new Date(), records);
    const t1 = performance.now();
    await engine.writeOutputs(join(dir, "out"));
    const t2 = performance.now();
    await engine.commit();
    const t3 = performance.now();
    return { wallMs: t3 - t0, cpuMs: cpuMs(cpu), sqlMs: t1 - t0, writeMs: t2 - t1, commitMs: t3 - t2, stats };
  } finally {
    engine.close();
  }
}

async function runCopy(ndjson: string, dir: string, threads: number, partitioned = false) {
  const instance = await DuckDBInstance.create(":memory:", { threads: String(threads) });
  const connection = await instance.connect();
  try {
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    const read = `read_json('${ndjson}', format = 'newline_delimited')`;
    await connection.run(
      partitioned
        ? // The same Hive layout as the curated table, from the record's own timestamp and type.
          `COPY (SELECT *, strftime(TRY_CAST("timestamp" AS TIMESTAMP), '%Y') AS year, strftime(TRY_CAST("timestamp" AS TIMESTAMP), '%m') AS month,
            strftime(TRY_CAST("timestamp" AS TIMESTAMP), '%d') AS day, "type" AS event_type FROM ${read})
           TO '${join(dir, "copy")}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (year, month, day, event_type))`
        : `COPY (SELECT * FROM ${read}) TO '${join(dir, "copy.parquet")}' (FORMAT parquet, COMPRESSION zstd)`,
    );
    return { wallMs: performance.now() - t0, cpuMs: cpuMs(cpu) };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Loading alone (the engine's loadRecords: data chunks into DuckDB), to show where the engine's time goes. */
async function loadOnly(records: RawRecord[], threads: number) {
  const engine = await CurationEngine.open(":memory:", { threads });
  try {
    const t0 = performance.now();
    await engine.loadRecords(records);
    return performance.now() - t0;
  } finally {
    engine.close();
  }
}

const median = <T>(xs: T[], key: (x: T) => number) => [...xs].sort((a, b) => key(a) - key(b))[Math.floor(xs.length / 2)]!;

export async function benchCuration(options: { records?: number; runs?: number; threads?: number } = {}): Promise<CurationBench> {
  const count = options.records ?? 200_000;
  const runs = options.runs ?? 3;
  const threads = options.threads ?? 1;
  const lines = streamRecords(count);
  const root = mkdtempSync(join(tmpdir(), "eventlake-bench-curation-"));
  try {
    const ndjson = join(root, "records.ndjson");
    writeFileSync(ndjson, Buffer.concat(lines.flatMap((l) => [l, Buffer.from("\n")])));
    const arrival = new Date();
    const records: RawRecord[] = lines.map((data) => ({ data, arrivalTime: arrival }));
    // Warm-up (DuckDB extensions, JIT), not measured.
    await runEngine(records.slice(0, 2_000), mkdtempSync(join(root, "warm-")), threads);
    await runCopy(ndjson, mkdtempSync(join(root, "warm-")), threads);
    const engineRuns = [];
    const copyRuns = [];
    const partitionedRuns = [];
    const loads = [];
    for (let i = 0; i < runs; i++) {
      engineRuns.push(await runEngine(records, mkdtempSync(join(root, "engine-")), threads));
      copyRuns.push(await runCopy(ndjson, mkdtempSync(join(root, "copy-")), threads));
      partitionedRuns.push(await runCopy(ndjson, mkdtempSync(join(root, "copy-")), threads, true));
      loads.push(await loadOnly(records, threads));
    }
    // One Spark run by default: it is informative only, and one run of 200k records takes about 1.5 minutes here.
    const sparkRuns = Number(process.env.EVENTLAKE_BENCH_SPARK_RUNS) || 1;
    const spark = sparkTurnedOff() ? undefined : benchSparkCuration(lines, sparkRuns, root);
    const e = median(engineRuns, (r) => r.wallMs);
    const c = median(copyRuns, (r) => r.wallMs);
    const loadMs = median(loads, (x) => x);
    return {
      records: count,
      meanRecordBytes: lines.reduce((a, l) => a + l.length, 0) / count,
      threads,
      runs,
      engine: {
        wallMs: e.wallMs,
        cpuMs: e.cpuMs,
        loadMs,
        sqlMs: e.sqlMs - loadMs,
        writeMs: e.writeMs,
        commitMs: e.commitMs,
        curated: e.stats.curated,
        quarantined: e.stats.quarantined,
        duplicates: e.stats.duplicates,
      },
      copy: c,
      copyPartitioned: median(partitionedRuns, (r) => r.wallMs),
      ratio: c.wallMs / e.wallMs,
      cpuRatio: c.cpuMs / e.cpuMs,
      ...(spark ? { spark } : {}),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Prints the section of `npm run bench`. */
export async function printCurationBench(log: (line: string) => void = console.log): Promise<CurationBench> {
  const f = (x: number, digits = 0) => x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const r = await benchCuration({ records: Number(process.env.EVENTLAKE_BENCH_CURATION_RECORDS) || undefined, threads: Number(process.env.EVENTLAKE_BENCH_THREADS) || undefined });
  const perSec = (ms: number) => f((r.records / ms) * 1000);
  log(`3. Curation throughput: the local engine against DuckDB's direct NDJSON -> Parquet COPY of the same rows`);
  log(`   ${f(r.records)} stream records (~${f(r.meanRecordBytes)} B; 2% bad rows, 1% duplicates), DuckDB threads=${r.threads}, median of ${r.runs}`);
  log(`   engine   ${f(r.engine.wallMs)} ms  (${perSec(r.engine.wallMs)} records/s; CPU ${f(r.engine.cpuMs)} ms)  -> ${f(r.engine.curated)} curated, ${f(r.engine.quarantined)} quarantined, ${f(r.engine.duplicates)} duplicates`);
  log(`            load ${f(r.engine.loadMs)} ms, statements ${f(r.engine.sqlMs)} ms, Parquet COPY (partitioned) ${f(r.engine.writeMs)} ms, state commit ${f(r.engine.commitMs)} ms`);
  log(`   COPY     ${f(r.copy.wallMs)} ms  (${perSec(r.copy.wallMs)} records/s; CPU ${f(r.copy.cpuMs)} ms)`);
  log(`   COPY into year/month/day/event_type partitions: ${f(r.copyPartitioned.wallMs)} ms (engine at ${f(r.copyPartitioned.wallMs / r.engine.wallMs, 2)} of it)`);
  if (r.spark) {
    log(
      `   Spark    ${f(r.spark.wallMs)} ms  (${perSec(r.spark.wallMs)} records/s; load ${f(r.spark.loadMs)} ms)  -> ${f(r.spark.stats.curated ?? 0)} curated, ${f(r.spark.stats.quarantined ?? 0)} quarantined: the Glue job's engine, local Spark ${r.spark.sparkVersion} on this machine, ${r.spark.runs === 1 ? "one run" : `median of ${r.spark.runs}`} (informative; ${f(r.spark.wallMs / r.engine.wallMs, 1)}x the DuckDB engine's time)`,
    );
  } else if (sparkTurnedOff()) log(`   Spark    skipped: turned off (${SPARK_SWITCH}=0)`);
  else log("   Spark    skipped: the local Spark environment is not installed (`node scripts/glue-env.mjs`; needs python3 and java)");
  log(`   ratio    ${f(r.ratio, 2)} of the COPY's throughput (CPU: ${f(r.cpuRatio, 2)}) (target: at least 0.6) ${r.ratio >= 0.6 ? "PASS" : "MISS"}`);
  return r;
}
