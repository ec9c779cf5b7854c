/**
 * The shard autoscaler's planner: from the stream's state, its recent write metrics and the history of
 * UpdateShardCount calls, decide whether to change the shard count and to what. Pure: no I/O, no clock (the
 * caller passes `nowMs`), so every rule below is tested by simulation (test/autoscaler-*.test.ts).
 *
 * Demand, not utilization, is what the planner measures: each metric period gives bytes/s and records/s written.
 * Throttled writes are demand the stream refused, so a period with WriteProvisionedThroughputExceeded is
 * inflated by the refused share (records refused / records written), an estimate of what producers offered.
 * Utilization is demand over the *current* capacity (open shards x 1 MiB/s and 1,000 records/s, whichever
 * dimension is fuller), so periods measured before a resharding still count correctly.
 *
 * Rules, in order (the first that applies decides):
 *  1. On-demand streams: nothing to do (AWS scales them; UpdateShardCount only works on provisioned streams).
 *  2. A stream that is not ACTIVE (UPDATING after a call, CREATING...) is left alone.
 *  3. Outside the stage bounds (a changed setting): move toward them, half/double at most per call.
 *  4. Scale up when a period since the last change (within `scaleUpWindowSeconds`) reaches
 *     `scaleUpUtilization` of capacity, bytes or records, once `scaleUpCooldownSeconds` have passed since any
 *     change. Target: enough shards for that peak at `targetUtilization`, rounded up to a multiple of 25 % of the
 *     current count (AWS's recommendation: faster resharding), at most double. When the stream throttled in
 *     those periods, the measured demand is censored (the refused share is an estimate: producers that give up
 *     under-report it), so the target is double (capped) rather than a guess.
 *  5. Scale down only when every period of the last `scaleDownWindowSeconds` (all measured after the last change)
 *     stayed below `scaleDownUtilization` with no throttling, `scaleDownCooldownSeconds` have passed since any
 *     change, consumers are not lagging (max iterator age <= `maxIteratorAgeMs`), and the call would not eat into
 *     the `reservedScaleUpCalls` kept for scaling up. Target: the peak at `targetUtilization`, rounded up to 50 %
 *     or 75 % of the current count, never below half. Hysteresis: after scaling down, the peak sits at or below
 *     `targetUtilization` (< `scaleUpUtilization`), so a scale-down never triggers a scale-up by itself.
 *  Every call respects AWS's limits (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateShardCount.html):
 *  between half and double the open shards, at most 10
 *  calls per rolling 24 h, at most 10,000 shards, the account's shard quota (temporary shards included), plus the
 *  stage's min/max.
 *
 * The promise (what the property tests check; `overloadBoundMs` computes it): with the schedule interval S,
 * metric period P, metric delay D, scale-up cool-down C and an UpdateShardCount that completes within U, if the
 * stream is written above 100 % of its capacity continuously from t0 and the peak demand in that episode is up to
 * 2^k times the capacity at t0, the episode ends by
 *     t0 + first + k * step + U,   step = S * ceil(max(U + 2P + D, C) / S),   first = max(2P + D + S, step)
 * (first: a full overloaded period is visible after 2P + D, the next run acts, unless a previous change is still
 * settling; then every step at least doubles, plus at most one smaller step taken on the periods measured before
 * the overload began), as long as the stream is below its max shard count, the account quota allows the
 * doubling, and a call is left in the rolling 24 h (scale-downs never use the last `reservedScaleUpCalls`).
 * "The capacity at t0" is the lower one when a run scales down before 2P + D have passed since t0: that run still
 * sees only the periods measured before the overload began, so no planner could know better.
 * On AWS defaults (S 5 min, P 1 min, D 3 min, C 4 min; U is AWS's, "usually minutes", take 5) that is at most
 * 25 min above capacity for a 2x surge and 45 min for 8x, while producers retry and spill to the fallback store.
 * Not covered: a single hot partition key (1 MiB/s per key whatever the shard count) or a hot shard while the
 * stream as a whole is below the threshold (stream-level metrics cannot see it).
 */
import { KINESIS } from "../limits";
import type { StreamDatapoint } from "../ports";

