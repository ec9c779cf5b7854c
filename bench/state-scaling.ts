/**
 * State scaling: the cost of one curator micro-batch with a full window of curation state against the same kind of
 * batch with none, and the bytes of state each batch writes against its own new messageIds (ARCHITECTURE.md,
 * "Curation state").
 *
 * Both sides are the local curator's engine as the curator opens it (a DuckDB state file, threads=1, memory_limit
 * 1GB) running the whole batch: load, statements, Parquet output, commit. The full side starts from one hour of
 * dedup state at 2,000 events/s (7.2M messageIds in 360 segments of 20,000, the last 15 minutes also with open
 * aggregate windows), generated straight into the state tables rather than through the pipeline (minutes instead of
 * an hour). Each side runs warm-up then `runs` batches of fresh records, interleaved; the median is reported.
 * The bytes written are the DuckDB write-ahead log's growth over the commit (auto-checkpoints are pushed out of the
 * way so the log holds exactly what the commit wrote).
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { STATE_SEGMENTS, CurationEngine, type RawRecord } from "@eventlake/local/curator/engine";
import { streamRecords } from "./curation";

export interface StateScalingSide {
  /** Median batch wall time (ms): load + statements + Parquet + commit. */
  wallMs: number;
  /** The commit alone (ms), from the same run. */
  commitMs: number;
  /** Write-ahead-log bytes the commit wrote. */
  stateBytes: number;
  /** messageIds the batch curated (its dedup segment). */
  newIds: number;
  /** Rows in the dedup state when the batch ran. */
  stateIds: number;
}

export interface StateScalingBench {
  records: number;
  runs: number;
  stateIds: number;
  fillMs: number;
  empty: StateScalingSide;
  full: StateScalingSide;
  /** full / empty batch time. */
  ratio: number;
}

const SEGMENT_IDS = 20_000;
const HOUR_MS = 3_600_000;

/**
 * Fills a state database with `ids` dedup entries received over the hour before `nowMs`, in segments of 20,000 (one
 * per 10 s batch at 2,000 events/s), and the aggregate segments of the last 15 minutes (open windows: 5-minute
 * windows under a 10-minute watermark), 5,000 users per segment. The segments carry the batch ids before 0, so a
 * curator starting at batch 0 reads them all.
 */
export async function fillState(engine: CurationEngine, ids: number, nowMs: number): Promise<void> {
  const segments = Math.ceil(ids / SEGMENT_IDS);
  const startUs = BigInt(nowMs - HOUR_MS) * 1000n;
  const stepUs = (BigInt(HOUR_MS) * 1000n) / BigInt(Math.max(ids, 1));
  await engine.run(
    `INSERT INTO dedup_state SELECT CAST(uuid() AS VARCHAR), make_timestamptz(${startUs} + i * ${stepUs}), i // ${SEGMENT_IDS} - ${segments} FROM range(${ids}) r(i)`,
  );
  await engine.run(
    `INSERT INTO ${STATE_SEGMENTS} SELECT 'dedup', batch_id, max(epoch_us(received_at)) FROM dedup_state GROUP BY batch_id`,
  );
  const windowUs = 300_000_000n;
  const openSegments = Math.min(segments, 90);
  await engine.run(
    `INSERT INTO aggregate_state
     SELECT make_timestamptz(((${startUs} + s * ${(BigInt(HOUR_MS) * 1000n) / BigInt(segments)}) // ${windowUs}) * ${windowUs}),
       ['track', 'page', 'identify', 'screen', 'group'][1 + (u % 5)], 'u:user-' || u, 1 + (u % 3), s - ${segments}
     FROM range(${segments - openSegments}, ${segments}) a(s), range(5000) b(u)`,
  );
  await engine.run(`INSERT INTO ${STATE_SEGMENTS} SELECT 'aggregate', batch_id, max(epoch_us(window_start)) FROM aggregate_state GROUP BY batch_id`);
  await engine.run(
    `UPDATE watermark_state SET max_received_at = make_timestamptz(${BigInt(nowMs - 1) * 1000n}), event_watermark = make_timestamptz(${BigInt(nowMs - 600_000) * 1000n})`,
  );
  await engine.checkpoint();
}

/**
 * The records with random (v4) messageIds, as clients that send their own ids (Segment's SDKs) produce, instead of the
 * ingest's time-ordered v7 ids: with time-ordered ids on both sides DuckDB's join filter (the batch's min/max id)
 * skips most of the state, which would flatter the lookup. Resent copies keep sharing one id.
 */
export function withRandomIds(records: Buffer[]): Buffer[] {
  const ids = new Map<string, string>();
  return records.map((data) => {
    const event = JSON.parse(data.toString("utf8")) as { messageId?: unknown };
    if (typeof event.messageId !== "string") return data;
    let id = ids.get(event.messageId);
    if (id === undefined) ids.set(event.messageId, (id = randomUUID()));
    event.messageId = id;
    return Buffer.from(JSON.stringify(event));
  });
}

