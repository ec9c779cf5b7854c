/**
 * Write counters of the local Kinesis, per shard and per stream, kept in memory and persisted to
 * `<dataDir>/stats.json` (at most once per second while traffic flows, and on close) so that another
 * process, e.g. the CLI's `status`, can read them with `readKinesisStats(dataDir)`. The counters carry over
 * restarts: a new server starts from the file's values.
 */
import { readFileSync } from "node:fs";
import { readFile, rename, writeFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";

export interface ShardCounters {
  /** Records written (admitted and stored). */
  recordsIn: number;
  /** Bytes written, counted as data + partition key like the limits. */
  bytesIn: number;
  /** Records refused with ProvisionedThroughputExceededException (by the limiter or an injected fault). */
  throttledRecords: number;
  /** Records refused with any other error code (injected faults, e.g. InternalFailure). */
  failedRecords: number;
}

export interface StreamStats {
  totals: ShardCounters;
  /** By shard id. */
  shards: Record<string, ShardCounters>;
}

export interface KinesisStats {
  version: 1;
  /** The endpoint of the server that wrote the file. */
  endpoint: string;
  pid: number;
  /** False once the server that wrote the file has closed. */
  running: boolean;
  /** ISO 8601 time of the last write. */
  updatedAt: string;
  /** By stream name. */
  streams: Record<string, StreamStats>;
}

export function kinesisStatsPath(dataDir: string): string {
  return join(dataDir, "stats.json");
}

/**
 * The last persisted stats of the local Kinesis whose dataDir this is (the same dataDir given to
 * startLocalKinesis), or undefined if it never wrote any. Synchronous: the file is small and CLI-facing.
 */
export function readKinesisStats(dataDir: string): KinesisStats | undefined {
  let text: string;
  try {
    text = readFileSync(kinesisStatsPath(dataDir), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  return JSON.parse(text) as KinesisStats;
}

function zero(): ShardCounters {
  return { recordsIn: 0, bytesIn: 0, throttledRecords: 0, failedRecords: 0 };
}

export type CounterName = keyof ShardCounters;

/** In-memory counters with throttled persistence. */
export class StatsRecorder {
  private streams: Record<string, StreamStats> = {};
  private timer: NodeJS.Timeout | undefined;
  private lastWriteMs = 0;
  private writing: Promise<void> = Promise.resolve();
  private readonly path: string;

  /** Written into the file so readers know where the server listens. */
  endpoint = "";

  constructor(
    dataDir: string,
    private readonly minIntervalMs = 1000,
  ) {
    this.path = kinesisStatsPath(dataDir);
  }

  /** Loads the counters persisted by an earlier run, if any. */
  async load(): Promise<void> {
    try {
      const previous = JSON.parse(await readFile(this.path, "utf8")) as Partial<KinesisStats>;
      if (previous && typeof previous.streams === "object" && previous.streams) this.streams = previous.streams;
    } catch {
      // No file or an unreadable one: start from zero.
    }
  }

  add(streamName: string, shardId: string, counter: CounterName, amount: number): void {
    if (amount === 0) return;
    const stream = (this.streams[streamName] ??= { totals: zero(), shards: {} });
    const shard = (stream.shards[shardId] ??= zero());
    shard[counter] += amount;
    stream.totals[counter] += amount;
    this.schedule();
  }

  /** Forgets a deleted stream. */
  dropStream(streamName: string): void {
    if (!(streamName in this.streams)) return;
    delete this.streams[streamName];
    this.schedule();
  }

  snapshot(): Record<string, StreamStats> {
    return structuredClone(this.streams);
  }

  /** Writes now (cancelling a pending write); `running: false` marks the final write on close. */
  async flush(running: boolean): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.write(running);
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastWriteMs + this.minIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.write(true).catch((err: unknown) => console.error("eventlake: could not write Kinesis stats:", err));
    }, wait);
    this.timer.unref();
  }

  private write(running: boolean): Promise<void> {
    // Writes are chained so that a slow write cannot be overtaken by a later one.
    const next = this.writing.then(async () => {
      this.lastWriteMs = Date.now();
      const stats: KinesisStats = {
        version: 1,
        endpoint: this.endpoint,
        pid: process.pid,
        running,
        updatedAt: new Date(this.lastWriteMs).toISOString(),
        streams: this.streams,
      };
      await mkdir(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(stats, null, 2));
      await rename(tmp, this.path);
    });
    this.writing = next.catch(() => undefined);
    return next;
  }
}