export const ROLLING_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface AutoscalerSettings {
  /** Scale up when a period's demand reaches this share of capacity, bytes or records (0.7: the user's rule). */
  scaleUpUtilization: number;
  /** Scale down only when every period of the scale-down window stayed below this share (hysteresis). */
  scaleDownUtilization: number;
  /** After a change, the peak demand should sit at this share of the new capacity. */
  targetUtilization: number;
  /** Seconds after any change before scaling up again. */
  scaleUpCooldownSeconds: number;
  /** Seconds after any change before scaling down. */
  scaleDownCooldownSeconds: number;
  /** Scale-up looks at the periods of this many seconds (at least the schedule interval plus one period). */
  scaleUpWindowSeconds: number;
  /** Scale-down needs this many seconds of low demand, all measured after the last change. */
  scaleDownWindowSeconds: number;
  /** No scale-down while any consumer's iterator age (GetRecords.IteratorAgeMilliseconds, max) is above this. */
  maxIteratorAgeMs: number;
  /** Calls of the 10 per rolling 24 h that scale-downs may not use, so scaling up stays possible. */
  reservedScaleUpCalls: number;
  /** Metric period (CloudWatch: 60; a multiple of 60 on AWS). */
  metricPeriodSeconds: number;
  /** Only periods that ended this long ago are read (CloudWatch publishes with a delay; partial periods mislead). */
  metricDelaySeconds: number;
}

/** One UpdateShardCount call (made by the autoscaler, or inferred when the count changed otherwise). */
export interface ScalingCall {
  atMs: number;
  from: number;
  to: number;
}

export interface StreamState {
  mode: "provisioned" | "on-demand";
  /** StreamStatus: ACTIVE, UPDATING, CREATING, DELETING. */
  status: string;
  openShards: number;
}

export interface PlannerInput {
  nowMs: number;
  stream: StreamState;
  /** Complete periods, any order (missing periods of an idle stream should be given as zeros by the source). */
  metrics: readonly StreamDatapoint[];
  /** Calls of at least the last 24 h, plus the latest one whatever its age (for the cool-downs). */
  calls: readonly ScalingCall[];
  bounds: { minShards: number; maxShards: number };
  /** From DescribeLimits; undefined when unknown (only the per-stream limit is applied then). */
  account?: { shardLimit: number; openShards: number };
  settings: AutoscalerSettings;
}

export type ScalingAction = "none" | "scale-up" | "scale-down";

export type DecisionCode =
  | "on-demand"
  | "not-active"
  | "below-min"
  | "above-max"
  | "scale-up"
  | "scale-down"
  | "no-data"
  | "steady"
  | "cooldown"
  | "at-max"
  | "account-quota"
  | "call-budget"
  | "consumers-lagging"
  | "scale-down-reserve";

/** Codes meaning "the stream needs more capacity and the autoscaler cannot give it": an operator should look. */
export const BLOCKED_SCALE_UP_CODES: readonly DecisionCode[] = ["at-max", "account-quota", "call-budget"];

export interface ScalingDecision {
  action: ScalingAction;
  code: DecisionCode;
  /** Open shards now. */
  current: number;
  /** Shards after the call (= current when action is none). */
  target: number;
  /** One sentence an operator can act on. */
  reason: string;
  /** Peak demand over the periods that decided, as a share of current capacity (0..); undefined without data. */
  utilization?: number;
  /** UpdateShardCount calls in the rolling 24 h before now. */
  callsInWindow: number;
  /** When the next call becomes possible, if the 24 h budget is what blocks it. */
  nextCallAtMs?: number;
}

/** Problems with the settings (empty when valid). `scheduleIntervalSeconds` checks the windows against the schedule. */
export function validateAutoscalerSettings(s: AutoscalerSettings, scheduleIntervalSeconds?: number): string[] {
  const problems: string[] = [];
  const share = (v: number) => v > 0 && v <= 1;
  if (!share(s.scaleUpUtilization) || !share(s.scaleDownUtilization) || !share(s.targetUtilization)) {
    problems.push("autoscaler utilizations must be in (0, 1]");
  }
  if (!(s.scaleDownUtilization < s.targetUtilization && s.targetUtilization < s.scaleUpUtilization)) {
    problems.push("autoscaler needs scaleDownUtilization < targetUtilization < scaleUpUtilization (hysteresis)");
  }
  for (const key of ["scaleUpCooldownSeconds", "scaleDownCooldownSeconds", "scaleUpWindowSeconds", "scaleDownWindowSeconds", "metricDelaySeconds"] as const) {
    if (!(Number.isFinite(s[key]) && s[key] >= 0)) problems.push(`autoscaler.${key} must be >= 0`);
  }
  if (!(s.metricPeriodSeconds > 0)) problems.push("autoscaler.metricPeriodSeconds must be > 0");
  if (s.scaleDownWindowSeconds < s.metricPeriodSeconds) problems.push("autoscaler.scaleDownWindowSeconds must cover at least one period");
  if (!(s.maxIteratorAgeMs >= 0)) problems.push("autoscaler.maxIteratorAgeMs must be >= 0");
  if (!Number.isInteger(s.reservedScaleUpCalls) || s.reservedScaleUpCalls < 1 || s.reservedScaleUpCalls >= KINESIS.maxScalingCallsPer24h) {
    problems.push(`autoscaler.reservedScaleUpCalls must be an integer in 1..${KINESIS.maxScalingCallsPer24h - 1}`);
  }
  if (scheduleIntervalSeconds !== undefined && s.scaleUpWindowSeconds < scheduleIntervalSeconds + s.metricPeriodSeconds) {
    problems.push(
      `autoscaler.scaleUpWindowSeconds (${s.scaleUpWindowSeconds}) must be >= the schedule interval (${scheduleIntervalSeconds}) + one period (${s.metricPeriodSeconds}), or periods go unread`,
    );
  }
  return problems;
}

