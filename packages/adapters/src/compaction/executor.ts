/**
 * The compaction executor: one run = recover the intents earlier runs left, list the recent partitions of the
 * curated table, plan (the pure planner), and carry out each merge with the crash-safe protocol of
 * packages/core/src/compaction/protocol.ts (ARCHITECTURE.md "Compaction" has the design and the visibility window):
 *
 *   read input footers -> PUT intent (create-only) -> stream the merge into a multipart upload -> verify the footer
 *   of the bytes written -> complete the upload (create-only) -> check the inputs are unchanged -> delete them ->
 *   delete the intent.
 *
 * Memory is bounded whatever the data size: inputs are fetched one at a time (in memory up to 8 MiB, else into a
 * local file read by range), decoded a record batch at a time and encoded into row groups of at most 128 Ki rows;
 * the output goes to S3 in 8 MiB parts with one in flight. parquet-wasm runs in a worker thread (parquet-worker.mjs),
 * one per run (a new one after a crash): a corrupt input fails that merge, never the run, and the worker's wasm
 * memory is returned when the run ends.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CompactionRunConfig } from "@eventlake/core/compaction/config";
import { COMPACTED_TABLE, compactedKey, INTENTS_PREFIX, intentKeyFor, listingPrefixes } from "@eventlake/core/compaction/layout";
import { planCompaction, type CompactionPlan, type ListedObject, type MergeGroup } from "@eventlake/core/compaction/planner";
import {
  decideRecovery,
  INTENT_KIND,
  IntentFormatError,
  parseIntent,
  serializeIntent,
  type CompactionIntent,
  type ProtocolStep,
  type RecoveryAction,
  type RecoveryObservation,
} from "@eventlake/core/compaction/protocol";
import { ObjectChangedError, type CompactionStore } from "@eventlake/core/ports";
import type { TableDef } from "@eventlake/core/curation/contract";
import { LAKE_PREFIXES } from "@eventlake/core/stage-config";
import { OutputSink } from "./output-sink";
import { ParquetWorker, ParquetWorkerError, type FooterInfo, type InputSource } from "./parquet-worker-client";

export interface CompactionTuning {
  /** Multipart part size (>= 5 MiB). */
  partBytes: number;
  /** Output bytes kept to verify the footer before completing the upload. */
  tailBytes: number;
  /** First read of an input's footer: its last N bytes (a second read follows only for larger footers). */
  footerProbeBytes: number;
  /** Inputs up to this size are fetched into memory; larger ones into a local file read by range. */
  memoryInputBytes: number;
  /** Rows per output row group (bounds the writer's buffered row group). */
  maxRowGroupRows: number;
  /** Rows per decoded record batch. */
  batchRows: number;
  /** Footers read in parallel. */
  footerConcurrency: number;
  /** Merge throughput assumed when deciding whether a merge still fits before the deadline (measured: bench). */
  bytesPerSecondEstimate: number;
}

export const DEFAULT_TUNING: CompactionTuning = {
  partBytes: 8 * 1024 * 1024,
  tailBytes: 1024 * 1024,
  footerProbeBytes: 64 * 1024,
  memoryInputBytes: 8 * 1024 * 1024,
  maxRowGroupRows: 128 * 1024,
  batchRows: 16 * 1024,
  footerConcurrency: 8,
  bytesPerSecondEstimate: 2 * 1024 * 1024,
};

export interface CompactionRunOptions {
  store: CompactionStore;
  config: CompactionRunConfig;
  runId?: string;
  now?: () => Date;
  /** Epoch milliseconds: no merge starts that would not finish before it (the Lambda's deadline minus a reserve). */
  deadlineMs?: number;
  table?: TableDef;
  /** Plan and report, write nothing. */
  dryRun?: boolean;
  tuning?: Partial<CompactionTuning>;
  /**
   * Called as each protocol step completes. A throw here stops the run on the spot, with no clean-up, exactly as
   * if the process were killed at that point (the crash tests use it); anything else is for progress reporting.
   */
  onStep?: (step: ProtocolStep, output: string) => void | Promise<void>;
  log?: (message: string, fields: Record<string, unknown>) => void;
  /** The worker script (tests and bundles that move it). */
  workerUrl?: URL;
  /** Where inputs larger than memoryInputBytes are staged (default: the OS temp dir, /tmp on Lambda). */
  tempDir?: string;
}

