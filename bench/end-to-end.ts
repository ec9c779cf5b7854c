/**
 * BENCHMARKS.md figure 5, end to end locally: sustained events/s with data freshness (event -> queryable curated
 * row) p99 under the curator's batch window + 5 s, and zero loss.
 *
 * The real local pipeline runs in this process (local S3, Kinesis with its shard limits, the ingest function in its
 * Lambda sandbox, the raw archive's Firehose, the DuckDB curator) and the clickstream sender drives it at a fixed
 * offered rate for a fixed time. Per accepted messageId the sender's outcome gives when its request was first tried;
 * the curated row's file names its micro-batch (part-<batchId>-<n>.parquet) and the curator's commit log says when that
 * batch became queryable. Freshness is the difference. Loss is checked per messageId against what the sender was told
 * (accepted -> curated exactly once and in the raw archive; rejected -> quarantined), and with `eventlake verify`'s
 * reconciliation over the layers.
 *
 * Run alone: `npx tsx bench/end-to-end.ts` (EVENTLAKE_BENCH_E2E_SECONDS / _RATE / _WINDOW_MS / _SHARDS shorten or vary it).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";
import { CURATION_CONTRACT, parseDataFileName, type TableDef } from "@eventlake/core/curation/contract";
import { LAKE_PREFIXES } from "@eventlake/core/stage-config";
import { startLocalPipeline } from "@eventlake/local";
import { localLakeDir } from "@eventlake/local/cli/query";
import { countLayers, reconcile, type LayerCounts, type Reconciliation } from "@eventlake/local/cli/verify";
import { CURATOR_DIR, curatorComponent, readCommitLog } from "@eventlake/local/curator/curator";
import { CurationEngine } from "@eventlake/local/curator/engine";
import { rawArchiveComponent } from "@eventlake/local/firehose/index";
import { readKinesisStats } from "@eventlake/emulators/kinesis";
import { sendClickstream, type SendSummary } from "@eventlake/local/loadgen/sender";
import { fillState } from "./state-scaling";

export interface EndToEndOptions {
  /** How long the sender runs at the offered rate. */
  seconds: number;
  /** Offered events per second. */
  rate: number;
  /** The curator's micro-batch window; the freshness target is this + 5 s. */
  windowMs: number;
  /** Starting shard count (4: room for the offered bytes; the bytes per shard are printed to show the spread). */
  shards: number;
  /** Kinesis's per-shard write limits on the local stream (on, as on AWS; off only to see what they cost). */
  shardLimits: boolean;
  batchSize: number;
  concurrency: number;
  invalidRatio: number;
  /**
   * Dedup state the curator starts with: 0 for a fresh start, 7,200,000 for one full window (an hour at 2,000
   * events/s), generated straight into its state file (bench/state-scaling.ts fillState).
   */
  stateIds: number;
}

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

