/**
 * A minute-by-minute model of a provisioned Kinesis stream under load, driven by the real planner on a schedule,
 * with AWS's rules enforced as hard checks. Used by the property tests (autoscaler-planner.test.ts).
 *
 * Model: demand (in shards' worth of bytes/s; records follow from an average record size) is offered each
 * minute; the stream admits up to its capacity (the open shards during that minute) and refuses the rest as
 * throttled records. Metrics are per-minute sums that become visible `metricDelaySeconds` after the minute ends.
 * The planner runs every `scheduleMinutes` at the start of a minute, as the service does (same metric window).
 * A call puts the stream in UPDATING for a random 1..updateMinutesMax minutes, then the new count applies.
 */
import { KINESIS } from "../src/limits";
import {
  planShardCount,
  temporaryShards,
  type AutoscalerSettings,
  type DecisionCode,
  type ScalingCall,
  type ScalingDecision,
} from "../src/autoscaler/planner";
import type { StreamDatapoint } from "../src/ports";
import { seededRandom } from "../src/random";

export interface SimulationParams {
  settings: AutoscalerSettings;
  scheduleMinutes: number;
  updateMinutesMax: number;
  minutes: number;
  initialShards: number;
  bounds: { minShards: number; maxShards: number };
  account?: { shardLimit: number; otherStreamsShards: number };
  recordBytes: number;
  /** WriteProvisionedThroughputExceeded per refused record (default 1): retrying producers count more, giving up less. */
  throttleCounting?: number;
  mode?: "provisioned" | "on-demand";
  /** Demand in shards' worth of bytes/s at minute m. */
  demand(minute: number): number;
  /** Max iterator age (ms) during minute m, or undefined. */
  iteratorAge(minute: number): number | undefined;
  /** Random in [0, 1) for call durations. */
  random(): number;
}

export interface SimCall extends ScalingCall {
  minute: number;
  decision: ScalingDecision;
  durationMinutes: number;
  accountOpenBefore?: number;
}

export interface SimulationResult {
  /** Shards serving each minute. */
  capacity: number[];
  overloaded: boolean[];
  calls: SimCall[];
  decisions: { minute: number; decision: ScalingDecision }[];
  datapoints: StreamDatapoint[];
  /** AWS-rule breaches found (must be empty). */
  violations: string[];
}

const MINUTE = 60_000;

