/**
 * Local metrics collection: turns what the local pipeline emits into the metrics CloudWatch would hold on AWS, under
 * the same namespaces, names and dimensions, in the local metrics store.
 *
 * Sources, read on every `collect()`:
 * - EMF lines the functions print (`<dataDir>/logs/functions.log`, written by the Lambda sandboxes) and that other
 *   local components publish (`<dataDir>/metrics/emf-inbox.log`, see publish.ts): tailed from a persisted offset.
 * - The local Kinesis's counters, as the stream sampler records them (./stream-sampler.ts, the one path of those
 *   counters, which the autoscaler reads too): deltas of the newest sample become AWS/Kinesis IncomingRecords,
 *   IncomingBytes, WriteProvisionedThroughputExceeded and
 *   PutRecords.{SuccessfulRecords,ThrottledRecords,FailedRecords,TotalRecords} (the local counters count Kinesis
 *   records, i.e. KPL aggregates, as AWS does).
 * - The local Firehose's status file, when it runs: AWS/Firehose DeliveryToS3.DataFreshness (sampled) and
 *   ExecuteProcessing.Success (successful share of transform invocations).
 * - The local Lambda sandboxes' counters: AWS/Lambda Invocations, Errors and Throttles (always 0 locally: one
 *   sandbox serves concurrent invocations) by FunctionName.
 * Counters are turned into deltas against a cursor that is persisted with the points (local-store.ts); the first
 * sight of a counter only sets its baseline, so a long history is not dumped into one datapoint.
 */
import { closeSync, fstatSync, openSync, readdirSync, readSync } from "node:fs";
import { join } from "node:path";
import { parseEmfLine } from "@eventlake/emulators/metrics/emf";
import type { MetricId } from "@eventlake/core/ports";
import { singleValue, type StatSet } from "@eventlake/emulators/metrics/stat-set";
import { rawFreshnessSeconds, readFirehoseStats } from "@eventlake/emulators/firehose/state";
import type { ShardCounters } from "@eventlake/emulators/kinesis";
import type { LocalLambda } from "@eventlake/emulators/lambda/local-lambda";
import type { LocalMetricsStore } from "@eventlake/emulators/metrics/local-store";
import { emfInboxPath } from "./publish";
import { latestStreamSample, streamSamplesDir } from "./stream-sampler";

export interface CollectorCursor {
  version: 1;
  /** By file path: bytes consumed and the file's inode (a new file starts over). */
  logs: Record<string, { offset: number; ino: number }>;
  /** By stream name: the Kinesis counters last seen. */
  kinesis: Record<string, ShardCounters>;
  /** The Firehose transform counters last seen, by delivery stream name. */
  firehose: Record<string, { invocations: number; failedInvocations: number }>;
}

export function emptyCursor(): CollectorCursor {
  return { version: 1, logs: {}, kinesis: {}, firehose: {} };
}

function asCursor(value: unknown): CollectorCursor {
  const c = value as Partial<CollectorCursor> | undefined;
  if (!c || c.version !== 1) return emptyCursor();
  return { version: 1, logs: c.logs ?? {}, kinesis: c.kinesis ?? {}, firehose: c.firehose ?? {} };
}

export interface MetricsCollectorOptions {
  dataDir: string;
  store: LocalMetricsStore;
  /** The running functions (the runtime's ctx.functions). */
  functions?: () => readonly LocalLambda[];
  /** Most bytes read from one log per collect (bounds memory; the rest is read next time). */
  maxReadBytes?: number;
  /** On a log never read before, start at most this many bytes before its end (an old log is not replayed). */
  initialTailBytes?: number;
}

/** Counter delta; a counter that went down was reset (a restart): its whole value is new. */
const delta = (now: number, before: number | undefined) => (before === undefined ? 0 : now >= before ? now - before : now);

export class MetricsCollector {
  private cursor: CollectorCursor;
  /**
   * False until the first collect of a store that had never collected: sources seen then only set baselines (an old
   * data directory's history is not dumped into one datapoint). Sources that appear later are new: counted from 0.
   */
  private initialized: boolean;
  /** Sandbox counters last seen, by function name: in memory only, since the counters start at 0 in each process. */
  private readonly lambdaCounters = new Map<string, { invocations: number; errors: number }>();
  private readonly maxReadBytes: number;
  private readonly initialTailBytes: number;
  /** Non-EMF or unreadable lines seen (the log holds plain log lines too: not an error). */
  ignoredLines = 0;

  constructor(private readonly options: MetricsCollectorOptions) {
    this.cursor = asCursor(options.store.cursor);
    this.initialized = options.store.cursor !== undefined;
    this.maxReadBytes = options.maxReadBytes ?? 8 * 1024 * 1024;
    this.initialTailBytes = options.initialTailBytes ?? 16 * 1024 * 1024;
  }

  /** Reads every source once and commits the new points with the new cursor. */
  collect(nowMs: number): void {
    const { dataDir, store } = this.options;
    for (const path of [join(dataDir, "logs", "functions.log"), emfInboxPath(dataDir)]) this.tail(path);
    this.kinesis(nowMs);
    this.firehose(nowMs);
    this.lambdas(nowMs);
    store.commit(this.cursor, nowMs);
    this.initialized = true;
  }

  private add(metric: MetricId, timestampMs: number, set: StatSet) {
    this.options.store.add(metric, timestampMs, set);
  }

