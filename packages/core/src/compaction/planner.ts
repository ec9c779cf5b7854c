/**
 * The compaction planner: a pure function from a listing of the curated table (keys, sizes, last-modified times),
 * the clock and the settings to a plan (which partitions are settled, which small files merge into which
 * deterministic output keys). The executor (packages/adapters/src/compaction/) carries the plan out with the
 * crash-safe protocol of ./protocol.ts.
 *
 * Rules:
 * - Only settled partitions: no writer file (curator, Glue job) in the partition is younger than `settleMs`. The
 *   compactor's own outputs do not count (they are new after every merge, and no writer ever adds to them).
 * - A partition with a live intent (another run may be merging in it) is left alone for this run.
 * - Candidates are visible data files smaller than `smallFileBytes`; larger files are never rewritten. Files too small
 *   to be Parquet at all (< 12 bytes) are reported, never merged (they would fail every merge they joined).
 * - Groups are packed first-fit-decreasing (by size, then key): every group's input bytes <= `targetBytes` and
 *   inputs <= `maxFilesPerMerge`, so no merge produces a file above the target (by input bytes; Parquet re-encoding
 *   of the same rows with the same codec stays within a few percent); no two groups of a partition could have been one.
 *   Groups of one file are dropped (nothing to merge).
 * - The run's budget (`maxBytesPerRun`) takes groups in order of most files removed per byte rewritten; what does
 *   not fit is deferred to the next run.
 * - Deterministic: the same listing (in any order) gives the same plan.
 */
import type { TableDef } from "../curation/contract";
import type { PlannerConfig } from "./config";
import { COMPACTED_TABLE, compactedKey, parseDataKey } from "./layout";

/** One listed object. `etag` is carried through to the plan (the executor pins its reads and deletes to it). */
export interface ListedObject {
  key: string;
  size: number;
  lastModified: Date;
  etag?: string;
}

export interface MergeGroup {
  partition: string;
  /** The deterministic output key (compactedKey of the inputs). */
  output: string;
  /** Sorted by key. */
  inputs: ListedObject[];
  /** Sum of the input sizes. */
  bytes: number;
}

export type PartitionStatus = "settled" | "unsettled" | "busy";

export interface PartitionSummary {
  partition: string;
  status: PartitionStatus;
  files: number;
  bytes: number;
  /** Files below the small-file threshold. */
  smallFiles: number;
  /** Newest writer file (undefined: only compacted files). */
  newestWriterFile?: Date;
  /** Keys too small to be Parquet files (never merged). */
  invalidFiles: string[];
}

export interface CompactionPlan {
  /** What this run merges, in execution order. */
  groups: MergeGroup[];
  /** Groups that did not fit this run's byte budget. */
  deferred: MergeGroup[];
  /** Every partition seen, by key. */
  partitions: PartitionSummary[];
  /** Listed keys that are not data files of the table (hidden files, other layouts): never touched. */
  ignoredKeys: number;
}

export interface PlanInput {
  objects: Iterable<ListedObject>;
  now: Date;
  config: PlannerConfig;
  /** Input keys of live intents (other runs): their partitions are left alone. */
  inFlightKeys?: Iterable<string>;
  table?: TableDef;
}

/** The smallest possible Parquet file: "PAR1", a 4-byte footer length, "PAR1". */
export const MIN_PARQUET_BYTES = 12;

const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

interface Bin {
  files: ListedObject[];
  bytes: number;
}

/** First-fit decreasing: by size descending, ties by key; each file goes into the first bin it fits. */
function pack(files: ListedObject[], config: PlannerConfig): Bin[] {
  const sorted = [...files].sort((a, b) => b.size - a.size || byKey(a, b));
  const bins: Bin[] = [];
  for (const file of sorted) {
    const bin = bins.find((b) => b.bytes + file.size <= config.targetBytes && b.files.length < config.maxFilesPerMerge);
    if (bin) {
      bin.files.push(file);
      bin.bytes += file.size;
    } else {
      bins.push({ files: [file], bytes: file.size });
    }
  }
  return bins;
}

