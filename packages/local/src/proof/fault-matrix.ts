/**
 * The fault matrix (ARCHITECTURE.md, "Guarantees"): the local pipeline, in a child process, under one fault per cell while a client sends
 * clickstream with known messageIds and retries what is not answered 2xx, as a real SDK would. After each cell the
 * lake is reconciled against exactly what the client was answered (`eventlake verify --expect`): every accepted
 * event in the raw archive and curated exactly once, every rejected event a bad row in raw and in quarantine.
 *
 * Each cell also shows that its fault really happened (injected counts, shard throttling, kills), so a cell cannot
 * pass by not faulting.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seededRandom } from "@eventlake/core/random";
import { countLayers, reconcile, recordOutcomes, type ExpectedCounts, type LayerCounts } from "../cli/verify";
import { readFaultCounts, type InjectedFaultCounts } from "../fault-plan";
import { readKinesisStats } from "@eventlake/emulators/kinesis";
import { LOCAL_STREAM_NAME } from "../local-config";
import { sendClickstream, type SendSummary } from "../loadgen/sender";
import { FAULT_CELLS, type FaultCell } from "./cells";
import { spawnPipeline, type PipelineChild } from "./pipeline-process";
import { LOCAL_VARIABLES } from "../local-config";

export { FAULT_CELLS, type FaultCell } from "./cells";

export interface CellResult {
  cell: string;
  fault: string;
  ok: boolean;
  problems: string[];
  notes: string[];
  send: Pick<SendSummary, "sent" | "accepted" | "rejected" | "failedEvents" | "retriedRequests" | "spilled" | "requests">;
  counts: LayerCounts;
  expected: ExpectedCounts;
  /** Evidence that the fault happened. */
  evidence: { injected?: InjectedFaultCounts; shardThrottledRecords: number; kills: number; restarts: number; clientRetries: number };
  /** From the start of sending until every answered event was found where it belongs. */
  settledMs: number;
  elapsedMs: number;
}

export interface MatrixOptions {
  /** Events sent per cell. */
  events: number;
  /** kill -9 iterations of the kill cell (at least 10 for the full proof). */
  kills?: number;
  /** Which cells (default all). */
  cells?: readonly string[];
  /** Curator window (short, so the run settles quickly; the protocol does not depend on it). */
  curatorWindowMs?: number;
  /** Longest wait for the lake to hold every answered event after sending (and killing) is over. */
  settleTimeoutMs?: number;
  seed?: number;
  /** Keep each cell's data directory (for a look with `eventlake verify -d <dir>`). */
  keep?: boolean;
  log?: (line: string) => void;
  onCell?: (result: CellResult) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Runs one cell in a fresh data directory and reconciles the lake against what the client was answered. */
export async function runCell(cell: FaultCell, options: MatrixOptions): Promise<CellResult> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const dataDir = mkdtempSync(join(tmpdir(), `eventlake-proof-${cell.name}-`));
  const expectFile = join(dataDir, "expected.csv");
  mkdirSync(dataDir, { recursive: true });
  recordOutcomes(expectFile, { accepted: [], rejected: [] }, { create: true });
  const port = await freePort();
  const random = seededRandom(options.seed ?? 7);
  const windowMs = options.curatorWindowMs ?? 1_000;
  const start = () =>
    spawnPipeline({
      dataDir,
      port,
      shards: cell.shards ?? 2,
      ...(cell.faults ? { faults: { seed: options.seed ?? 7, ...cell.faults } } : {}),
      ...(cell.dataPathOnly
        ? {
            imports: { rawArchiveComponent: "packages/local/src/firehose/index.ts", curatorComponent: "packages/local/src/curator/curator.ts" },
            components: `[rawArchiveComponent(), curatorComponent()]`,
          }
        : {}),
      env: { [LOCAL_VARIABLES.curatorWindowMs]: String(windowMs) },
      onLine: (line) => log(`  [${cell.name}] ${line}`),
    });

