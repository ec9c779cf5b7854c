/**
 * An in-memory metric store with CloudWatch's query semantics (see packages/core/src/metrics/port.ts): time series per namespace, metric
 * name and exact dimension set, kept as statistic sets in fixed-resolution buckets, queried by period and
 * statistic. Pure: no clock and no I/O; the caller passes times and persists what `drainChanges()` returns.
 */
import type { MetricDataResult, MetricId, MetricStatQuery, MetricsQueryPort } from "@eventlake/core/ports";
import { mergeStatSets, metricKey, parseMetricKey, statOf, type StatSet } from "./stat-set";

/** One bucket of one series, as persisted: [metric key, bucket start ms, sampleCount, sum, min, max]. */
export type StoredBucket = [key: string, startMs: number, sampleCount: number, sum: number, min: number, max: number];

export interface MetricSeriesStoreOptions {
  /** Bucket size: the finest period a query can ask for (CloudWatch: 60 s standard, 1 s high resolution). */
  resolutionSeconds: number;
  /** Buckets older than this (relative to the `nowMs` given to prune) are dropped. */
  retentionSeconds: number;
}

export class MetricSeriesStore implements MetricsQueryPort {
  private readonly series = new Map<string, Map<number, StatSet>>();
  private changes: StoredBucket[] = [];
  readonly resolutionMs: number;
  readonly retentionMs: number;

  constructor(options: MetricSeriesStoreOptions) {
    if (!(options.resolutionSeconds > 0)) throw new Error("resolutionSeconds must be > 0");
    this.resolutionMs = options.resolutionSeconds * 1000;
    this.retentionMs = options.retentionSeconds * 1000;
  }

  private bucketOf(timestampMs: number): number {
    return Math.floor(timestampMs / this.resolutionMs) * this.resolutionMs;
  }

  /** Adds a datum (a statistic set, e.g. one value or several values of one EMF line) at a time. */
  add(metric: MetricId, timestampMs: number, set: StatSet): void {
    if (set.sampleCount <= 0 || !Number.isFinite(set.sum)) return;
    const key = metricKey(metric);
    const start = this.bucketOf(timestampMs);
    this.merge(key, start, set);
    this.changes.push([key, start, set.sampleCount, set.sum, set.min, set.max]);
  }

  private merge(key: string, start: number, set: StatSet) {
    let buckets = this.series.get(key);
    if (!buckets) {
      buckets = new Map();
      this.series.set(key, buckets);
    }
    const existing = buckets.get(start);
    if (existing) mergeStatSets(existing, set);
    else buckets.set(start, { ...set });
  }

  /** Restores persisted buckets (merged into what is there; not reported as changes). */
  load(buckets: Iterable<StoredBucket>): void {
    for (const [key, start, sampleCount, sum, min, max] of buckets) {
      this.merge(key, start, { sampleCount, sum, min, max });
    }
  }

  /** What was added since the last call, for an append-only log. */
  drainChanges(): StoredBucket[] {
    const out = this.changes;
    this.changes = [];
    return out;
  }

  /** Every bucket, for rewriting the log. */
  snapshot(): StoredBucket[] {
    const out: StoredBucket[] = [];
    for (const [key, buckets] of this.series) {
      for (const [start, s] of buckets) out.push([key, start, s.sampleCount, s.sum, s.min, s.max]);
    }
    return out;
  }

  /** Drops buckets older than the retention. */
  prune(nowMs: number): void {
    const oldest = nowMs - this.retentionMs;
    for (const [key, buckets] of this.series) {
      for (const start of buckets.keys()) if (start < oldest) buckets.delete(start);
      if (buckets.size === 0) this.series.delete(key);
    }
  }

  metrics(): MetricId[] {
    return [...this.series.keys()].map(parseMetricKey);
  }

  query(queries: readonly MetricStatQuery[], startMs: number, endMs: number): MetricDataResult[] {
    return queries.map((q) => {
      const periodMs = q.periodSeconds * 1000;
      const buckets = this.series.get(metricKey(q));
      const byPeriod = new Map<number, StatSet>();
      for (const [start, set] of buckets ?? []) {
        const period = Math.floor(start / periodMs) * periodMs;
        if (period < startMs || period >= endMs) continue;
        const agg = byPeriod.get(period);
        if (agg) mergeStatSets(agg, set);
        else byPeriod.set(period, { ...set });
      }
      const points = [...byPeriod.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([timestampMs, set]) => ({ timestampMs, value: statOf(set, q.stat) }));
      return { id: q.id, points };
    });
  }

  async getMetricData(queries: readonly MetricStatQuery[], startMs: number, endMs: number): Promise<MetricDataResult[]> {
    return this.query(queries, startMs, endMs);
  }
}