const EPSILON = 1e-9;
const ceilShards = (x: number) => Math.max(1, Math.ceil(x - EPSILON));

/** Demand of one period in bytes/s and records/s, with throttled writes added back. */
export function demandOf(d: StreamDatapoint): { bytesPerSecond: number; recordsPerSecond: number; throttled: boolean } {
  const seconds = d.periodSeconds;
  const throttled = d.throttledRecords > 0;
  // Refused records are offered demand; their bytes are estimated at the admitted records' average size.
  const inflation = d.incomingRecords > 0 ? 1 + d.throttledRecords / d.incomingRecords : 1;
  return {
    bytesPerSecond: (d.incomingBytes * inflation) / seconds,
    recordsPerSecond: (d.incomingRecords + d.throttledRecords) / seconds,
    throttled,
  };
}

/** Shards' worth of demand (the fuller dimension). */
export function shardsOfDemand(d: StreamDatapoint): number {
  const { bytesPerSecond, recordsPerSecond } = demandOf(d);
  return Math.max(bytesPerSecond / KINESIS.shardWriteBytesPerSecond, recordsPerSecond / KINESIS.shardWriteRecordsPerSecond);
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * Peak open shards the account holds during UpdateShardCount current -> target (uniform streams): the new
 * boundaries are split first (target - gcd(current, target) of them), then merged away.
 */
export function temporaryShards(current: number, target: number): number {
  return target - gcd(current, target);
}

/** The largest target in (current, wanted] the account quota allows, or current when none. */
function quotaCap(current: number, wanted: number, account: PlannerInput["account"]): number {
  if (!account) return wanted;
  for (let t = wanted; t > current; t--) {
    if (account.openShards + temporaryShards(current, t) <= account.shardLimit) return t;
  }
  return current;
}

function scaleDownFitsQuota(current: number, target: number, account: PlannerInput["account"]): boolean {
  return !account || account.openShards + temporaryShards(current, target) <= account.shardLimit;
}

/** Smallest of ceil(current * q / 4), q = 5..8 (125 %..200 %), that is >= needed; 2 x current when none is. */
export function roundUpTarget(current: number, needed: number): number {
  for (let q = 5; q <= 8; q++) {
    const t = Math.ceil((current * q) / 4);
    if (t >= needed) return t;
  }
  return current * 2;
}

/** Smallest of ceil(current / 2), ceil(current * 3 / 4) that is >= needed; current when none is below current. */
export function roundDownTarget(current: number, needed: number): number {
  for (const q of [2, 3]) {
    const t = Math.ceil((current * q) / 4);
    if (t >= needed && t < current) return t;
  }
  return current;
}

const pct = (u: number) => `${Math.round(u * 100)}%`;

function describeCalls(calls: number): string {
  return `${calls} of ${KINESIS.maxScalingCallsPer24h} UpdateShardCount calls used in the last 24 h`;
}

export function planShardCount(input: PlannerInput): ScalingDecision {
  const { nowMs, stream, settings: s, bounds } = input;
  const current = stream.openShards;
  const recent = input.calls.filter((c) => c.atMs > nowMs - ROLLING_WINDOW_MS);
  const callsInWindow = recent.length;
  const lastCallMs = input.calls.reduce((m, c) => Math.max(m, c.atMs), Number.NEGATIVE_INFINITY);
  const sinceLastCallMs = nowMs - lastCallMs;
  const budgetLeft = KINESIS.maxScalingCallsPer24h - callsInWindow;
  const nextCallAtMs = recent.length > 0 ? Math.min(...recent.map((c) => c.atMs)) + ROLLING_WINDOW_MS : undefined;
  const base = { current, callsInWindow };
  const none = (code: DecisionCode, reason: string, extra: Partial<ScalingDecision> = {}): ScalingDecision => ({
    action: "none",
    code,
    target: current,
    reason,
    ...base,
    ...extra,
  });

  if (stream.mode === "on-demand") return none("on-demand", "on-demand stream: AWS manages its capacity");
  if (stream.status !== "ACTIVE") return none("not-active", `stream is ${stream.status}: waiting for it to be ACTIVE`);
  const maxShards = Math.min(bounds.maxShards, KINESIS.maxShardsPerStream);

  // 3. Stage bounds.
  if (current < bounds.minShards) {
    if (budgetLeft <= 0) return none("call-budget", `below the stage minimum of ${bounds.minShards} shards, but ${describeCalls(callsInWindow)}`, { nextCallAtMs });
    const target = quotaCap(current, Math.min(bounds.minShards, current * 2), input.account);
    if (target <= current) return none("account-quota", `below the stage minimum of ${bounds.minShards} shards, but the account shard quota is reached`);
    return { action: "scale-up", code: "below-min", target, reason: `${current} shards is below the stage minimum of ${bounds.minShards}`, ...base };
  }
  if (current > maxShards) {
    if (budgetLeft <= s.reservedScaleUpCalls) {
      return none("scale-down-reserve", `above the stage maximum of ${maxShards} shards, but ${describeCalls(callsInWindow)} (the last ${s.reservedScaleUpCalls} are kept for scaling up)`, { nextCallAtMs });
    }
    const target = Math.max(Math.ceil(current / 2), maxShards);
    if (!scaleDownFitsQuota(current, target, input.account)) return none("account-quota", "above the stage maximum, but the account quota has no room for the temporary shards");
    return { action: "scale-down", code: "above-max", target, reason: `${current} shards is above the stage maximum of ${maxShards}`, ...base };
  }

  const periodMs = s.metricPeriodSeconds * 1000;
  const metrics = [...input.metrics].sort((a, b) => a.startMs - b.startMs);
  const newestEnd = metrics.reduce((m, d) => Math.max(m, d.startMs + d.periodSeconds * 1000), Number.NEGATIVE_INFINITY);
  const freshAfterMs = nowMs - (s.metricDelaySeconds * 1000 + 2 * periodMs) - 1;
  if (!(newestEnd >= freshAfterMs)) {
    return none("no-data", metrics.length === 0 ? "no metric periods to judge from" : `the newest metric period ended at ${new Date(newestEnd).toISOString()}: metrics are late`);
  }
  const capacity = current;
  const utilizationOf = (d: StreamDatapoint) => shardsOfDemand(d) / capacity;

  // 4. Scale up.
  const upFrom = Math.max(lastCallMs, newestEnd - s.scaleUpWindowSeconds * 1000);
  const upPeriods = metrics.filter((d) => d.startMs >= upFrom);
  const upPeak = upPeriods.reduce((m, d) => Math.max(m, utilizationOf(d)), 0);
  const upThrottled = upPeriods.some((d) => d.throttledRecords > 0);
  if (upPeriods.length > 0 && upPeak >= s.scaleUpUtilization - EPSILON) {
    const load = `peak write load ${pct(upPeak)} of ${current} shard(s)${upThrottled ? " with throttled writes" : ""}`;
    if (sinceLastCallMs < s.scaleUpCooldownSeconds * 1000) {
      return none("cooldown", `${load}, but the last change was ${Math.round(sinceLastCallMs / 1000)} s ago (cool-down ${s.scaleUpCooldownSeconds} s)`, { utilization: upPeak });
    }
    if (budgetLeft <= 0) {
      return none("call-budget", `${load}, but ${describeCalls(callsInWindow)}`, { utilization: upPeak, nextCallAtMs });
    }
    const needed = ceilShards((upPeak * capacity) / s.targetUtilization);
    const wanted = upThrottled ? current * 2 : roundUpTarget(current, needed);
    const capped = Math.min(wanted, current * 2, maxShards);
    if (capped <= current) return none("at-max", `${load}, but the stream is at the stage maximum of ${maxShards} shards`, { utilization: upPeak });
    const target = quotaCap(current, capped, input.account);
    if (target <= current) return none("account-quota", `${load}, but the account shard quota (${input.account?.shardLimit}) has no room`, { utilization: upPeak });
    const limitedBy = target < wanted ? (target < capped ? " (limited by the account quota)" : capped === maxShards ? " (the stage maximum)" : " (at most double per call)") : "";
    return { action: "scale-up", code: "scale-up", target, reason: `${load}: ${current} -> ${target} shards${limitedBy}`, utilization: upPeak, ...base };
  }

  // 5. Scale down.
  const downFrom = newestEnd - s.scaleDownWindowSeconds * 1000;
  const downPeriods = metrics.filter((d) => d.startMs >= downFrom - EPSILON);
  const downPeak = downPeriods.reduce((m, d) => Math.max(m, utilizationOf(d)), 0);
  const steady = (why: string) => none("steady", `peak write load ${pct(Math.max(upPeak, downPeak))} of ${current} shard(s)${why}`, { utilization: Math.max(upPeak, downPeak) });
  if (current <= bounds.minShards) return steady(`, at the stage minimum of ${bounds.minShards}`);
  const covered = downPeriods.length * periodMs >= s.scaleDownWindowSeconds * 1000 - EPSILON && downFrom >= lastCallMs;
  if (downPeak >= s.scaleDownUtilization || downPeriods.some((d) => d.throttledRecords > 0)) return steady("");
  if (!covered) return steady(`: below ${pct(s.scaleDownUtilization)}, waiting for ${s.scaleDownWindowSeconds} s of periods measured after the last change`);
  const load = `peak write load ${pct(downPeak)} of ${current} shard(s) over the last ${s.scaleDownWindowSeconds} s`;
  if (sinceLastCallMs < s.scaleDownCooldownSeconds * 1000) {
    return none("cooldown", `${load}, but the last change was ${Math.round(sinceLastCallMs / 1000)} s ago (cool-down ${s.scaleDownCooldownSeconds} s)`, { utilization: downPeak });
  }
  const lag = downPeriods.reduce((m, d) => Math.max(m, d.iteratorAgeMs ?? 0), 0);
  if (lag > s.maxIteratorAgeMs) {
    return none("consumers-lagging", `${load}, but consumers lag (iterator age ${Math.round(lag / 1000)} s > ${Math.round(s.maxIteratorAgeMs / 1000)} s)`, { utilization: downPeak });
  }
  const needed = Math.max(bounds.minShards, ceilShards((downPeak * capacity) / s.targetUtilization));
  const target = roundDownTarget(current, needed);
  if (target >= current) return steady("");
  if (budgetLeft <= s.reservedScaleUpCalls) {
    return none("scale-down-reserve", `${load}, but ${describeCalls(callsInWindow)} (the last ${s.reservedScaleUpCalls} are kept for scaling up)`, { utilization: downPeak, nextCallAtMs });
  }
  if (!scaleDownFitsQuota(current, target, input.account)) return none("account-quota", `${load}, but the account quota has no room for the temporary shards`, { utilization: downPeak });
  return { action: "scale-down", code: "scale-down", target, reason: `${load}: ${current} -> ${target} shards`, utilization: downPeak, ...base };
}

/** The timing parameters of the overload promise. */
export interface PromiseTiming {
  scheduleIntervalMs: number;
  /** Upper bound of how long UpdateShardCount takes (AWS: "usually minutes"). */
  updateDurationMs: number;
}

/** Time between consecutive scale-up calls while the stream stays overloaded. */
export function overloadStepMs(settings: AutoscalerSettings, timing: PromiseTiming): number {
  const p = settings.metricPeriodSeconds * 1000;
  const d = settings.metricDelaySeconds * 1000;
  const wait = Math.max(timing.updateDurationMs + 2 * p + d, settings.scaleUpCooldownSeconds * 1000);
  return timing.scheduleIntervalMs * Math.ceil(wait / timing.scheduleIntervalMs - EPSILON);
}

/**
 * The longest a continuous overload episode can last when its peak demand is up to 2^doublings times the
 * capacity at its start (see the module comment), as long as the planner is not blocked by the stage maximum,
 * the account quota or the 24 h call budget.
 */
export function overloadBoundMs(settings: AutoscalerSettings, timing: PromiseTiming, doublings: number): number {
  const p = settings.metricPeriodSeconds * 1000;
  const d = settings.metricDelaySeconds * 1000;
  const step = overloadStepMs(settings, timing);
  const first = Math.max(2 * p + d + timing.scheduleIntervalMs, step);
  return first + Math.max(0, doublings) * step + timing.updateDurationMs;
}