export interface MergeReport {
  partition: string;
  output: string;
  inputs: number;
  bytesIn: number;
  bytesOut: number;
  rows: number;
  parts: number;
  durationMs: number;
  /** "merged": this run wrote the output; "adopted": another run had (verified, then finished here). */
  result: "merged" | "adopted" | "rolled-back";
  wasmMemoryBytes?: number;
}

export interface RecoveryReport {
  intent: string;
  output: string;
  action: RecoveryAction["action"];
  deletedInputs?: number;
  reason?: string;
}

export interface SkipReport {
  output: string;
  reason: string;
}

export interface FailureReport {
  /** The merge's output key or the intent's key. */
  subject: string;
  stage: "recovery" | "merge";
  error: string;
}

export interface CompactionReport {
  runId: string;
  dryRun: boolean;
  startedAt: string;
  durationMs: number;
  listed: { objects: number; partitions: number; settled: number; unsettled: number; busy: number; ignoredKeys: number; invalidFiles: string[] };
  planned: { groups: number; bytes: number; files: number };
  merges: MergeReport[];
  recoveries: RecoveryReport[];
  skipped: SkipReport[];
  failures: FailureReport[];
  /** Merges left for a later run: over the byte budget, or not started before the deadline. */
  deferred: { groups: number; bytes: number };
  stoppedBecause?: string;
  totals: { filesMerged: number; bytesMerged: number; bytesWritten: number; rowsMerged: number };
}

/** Thrown through everything when an onStep hook throws: a simulated crash, never cleaned up after. */
export class SimulatedCrash extends Error {
  override readonly name = "SimulatedCrash";
  constructor(
    readonly step: ProtocolStep,
    options: { cause: unknown },
  ) {
    super(`run stopped at step ${step}`, options);
  }
}

const PARQUET_MAGIC = [0x50, 0x41, 0x52, 0x31]; // "PAR1"
const STAGING_PREFIX = "eventlake-compact-";
const INTENT_CONTENT_TYPE = "application/json";

