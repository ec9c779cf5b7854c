/**
 * The local curator: the Glue streaming job's stand-in. Every window it reads the stream from its own checkpoint
 * (per shard, independent of the raw archive), runs the contract's compiled DuckDB SQL over the micro-batch, writes
 * curated events, quarantined records and finished aggregates as Parquet into the lake bucket through the S3 API,
 * and commits.
 *
 * Commit protocol (kill -9 at any point leaves every valid event curated exactly once):
 *   1. plan: read the batch from the committed positions; record the batch (id = next id, processing time, and per
 *      shard the range after -> through) in the state database, durably, before anything is written;
 *   2. run the statements; write every output file under a name derived from the batch id
 *      (`part-<batchId>-<n>.parquet`); each PUT is durable when answered;
 *   3. commit, in ONE DuckDB transaction: the next dedup state, aggregate state and watermark, the shard positions
 *      (through), the next batch id, and the removal of the recorded batch.
 *   On start, a recorded batch (a crash between 1 and 3) is re-read exactly from its ranges and re-run with the same
 *   id, processing time and prior state, so it rewrites the same files with the same rows: a replayed batch
 *   overwrites, never duplicates. Stale files of that batch id in the partitions it writes are removed too.
 */
import { appendFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { timestampTZValue } from "@duckdb/node-api";
import { clientConfig } from "@eventlake/adapters/aws-config";
import { S3ObjectStore } from "@eventlake/adapters/s3-object-store";
import { CUSTOM_METRICS } from "@eventlake/core/alarms/catalog";
import { parseDataFileName } from "@eventlake/core/curation/contract";
import { metricsNamespace } from "@eventlake/core/stage-config";
import { LOCAL_CURATION_JOB, writeFileAtomic } from "../local-config";
import { publishLocalMetrics } from "../metrics/publish";
import type { LocalComponent, PipelineContext } from "../pipeline-context";
import { CurationEngine, type BatchStats, type CommitStatement, type RawRecord } from "./engine";
import { StreamRangeReader, type ShardPosition, type ShardRange } from "./stream-ranges";
import { LOCAL_VARIABLES } from "../local-config";

export interface CuratorOptions {
  /** Micro-batch window (default: the stage's curation.windowSeconds; env EVENTLAKE_CURATOR_WINDOW_MS overrides). */
  windowMs?: number;
  /** User records per batch at most (more waiting: the next batch starts at once). */
  maxRecordsPerBatch?: number;
  /** DuckDB threads (default 1). */
  threads?: number;
}

export interface CuratorStatus {
  /** Batches committed since the state was created. */
  batchesCommitted: number;
  lastBatch?: { batchId: number; committedAt: string; stats: BatchStats; files: number };
  totals: { records: number; curated: number; duplicates: number; quarantined: number };
  /** False when the last read stopped at the budget (a backlog remains). */
  caughtUp: boolean;
  updatedAt: string;
}

export const CURATOR_DIR = "curator";
export const curatorStatusPath = (dataDir: string) => join(dataDir, CURATOR_DIR, "status.json");
/**
 * One JSON line per committed batch ({batchId, readStartedAt, committedAt, records, curated}), appended after the commit: when a
 * batch's rows became queryable (freshness is measured from it). Observability only: a kill right after a commit
 * can leave that batch's line out, and a re-run batch is not listed twice (it is listed when it commits).
 */
export const curatorCommitLogPath = (dataDir: string) => join(dataDir, CURATOR_DIR, "commits.ndjson");

export interface CommitLogEntry {
  batchId: number;
  /** When the batch began reading the stream (its processing time is taken after the read). */
  readStartedAt: string;
  committedAt: string;
  records: number;
  curated: number;
}

export function readCommitLog(dataDir: string): CommitLogEntry[] {
  let text: string;
  try {
    text = readFileSync(curatorCommitLogPath(dataDir), "utf8");
  } catch {
    return [];
  }
  const entries: CommitLogEntry[] = [];
  for (const line of text.split("\n")) {
    try {
      if (line) entries.push(JSON.parse(line) as CommitLogEntry);
    } catch {
      // a line torn by a kill
    }
  }
  return entries;
}

export function readCuratorStatus(dataDir: string): CuratorStatus | undefined {
  try {
    return JSON.parse(readFileSync(curatorStatusPath(dataDir), "utf8")) as CuratorStatus;
  } catch {
    return undefined;
  }
}

const SETUP = [
  "CREATE TABLE IF NOT EXISTS curator_shards (shard_id VARCHAR NOT NULL, sequence_number VARCHAR, finished BOOLEAN NOT NULL)",
  "CREATE TABLE IF NOT EXISTS curator_meta (next_batch_id BIGINT NOT NULL, records BIGINT NOT NULL, curated BIGINT NOT NULL, duplicates BIGINT NOT NULL, quarantined BIGINT NOT NULL)",
  "CREATE TABLE IF NOT EXISTS curator_pending (batch_id BIGINT NOT NULL, processing_time TIMESTAMPTZ NOT NULL, shard_id VARCHAR NOT NULL, after_sequence VARCHAR, through_sequence VARCHAR, finishes BOOLEAN NOT NULL)",
];

/**
 * Fault injection for the crash tests (a kill at an exact point of the commit protocol, which a real kill cannot aim
 * at): EVENTLAKE_CURATOR_CRASH_AT="<point>:<batchId>" kills this process with SIGKILL when batch <batchId> reaches
 * <point> ("planned": recorded, nothing written; "wrote-one": one output file written; "uploaded": every file written,
 * not committed). Never set outside tests.
 */
function crashPoint(point: "planned" | "wrote-one" | "uploaded", batchId: number) {
  if (process.env[LOCAL_VARIABLES.curatorCrashAt] === `${point}:${batchId}`) process.kill(process.pid, "SIGKILL");
}

interface PendingBatch {
  batchId: number;
  processingTime: Date;
  ranges: ShardRange[];
}

export class LocalCurator {
  private engine!: CurationEngine;
  private readonly kinesis: KinesisClient;
  private readonly store: S3ObjectStore;
  private readonly reader: StreamRangeReader;
  private readonly windowMs: number;
  private readonly budget: number;
  private readonly dir: string;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private failures = 0;

  constructor(
    private readonly ctx: Pick<PipelineContext, "dataDir" | "stage" | "region" | "streamName" | "bucket" | "kinesisEndpoint" | "s3Endpoint" | "log">,
    private readonly options: CuratorOptions = {},
  ) {
    const envWindow = Number(process.env[LOCAL_VARIABLES.curatorWindowMs]);
    this.windowMs = options.windowMs ?? (envWindow > 0 ? envWindow : ctx.stage.curation.windowSeconds * 1000);
    this.budget = options.maxRecordsPerBatch ?? 200_000;
    this.dir = join(ctx.dataDir, CURATOR_DIR);
    this.kinesis = new KinesisClient(clientConfig({ region: ctx.region, endpoint: ctx.kinesisEndpoint }));
    this.store = new S3ObjectStore({ bucket: ctx.bucket, target: { region: ctx.region, endpoint: ctx.s3Endpoint } });
    this.reader = new StreamRangeReader(this.kinesis, ctx.streamName, ctx.log);
  }

  async open(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    // One thread: the curator shares the machine with the rest of the pipeline, and on a busy machine DuckDB's
    // threads cost more CPU than they save (measured: bench/curation.ts).
    this.engine = await CurationEngine.open(join(this.dir, "state.duckdb"), { memoryLimit: "1GB", threads: this.options.threads ?? 1 });
    for (const sql of SETUP) await this.engine.run(sql);
    const meta = await this.engine.query("SELECT count(*) AS n FROM curator_meta");
    if (Number(meta[0]!.n) === 0) await this.engine.run("INSERT INTO curator_meta VALUES (0, 0, 0, 0, 0)");
  }

  /**
   * Runs a batch every window until closed. Windows count from batch START, like Spark's processing-time trigger
   * (Glue's windowSize): a batch that overruns its window is followed at once. Counting from the end instead made
   * batches start every window + read + run, which bench/end-to-end.ts measured as the largest part of freshness.
   */
  start(): void {
    const tick = () => {
      if (this.stopped) return;
      const startedAt = Date.now();
      this.running = this.runOnce()
        .then((more) => {
          this.failures = 0;
          return more;
        })
        .catch((error: unknown) => {
          this.failures++;
          this.ctx.log(`curator: batch failed (will retry): ${(error as Error).message}`);
          return false;
        })
        .then((more) => {
          if (this.stopped) return;
          const delay = more ? 0 : this.failures > 0 ? this.windowMs * Math.min(this.failures + 1, 4) : Math.max(0, this.windowMs - (Date.now() - startedAt));
          this.timer = setTimeout(tick, delay);
        });
    };
    tick();
  }

  private async positions(): Promise<Map<string, ShardPosition>> {
    const rows = await this.engine.query("SELECT shard_id, sequence_number, finished FROM curator_shards");
    return new Map(
      rows.map((r) => {
        const p: ShardPosition = { shardId: String(r.shard_id), finished: r.finished === true };
        if (r.sequence_number !== null) p.sequenceNumber = String(r.sequence_number);
        return [p.shardId, p];
      }),
    );
  }

  private async pending(): Promise<PendingBatch | undefined> {
    const rows = await this.engine.query(
      "SELECT batch_id, epoch_ms(processing_time) AS pt, shard_id, after_sequence, through_sequence, finishes FROM curator_pending ORDER BY shard_id",
    );
    if (rows.length === 0) return undefined;
    return {
      batchId: Number(rows[0]!.batch_id),
      processingTime: new Date(Number(rows[0]!.pt)),
      ranges: rows.map((r) => ({
        shardId: String(r.shard_id),
        ...(r.after_sequence !== null ? { after: String(r.after_sequence) } : {}),
        ...(r.through_sequence !== null ? { through: String(r.through_sequence) } : {}),
        finishes: r.finishes === true,
      })),
    };
  }

  private positionStatements(ranges: readonly ShardRange[]): CommitStatement[] {
    const out: CommitStatement[] = [];
    for (const r of ranges) {
      out.push(["DELETE FROM curator_shards WHERE shard_id = $1", [r.shardId]]);
      out.push(["INSERT INTO curator_shards VALUES ($1, $2, $3)", [r.shardId, r.through ?? r.after ?? null, r.finishes]]);
    }
    return out;
  }

  /** One micro-batch (or the recovery of an interrupted one). Returns true when more records are waiting. */
  async runOnce(): Promise<boolean> {
    const readStartedAt = new Date().toISOString();
    let batch = await this.pending();
    let records: RawRecord[];
    let more = false;
    if (batch) {
      this.ctx.log(`curator: re-running batch ${batch.batchId} (interrupted before its commit)`);
      records = await this.reader.readRanges(batch.ranges);
    } else {
      const read = await this.reader.readNew(await this.positions(), this.budget);
      more = read.more;
      records = read.records;
      if (read.ranges.length === 0) {
        await this.writeStatus({ caughtUp: true });
        return false;
      }
      if (records.length === 0) {
        // Only closed shards read to their end: finish them (nothing is written, so no batch is needed).
        await this.engine.run("BEGIN TRANSACTION");
        for (const [sql, params] of this.positionStatements(read.ranges)) await this.engine.run(sql, params);
        await this.engine.run("COMMIT");
        return true;
      }
      const [meta] = await this.engine.query("SELECT next_batch_id FROM curator_meta");
      batch = { batchId: Number(meta!.next_batch_id), processingTime: new Date(), ranges: read.ranges };
      await this.engine.run("BEGIN TRANSACTION");
      for (const r of batch.ranges) {
        await this.engine.run("INSERT INTO curator_pending VALUES ($1, $2, $3, $4, $5, $6)", [
          BigInt(batch.batchId),
          timestampTZValue(BigInt(batch.processingTime.getTime()) * 1000n),
          r.shardId,
          r.after ?? null,
          r.through ?? null,
          r.finishes,
        ]);
      }
      await this.engine.run("COMMIT");
    }
    crashPoint("planned", batch.batchId);

    const started = Date.now();
    const stats = await this.engine.runBatch(batch.batchId, batch.processingTime, records);
    const tmp = join(this.dir, "tmp", `batch-${batch.batchId}`);
    rmSync(tmp, { recursive: true, force: true });
    let files;
    try {
      files = await this.engine.writeOutputs(tmp);
      await this.upload(batch.batchId, files);
      crashPoint("uploaded", batch.batchId);
      await this.engine.commit([
        ...this.positionStatements(batch.ranges),
        [
          "UPDATE curator_meta SET next_batch_id = $1, records = records + $2, curated = curated + $3, duplicates = duplicates + $4, quarantined = quarantined + $5",
          [BigInt(batch.batchId + 1), BigInt(stats.records), BigInt(stats.curated), BigInt(stats.duplicates), BigInt(stats.quarantined)],
        ],
        ["DELETE FROM curator_pending"],
      ]);
    } catch (error) {
      await this.engine.discard().catch(() => undefined);
      throw error;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    const committedAt = new Date().toISOString();
    const entry: CommitLogEntry = { batchId: batch.batchId, readStartedAt, committedAt, records: stats.records, curated: stats.curated };
    appendFileSync(curatorCommitLogPath(this.ctx.dataDir), `${JSON.stringify(entry)}\n`);
    this.publishMetrics(stats, records);
    this.ctx.log(
      `curator: batch ${batch.batchId}: ${stats.records} records -> ${stats.curated} curated, ${stats.duplicates} duplicates, ` +
        `${stats.quarantined} quarantined, ${stats.aggregates} aggregate windows (read ${started - Date.parse(readStartedAt)} ms, run ${Date.now() - started} ms)`,
    );
    await this.writeStatus({ caughtUp: !more, last: { batchId: batch.batchId, committedAt, stats, files: files.length } });
    return more;
  }

  /**
   * What the Glue job publishes on AWS, under the same names, so the local alarms evaluate the same catalog:
   * EventsCurated / EventsQuarantined (the quarantine-rate alarm) and Glue's maxConsumerLagInMs gauge, here the age of
   * the batch's oldest record when the batch committed (about one window when keeping up; it grows when the curator
   * falls behind or was down).
   */
  private publishMetrics(stats: BatchStats, records: readonly RawRecord[]): void {
    const now = Date.now();
    const m = CUSTOM_METRICS.curation;
    publishLocalMetrics(this.ctx.dataDir, {
      namespace: metricsNamespace("local"),
      dimensions: { service: m.service },
      values: { [m.eventsCurated]: stats.curated, [m.eventsQuarantined]: stats.quarantined },
      unit: "Count",
    });
    if (records.length === 0) return;
    let oldest = Number.POSITIVE_INFINITY;
    for (const r of records) oldest = Math.min(oldest, r.arrivalTime.getTime());
    publishLocalMetrics(this.ctx.dataDir, {
      namespace: "Glue",
      dimensions: { JobName: LOCAL_CURATION_JOB, JobRunId: "ALL", Type: "gauge" },
      values: { "glue.driver.streaming.maxConsumerLagInMs": Math.max(0, now - oldest) },
      unit: "Milliseconds",
    });
  }

  /** PUTs every file (durable when answered), then removes files of the same batch id the run did not write. */
  private async upload(batchId: number, files: Awaited<ReturnType<CurationEngine["writeOutputs"]>>): Promise<void> {
    const written = new Set(files.map((f) => f.key));
    for (const file of files) {
      await this.store.put(file.key, readFileSync(file.path), { contentType: "application/vnd.apache.parquet" });
      crashPoint("wrote-one", batchId);
    }
    const stale: string[] = [];
    for (const prefix of new Set(files.map((f) => f.partitionPrefix))) {
      for await (const o of this.store.list(`${prefix}part-`)) {
        const name = o.key.slice(prefix.length);
        if (parseDataFileName(name)?.batchId === BigInt(batchId) && !written.has(o.key)) stale.push(o.key);
      }
    }
    if (stale.length) await this.store.delete(stale);
  }

  private async writeStatus(update: { caughtUp: boolean; last?: CuratorStatus["lastBatch"] }): Promise<void> {
    const [meta] = await this.engine.query("SELECT * FROM curator_meta");
    const previous = readCuratorStatus(this.ctx.dataDir);
    const status: CuratorStatus = {
      batchesCommitted: Number(meta!.next_batch_id),
      totals: { records: Number(meta!.records), curated: Number(meta!.curated), duplicates: Number(meta!.duplicates), quarantined: Number(meta!.quarantined) },
      caughtUp: update.caughtUp,
      updatedAt: new Date().toISOString(),
    };
    const last = update.last ?? previous?.lastBatch;
    if (last) status.lastBatch = last;
    writeFileAtomic(curatorStatusPath(this.ctx.dataDir), `${JSON.stringify(status, null, 2)}\n`);
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    try {
      await this.engine?.checkpoint();
    } catch {
      // The WAL is replayed on the next open.
    }
    this.engine?.close();
    this.kinesis.destroy();
    this.store.client.destroy();
  }
}

/** The curator as a component of the local pipeline (registered in components.ts). */
export function curatorComponent(options: CuratorOptions = {}): LocalComponent {
  return {
    name: "curator",
    async start(ctx) {
      const curator = new LocalCurator(ctx, options);
      await curator.open();
      curator.start();
      return { close: () => curator.close() };
    },
  };
}