function walBytes(path: string): number {
  try {
    return statSync(`${path}.wal`).size;
  } catch {
    return 0;
  }
}

async function oneBatch(engine: CurationEngine, statePath: string, batchId: number, records: RawRecord[], dir: string) {
  const [{ n }] = (await engine.query("SELECT count(*) AS n FROM dedup_state")) as [{ n: bigint }];
  const t0 = performance.now();
  await engine.runBatch(batchId, new Date(), records);
  await engine.writeOutputs(join(dir, `out-${batchId}`));
  const before = walBytes(statePath);
  const t1 = performance.now();
  const [{ ids }] = (await engine.query("SELECT count(*) AS ids FROM dedup_segment")) as [{ ids: bigint }];
  await engine.commit();
  const t2 = performance.now();
  return { wallMs: t2 - t0, commitMs: t2 - t1, stateBytes: walBytes(statePath) - before, newIds: Number(ids), stateIds: Number(n) };
}

const median = <T>(xs: T[], key: (x: T) => number) => [...xs].sort((a, b) => key(a) - key(b))[Math.floor(xs.length / 2)]!;

export async function benchStateScaling(options: { records?: number; stateIds?: number; runs?: number } = {}): Promise<StateScalingBench> {
  const count = options.records ?? 20_000;
  const stateIds = options.stateIds ?? 7_200_000;
  const runs = options.runs ?? 3;
  const root = mkdtempSync(join(tmpdir(), "eventlake-bench-state-"));
  const open = async (name: string) => {
    const path = join(root, `${name}.duckdb`);
    const engine = await CurationEngine.open(path, { threads: 1, memoryLimit: "1GB" });
    // The log then holds exactly what each commit wrote (DuckDB folds it into the file past this size).
    await engine.run("SET checkpoint_threshold = '4GB'");
    return { engine, path };
  };
  const empty = await open("empty");
  const full = await open("full");
  try {
    const nowMs = Date.now();
    const t0 = performance.now();
    await fillState(full.engine, stateIds, nowMs);
    const fillMs = performance.now() - t0;
    // Fresh records per batch (a batch of records already curated would curate nothing).
    const batches = Array.from({ length: runs + 1 }, (_, i) => {
      const arrival = new Date();
      return withRandomIds(streamRecords(i === 0 ? 2_000 : count, { seed: 100 + i })).map((data): RawRecord => ({ data, arrivalTime: arrival }));
    });
    const results: { empty: Awaited<ReturnType<typeof oneBatch>>[]; full: Awaited<ReturnType<typeof oneBatch>>[] } = { empty: [], full: [] };
    for (let i = 0; i <= runs; i++) {
      const e = await oneBatch(empty.engine, empty.path, i, batches[i]!, root);
      const f = await oneBatch(full.engine, full.path, i, batches[i]!, root);
      if (i > 0) {
        results.empty.push(e);
        results.full.push(f);
      }
    }
    const e = median(results.empty, (r) => r.wallMs);
    const f = median(results.full, (r) => r.wallMs);
    return { records: count, runs, stateIds, fillMs, empty: e, full: f, ratio: f.wallMs / e.wallMs };
  } finally {
    empty.engine.close();
    full.engine.close();
    rmSync(root, { recursive: true, force: true });
  }
}

/** Prints the section of `npm run bench`. */
export async function printStateScalingBench(log: (line: string) => void = console.log): Promise<StateScalingBench> {
  const f = (x: number, digits = 0) => x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const r = await benchStateScaling({
    records: Number(process.env.EVENTLAKE_BENCH_STATE_RECORDS) || undefined,
    stateIds: Number(process.env.EVENTLAKE_BENCH_STATE_IDS) || undefined,
  });
  const side = (name: string, s: StateScalingSide) =>
    `   ${name} ${f(s.wallMs)} ms (commit ${f(s.commitMs)} ms) with ${f(s.stateIds)} ids of state; wrote ${f(s.stateBytes / 1024)} KiB of state for ${f(s.newIds)} new ids (${f(s.stateBytes / Math.max(s.newIds, 1), 1)} B per id)`;
  log(`6. State scaling: one curator batch with one hour of dedup state at 2,000 events/s against the same batch with none`);
  log(`   ${f(r.records)} stream records per batch, local engine (DuckDB state file, threads=1), median of ${r.runs} interleaved; state filled in ${f(r.fillMs / 1000, 1)} s`);
  log(side("empty", r.empty));
  log(side("full ", r.full));
  log(`   ratio    ${f(r.ratio, 2)}x the empty-state batch (target: at most 1.5x) ${r.ratio <= 1.5 ? "PASS" : "MISS"}`);
  return r;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await printStateScalingBench();