/** The output key an intent key names (the inverse of intentKeyFor). */
function outputKeyOfIntent(intentKey: string): string {
  return `${LAKE_PREFIXES.curated}${intentKey.slice(INTENTS_PREFIX.length).replace(/\.json$/, "")}`;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

class NotParquetError extends Error {
  override readonly name = "NotParquetError";
}

/** A footer's length from a file's last 8 bytes (little-endian u32 + "PAR1"); throws when they are not Parquet's. */
function footerLength(tail: Uint8Array, key: string): number {
  const n = tail.length;
  if (n < 8 || PARQUET_MAGIC.some((b, i) => tail[n - 4 + i] !== b)) throw new NotParquetError(`${key} is not a Parquet file (no PAR1 trailer)`);
  return new DataView(tail.buffer, tail.byteOffset + n - 8, 4).getUint32(0, true);
}

class Run {
  private readonly tuning: CompactionTuning;
  private readonly now: () => Date;
  private readonly log: NonNullable<CompactionRunOptions["log"]>;
  private readonly table: TableDef;
  readonly report: CompactionReport;

  constructor(private readonly options: CompactionRunOptions) {
    this.tuning = { ...DEFAULT_TUNING, ...options.tuning };
    this.now = options.now ?? (() => new Date());
    this.log = options.log ?? (() => undefined);
    this.table = options.table ?? COMPACTED_TABLE;
    this.report = {
      runId: options.runId ?? randomUUID(),
      dryRun: options.dryRun ?? false,
      startedAt: this.now().toISOString(),
      durationMs: 0,
      listed: { objects: 0, partitions: 0, settled: 0, unsettled: 0, busy: 0, ignoredKeys: 0, invalidFiles: [] },
      planned: { groups: 0, bytes: 0, files: 0 },
      merges: [],
      recoveries: [],
      skipped: [],
      failures: [],
      deferred: { groups: 0, bytes: 0 },
      totals: { filesMerged: 0, bytesMerged: 0, bytesWritten: 0, rowsMerged: 0 },
    };
  }

  private get store() {
    return this.options.store;
  }

  private async step(step: ProtocolStep, output: string) {
    if (!this.options.onStep) return;
    try {
      await this.options.onStep(step, output);
    } catch (err) {
      throw new SimulatedCrash(step, { cause: err });
    }
  }

  private worker: ParquetWorker | undefined;

  /** The run's Parquet worker: one for the whole run (its wasm memory is reused from merge to merge and returned
   *  when the run ends); a new one after a crash. */
  private getWorker(): ParquetWorker {
    if (!this.worker?.alive) this.worker = new ParquetWorker(this.options.workerUrl);
    return this.worker;
  }

  /** Reads a Parquet footer through the worker: a probe of the file's last bytes, then the exact footer if larger. */
  private async readFooter(worker: ParquetWorker, key: string, size: number, etag?: string): Promise<FooterInfo> {
    if (size < 12) throw new NotParquetError(`${key} is too small to be a Parquet file (${size} bytes)`);
    let tail = await this.store.readRange(key, Math.max(0, size - this.tuning.footerProbeBytes), size, etag);
    const need = footerLength(tail, key) + 8;
    if (need > size - 4) throw new NotParquetError(`${key}: corrupt footer length ${need - 8}`);
    if (need > tail.length) tail = await this.store.readRange(key, size - need, size, etag);
    return worker.inspect(size, tail);
  }

  /** Whether an existing output holds exactly the intent's rows with its schema. */
  private async outputState(worker: ParquetWorker, intent: CompactionIntent): Promise<RecoveryObservation["output"]> {
    const head = await this.store.head(intent.output);
    if (!head) return "missing";
    try {
      const footer = await this.readFooter(worker, intent.output, head.size, head.etag);
      return footer.rows === intent.expectedRows && footer.fingerprint === intent.schemaFingerprint ? "verified" : "invalid";
    } catch (err) {
      if (err instanceof ObjectChangedError) return (await this.store.head(intent.output)) ? "invalid" : "missing";
      // Only bytes that are not a valid footer make the output "invalid"; S3 errors and a crashed worker are
      // failures of this run (nothing is decided, the next run looks again).
      if (err instanceof NotParquetError || (err instanceof ParquetWorkerError && err.kind === "failed")) {
        this.log("compaction output unreadable", { output: intent.output, error: errorText(err) });
        return "invalid";
      }
      throw err;
    }
  }

  /** Each intent input: intact (same ETag), replaced, or missing, from one listing of the partition. */
  private async inputStates(intent: CompactionIntent): Promise<RecoveryObservation["inputs"]> {
    const listed = new Map<string, string>();
    for await (const o of this.store.list(intent.partition)) listed.set(o.key, o.etag);
    return Object.fromEntries(
      intent.inputs.map((i) => {
        const etag = listed.get(i.key);
        return [i.key, etag === undefined ? "missing" : etag === i.etag ? "intact" : "replaced"];
      }),
    );
  }

  /** Carries out a recovery decision; returns how many inputs were deleted. */
  private async act(intent: CompactionIntent, decision: RecoveryAction): Promise<number> {
    const intentKey = intentKeyFor(intent.output);
    switch (decision.action) {
      case "roll-forward":
        if (decision.deleteInputs.length > 0) await this.store.delete(decision.deleteInputs);
        await this.step("inputs-deleted", intent.output);
        await this.store.delete([intentKey]);
        await this.step("intent-deleted", intent.output);
        return decision.deleteInputs.length;
      case "roll-back":
        if (decision.deleteOutput) {
          await this.store.delete([intent.output]);
          await this.step("output-removed", intent.output);
        }
        await this.store.delete([intentKey]);
        await this.step("intent-removed", intent.output);
        return 0;
      case "stuck":
      case "wait":
        return 0;
    }
  }

  /** Finds the intents earlier runs left and finishes or undoes each; returns the inputs of live ones. */
  async recover(): Promise<string[]> {
    const inFlight: string[] = [];
    {
      for await (const object of this.store.list(INTENTS_PREFIX)) {
        if (!object.key.endsWith(".json")) continue;
        let intent: CompactionIntent;
        try {
          const bytes = await this.store.read(object.key);
          if (!bytes) continue; // deleted meanwhile by the run that owned it
          intent = parseIntent(new TextDecoder().decode(bytes), object.key);
          if (intentKeyFor(intent.output) !== object.key) throw new IntentFormatError(`${object.key}: does not match its output ${intent.output}`);
        } catch (err) {
          // Unreadable: nothing can be decided without it. Its partition (from its key) is left alone until a
          // human looks (a CompactionFailures metric every run).
          this.report.failures.push({ subject: object.key, stage: "recovery", error: errorText(err) });
          inFlight.push(outputKeyOfIntent(object.key));
          continue;
        }
        // Age from S3's clock (LastModified), not the writer's.
        const ageMs = this.now().getTime() - object.lastModified.getTime();
        if (ageMs < this.options.config.intentLeaseMs) {
          inFlight.push(...intent.inputs.map((i) => i.key));
          this.report.recoveries.push({ intent: object.key, output: intent.output, action: "wait" });
          continue;
        }
        if (this.report.dryRun) {
          inFlight.push(...intent.inputs.map((i) => i.key));
          continue;
        }
        try {
          const decision = decideRecovery(
            intent,
            { ageMs, output: await this.outputState(this.getWorker(), intent), inputs: await this.inputStates(intent) },
            this.options.config.intentLeaseMs,
          );
          const deleted = await this.act(intent, decision);
          this.report.recoveries.push({
            intent: object.key,
            output: intent.output,
            action: decision.action,
            ...(decision.action === "roll-forward" ? { deletedInputs: deleted } : {}),
            ...(decision.action === "stuck" ? { reason: decision.reason } : {}),
          });
          if (decision.action === "stuck") {
            inFlight.push(...intent.inputs.map((i) => i.key));
            this.report.failures.push({ subject: object.key, stage: "recovery", error: `stuck: ${decision.reason}` });
          }
          this.log("compaction intent recovered", { intent: object.key, action: decision.action });
        } catch (err) {
          if (err instanceof SimulatedCrash) throw err;
          inFlight.push(...intent.inputs.map((i) => i.key));
          this.report.failures.push({ subject: object.key, stage: "recovery", error: errorText(err) });
        }
      }
    }
    return inFlight;
  }

  async plan(inFlightKeys: string[]): Promise<CompactionPlan> {
    const objects: ListedObject[] = [];
    for (const prefix of listingPrefixes(this.now(), this.options.config.lookbackDays, this.table)) {
      for await (const o of this.store.list(prefix)) objects.push(o);
    }
    const plan = planCompaction({ objects, now: this.now(), config: this.options.config, inFlightKeys, table: this.table });
    const count = (status: string) => plan.partitions.filter((p) => p.status === status).length;
    this.report.listed = {
      objects: objects.length,
      partitions: plan.partitions.length,
      settled: count("settled"),
      unsettled: count("unsettled"),
      busy: count("busy"),
      ignoredKeys: plan.ignoredKeys,
      invalidFiles: plan.partitions.flatMap((p) => p.invalidFiles),
    };
    this.report.planned = {
      groups: plan.groups.length,
      bytes: plan.groups.reduce((s, g) => s + g.bytes, 0),
      files: plan.groups.reduce((s, g) => s + g.inputs.length, 0),
    };
    this.report.deferred = { groups: plan.deferred.length, bytes: plan.deferred.reduce((s, g) => s + g.bytes, 0) };
    return plan;
  }

  /** One merge, start to finish. Failures are reported; a SimulatedCrash propagates. */
  async merge(group: MergeGroup): Promise<void> {
    const started = Date.now();
    const worker = this.getWorker();
    let stage: "inspect" | "written-intent" | "committed" = "inspect";
    let intent: CompactionIntent | undefined;
    let sink: OutputSink | undefined;
    let staging: string | undefined;
    try {
      // 1. Footers: rows and schema of every input, reads pinned to the listed ETags.
      let footers: FooterInfo[];
      try {
        footers = await mapLimit(group.inputs, this.tuning.footerConcurrency, (f) => this.readFooter(worker, f.key, f.size, f.etag));
      } catch (err) {
        if (err instanceof ObjectChangedError) {
          this.report.skipped.push({ output: group.output, reason: err.message });
          return;
        }
        throw err;
      }
      // Inputs must share one schema (field names, types, timestamp units, nullability): merge the largest set that does.
      let inputs = group.inputs.map((f, i) => ({ ...f, footer: footers[i]! }));
      const counts = new Map<string, number>();
      for (const i of inputs) counts.set(i.footer.fingerprint, (counts.get(i.footer.fingerprint) ?? 0) + 1);
      const fingerprint = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
      if (counts.size > 1) {
        const left = inputs.filter((i) => i.footer.fingerprint !== fingerprint).map((i) => i.key);
        inputs = inputs.filter((i) => i.footer.fingerprint === fingerprint);
        this.log("compaction inputs with another schema left out", { output: group.output, left });
        if (inputs.length < 2) {
          this.report.skipped.push({ output: group.output, reason: `inputs have different schemas (${left.join(", ")})` });
          return;
        }
      }
      const output = counts.size > 1 ? compactedKey(group.partition, inputs.map((i) => i.key)) : group.output;
      await this.step("read-inputs", output);

      // 2. Intent, create-only: a second run on the same inputs finds it and leaves the merge to its owner.
      intent = {
        kind: INTENT_KIND,
        version: 1,
        partition: group.partition,
        output,
        inputs: inputs.map((i) => ({ key: i.key, size: i.size, etag: i.etag ?? "", rows: i.footer.rows })),
        expectedRows: inputs.reduce((s, i) => s + i.footer.rows, 0),
        schemaFingerprint: fingerprint,
        createdAt: this.now().toISOString(),
        runId: this.report.runId,
      };
      if (intent.inputs.some((i) => i.etag === "")) throw new Error("listing returned no ETag for an input");
      if (!(await this.store.putIfAbsent(intentKeyFor(output), serializeIntent(intent), INTENT_CONTENT_TYPE))) {
        this.report.skipped.push({ output, reason: "another run holds an intent for this merge" });
        return;
      }
      stage = "written-intent";
      await this.step("intent-written", output);

      // 3. Stream the merge into the upload (invisible until completed).
      staging = await mkdtemp(join(this.options.tempDir ?? tmpdir(), STAGING_PREFIX));
      const dir = staging;
      sink = new OutputSink(this.store, output, { partBytes: this.tuning.partBytes, tailBytes: this.tuning.tailBytes });
      const out = sink;
      const fetchInput = async (index: number): Promise<InputSource> => {
        const f = inputs[index]!;
        if (f.size <= this.tuning.memoryInputBytes) {
          const bytes = await this.store.read(f.key, f.etag);
          if (!bytes || bytes.length !== f.size) throw new Error(`${f.key}: expected ${f.size} bytes, got ${bytes?.length}`);
          return { kind: "memory", bytes: new Uint8Array(bytes).buffer };
        }
        const path = join(dir, `input-${index}.parquet`);
        const n = await this.store.download(f.key, path, f.etag);
        if (n !== f.size) throw new Error(`${f.key}: expected ${f.size} bytes, got ${n}`);
        return { kind: "file", path, size: n };
      };
      const prefetched = new Map<number, Promise<InputSource>>();
      const provide = (index: number) => {
        const current = prefetched.get(index) ?? fetchInput(index);
        prefetched.delete(index);
        // The previous input is done with: drop its staged file.
        if (index > 0) void rm(join(dir, `input-${index - 1}.parquet`), { force: true });
        if (index + 1 < inputs.length) {
          const next = fetchInput(index + 1);
          next.catch(() => undefined); // observed when asked for
          prefetched.set(index + 1, next);
        }
        return current;
      };
      const merged = await worker.merge(
        {
          inputs: inputs.length,
          ...(inputs.find((i) => i.footer.compression !== undefined)?.footer.compression !== undefined
            ? { compression: inputs.find((i) => i.footer.compression !== undefined)!.footer.compression! }
            : {}),
          maxRowGroupRows: this.tuning.maxRowGroupRows,
          batchRows: this.tuning.batchRows,
          createdBy: "eventlake compactor (parquet-wasm 0.8.0)",
        },
        provide,
        (bytes) => out.write(bytes),
      );
      merged.perInput.forEach((rows, i) => {
        if (rows !== inputs[i]!.footer.rows) throw new Error(`${inputs[i]!.key}: footer says ${inputs[i]!.footer.rows} rows, ${rows} read`);
      });
      await sink.finish();
      await this.step("output-uploading", output);

      // 4. Verify the footer of the bytes written before they become visible.
      const tail = sink.tail();
      const need = footerLength(tail, output) + 8;
      let verifiedBeforeCommit = false;
      if (need <= tail.length) {
        const footer = await worker.inspect(sink.bytes, tail);
        if (footer.rows !== intent.expectedRows || footer.fingerprint !== intent.schemaFingerprint) {
          throw new Error(`merged output does not match its inputs: ${footer.rows} rows (expected ${intent.expectedRows}), schema ${footer.fingerprint === intent.schemaFingerprint ? "equal" : "different"}`);
        }
        verifiedBeforeCommit = true;
      }
      const committed = await sink.commit();
      stage = "committed";
      if (committed === "created") await this.step("output-written", output);

      // 5. Inputs unchanged? Then delete them, then the intent (or undo when an input was replaced meanwhile).
      const outputState = committed === "created" && verifiedBeforeCommit ? "verified" : await this.outputState(worker, intent);
      const decision = decideRecovery(intent, { ageMs: 0, output: outputState, inputs: await this.inputStates(intent) }, 0);
      await this.act(intent, decision);
      if (decision.action === "stuck") {
        this.report.failures.push({ subject: output, stage: "merge", error: `stuck: ${decision.reason}` });
        return;
      }
      const result = decision.action === "roll-back" ? "rolled-back" : committed === "created" ? "merged" : "adopted";
      this.report.merges.push({
        partition: group.partition,
        output,
        inputs: inputs.length,
        bytesIn: inputs.reduce((s, i) => s + i.size, 0),
        bytesOut: sink.bytes,
        rows: intent.expectedRows,
        parts: sink.parts,
        durationMs: Date.now() - started,
        result,
        wasmMemoryBytes: merged.wasmMemoryBytes,
      });
      if (result !== "rolled-back") {
        this.report.totals.filesMerged += inputs.length;
        this.report.totals.bytesMerged += inputs.reduce((s, i) => s + i.size, 0);
        this.report.totals.bytesWritten += sink.bytes;
        this.report.totals.rowsMerged += intent.expectedRows;
      }
      this.log("compaction merge", { output, inputs: inputs.length, rows: intent.expectedRows, bytesOut: sink.bytes, result });
    } catch (err) {
      if (err instanceof SimulatedCrash) throw err;
      if (err instanceof ObjectChangedError && stage === "written-intent") {
        // An input changed or went away under the merge (a writer replaced it, or another run merged it first):
        // nothing is lost, nothing was published; undo and let a later plan see the new state.
        this.report.skipped.push({ output: intent?.output ?? group.output, reason: err.message });
      } else {
        this.report.failures.push({ subject: group.output, stage: "merge", error: errorText(err) });
        this.log("compaction merge failed", { output: group.output, error: errorText(err) });
      }
      // Undo what is safe to undo: before the commit nothing is visible and no input was touched.
      if (stage === "written-intent" && intent) {
        try {
          await sink?.abort();
          await this.store.delete([intentKeyFor(intent.output)]);
        } catch {
          // The intent stays; a later run recovers it once its lease has passed.
        }
      }
    } finally {
      if (staging) await rm(staging, { recursive: true, force: true });
    }
  }

  /**
   * Staged inputs of runs that were killed (a timeout, a crash) stay in /tmp, which a warm Lambda keeps: drop staging
   * directories untouched for longer than the intent lease, and at least an hour (a live run's directory changes
   * with every input it stages).
   */
  private async sweepStaging(): Promise<void> {
    const dir = this.options.tempDir ?? tmpdir();
    const cutoff = Date.now() - Math.max(this.options.config.intentLeaseMs, 60 * 60_000);
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (!name.startsWith(STAGING_PREFIX)) continue;
      const path = join(dir, name);
      const info = await stat(path).catch(() => undefined);
      if (info && info.mtimeMs < cutoff) await rm(path, { recursive: true, force: true });
    }
  }

  async run(): Promise<CompactionReport> {
    const started = Date.now();
    try {
      if (!this.report.dryRun) await this.sweepStaging();
      const inFlight = await this.recover();
      const plan = await this.plan(inFlight);
      if (this.report.dryRun) return this.report;
      for (let i = 0; i < plan.groups.length; i++) {
        const group = plan.groups[i]!;
        const deadline = this.options.deadlineMs;
        if (deadline !== undefined && Date.now() + 5_000 + (group.bytes / this.tuning.bytesPerSecondEstimate) * 1000 > deadline) {
          const rest = plan.groups.slice(i);
          this.report.deferred.groups += rest.length;
          this.report.deferred.bytes += rest.reduce((s, g) => s + g.bytes, 0);
          this.report.stoppedBecause = "deadline";
          break;
        }
        await this.merge(group);
      }
      return this.report;
    } finally {
      await this.worker?.close();
      this.report.durationMs = Date.now() - started;
    }
  }
}

/** One compaction run: recover, list, plan, merge. Never throws for a failed merge (see `failures`). */
export async function runCompaction(options: CompactionRunOptions): Promise<CompactionReport> {
  return new Run(options).run();
}
