/**
 * What the local Firehose keeps on disk, under `<dataDir>/firehose/`:
 *   - `checkpoints.json`: per shard, the position (sequence number + subsequence number) of the last record whose
 *     fate is durable (delivered to raw/, written to the error output, or dropped by the transform), and whether
 *     the shard is finished (closed by resharding and fully delivered). Written with fsync + rename after each
 *     delivery, never before the objects are stored, so a restart (or a kill -9) resumes after the last durable
 *     record: at least once, nothing lost.
 *   - `stats.json`: counters and raw-archive freshness for `eventlake status` (another process reads it).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeDurably } from "../small-files";
import { isSequenceNumber, type ShardPosition } from "./positions";

export interface ShardCheckpoint extends ShardPosition {
  /** Closed by resharding and every record delivered: its children may be read. */
  finished?: boolean;
}

/** A shard with no record delivered yet but already finished (an empty closed shard) has no position. */
export type CheckpointEntry = ShardCheckpoint | { finished: true };

export interface CheckpointFile {
  version: 1;
  deliveryStreamName: string;
  streamName: string;
  updatedAt: string;
  shards: Record<string, CheckpointEntry>;
}

export interface FirehoseStats {
  version: 1;
  deliveryStreamName: string;
  streamName: string;
  bucket: string;
  pid: number;
  /** False once the Firehose that wrote the file has closed (a killed one leaves true behind: check the pid). */
  running: boolean;
  startedAt: string;
  /** Epoch ms of the last write. */
  updatedAtMs: number;
  /**
   * Approximate arrival time (epoch ms) of the oldest record read from the stream but not yet delivered; null when
   * nothing is pending. Raw freshness (DeliveryToS3.DataFreshness) is now minus this.
   */
  oldestUndeliveredArrivalMs: number | null;
  /** Records read and not yet delivered. */
  pendingRecords: number;
  /** Cumulative over restarts. */
  delivered: { objects: number; records: number; bytes: number; compressedBytes: number };
  errorOutput: { objects: number; records: number };
  droppedRecords: number;
  transform: { invocations: number; failedInvocations: number; records: number };
  lastDeliveryAt: string | null;
  lastError: string | null;
}

export function firehoseStateDir(dataDir: string): string {
  return join(dataDir, "firehose");
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return JSON.parse(text);
}

function validEntry(value: unknown): value is CheckpointEntry {
  if (!value || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  if (v.sequenceNumber === undefined) return v.finished === true;
  return isSequenceNumber(v.sequenceNumber) && Number.isInteger(v.subsequenceNumber) && (v.subsequenceNumber as number) >= 0;
}

export class CheckpointStore {
  readonly path: string;
  constructor(
    dir: string,
    private readonly names: { deliveryStreamName: string; streamName: string },
  ) {
    this.path = join(dir, "checkpoints.json");
  }

  /** The persisted checkpoints (empty on first start). A corrupt file is an error, never silently reset. */
  load(): Record<string, CheckpointEntry> {
    const file = readJson(this.path) as Partial<CheckpointFile> | undefined;
    if (file === undefined) return {};
    if (file.version !== 1 || !file.shards || typeof file.shards !== "object") {
      throw new Error(`${this.path} is not a local Firehose checkpoint file (delete it to re-deliver from the start of the stream)`);
    }
    if (file.streamName !== undefined && file.streamName !== this.names.streamName) {
      throw new Error(`${this.path} holds checkpoints of stream ${file.streamName}, not ${this.names.streamName}`);
    }
    for (const [shardId, entry] of Object.entries(file.shards)) {
      if (!validEntry(entry)) throw new Error(`${this.path}: invalid checkpoint for ${shardId}: ${JSON.stringify(entry)}`);
    }
    return { ...file.shards };
  }

  save(shards: Record<string, CheckpointEntry>): void {
    const file: CheckpointFile = {
      version: 1,
      deliveryStreamName: this.names.deliveryStreamName,
      streamName: this.names.streamName,
      updatedAt: new Date().toISOString(),
      shards,
    };
    writeDurably(this.path, `${JSON.stringify(file, null, 2)}\n`);
  }
}

/** The stats file in a Firehose state directory. */
export function statsFileIn(stateDir: string): string {
  return join(stateDir, "stats.json");
}

export function readStatsFile(path: string): FirehoseStats | undefined {
  try {
    const stats = readJson(path) as FirehoseStats | undefined;
    return stats?.version === 1 ? stats : undefined;
  } catch {
    return undefined; // informational only: a damaged file restarts the counters
  }
}

/** The last persisted stats of the local Firehose of this data directory, or undefined if it never ran. */
export function readFirehoseStats(dataDir: string): FirehoseStats | undefined {
  return readStatsFile(statsFileIn(firehoseStateDir(dataDir)));
}

/** Raw-archive freshness in seconds at `nowMs` (0 when nothing is pending). */
export function rawFreshnessSeconds(stats: Pick<FirehoseStats, "oldestUndeliveredArrivalMs">, nowMs: number): number {
  return stats.oldestUndeliveredArrivalMs === null ? 0 : Math.max(0, (nowMs - stats.oldestUndeliveredArrivalMs) / 1000);
}
