/** The cells of the fault matrix (`eventlake prove`, proof/fault-matrix.ts): one fault each, defined once here. */
import type { FaultPlan } from "../fault-plan";

export interface FaultCell {
  name: string;
  /** What the cell does to the pipeline, in one line. */
  fault: string;
  faults?: FaultPlan;
  /** Shards of the stream (default 2). */
  shards?: number;
  /** Extra bytes per event (to load a shard's byte limit with few events). */
  padBytes?: number;
  /** kill -9 of the whole local runtime this many times at random moments, each followed by a restart. */
  kills?: number;
  /**
   * Only the raw archive and the curator (no scheduler, so the autoscaler cannot relieve a shard the cell saturates);
   * otherwise every default component runs.
   */
  dataPathOnly?: boolean;
}

/**
 * The matrix. 30% of PutRecords entries failing is the partial-failure load README.md ("Guarantees, proven on your
 * machine") states the proof for; the other shares and latencies are chosen to fault often but not always.
 */
export const FAULT_CELLS: readonly FaultCell[] = [
  { name: "no-faults", fault: "none (the baseline)" },
  { name: "putrecords-partial-failures", fault: "30% of PutRecords entries fail (ProvisionedThroughputExceeded / InternalFailure)", faults: { putRecordsEntryFailures: 0.3 } },
  { name: "throttled-calls", fault: "25% of PutRecords and GetRecords calls throttled whole", faults: { throttledCalls: 0.25 } },
  { name: "saturated-shard", fault: "one shard, offered load above its 1 MiB/s write limit (8 KB events, no autoscaler)", shards: 1, padBytes: 8_000, dataPathOnly: true },
  // 40%: enough that some requests still fail after the SDK's own 3 attempts (0.4^3 = 6%), so the pipeline's own
  // retries are exercised, not only the SDK's.
  { name: "object-store-errors", fault: "40% of S3 object requests and listings answered 503 SlowDown or 500 InternalError", faults: { objectStoreErrors: 0.4 } },
  { name: "slow-transform", fault: "every Firehose transform invocation 3 s slower (the raw archive's buffers back up)", faults: { functionLatencyMs: { "firehose-transform": 3_000 } } },
  { name: "kill-9", fault: "kill -9 of the whole local runtime at random moments, each followed by a restart", kills: 10 },
];
