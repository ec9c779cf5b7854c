/**
 * Stream metrics from cumulative counters: the local stream layer counts bytes, records and throttled records
 * written since it started (like CloudWatch's sums, but running totals), and a sampler persists timestamped
 * snapshots of them. A period's sum is the counter's growth over the period: the last snapshot at or before the
 * period's end minus the last one at or before its start. Pure.
 */
import type { StreamDatapoint } from "@eventlake/core/ports";

export interface CounterSample {
  /** When the counters had these values (ms). */
  t: number;
  bytesIn: number;
  recordsIn: number;
  throttledRecords: number;
}

/** The last sample at or before `t` (samples sorted by time), or undefined. */
function valueAt(samples: readonly CounterSample[], t: number): CounterSample | undefined {
  let lo = 0;
  let hi = samples.length - 1;
  let found: CounterSample | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = samples[mid] as CounterSample;
    if (s.t <= t) {
      found = s;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Growth of a counter; a decrease means the counters were reset, and then the new value is the growth. */
const growth = (from: number, to: number) => (to >= from ? to - from : to);

/**
 * One datapoint per period in [startMs, endMs) (aligned to the period) whose end the samples have reached: a
 * period is complete only when a sample at or after its end exists, so a stopped sampler yields no fresh periods
 * (rather than periods of zeros). Periods before the first sample are zeros (nothing was running to write).
 */
export function datapointsFromCounterSamples(samples: readonly CounterSample[], startMs: number, endMs: number, periodSeconds: number): StreamDatapoint[] {
  const sorted = [...samples].sort((a, b) => a.t - b.t);
  const last = sorted[sorted.length - 1];
  if (!last) return [];
  const periodMs = periodSeconds * 1000;
  const out: StreamDatapoint[] = [];
  for (let start = Math.ceil(startMs / periodMs) * periodMs; start + periodMs <= endMs; start += periodMs) {
    const end = start + periodMs;
    if (last.t < end) break;
    // Before the first sample the counters are unknown (nothing ran, or the sampler had not started): the first
    // sample is the baseline, and a period that ends before it is all zeros.
    const to = valueAt(sorted, end);
    const from = valueAt(sorted, start) ?? (sorted[0] as CounterSample);
    out.push({
      startMs: start,
      periodSeconds,
      incomingBytes: to ? growth(from.bytesIn, to.bytesIn) : 0,
      incomingRecords: to ? growth(from.recordsIn, to.recordsIn) : 0,
      throttledRecords: to ? growth(from.throttledRecords, to.throttledRecords) : 0,
    });
  }
  return out;
}

/**
 * Where samples are kept: one JSON line per sample (a CounterSample, optionally with per-shard counters), one file
 * per UTC hour, `<stream>/<yyyy-mm-ddThh>.jsonl` under the samples directory. Writer (the local stream sampler) and
 * reader (the local metrics adapter) both use this.
 */
export function counterSampleFile(streamName: string, tMs: number): string {
  return `${streamName}/${new Date(tMs).toISOString().slice(0, 13)}.jsonl`;
}

/** The hourly files that can hold samples in [startMs, endMs]. */
export function counterSampleFiles(streamName: string, startMs: number, endMs: number): string[] {
  const hour = 3_600_000;
  const files: string[] = [];
  for (let t = Math.floor(startMs / hour) * hour; t <= endMs; t += hour) files.push(counterSampleFile(streamName, t));
  return files;
}

/** Parses one sample line; undefined for a torn or foreign line (the writer appends; a crash can cut the last one). */
export function parseCounterSample(line: string): CounterSample | undefined {
  try {
    const o = JSON.parse(line) as Partial<CounterSample>;
    if ([o.t, o.bytesIn, o.recordsIn, o.throttledRecords].every((v) => typeof v === "number" && Number.isFinite(v))) return o as CounterSample;
  } catch {
    // torn line
  }
  return undefined;
}