export interface EndToEndBench {
  options: EndToEndOptions;
  targetMs: number;
  send: SendSummary;
  /** Events answered (accepted or rejected) per second of the run. */
  achievedRate: number;
  /** achievedRate / offered rate. */
  rateRatio: number;
  /** Bench-process CPU over the sending phase (the whole pipeline runs in it), in cores. */
  cpuCores: number;
  /** The main thread's event-loop delay while sending (ms): what every in-process stand-in waits behind. */
  eventLoopDelay: { p99: number; max: number };
  /** The local stream's write counters: records stored and records refused by the shard limits (the ingest function retries them). */
  stream: { recordsIn: number; throttledRecords: number; bytesByShard: { shardId: string; bytesIn: number; throttledRecords: number }[] };
  /** From the sender stopping to the last accepted event being curated. */
  drainMs: number;
  /** Whether every accepted event was curated and archived within the bounded wait. */
  settled: boolean;
  /**
   * Per event, ms: first try -> the API's answer, answer -> its micro-batch starting (split: answer -> the batch's
   * stream read beginning, and that read), batch start -> commit, and the total.
   */
  freshness: { total: Percentiles; answer: Percentiles; waitForBatch: Percentiles; untilRead: Percentiles; read: Percentiles; batchRun: Percentiles; events: number };
  ratio: number;
  /** The curator's micro-batches: records, run (start -> commit) and the start-to-start period (the window, or the run if longer). */
  batches: { count: number; meanRecords: number; meanRunMs: number; maxRunMs: number; meanPeriodMs: number; maxPeriodMs: number };
  loss: {
    accepted: number;
    rejected: number;
    /** Accepted messageIds with no curated row. */
    notCurated: number;
    /** Curated messageIds with more than one row. */
    curatedTwice: number;
    /** Curated messageIds the sender was never told were accepted. */
    curatedUnexpected: number;
    /** Accepted messageIds missing from the raw archive. */
    notInRaw: number;
    /** Rejected messageIds found in quarantine (by id; the count check is quarantinedRows >= rejected). */
    rejectedQuarantined: number;
    /** Curated rows whose batch has no line in the commit log (freshness unknown). */
    uncommitted: number;
    counts: LayerCounts;
    verdict: Reconciliation;
    ok: boolean;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { p50: NaN, p99: NaN, max: NaN };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1]! };
}

/** The glob of a contract table's object files in the local S3 (object `a/b/c` is the file a/b/@c). */
function tableGlob(dataDir: string, table: TableDef): string {
  return join(localLakeDir(dataDir), table.prefix, ...table.partitionColumns.map(() => "*"), "@*.parquet");
}

interface LakeIds {
  /** Curated rows: messageId, the batch whose file holds it, that batch's processing time (epoch ms). */
  curated: { messageId: string; batchId: number | undefined; processingMs: number }[];
  quarantined: Set<string>;
  raw: Set<string>;
}