  private tail(path: string) {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch {
      return; // not created yet
    }
    try {
      const { size, ino } = fstatSync(fd);
      const known = this.cursor.logs[path];
      let offset = known && known.ino === ino && known.offset <= size ? known.offset : known || this.initialized ? 0 : Math.max(0, size - this.initialTailBytes);
      const end = Math.min(size, offset + this.maxReadBytes);
      if (end > offset) {
        const buffer = Buffer.alloc(end - offset);
        const read = readSync(fd, buffer, 0, buffer.length, offset);
        const lastNewline = buffer.subarray(0, read).lastIndexOf(0x0a);
        if (lastNewline >= 0) {
          for (const line of buffer.subarray(0, lastNewline).toString("utf8").split("\n")) {
            const data = parseEmfLine(line);
            if (data.length === 0) this.ignoredLines++;
            for (const d of data) this.add(d.metric, d.timestampMs, d.set);
          }
          offset += lastNewline + 1;
        } else if (read === this.maxReadBytes) {
          offset += read; // one line longer than a whole read: not EMF we could use, skip it
        }
      }
      this.cursor.logs[path] = { offset, ino };
    } finally {
      closeSync(fd);
    }
  }

  private kinesis(nowMs: number) {
    const samplesDir = streamSamplesDir(this.options.dataDir);
    let streams: string[];
    try {
      streams = readdirSync(samplesDir);
    } catch {
      return; // nothing sampled yet
    }
    for (const streamName of streams) {
      const sample = latestStreamSample(samplesDir, streamName);
      if (!sample) continue;
      const t: ShardCounters = { recordsIn: sample.recordsIn, bytesIn: sample.bytesIn, throttledRecords: sample.throttledRecords, failedRecords: sample.failedRecords ?? 0 };
      const before = this.cursor.kinesis[streamName] ?? (this.initialized ? { recordsIn: 0, bytesIn: 0, throttledRecords: 0, failedRecords: 0 } : undefined);
      this.cursor.kinesis[streamName] = { ...t };
      if (!before) continue;
      const d = {
        recordsIn: delta(t.recordsIn, before.recordsIn),
        bytesIn: delta(t.bytesIn, before.bytesIn),
        throttled: delta(t.throttledRecords, before.throttledRecords),
        failed: delta(t.failedRecords, before.failedRecords),
      };
      if (d.recordsIn + d.throttled + d.failed === 0) continue;
      const metric = (metricName: string): MetricId => ({ namespace: "AWS/Kinesis", metricName, dimensions: { StreamName: streamName } });
      this.add(metric("IncomingRecords"), nowMs, singleValue(d.recordsIn));
      this.add(metric("IncomingBytes"), nowMs, singleValue(d.bytesIn));
      this.add(metric("WriteProvisionedThroughputExceeded"), nowMs, singleValue(d.throttled));
      this.add(metric("PutRecords.SuccessfulRecords"), nowMs, singleValue(d.recordsIn));
      this.add(metric("PutRecords.ThrottledRecords"), nowMs, singleValue(d.throttled));
      this.add(metric("PutRecords.FailedRecords"), nowMs, singleValue(d.failed));
      this.add(metric("PutRecords.TotalRecords"), nowMs, singleValue(d.recordsIn + d.throttled + d.failed));
    }
  }

  private firehose(nowMs: number) {
    const stats = readFirehoseStats(this.options.dataDir);
    if (!stats?.running) return;
    const name = stats.deliveryStreamName;
    const metric = (metricName: string): MetricId => ({ namespace: "AWS/Firehose", metricName, dimensions: { DeliveryStreamName: name } });
    this.add(metric("DeliveryToS3.DataFreshness"), nowMs, singleValue(rawFreshnessSeconds(stats, nowMs)));
    const before = this.cursor.firehose[name] ?? (this.initialized ? { invocations: 0, failedInvocations: 0 } : undefined);
    this.cursor.firehose[name] = { invocations: stats.transform.invocations, failedInvocations: stats.transform.failedInvocations };
    if (!before) return;
    const invocations = delta(stats.transform.invocations, before.invocations);
    const failed = Math.min(invocations, delta(stats.transform.failedInvocations, before.failedInvocations));
    if (invocations === 0) return;
    // Average = successful invocations / invocations, as ExecuteProcessing.Success.
    this.add(metric("ExecuteProcessing.Success"), nowMs, {
      sampleCount: invocations,
      sum: invocations - failed,
      min: failed > 0 ? 0 : 1,
      max: failed < invocations ? 1 : 0,
    });
  }

  private lambdas(nowMs: number) {
    for (const fn of this.options.functions?.() ?? []) {
      const name = fn.options.functionName;
      const before = this.lambdaCounters.get(name) ?? { invocations: 0, errors: 0 };
      this.lambdaCounters.set(name, { invocations: fn.invocations, errors: fn.errors });
      const invocations = delta(fn.invocations, before.invocations);
      const errors = delta(fn.errors, before.errors);
      if (invocations === 0 && errors === 0) continue;
      const metric = (metricName: string): MetricId => ({ namespace: "AWS/Lambda", metricName, dimensions: { FunctionName: name } });
      this.add(metric("Invocations"), nowMs, singleValue(invocations));
      this.add(metric("Errors"), nowMs, singleValue(errors));
      this.add(metric("Throttles"), nowMs, singleValue(0));
    }
  }
}
