/**
 * BENCHMARKS.md figure 4: compaction of 200 small files (1M rows) in the Lambda's code path against DuckDB's merge
 * of the same files, side by side (target: within 3x of DuckDB's time, at most 512 MB peak memory). Inputs: realistic curated rows (the contract's columns, JSON properties and context, UUID-like
 * ids, microsecond timestamps) written by DuckDB as the local curator writes them (zstd).
 * - executor: runCompaction (the compactor function's code) reading and writing through the S3 adapter against the
 *   local S3 stand-in (served by this process), parquet-wasm in its worker thread;
 * - baseline: DuckDB `COPY (SELECT * FROM read_parquet([...])) TO ...` with threads=1 and memory_limit=256MB on the
 *   same files read from local disk.
 * Each runs in a fresh child process (bench/compaction-child.ts) that reports its own peak RSS (VmHWM); rounds are
 * interleaved and medians reported. Both outputs are checked to hold exactly the input rows (DuckDB checksum).
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { S3ObjectStore } from "@eventlake/adapters/s3-object-store";
import { startLocalS3 } from "@eventlake/emulators/s3/server";
import { CuratedParquet } from "../test/helpers/curated-parquet";

export interface CompactionBenchResult {
  files: number;
  rows: number;
  inputBytes: number;
  outputBytes: number;
  rounds: number;
  executor: { ms: number; cpuMs: number; peakRssBytes: number; parts: number; merges: number; wasmMemoryBytes: number };
  duckdb: { ms: number; cpuMs: number; peakRssBytes: number };
  /** Wall-time ratio (the figure BENCHMARKS.md targets) and CPU-time ratio (steadier on a shared machine). */
  ratio: number;
  cpuRatio: number;
  rowsMatch: boolean;
}

const CHILD = fileURLToPath(new URL("./compaction-child.ts", import.meta.url));
const BUCKET = "bench-lake";
const PARTITION = "curated/events/year=2024/month=03/day=05/event_type=track/";

function child(mode: string, env: Record<string, string>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", CHILD, mode], {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    p.stdout.on("data", (c: Buffer) => (out += c.toString()));
    p.stderr.on("data", (c: Buffer) => (err += c.toString()));
    p.on("exit", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      if (code !== 0 || !line.startsWith("{")) reject(new Error(`${mode} child failed (${code}): ${err || out}`));
      else resolve(JSON.parse(line) as Record<string, unknown>);
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchCompaction(options: { files?: number; rowsPerFile?: number; rounds?: number } = {}): Promise<CompactionBenchResult> {
  const files = options.files ?? 200;
  const rowsPerFile = options.rowsPerFile ?? 5_000;
  const rounds = options.rounds ?? 3;
  const dir = join(tmpdir(), `eventlake-bench-compaction-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "inputs"), { recursive: true });
  const parquet = await CuratedParquet.open();
  const s3 = await startLocalS3({ rootDir: join(dir, "s3"), buckets: [BUCKET], durable: false });
  const objects = new S3ObjectStore({ bucket: BUCKET, target: { region: "us-east-1", endpoint: s3.endpoint } });
  try {
    const inputs: string[] = [];
    for (let i = 0; i < files; i++) {
      const path = join(dir, "inputs", `part-${String(i).padStart(10, "0")}-0.parquet`);
      await parquet.write(path, { rows: rowsPerFile, seed: i + 1 });
      inputs.push(path);
    }
    const inputBytes = inputs.reduce((s, p) => s + statSync(p).size, 0);
    const expected = await parquet.checksum(inputs);

    const executorRuns: CompactionBenchResult["executor"][] = [];
    const duckdbRuns: CompactionBenchResult["duckdb"][] = [];
    let outputBytes = 0;
    let rowsMatch = true;
    for (let round = 0; round < rounds; round++) {
      // Fresh inputs in the lake (the previous round's merge deleted them).
      const leftovers: string[] = [];
      for await (const o of objects.list("curated/")) leftovers.push(o.key);
      await objects.delete(leftovers);
      for (const path of inputs) await objects.put(`${PARTITION}${path.split("/").pop()}`, readFileSync(path));

      const e = await child("executor", { S3_ENDPOINT: s3.endpoint, BUCKET });
      const merges = e.merges as { output: string; bytesOut: number; parts: number; wasmMemoryBytes?: number }[];
      if ((e.failures as unknown[]).length > 0 || merges.length === 0) throw new Error(`executor run did not merge: ${JSON.stringify(e)}`);
      executorRuns.push({
        ms: e.ms as number,
        cpuMs: e.cpuMs as number,
        peakRssBytes: e.peakRssBytes as number,
        parts: merges.reduce((s, m) => s + m.parts, 0),
        merges: merges.length,
        wasmMemoryBytes: Math.max(...merges.map((m) => m.wasmMemoryBytes ?? 0)),
      });
      outputBytes = merges.reduce((s, m) => s + m.bytesOut, 0);
      const outFiles: string[] = [];
      for (const [i, m] of merges.entries()) {
        const outFile = join(dir, `executor-output-${i}.parquet`);
        writeFileSync(outFile, (await objects.get(m.output))!);
        outFiles.push(outFile);
      }
      const got = await parquet.checksum(outFiles);
      rowsMatch &&= got.rows === expected.rows && got.sum === expected.sum;

      const duckOut = join(dir, "duckdb-output.parquet");
      const d = await child("duckdb", { FILES: JSON.stringify(inputs), OUT: duckOut, DUCKDB_MEMORY_LIMIT: "256MB" });
      duckdbRuns.push({ ms: d.ms as number, cpuMs: d.cpuMs as number, peakRssBytes: d.peakRssBytes as number });
      const dGot = await parquet.checksum([duckOut]);
      rowsMatch &&= dGot.rows === expected.rows && dGot.sum === expected.sum;
    }
    const executor = {
      ms: median(executorRuns.map((r) => r.ms)),
      cpuMs: median(executorRuns.map((r) => r.cpuMs)),
      peakRssBytes: Math.max(...executorRuns.map((r) => r.peakRssBytes)),
      parts: executorRuns[0]!.parts,
      merges: executorRuns[0]!.merges,
      wasmMemoryBytes: Math.max(...executorRuns.map((r) => r.wasmMemoryBytes)),
    };
    const duckdb = {
      ms: median(duckdbRuns.map((r) => r.ms)),
      cpuMs: median(duckdbRuns.map((r) => r.cpuMs)),
      peakRssBytes: Math.max(...duckdbRuns.map((r) => r.peakRssBytes)),
    };
    return { files, rows: expected.rows, inputBytes, outputBytes, rounds, executor, duckdb, ratio: executor.ms / duckdb.ms, cpuRatio: executor.cpuMs / duckdb.cpuMs, rowsMatch };
  } finally {
    objects.destroy();
    await s3.close();
    parquet.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
