import { KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from "@aws-sdk/client-kinesis";
import { aggregate, type KinesisPutEntry } from "@eventlake/core/kinesis/kpl";
import { planPutRecordsBatches } from "@eventlake/core/kinesis/put-batches";
import {
  DEFAULT_RETRY_POLICY,
  decideRetry,
  failedEntryIndexes,
  isRetryableCallError,
  type RetryPolicy,
} from "@eventlake/core/kinesis/retry-policy";
import type { ObjectStore, StreamRecordInput, StreamWriter, WriteReport } from "@eventlake/core/ports";
import { randomUUID } from "node:crypto";
import { clientConfig, type AwsTarget } from "./aws-config";
import type { ShardMapSource } from "./kinesis-shard-map";

export interface KinesisStreamWriterOptions {
  streamName: string;
  target?: AwsTarget;
  client?: KinesisClient;
  /** Where records that could not be written go (the fallback/ prefix of the lake bucket). */
  fallback: ObjectStore;
  fallbackPrefix?: string;
  /** KPL aggregation: on by default; off writes one Kinesis record per user record. */
  aggregation?: boolean;
  maxAggregatedBytes?: number;
  /**
   * The stream's shard map (KinesisShardMap): with it, aggregates are packed per shard like the KPL does, so the
   * load spreads over every shard; without it, a request's records share aggregates whatever their shards.
   */
  shardMap?: ShardMapSource;
  retryPolicy?: RetryPolicy;
  random?: () => number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** fallback/year=YYYY/month=MM/day=DD/hour=HH/<iso>-<uuid>.ndjson, by write time in UTC. */
export function fallbackKey(prefix: string, nowMs: number): string {
  const d = new Date(nowMs);
  return (
    `${prefix}year=${d.getUTCFullYear()}/month=${pad(d.getUTCMonth() + 1)}/day=${pad(d.getUTCDate())}/hour=${pad(d.getUTCHours())}/` +
    `${d.toISOString().replace(/[:.]/g, "-")}-${randomUUID()}.ndjson`
  );
}

/**
 * Writes user records to Kinesis: KPL-aggregates them, groups the aggregates into PutRecords calls within the
 * service limits, resends only the failed entries with full-jitter backoff until the deadline, and spills what is
 * still unwritten to the fallback prefix as NDJSON (the same bytes, one record per line) so nothing accepted is lost.
 */
export class KinesisStreamWriter implements StreamWriter {
  private readonly client: KinesisClient;
  private readonly policy: RetryPolicy;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: KinesisStreamWriterOptions) {
    // Retries are ours (deadline-aware, per entry); the SDK makes exactly one attempt per call.
    this.client = options.client ?? new KinesisClient(clientConfig(options.target ?? { region: "us-east-1" }, { maxAttempts: 1 }));
    this.policy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async write(records: readonly StreamRecordInput[], deadlineMs: number): Promise<WriteReport> {
    const report: WriteReport = { outcomes: new Array(records.length).fill("failed"), putRecordsCalls: 0, retriedEntries: 0, throttledEntries: 0 };
    if (records.length === 0) return report;

    const shardOf = this.options.aggregation === false ? undefined : await this.options.shardMap?.lookup();
    const entries: KinesisPutEntry[] =
      this.options.aggregation === false
        ? records.map((r, i) => ({ partitionKey: r.partitionKey, data: r.data, userRecordIndexes: [i] }))
        : aggregate(records, {
            ...(this.options.maxAggregatedBytes ? { maxAggregatedBytes: this.options.maxAggregatedBytes } : {}),
            ...(shardOf ? { shardOf } : {}),
          });

    const written = new Array<boolean>(entries.length).fill(false);
    const routing = { shardOf, mispredicted: false };
    for (const batch of planPutRecordsBatches(entries)) {
      await this.putWithRetries(batch.map((i) => i), entries, written, deadlineMs, report, routing);
    }
    if (routing.mispredicted) this.options.shardMap?.invalidate();

    const unwritten: number[] = [];
    entries.forEach((entry, i) => {
      for (const r of entry.userRecordIndexes) {
        if (written[i]) report.outcomes[r] = "written";
        else unwritten.push(r);
      }
    });
    if (unwritten.length > 0) await this.spill(records, unwritten.sort((a, b) => a - b), report);
    return report;
  }

  private async putWithRetries(
    batch: number[],
    entries: readonly KinesisPutEntry[],
    written: boolean[],
    deadlineMs: number,
    report: WriteReport,
    routing: { shardOf: ((hashKey: bigint) => string) | undefined; mispredicted: boolean },
  ) {
    let pending = batch;
    let attempts = 0;
    while (pending.length > 0) {
      if (attempts > 0) {
        const decision = decideRetry(attempts, this.now(), deadlineMs, this.policy, this.random);
        if (!decision.retry) {
          report.stoppedBecause = decision.why;
          return;
        }
        report.retriedEntries += pending.length;
        if (decision.delayMs > 0) await this.sleep(decision.delayMs);
      } else if (this.now() + this.policy.callBudgetMs > deadlineMs) {
        report.stoppedBecause = "deadline";
        return;
      }
      attempts++;
      report.putRecordsCalls++;
      const requestEntries: PutRecordsRequestEntry[] = pending.map((i) => {
        const e = entries[i]!;
        return e.explicitHashKey
          ? { PartitionKey: e.partitionKey, ExplicitHashKey: e.explicitHashKey, Data: e.data }
          : { PartitionKey: e.partitionKey, Data: e.data };
      });
      try {
        const response = await this.client.send(
          new PutRecordsCommand({ StreamName: this.options.streamName, Records: requestEntries }),
          { abortSignal: AbortSignal.timeout(Math.max(1, Math.min(10_000, deadlineMs - this.now()))) },
        );
        const results = response.Records ?? [];
        if (results.length !== pending.length) {
          throw Object.assign(new Error(`PutRecords answered ${results.length} results for ${pending.length} entries`), {
            name: "InternalFailure",
          });
        }
        const failed = new Set(failedEntryIndexes(results));
        results.forEach((r, k) => {
          if (r.ErrorCode === "ProvisionedThroughputExceededException") report.throttledEntries++;
          if (failed.has(k)) return;
          const entry = entries[pending[k]!]!;
          written[pending[k]!] = true;
          // Landed on another shard than the map said: the stream was resharded since the map was listed.
          if (routing.shardOf && entry.explicitHashKey && r.ShardId && routing.shardOf(BigInt(entry.explicitHashKey)) !== r.ShardId) routing.mispredicted = true;
        });
        pending = pending.filter((_, k) => failed.has(k));
      } catch (error) {
        const e = error as { name?: string; code?: string; message?: string };
        if (e.name === "ProvisionedThroughputExceededException") report.throttledEntries += pending.length;
        // An aborted call may or may not have been applied: resending can duplicate (dedup downstream), never lose.
        if (!isRetryableCallError(e) && e.name !== "AbortError") {
          report.stoppedBecause = `${e.name ?? "Error"}: ${e.message ?? ""}`;
          return;
        }
      }
    }
  }

  private async spill(records: readonly StreamRecordInput[], indexes: number[], report: WriteReport) {
    const prefix = this.options.fallbackPrefix ?? "fallback/";
    const key = fallbackKey(prefix, this.now());
    const parts: Uint8Array[] = [];
    for (const i of indexes) {
      parts.push(records[i]!.data, NEWLINE);
    }
    try {
      await this.options.fallback.put(key, Buffer.concat(parts), { contentType: "application/x-ndjson" });
      for (const i of indexes) report.outcomes[i] = "spilled";
      report.spillKey = key;
    } catch (error) {
      report.stoppedBecause = `${report.stoppedBecause ?? "spill"}; spill failed: ${(error as Error).message}`;
    }
  }
}

const NEWLINE = new Uint8Array([0x0a]);