async function readLakeIds(dataDir: string): Promise<LakeIds> {
  const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
  const connection = await instance.connect();
  try {
    const curatedReader = await connection.runAndReadAll(
      `SELECT message_id, filename, epoch_ms(processing_time) FROM read_parquet(${quote(tableGlob(dataDir, CURATION_CONTRACT.tables.events))}, filename = true, hive_partitioning = true, union_by_name = true)`,
    );
    const curated = curatedReader.getRows().map(([messageId, filename, processingMs]) => {
      const batchId = parseDataFileName(basename(String(filename)).replace(/^@/, ""))?.batchId;
      return { messageId: String(messageId), batchId: batchId === undefined ? undefined : Number(batchId), processingMs: Number(processingMs) };
    });
    const quarantineReader = await connection.runAndReadAll(
      `SELECT message_id FROM read_parquet(${quote(tableGlob(dataDir, CURATION_CONTRACT.tables.quarantine))}, hive_partitioning = true, union_by_name = true) WHERE message_id IS NOT NULL`,
    );
    const rawGlob = join(localLakeDir(dataDir), LAKE_PREFIXES.raw, "*", "*", "*", "*", "@*.gz");
    const rawReader = await connection.runAndReadAll(
      `SELECT DISTINCT "messageId" FROM read_json(${quote(rawGlob)}, format = 'newline_delimited', columns = {kind: 'VARCHAR', messageId: 'VARCHAR'}, ignore_errors = true) WHERE kind = 'event'`,
    );
    return {
      curated,
      quarantined: new Set(quarantineReader.getRows().map(([id]) => String(id))),
      raw: new Set(rawReader.getRows().map(([id]) => String(id))),
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export function endToEndOptionsFromEnv(): Partial<EndToEndOptions> {
  const env = (name: string) => Number(process.env[`EVENTLAKE_BENCH_E2E_${name}`]) || undefined;
  const options: Partial<EndToEndOptions> = {};
  const seconds = env("SECONDS");
  const rate = env("RATE");
  const windowMs = env("WINDOW_MS");
  const shards = env("SHARDS");
  if (seconds) options.seconds = seconds;
  if (rate) options.rate = rate;
  if (windowMs) options.windowMs = windowMs;
  if (shards) options.shards = shards;
  const stateIds = env("STATE_IDS");
  if (stateIds) options.stateIds = stateIds;
  return options;
}

export async function benchEndToEnd(overrides: Partial<EndToEndOptions> = {}, progress: (line: string) => void = () => undefined): Promise<EndToEndBench> {
  const options: EndToEndOptions = { seconds: 60, rate: 2_000, windowMs: 10_000, shards: 4, shardLimits: true, batchSize: 100, concurrency: 4, invalidRatio: 0.01, stateIds: 0, ...overrides };
  const targetMs = options.windowMs + 5_000;
  const dataDir = mkdtempSync(join(tmpdir(), "eventlake-bench-e2e-"));
  if (options.stateIds > 0) {
    progress(`   filling the curator's state with ${options.stateIds.toLocaleString("en-US")} ids (one window) ...`);
    mkdirSync(join(dataDir, CURATOR_DIR), { recursive: true });
    const engine = await CurationEngine.open(join(dataDir, CURATOR_DIR, "state.duckdb"), { threads: 1 });
    try {
      await fillState(engine, options.stateIds, Date.now());
    } finally {
      engine.close();
    }
  }
  const runtimeLog: string[] = [];
  const t0 = Date.now();
  // EVENTLAKE_BENCH_E2E_VERBOSE=1 shows the runtime's messages (curator batches, Firehose deliveries) as they happen.
  const verbose = process.env.EVENTLAKE_BENCH_E2E_VERBOSE === "1";
  const runtimeMessage = (line: string) => {
    runtimeLog.push(line);
    if (verbose) progress(`   [${((Date.now() - t0) / 1000).toFixed(1)} s] ${line}`);
  };
  const pipeline = await startLocalPipeline({ dataDir, port: 0, apiThrottling: false, shards: options.shards, shardLimits: options.shardLimits, log: runtimeMessage }, [
    rawArchiveComponent(),
    curatorComponent({ windowMs: options.windowMs }),
  ]);
  try {
    const firstSentAt = new Map<string, number>();
    const answerMs = new Map<string, number>();
    const rejected = new Set<string>();
    const send = (events: number, rate: number, seed: number) =>
      sendClickstream({
        endpoint: pipeline.info.endpoint,
        writeKey: pipeline.info.writeKey,
        events,
        rate,
        batchSize: options.batchSize,
        concurrency: options.concurrency,
        invalidRatio: options.invalidRatio,
        users: 5_000,
        seed,
        gzip: false,
        maxRetries: 50,
        onOutcome: (o) => {
          for (const id of o.accepted) {
            firstSentAt.set(id, o.firstSentAtMs);
            answerMs.set(id, o.answeredAtMs);
          }
          for (const id of o.rejected) rejected.add(id);
        },
      });

    // Warm the ingest function's sandbox (its first invocation loads the handler) so the run measures steady state;
    // these events count for loss, not for the rate or freshness.
    await send(options.batchSize * options.concurrency, 0, 1);
    const warmIds = new Set(firstSentAt.keys());

    progress(`   sending ${options.rate} events/s for ${options.seconds} s ...`);
    const cpuBefore = process.cpuUsage();
    // The local S3, Kinesis, Firehose, API front and the curator's JavaScript share this main thread: its stalls delay answers.
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const secondDelay = monitorEventLoopDelay({ resolution: 10 });
    if (verbose) secondDelay.enable();
    const stallTicker = verbose
      ? setInterval(() => {
          if (secondDelay.max > 200e6) progress(`   [${((Date.now() - t0) / 1000).toFixed(1)} s] main thread stalled up to ${(secondDelay.max / 1e6).toFixed(0)} ms`);
          secondDelay.reset();
        }, 1_000)
      : undefined;
    const summary = await send(options.rate * options.seconds, options.rate, 2);
    loopDelay.disable();
    secondDelay.disable();
    clearInterval(stallTicker);
    const cpu = process.cpuUsage(cpuBefore);
    const sendEndMs = Date.now();
    const achievedRate = (summary.accepted + summary.rejected) / (summary.elapsedMs / 1000);

    // Wait (bounded) for the curator to commit every accepted event, then for the raw archive to hold them all.
    const accepted = firstSentAt.size;
    const deadline = sendEndMs + options.windowMs * 3 + 30_000;
    const curatedSoFar = () => readCommitLog(dataDir).reduce((sum, e) => sum + e.curated, 0);
    progress(`   sent; waiting for the curator and the raw archive to catch up ...`);
    while (curatedSoFar() < accepted && Date.now() < deadline) await sleep(500);
    let counts = await countLayers(dataDir);
    while ((counts.rawDistinctEvents < accepted || counts.rawBadRows < rejected.size || counts.quarantinedRows < rejected.size || counts.curatedDistinct < accepted) && Date.now() < deadline) {
      await sleep(2_000);
      counts = await countLayers(dataDir);
    }
    const settled = counts.rawDistinctEvents >= accepted && counts.curatedDistinct >= accepted && counts.quarantinedRows >= rejected.size;

    const streamStats = readKinesisStats(join(dataDir, "kinesis"))?.streams[pipeline.info.streamName];
    const streamTotals = streamStats?.totals;
    const bytesByShard = Object.entries(streamStats?.shards ?? {})
      .map(([shardId, c]) => ({ shardId, bytesIn: c.bytesIn, throttledRecords: c.throttledRecords }))
      .sort((a, b) => a.shardId.localeCompare(b.shardId));
    const commits = new Map(readCommitLog(dataDir).map((e) => [e.batchId, e]));
    const lake = await readLakeIds(dataDir);

    const rowsPerId = new Map<string, number>();
    for (const row of lake.curated) rowsPerId.set(row.messageId, (rowsPerId.get(row.messageId) ?? 0) + 1);
    let notCurated = 0;
    let notInRaw = 0;
    for (const id of firstSentAt.keys()) {
      if (!rowsPerId.has(id)) notCurated++;
      if (!lake.raw.has(id)) notInRaw++;
    }
    let curatedTwice = 0;
    let curatedUnexpected = 0;
    for (const [id, rows] of rowsPerId) {
      if (rows > 1) curatedTwice++;
      if (!firstSentAt.has(id)) curatedUnexpected++;
    }
    let rejectedQuarantined = 0;
    for (const id of rejected) if (lake.quarantined.has(id)) rejectedQuarantined++;

    // Freshness of the measured run's events, split where the time goes.
    const total: number[] = [];
    const answer: number[] = [];
    const waitForBatch: number[] = [];
    const untilRead: number[] = [];
    const read: number[] = [];
    const batchRun: number[] = [];
    let uncommitted = 0;
    let lastCommitMs = 0;
    const batchStart = new Map<number, number>();
    for (const row of lake.curated) {
      const committed = row.batchId === undefined ? undefined : commits.get(row.batchId);
      if (!committed) {
        uncommitted++;
        continue;
      }
      const committedMs = Date.parse(committed.committedAt);
      batchStart.set(row.batchId!, row.processingMs);
      const sentMs = firstSentAt.get(row.messageId);
      if (sentMs === undefined) continue;
      lastCommitMs = Math.max(lastCommitMs, committedMs);
      if (warmIds.has(row.messageId)) continue;
      const answeredMs = answerMs.get(row.messageId)!;
      total.push(committedMs - sentMs);
      answer.push(answeredMs - sentMs);
      waitForBatch.push(row.processingMs - answeredMs);
      const readStartedMs = Date.parse(committed.readStartedAt);
      untilRead.push(readStartedMs - answeredMs);
      read.push(row.processingMs - readStartedMs);
      batchRun.push(committedMs - row.processingMs);
    }
    const freshness = {
      total: percentiles(total),
      answer: percentiles(answer),
      waitForBatch: percentiles(waitForBatch),
      untilRead: percentiles(untilRead),
      read: percentiles(read),
      batchRun: percentiles(batchRun),
      events: total.length,
    };

    const allCommits = [...commits.values()].sort((a, b) => a.batchId - b.batchId);
    const runs: number[] = [];
    const periods: number[] = [];
    allCommits.forEach((e, i) => {
      const start = batchStart.get(e.batchId);
      if (start === undefined) return;
      runs.push(Date.parse(e.committedAt) - start);
      const previous = allCommits[i - 1];
      const previousStart = previous && batchStart.get(previous.batchId);
      if (previous && previousStart !== undefined && previous.batchId === e.batchId - 1) {
        periods.push(start - previousStart);
      }
    });
    const mean = (xs: number[]) => xs.reduce((sum, x) => sum + x, 0) / Math.max(1, xs.length);
    const batches = {
      count: allCommits.length,
      meanRecords: mean(allCommits.map((e) => e.records)),
      meanRunMs: mean(runs),
      maxRunMs: Math.max(0, ...runs),
      meanPeriodMs: mean(periods),
      maxPeriodMs: Math.max(0, ...periods),
    };

    const verdict = reconcile(counts);
    const lossOk =
      settled && verdict.ok && summary.failedEvents === 0 && summary.misjudged === 0 && notCurated === 0 && notInRaw === 0 && curatedTwice === 0 && curatedUnexpected === 0 &&
      counts.quarantinedRows >= rejected.size && uncommitted === 0;
    return {
      options,
      targetMs,
      send: summary,
      achievedRate,
      rateRatio: achievedRate / options.rate,
      stream: { recordsIn: streamTotals?.recordsIn ?? NaN, throttledRecords: streamTotals?.throttledRecords ?? NaN, bytesByShard },
      eventLoopDelay: { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
      cpuCores: (cpu.user + cpu.system) / 1000 / summary.elapsedMs,
      drainMs: lastCommitMs - sendEndMs,
      settled,
      freshness,
      ratio: freshness.total.p99 / targetMs,
      batches,
      loss: { accepted, rejected: rejected.size, notCurated, curatedTwice, curatedUnexpected, notInRaw, rejectedQuarantined, uncommitted, counts, verdict, ok: lossOk },
    };
  } finally {
    await pipeline.close();
    rmSync(dataDir, { recursive: true, force: true });
    const failures = runtimeLog.filter((line) => /failed|error/i.test(line));
    if (failures.length) progress(`   runtime reported ${failures.length} failure line(s), e.g. ${failures[0]}`);
  }
}

export async function printEndToEndBench(log: (line: string) => void = console.log): Promise<EndToEndBench> {
  log(`5. End to end locally: the whole pipeline in this process, driven by the clickstream sender at a fixed rate`);
  const fromEnv = endToEndOptionsFromEnv();
  // From a fresh start, then (unless the state size was given) from one full window of dedup state.
  const runs = fromEnv.stateIds !== undefined ? [fromEnv] : [{ ...fromEnv, stateIds: 0 }, { ...fromEnv, stateIds: 7_200_000 }];
  let last: EndToEndBench | undefined;
  for (const options of runs) last = await printEndToEndRun(options, log);
  return last!;
}

async function printEndToEndRun(options: Partial<EndToEndOptions>, log: (line: string) => void): Promise<EndToEndBench> {
  const f = (x: number, digits = 0) => x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const s = (ms: number) => `${f(ms / 1000, 1)} s`;
  const pct = (p: Percentiles) => `p50 ${s(p.p50)}, p99 ${s(p.p99)}, max ${s(p.max)}`;
  log(`   -- ${options.stateIds ? `with a full window of curation state (${f(options.stateIds)} dedup ids)` : "from a fresh start (no curation state)"}`);
  const r = await benchEndToEnd(options, log);
  const o = r.options;
  log(`   offered ${f(o.rate)} events/s for ${f(o.seconds)} s (batches of ${o.batchSize}, ${o.concurrency} concurrent, ${f(o.invalidRatio * 100)}% invalid); ${o.shards} shards, curator window ${s(o.windowMs)}`);
  const sustained = r.rateRatio >= 0.95 && r.send.failedEvents === 0 && r.settled && r.drainMs <= r.targetMs;
  log(`   achieved ${f(r.achievedRate)} events/s answered (${f(r.rateRatio, 2)} of offered), ${f(r.send.retriedRequests)} retried requests, ${f(r.send.failedEvents)} failed; pipeline CPU ${f(r.cpuCores, 2)} cores, main-thread event-loop delay p99 ${f(r.eventLoopDelay.p99)} ms, max ${f(r.eventLoopDelay.max)} ms`);
  const streamBytes = r.stream.bytesByShard.reduce((sum, x) => sum + x.bytesIn, 0);
  // Shards nothing was written to have no counters: shown as 0%.
  const shares = [...r.stream.bytesByShard.map((x) => x.bytesIn / streamBytes), ...Array<number>(Math.max(0, o.shards - r.stream.bytesByShard.length)).fill(0)];
  const perShard = shares.map((share) => `${f(share * 100)}%`).join(" / ");
  const hottest = Math.max(0, ...r.stream.bytesByShard.map((x) => x.bytesIn)) / (r.send.elapsedMs / 1000) / 1024 / 1024;
  log(`   stream   ${f(r.stream.recordsIn)} records written (KPL-aggregated), ${f(r.stream.throttledRecords)} refused by the shard limits and retried by the ingest function; bytes by shard ${perShard} (hottest ~${f(hottest, 2)} MiB/s of its 1)`);
  log(`   curator  ${f(r.batches.count)} batches, ~${f(r.batches.meanRecords)} records each, run ${s(r.batches.meanRunMs)} mean / ${s(r.batches.maxRunMs)} max, one every ${s(r.batches.meanPeriodMs)} / ${s(r.batches.maxPeriodMs)} (mean / max; windows count from batch start); backlog drained ${s(r.drainMs)} after the sender stopped (target: within ${s(r.targetMs)})`);
  log(`   sustained ${sustained ? "PASS" : "MISS"} (answered >= 0.95 of offered, nothing failed, curator drained within window + 5 s)`);
  log(`   freshness (first try -> queryable curated row, ${f(r.freshness.events)} events): ${pct(r.freshness.total)}`);
  log(`   where it goes: API answer ${pct(r.freshness.answer)}; waiting for the micro-batch ${pct(r.freshness.waitForBatch)}; batch run ${pct(r.freshness.batchRun)}`);
  log(`   the wait split: until the batch's stream read began ${pct(r.freshness.untilRead)}; the read ${pct(r.freshness.read)}`);
  log(`   ratio    ${f(r.ratio, 2)} of window + 5 s (${s(r.targetMs)}) (target: at most 1) ${r.ratio <= 1 ? "PASS" : "MISS"}`);
  const c = r.loss.counts;
  log(`   layers   raw ${f(c.rawEvents)} events (${f(c.rawDistinctEvents)} distinct), ${f(c.rawBadRows)} bad rows; curated ${f(c.curatedRows)} rows (${f(c.curatedDistinct)} distinct); quarantine ${f(c.quarantinedRows)}; fallback ${f(c.spilledEvents)}`);
  log(`   sender   ${f(r.loss.accepted)} accepted: ${f(r.loss.notCurated)} not curated, ${f(r.loss.curatedTwice)} curated twice, ${f(r.loss.notInRaw)} not in raw, ${f(r.loss.curatedUnexpected)} curated unexpectedly; ${f(r.loss.rejected)} rejected: ${f(r.loss.rejectedQuarantined)} in quarantine by id`);
  for (const problem of r.loss.verdict.problems) log(`   PROBLEM: ${problem}`);
  log(`   zero loss: ${r.loss.ok ? "PASS" : "MISS"}`);
  return r;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await printEndToEndBench();
