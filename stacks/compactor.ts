/**
 * The compactor: functions/compactor.ts on an EventBridge Scheduler schedule (sst.aws.CronV2, `schedules.compactor`,
 * hourly by default), merging the small Parquet files of settled curated partitions (ARCHITECTURE.md "Compaction").
 *
 * Packaging: parquet-wasm runs in a worker thread (packages/adapters/src/compaction/parquet-worker.mjs, plain
 * JavaScript), so the package ships that script next to the bundle and installs parquet-wasm itself
 * (`nodejs.install`: its .wasm file is loaded from the package at run time and cannot be bundled).
 *
 * IAM, exactly the calls it makes, derived from its call list (packages/core/src/aws-calls/functions.ts,
 * `Compactor`): s3:ListBucket on the lake, unconditioned (it lists curated/ and heads merge outputs before they
 * exist: S3 answers a missing key with 404 only to a caller allowed ListBucket on the bucket); s3:GetObject (GetObject, HeadObject), s3:PutObject
 * (PutObject, the multipart calls) and s3:DeleteObject (DeleteObjects) under curated/; s3:AbortMultipartUpload under
 * curated/ (a failed merge drops its upload). Nothing else: no other prefix, no other bucket, no link.
 *
 * Size, from measurements (bench/compaction.ts, `npm run bench`; 2-core x86 dev machine, Node 20, shared and loaded):
 * - Memory is bounded by design, not by the data: inputs are fetched one at a time, decoded a record batch at a
 *   time, encoded into row groups of at most 128 Ki rows, uploaded in 8 MiB parts with one in flight. Peak RSS of
 *   the whole process (main thread, worker thread, wasm memory), merging realistic curated rows:
 *     200 files / 1M rows / 78 MB -> 1 file (8 parts):    390 MB peak, wasm memory 90 MB
 *     400 files / 2M rows / 156 MB -> 2 files (17 parts): 405 MB peak, wasm memory 90 MB  (data x2, memory +4%)
 *   (DuckDB's own merge of the same files, threads=1, memory_limit=256MB: 325 MB and 363 MB.)
 * - CPU is what limits a run: 11.0 s of CPU for 78 MB and 20.0 s for 156 MB (~7 MB of input per CPU-second: zstd
 *   decode and encode, plus CRC32 of the S3 bodies), against DuckDB's 6.0 s / 9.3 s (1.85x-2.15x). Lambda allots CPU
 *   in proportion to memory (1,769 MB = one vCPU), and for CPU-bound code the price per unit of work is the same at
 *   any size, so the function gets 1,769 MB: a full vCPU for the main thread (S3 I/O) and the worker (Parquet),
 *   and ~4.4x the measured peak as headroom.
 * - Work per run: at ~5 MB/s (Graviton assumed slower than the dev machine), half the 870 s left after the 30 s
 *   reserve merges ~2.1 GB: compaction.maxMbPerRun = 2,048. No merge starts that would not finish before the
 *   deadline at a pessimistic 2 MiB/s (DEFAULT_TUNING.bytesPerSecondEstimate); the next hourly run continues, and
 *   CompactionDeferredBytes shows a lake growing faster than that.
 * - Timeout: the maximum (900 s), so a run is limited by its budget, never cut mid-merge.
 * - Ephemeral storage: the minimum (512 MB). Inputs above 8 MiB are staged in /tmp, at most two at a time (the one
 *   being read and the next), each under compaction.smallFileMb (96 MB): <= 192 MB. The benchmark's inputs (~390 KB
 *   each) never touch /tmp.
 */
import adapters from "../packages/adapters/package.json";
import { compactionSetting, compactorFunction } from "@eventlake/core/functions/compactor";
import { scheduledEventInput } from "@eventlake/core/schedule";
import { accountValues, grantsFromCalls } from "./iam";
import type { Lake } from "./lake";
import { logRetention, type Stage } from "./stage";

/** Where the worker script goes in the function package (the handler finds it through its `parquetWorker` setting). */
export const PARQUET_WORKER_FILE = "parquet-worker.mjs";

export interface CompactorDeps {
  lake: Lake;
}

export function createCompactor(stage: Stage, { lake }: CompactorDeps) {
  const { compaction } = stage.config;
  const cron = new sst.aws.CronV2(compactorFunction.id, {
    schedule: stage.config.schedules.compactor as `rate(${string})`,
    event: scheduledEventInput(compactorFunction.schedule!),
    function: {
      description: `eventlake ${stage.name}: merges small curated Parquet files`,
      handler: compactorFunction.handler,
      runtime: "nodejs22.x",
      architecture: "arm64",
      memory: `${compaction.memoryMb} MB`,
      timeout: `${compaction.timeoutSeconds} seconds`,
      storage: `${compaction.ephemeralStorageMb} MB`,
      logging: { retention: logRetention(compaction.logRetentionDays) },
      nodejs: { install: { "parquet-wasm": adapters.dependencies["parquet-wasm"] } },
      copyFiles: [{ from: "packages/adapters/src/compaction/parquet-worker.mjs", to: PARQUET_WORKER_FILE }],
      environment: compactorFunction.toEnv<$util.Input<string>>({
        lakeBucket: lake.lake.name,
        parquetWorker: PARQUET_WORKER_FILE,
        compaction: compactionSetting(compaction),
        metricsNamespace: stage.metricsNamespace,
        logLevel: "INFO",
        logEvent: "false",
      }),
      permissions: grantsFromCalls(compactorFunction.calls, { ...accountValues(), lakeBucket: lake.lake.name }),
    },
  });
  return { cron, function: cron.nodes.function };
}

export type Compactor = ReturnType<typeof createCompactor>;