export function validatePlannerConfig(config: PlannerConfig): void {
  const problems: string[] = [];
  if (!(config.settleMs >= 0)) problems.push("settleMs must be >= 0");
  if (!(config.targetBytes > 0)) problems.push("targetBytes must be > 0");
  if (!(config.smallFileBytes > 0 && config.smallFileBytes <= config.targetBytes)) problems.push("smallFileBytes must be in (0, targetBytes]");
  if (!Number.isInteger(config.maxFilesPerMerge) || config.maxFilesPerMerge < 2) problems.push("maxFilesPerMerge must be an integer >= 2");
  if (!(config.maxBytesPerRun >= config.targetBytes)) problems.push("maxBytesPerRun must be >= targetBytes");
  if (problems.length > 0) throw new Error(`invalid compaction planner config: ${problems.join("; ")}`);
}

export function planCompaction(input: PlanInput): CompactionPlan {
  const { now, config } = input;
  validatePlannerConfig(config);
  const table = input.table ?? COMPACTED_TABLE;
  const inFlight = new Set(input.inFlightKeys ?? []);

  const byPartition = new Map<string, { files: ListedObject[]; kinds: Map<string, "writer" | "compacted"> }>();
  const seen = new Set<string>();
  let ignoredKeys = 0;
  for (const object of input.objects) {
    if (seen.has(object.key)) continue; // a listing never repeats a key; be safe anyway
    seen.add(object.key);
    const parsed = parseDataKey(object.key, table);
    if (!parsed) {
      ignoredKeys++;
      continue;
    }
    let entry = byPartition.get(parsed.partition);
    if (!entry) byPartition.set(parsed.partition, (entry = { files: [], kinds: new Map() }));
    entry.files.push(object);
    entry.kinds.set(object.key, parsed.kind);
  }
  const busyPartitions = new Set<string>();
  for (const key of inFlight) {
    const parsed = parseDataKey(key, table);
    if (parsed) busyPartitions.add(parsed.partition);
  }

  const settledBefore = now.getTime() - config.settleMs;
  const partitions: PartitionSummary[] = [];
  const candidates: MergeGroup[] = [];
  for (const partition of [...byPartition.keys()].sort()) {
    const { files, kinds } = byPartition.get(partition)!;
    let newest: number | undefined;
    for (const f of files) {
      if (kinds.get(f.key) === "writer") newest = Math.max(newest ?? -Infinity, f.lastModified.getTime());
    }
    const invalid = files.filter((f) => f.size < MIN_PARQUET_BYTES).map((f) => f.key).sort();
    const small = files.filter((f) => f.size >= MIN_PARQUET_BYTES && f.size < config.smallFileBytes);
    const status: PartitionStatus = busyPartitions.has(partition)
      ? "busy"
      : newest !== undefined && newest > settledBefore
        ? "unsettled"
        : "settled";
    partitions.push({
      partition,
      status,
      files: files.length,
      bytes: files.reduce((sum, f) => sum + f.size, 0),
      smallFiles: small.length,
      ...(newest !== undefined ? { newestWriterFile: new Date(newest) } : {}),
      invalidFiles: invalid,
    });
    if (status !== "settled") continue;
    for (const bin of pack(small, config)) {
      if (bin.files.length < 2) continue;
      const inputs = [...bin.files].sort(byKey);
      candidates.push({ partition, output: compactedKey(partition, inputs.map((f) => f.key)), inputs, bytes: bin.bytes });
    }
  }

  // Most files removed per byte rewritten first; ties by output key (deterministic).
  candidates.sort(
    (a, b) => (b.inputs.length - 1) / b.bytes - (a.inputs.length - 1) / a.bytes || (a.output < b.output ? -1 : a.output > b.output ? 1 : 0),
  );
  const groups: MergeGroup[] = [];
  const deferred: MergeGroup[] = [];
  let budget = config.maxBytesPerRun;
  for (const group of candidates) {
    if (group.bytes <= budget) {
      groups.push(group);
      budget -= group.bytes;
    } else {
      deferred.push(group);
    }
  }
  return { groups, deferred, partitions, ignoredKeys };
}