export function simulate(p: SimulationParams): SimulationResult {
  const s = p.settings;
  const mode = p.mode ?? "provisioned";
  let shards = p.initialShards;
  let updating: { until: number; target: number } | undefined;
  const calls: SimCall[] = [];
  const decisions: SimulationResult["decisions"] = [];
  const datapoints: StreamDatapoint[] = [];
  const capacity: number[] = [];
  const overloaded: boolean[] = [];
  const violations: string[] = [];
  const periodMs = s.metricPeriodSeconds * 1000;
  const lookbackMs = Math.max(s.scaleUpWindowSeconds, s.scaleDownWindowSeconds) * 1000 + periodMs;

  for (let m = 0; m < p.minutes; m++) {
    const now = m * MINUTE;
    if (updating && now >= updating.until) {
      shards = updating.target;
      updating = undefined;
    }

    if (m % p.scheduleMinutes === 0) {
      // What the service reads: complete periods that ended metricDelaySeconds ago, over the lookback.
      const endMs = Math.floor((now - s.metricDelaySeconds * 1000) / periodMs) * periodMs;
      const startMs = Math.floor((endMs - lookbackMs) / periodMs) * periodMs;
      const visible = datapoints.filter((d) => d.startMs >= startMs && d.startMs + periodMs <= endMs);
      const account = p.account ? { shardLimit: p.account.shardLimit, openShards: p.account.otherStreamsShards + shards } : undefined;
      const decision = planShardCount({
        nowMs: now,
        stream: { mode, status: updating ? "UPDATING" : "ACTIVE", openShards: shards },
        metrics: visible,
        calls,
        bounds: p.bounds,
        ...(account ? { account } : {}),
        settings: s,
      });
      decisions.push({ minute: m, decision });
      if (decision.action !== "none") {
        const t = decision.target;
        const check = (ok: boolean, what: string) => {
          if (!ok) violations.push(`minute ${m}: ${what} (${shards} -> ${t}, ${decision.code}: ${decision.reason})`);
        };
        check(mode === "provisioned", "UpdateShardCount on an on-demand stream");
        check(!updating, "UpdateShardCount while UPDATING (ResourceInUseException)");
        check(Number.isInteger(t) && t >= 1, "target is not a positive integer");
        check(t !== shards, "a call that changes nothing");
        check(t <= shards * 2, "more than double");
        check(t * 2 >= shards, "less than half");
        check(t <= KINESIS.maxShardsPerStream, "over 10,000 shards");
        check(t >= p.bounds.minShards || t > shards, "below the stage minimum");
        check(t <= p.bounds.maxShards || t < shards, "above the stage maximum");
        const inWindow = calls.filter((c) => c.atMs > now - 24 * 60 * MINUTE).length;
        check(inWindow + 1 <= KINESIS.maxScalingCallsPer24h, "an 11th call in a rolling 24 h");
        if (account) check(account.openShards + temporaryShards(shards, t) <= account.shardLimit, "over the account shard quota");
        if (decision.action === "scale-down" && decision.code === "scale-down") {
          check(inWindow < KINESIS.maxScalingCallsPer24h - s.reservedScaleUpCalls, "a scale-down that used a call reserved for scaling up");
          const downFrom = endMs - s.scaleDownWindowSeconds * 1000;
          const lag = visible.filter((d) => d.startMs >= downFrom).reduce((mx, d) => Math.max(mx, d.iteratorAgeMs ?? 0), 0);
          check(lag <= s.maxIteratorAgeMs, "a scale-down while consumers lag");
        }
        const durationMinutes = 1 + Math.floor(p.random() * p.updateMinutesMax);
        calls.push({
          atMs: now,
          from: shards,
          to: t,
          minute: m,
          decision,
          durationMinutes,
          ...(account ? { accountOpenBefore: account.openShards } : {}),
        });
        updating = { until: now + durationMinutes * MINUTE, target: t };
      }
    }

    // Traffic of minute m against the shards serving it.
    const demandShards = Math.max(0, p.demand(m));
    const bytesPerSecond = demandShards * KINESIS.shardWriteBytesPerSecond;
    const recordsPerSecond = bytesPerSecond / p.recordBytes;
    const capBytes = shards * KINESIS.shardWriteBytesPerSecond;
    const capRecords = shards * KINESIS.shardWriteRecordsPerSecond;
    const admitted = Math.min(1, bytesPerSecond > 0 ? capBytes / bytesPerSecond : 1, recordsPerSecond > 0 ? capRecords / recordsPerSecond : 1);
    capacity.push(shards);
    overloaded.push(admitted < 1 - 1e-12);
    const age = p.iteratorAge(m);
    datapoints.push({
      startMs: now,
      periodSeconds: 60,
      incomingBytes: bytesPerSecond * admitted * 60,
      incomingRecords: recordsPerSecond * admitted * 60,
      throttledRecords: recordsPerSecond * (1 - admitted) * 60 * (p.throttleCounting ?? 1),
      ...(age !== undefined ? { iteratorAgeMs: age } : {}),
    });
  }
  return { capacity, overloaded, calls, decisions, datapoints, violations };
}

/** Maximal runs of overloaded minutes: [start, end). */
export function overloadEpisodes(overloaded: readonly boolean[]): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let start = -1;
  overloaded.forEach((o, m) => {
    if (o && start < 0) start = m;
    if (!o && start >= 0) {
      out.push({ start, end: m });
      start = -1;
    }
  });
  if (start >= 0) out.push({ start, end: overloaded.length });
  return out;
}

export const BLOCKING: readonly DecisionCode[] = ["at-max", "account-quota", "call-budget"];

/** A seeded PRNG (mulberry32), shared with the load generator. */
export const prng = seededRandom;