  const killCount = cell.kills ? (options.kills ?? cell.kills) : 0;
  let child: PipelineChild = start();
  let restarts = 0;
  let kills = 0;
  try {
    const info = await child.info;
    const sending = sendClickstream({
      endpoint: info.endpoint,
      writeKey: info.writeKey,
      events: options.events,
      // Under kills, spread the events over the kills (about 3 s apart) so that most of them land mid-traffic.
      rate: killCount ? Math.max(50, Math.ceil(options.events / (killCount * 3))) : 0,
      batchSize: cell.padBytes ? 20 : 100,
      concurrency: 4,
      invalidRatio: 0.05,
      users: 500,
      seed: options.seed ?? 7,
      gzip: false,
      // A client that keeps trying while the pipeline restarts, as SDKs with persistent queues do.
      maxRetries: 200,
      padBytes: cell.padBytes ?? 0,
      onOutcome: (outcome) => recordOutcomes(expectFile, outcome),
    });

    // kill -9 at random moments, each followed by a restart: mid-traffic, mid-delivery, mid-commit, and sometimes
    // during the previous restart's recovery (the delay counts from the spawn, which takes about 2 s to serve).
    for (let k = 0; k < killCount; k++) {
      await sleep(300 + random() * 4_000);
      const exited = child.exited;
      child.child.kill("SIGKILL");
      await exited;
      kills++;
      child = start();
      child.info.catch(() => undefined); // a kill before it serves is one of the moments
      restarts++;
    }
    await child.info;
    const summary = await sending;
    const sentAt = Date.now();

    // Wait until every answered event is where it belongs (or the timeout says it never will be).
    const settleTimeout = options.settleTimeoutMs ?? Math.max(120_000, windowMs * 20);
    let layers = await countLayers(dataDir, expectFile);
    const settled = (l: typeof layers) =>
      l.expected.acceptedNotInRaw + l.expected.acceptedNotCurated + l.expected.rejectedNotInRaw + l.expected.rejectedNotQuarantined === 0;
    while (!settled(layers) && Date.now() - sentAt < settleTimeout) {
      await sleep(1_000);
      layers = await countLayers(dataDir, expectFile);
    }
    const settledMs = Date.now() - started;

    // Stop cleanly, then count once more: a clean stop must not change the verdict.
    child.child.kill("SIGTERM");
    await child.exited;
    layers = await countLayers(dataDir, expectFile);
    const verdict = reconcile(layers, layers.expected);
    const evidenceProblems: string[] = [];
    const injected = readFaultCounts(dataDir);
    const shardThrottledRecords = readKinesisStats(join(dataDir, "kinesis"))?.streams[LOCAL_STREAM_NAME]?.totals.throttledRecords ?? 0;
    if (cell.faults?.putRecordsEntryFailures && !injected?.putRecordsEntries) evidenceProblems.push("no PutRecords entry failure was injected");
    if (cell.faults?.throttledCalls && !injected?.throttledCalls) evidenceProblems.push("no call was throttled");
    if (cell.faults?.objectStoreErrors && !injected?.objectStoreErrors) evidenceProblems.push("no S3 error was injected");
    if (cell.faults?.functionLatencyMs && !injected?.slowedInvocations) evidenceProblems.push("no slowed function was invoked");
    if (cell.padBytes && shardThrottledRecords === 0) evidenceProblems.push("the shard was never saturated (no write was throttled by its limit)");
    if (killCount && kills < killCount) evidenceProblems.push(`only ${kills} of ${killCount} kills happened`);
    if (killCount && summary.retriedRequests === 0) evidenceProblems.push("no kill interrupted the traffic (the client never had to retry)");
    if (layers.expected.accepted === 0) evidenceProblems.push("nothing was accepted");
    const { expected, ...counts } = layers;
    return {
      cell: cell.name,
      fault: cell.fault,
      ok: verdict.ok && evidenceProblems.length === 0,
      problems: [...verdict.problems, ...evidenceProblems],
      notes: [...verdict.notes, ...(summary.failedEvents ? [`${summary.failedEvents} event(s) never answered 2xx after all retries (not accepted, so not owed)`] : [])],
      send: {
        sent: summary.sent,
        accepted: summary.accepted,
        rejected: summary.rejected,
        failedEvents: summary.failedEvents,
        retriedRequests: summary.retriedRequests,
        spilled: summary.spilled,
        requests: summary.requests,
      },
      counts,
      expected,
      evidence: { ...(injected ? { injected } : {}), shardThrottledRecords, kills, restarts, clientRetries: summary.retriedRequests },
      settledMs,
      elapsedMs: Date.now() - started,
    };
  } finally {
    if (child.child.exitCode === null && child.child.signalCode === null) {
      child.child.kill("SIGKILL");
      await child.exited;
    }
    if (!options.keep) rmSync(dataDir, { recursive: true, force: true });
    else log(`  [${cell.name}] data kept in ${dataDir}`);
  }
}

/** Every cell (or the chosen ones), one after another (they share the machine's two cores). */
export async function runFaultMatrix(options: MatrixOptions): Promise<CellResult[]> {
  const unknown = (options.cells ?? []).filter((name) => !FAULT_CELLS.some((c) => c.name === name));
  if (unknown.length) throw new Error(`unknown cell(s): ${unknown.join(", ")}; the cells are ${FAULT_CELLS.map((c) => c.name).join(", ")}`);
  const results: CellResult[] = [];
  for (const cell of FAULT_CELLS) {
    if (options.cells && !options.cells.includes(cell.name)) continue;
    const result = await runCell(cell, options);
    options.onCell?.(result);
    results.push(result);
  }
  return results;
}
