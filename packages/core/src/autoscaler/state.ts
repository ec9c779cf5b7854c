/**
 * The autoscaler's durable memory: a small JSON object per stream, `ops/autoscaler/<stream>.json` in the assets
 * bucket (locally: the local assets bucket), read and written through the ObjectStore port.
 *
 * Why it exists: the 10-calls-per-24-h budget and the cool-downs depend on when UpdateShardCount was called, and
 * Kinesis does not tell (DescribeStreamSummary has no history). So every call is recorded here *before* it is
 * made (a crash between the two over-counts, the safe direction), and the last decisions are kept for
 * `eventlake status` and for de-duplicating notices. A shard count that changed without a recorded call (a manual
 * UpdateShardCount, a console edit) is recorded as an inferred call when it is first seen, so the budget and the
 * cool-downs still account for it.
 *
 * Why the assets bucket: it holds operational artifacts that are not data of record (scripts, checkpoints), with
 * their own IAM; the autoscaler gets s3:GetObject/PutObject on exactly this one key.
 */
import { ROLLING_WINDOW_MS, type ScalingCall, type ScalingDecision } from "./planner";

export const AUTOSCALER_STATE_PREFIX = "ops/autoscaler/";

export function autoscalerStateKey(streamName: string): string {
  return `${AUTOSCALER_STATE_PREFIX}${streamName}.json`;
}

export interface RecordedCall extends ScalingCall {
  /** "autoscaler": made by this function; "inferred": the count changed without a recorded call. */
  source: "autoscaler" | "inferred";
  /** "pending" until UpdateShardCount answered; "unknown" when it failed in a way that may still have counted. */
  outcome: "pending" | "accepted" | "unknown";
}

/** A decision as kept in the state: the planner's decision (its fields, defined there) with when and how it ended. */
export interface DecisionRecord extends Pick<ScalingDecision, "action" | "code" | "current" | "target" | "reason" | "utilization"> {
  atMs: number;
  /** "none": nothing to do; "done": UpdateShardCount accepted; "failed": it (or a step before it) failed. */
  outcome: "none" | "done" | "failed";
  error?: string;
}

export interface AutoscalerState {
  version: 1;
  streamName: string;
  /** Open shards at the last run that saw the stream ACTIVE, and when. */
  lastSeen?: { atMs: number; openShards: number };
  /** Calls of the last 24 h, plus always the latest one (cool-downs), oldest first. */
  calls: RecordedCall[];
  /** The latest decisions, oldest first. */
  decisions: DecisionRecord[];
}

export const MAX_DECISIONS_KEPT = 20;

export class AutoscalerStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AutoscalerStateError";
  }
}

export function emptyAutoscalerState(streamName: string): AutoscalerState {
  return { version: 1, streamName, calls: [], decisions: [] };
}

const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/**
 * Parses a stored state; a corrupt object is an error (never silently reset: that would forget calls that count
 * toward AWS's 24 h limit). The message says how to reset it on purpose.
 */
export function parseAutoscalerState(text: string, streamName: string, where = autoscalerStateKey(streamName)): AutoscalerState {
  const fail = (problem: string) =>
    new AutoscalerStateError(`autoscaler state ${where} is unreadable (${problem}); fix or delete it to start over (the 24 h call history is then forgotten)`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw fail(`not JSON: ${(err as Error).message}`);
  }
  if (!raw || typeof raw !== "object") throw fail("not an object");
  const o = raw as Record<string, unknown>;
  if (o.version !== 1) throw fail(`unknown version ${JSON.stringify(o.version)}`);
  if (o.streamName !== streamName) throw fail(`it belongs to stream ${JSON.stringify(o.streamName)}`);
  if (!Array.isArray(o.calls) || !Array.isArray(o.decisions)) throw fail("calls and decisions must be arrays");
  const calls: RecordedCall[] = [];
  for (const c of o.calls as Record<string, unknown>[]) {
    if (!c || !isNumber(c.atMs) || !isNumber(c.from) || !isNumber(c.to)) throw fail("a call lacks atMs/from/to");
    calls.push({
      atMs: c.atMs,
      from: c.from,
      to: c.to,
      source: c.source === "inferred" ? "inferred" : "autoscaler",
      outcome: c.outcome === "pending" || c.outcome === "unknown" ? c.outcome : "accepted",
    });
  }
  const decisions = (o.decisions as unknown[]).filter((d): d is DecisionRecord => !!d && typeof d === "object" && isNumber((d as DecisionRecord).atMs));
  const lastSeen = o.lastSeen as AutoscalerState["lastSeen"];
  return {
    version: 1,
    streamName,
    ...(lastSeen && isNumber(lastSeen.atMs) && isNumber(lastSeen.openShards) ? { lastSeen: { atMs: lastSeen.atMs, openShards: lastSeen.openShards } } : {}),
    calls: calls.sort((a, b) => a.atMs - b.atMs),
    decisions: decisions.sort((a, b) => a.atMs - b.atMs),
  };
}

export function serializeAutoscalerState(state: AutoscalerState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

/** Keeps the calls of the last 24 h plus the latest one, and the latest decisions. */
export function pruneAutoscalerState(state: AutoscalerState, nowMs: number): AutoscalerState {
  const latest = state.calls[state.calls.length - 1];
  const calls = state.calls.filter((c) => c.atMs > nowMs - ROLLING_WINDOW_MS || c === latest);
  return { ...state, calls, decisions: state.decisions.slice(-MAX_DECISIONS_KEPT) };
}

/**
 * Records a shard count change nobody recorded: when the stream is ACTIVE with a count different from the last
 * one seen, and no call since then ends at this count, an inferred call at `nowMs` is added (it counts toward
 * the budget and restarts the cool-downs, since its real time is unknown). Then updates lastSeen.
 */
export function reconcileObservedShards(state: AutoscalerState, openShards: number, nowMs: number): { state: AutoscalerState; inferred?: RecordedCall } {
  const seen = state.lastSeen;
  let calls = state.calls;
  let inferred: RecordedCall | undefined;
  if (seen && seen.openShards !== openShards) {
    const explained = calls.some((c) => c.atMs >= seen.atMs && c.to === openShards);
    if (!explained) {
      inferred = { atMs: nowMs, from: seen.openShards, to: openShards, source: "inferred", outcome: "accepted" };
      calls = [...calls, inferred];
    }
  }
  return { state: { ...state, calls, lastSeen: { atMs: nowMs, openShards } }, ...(inferred ? { inferred } : {}) };
}

export function decisionRecord(decision: ScalingDecision, atMs: number, outcome: DecisionRecord["outcome"], error?: string): DecisionRecord {
  return {
    atMs,
    action: decision.action,
    code: decision.code,
    current: decision.current,
    target: decision.target,
    reason: decision.reason,
    ...(decision.utilization !== undefined ? { utilization: Math.round(decision.utilization * 1000) / 1000 } : {}),
    outcome,
    ...(error !== undefined ? { error } : {}),
  };
}
