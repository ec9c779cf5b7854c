/**
 * The one local path of the Kinesis counters: every second (started by the local runtime with the stream), the local
 * Kinesis's write counters (readKinesisStats: per stream and per shard, bytes and records written, records throttled
 * or failed) are appended as a timestamped sample to `<dataDir>/stream-samples/<stream>/<yyyy-mm-ddThh>.jsonl`
 * (packages/emulators/src/kinesis/counter-samples.ts), kept for 26 h, and the newest sample is kept in `latest.json` next to them.
 * Both consumers read the samples: the autoscaler's LocalStreamMetrics (./local-stream-metrics.ts) turns them into
 * per-period sums, as CloudWatch's GetMetricData does on AWS, and the metrics collector (./collector.ts) turns the
 * newest one into the AWS/Kinesis metrics the alarms read.
 */
import { readFileSync } from "node:fs";
import { appendFile, mkdir, readdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { counterSampleFile, type CounterSample } from "@eventlake/emulators/kinesis/counter-samples";
import { readKinesisStats } from "@eventlake/emulators/kinesis";
import { writeFileAtomic } from "../local-config";

export const STREAM_SAMPLES_DIR = "stream-samples";

export function streamSamplesDir(dataDir: string): string {
  return join(dataDir, STREAM_SAMPLES_DIR);
}

export interface StreamSample extends CounterSample {
  /** Records refused for another reason than the shard limits (injected faults, internal failures). */
  failedRecords: number;
  /** Per shard: [bytesIn, recordsIn, throttledRecords]. */
  shards: Record<string, [number, number, number]>;
}

const LATEST_FILE = "latest.json";

/** The newest sample of a stream, or undefined before the sampler first ran. */
export function latestStreamSample(samplesDir: string, streamName: string): StreamSample | undefined {
  try {
    return JSON.parse(readFileSync(join(samplesDir, streamName, LATEST_FILE), "utf8")) as StreamSample;
  } catch {
    return undefined;
  }
}

export interface StreamSamplerOptions {
  /** The local Kinesis's directory (<dataDir>/kinesis). */
  kinesisDir: string;
  samplesDir: string;
  streamName: string;
  intervalMs?: number;
  retentionMs?: number;
  clock?: () => number;
  log?: (line: string) => void;
}

export class StreamSampler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private lastPruneHour = -1;
  private failing = false;

  constructor(private readonly options: StreamSamplerOptions) {}

  /** Reads the counters and appends one sample. */
  async sample(): Promise<StreamSample> {
    const t = (this.options.clock ?? Date.now)();
    const stream = readKinesisStats(this.options.kinesisDir)?.streams[this.options.streamName];
    const totals = stream?.totals;
    const sample: StreamSample = {
      t,
      bytesIn: totals?.bytesIn ?? 0,
      recordsIn: totals?.recordsIn ?? 0,
      throttledRecords: totals?.throttledRecords ?? 0,
      failedRecords: totals?.failedRecords ?? 0,
      shards: Object.fromEntries(Object.entries(stream?.shards ?? {}).map(([id, c]) => [id, [c.bytesIn, c.recordsIn, c.throttledRecords]])),
    };
    const file = join(this.options.samplesDir, counterSampleFile(this.options.streamName, t));
    await mkdir(dirname(file), { recursive: true });
    await appendFile(file, `${JSON.stringify(sample)}\n`);
    writeFileAtomic(join(this.options.samplesDir, this.options.streamName, LATEST_FILE), JSON.stringify(sample));
    const hour = Math.floor(t / 3_600_000);
    if (hour !== this.lastPruneHour) {
      this.lastPruneHour = hour;
      await this.prune(t);
    }
    return sample;
  }

  private async prune(now: number): Promise<void> {
    const dir = join(this.options.samplesDir, this.options.streamName);
    const keepFrom = counterSampleFile(this.options.streamName, now - (this.options.retentionMs ?? 26 * 3_600_000)).split("/").pop() as string;
    for (const name of await readdir(dir)) {
      if (name.endsWith(".jsonl") && name < keepFrom) await rm(join(dir, name), { force: true });
    }
  }

  start(): void {
    const tick = () => {
      this.running = this.running
        .then(() => this.sample())
        .then(() => {
          if (this.failing) this.options.log?.("stream sampler: recovered");
          this.failing = false;
        })
        .catch((err: unknown) => {
          if (!this.failing) this.options.log?.(`stream sampler: could not sample the local stream: ${(err as Error).message}`);
          this.failing = true;
        });
    };
    tick();
    this.timer = setInterval(tick, this.options.intervalMs ?? 1_000);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
