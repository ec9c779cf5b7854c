/**
 * The local metrics store: series-store.ts's MetricSeriesStore (CloudWatch query semantics) persisted under
 * `<dataDir>/metrics/points.ndjson`, so metrics and alarm windows survive restarts.
 *
 * The file is append-only: one line per commit, `{"c": <collector cursor>, "p": [<buckets added>]}`. A line holds
 * the points and the cursor (how far each source has been read) together, so a crash never double-counts or loses
 * a source's data: a torn last line is ignored along with the reads it recorded, and those are read again. When the
 * file grows, it is rewritten (temp file + rename) as one line holding every bucket still within retention.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync, appendFileSync } from "node:fs";
import { join } from "node:path";
import type { MetricDataResult, MetricId, MetricStatQuery, MetricsQueryPort } from "@eventlake/core/ports";
import type { StatSet } from "./stat-set";
import { MetricSeriesStore, type StoredBucket } from "./series-store";

export function metricsDir(dataDir: string): string {
  return join(dataDir, "metrics");
}

export interface LocalMetricsStoreOptions {
  /** Bucket size in seconds (default 10: CloudWatch's smallest high-resolution alarm period). */
  resolutionSeconds?: number;
  /** How long buckets are kept (default 26 h: the longest alarm window is at most one day). */
  retentionSeconds?: number;
  /** Rewrite the file once it is larger than this (default 8 MiB). */
  compactBytes?: number;
}

interface LogLine {
  c: unknown;
  p: StoredBucket[];
}

export class LocalMetricsStore implements MetricsQueryPort {
  readonly store: MetricSeriesStore;
  readonly path: string;
  private readonly compactBytes: number;
  /** The collector's cursor as of the last commit (undefined on a new store). */
  cursor: unknown;
  private committedCursor: string | undefined;

  constructor(dataDir: string, options: LocalMetricsStoreOptions = {}) {
    this.store = new MetricSeriesStore({
      resolutionSeconds: options.resolutionSeconds ?? 10,
      retentionSeconds: options.retentionSeconds ?? 26 * 3600,
    });
    this.compactBytes = options.compactBytes ?? 8 * 1024 * 1024;
    const dir = metricsDir(dataDir);
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, "points.ndjson");
    this.load();
  }

  private load() {
    if (!existsSync(this.path)) return;
    for (const line of readFileSync(this.path, "utf8").split("\n")) {
      if (line.trim() === "") continue;
      let parsed: LogLine;
      try {
        parsed = JSON.parse(line) as LogLine;
      } catch {
        continue; // a torn line (crash mid-append): its points and its cursor are both dropped
      }
      if (!Array.isArray(parsed.p)) continue;
      this.store.load(parsed.p);
      this.cursor = parsed.c;
      this.committedCursor = JSON.stringify(parsed.c);
    }
  }

  add(metric: MetricId, timestampMs: number, set: StatSet): void {
    this.store.add(metric, timestampMs, set);
  }

  /** Persists what was added since the last commit together with the cursor; prunes and compacts. */
  commit(cursor: unknown, nowMs: number): void {
    const points = this.store.drainChanges();
    const cursorText = JSON.stringify(cursor);
    this.cursor = JSON.parse(cursorText);
    // Nothing new (same cursor, no points): nothing to write.
    if (points.length > 0 || cursorText !== this.committedCursor) {
      appendFileSync(this.path, `${JSON.stringify({ c: this.cursor, p: points })}\n`);
      this.committedCursor = cursorText;
    }
    this.store.prune(nowMs);
    if (statSync(this.path).size > this.compactBytes) this.compact();
  }

  /** Rewrites the file as one line with every retained bucket and the current cursor. */
  compact(): void {
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ c: this.cursor, p: this.store.snapshot() })}\n`);
    renameSync(tmp, this.path);
  }

  metrics(): MetricId[] {
    return this.store.metrics();
  }

  async getMetricData(queries: readonly MetricStatQuery[], startMs: number, endMs: number): Promise<MetricDataResult[]> {
    return this.store.query(queries, startMs, endMs);
  }
}
