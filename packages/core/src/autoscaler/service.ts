/**
 * One autoscaler run over its ports: read the state, describe the stream, read its metrics, plan, record the call
 * before making it, call UpdateShardCount, record the decision, notify. The Lambda handler (functions/autoscaler.ts)
 * only builds the ports and turns the outcome into logs and metrics; the same code runs locally.
 *
 * Notices go out for every change (scale-up, scale-down, a shard count changed by someone else), every failure,
 * and when the stream needs capacity the autoscaler cannot give (stage maximum, account quota, call budget):
 * those only when the condition is new, so a stuck stream does not page every five minutes.
 */
import type { Notice, Notifier, ObjectStore, StreamCapacityControl, StreamMetricsSource } from "../ports";
import { KINESIS } from "../limits";
import { BLOCKED_SCALE_UP_CODES, planShardCount, type AutoscalerSettings, type ScalingDecision } from "./planner";
import {
  decisionRecord,
  emptyAutoscalerState,
  parseAutoscalerState,
  pruneAutoscalerState,
  reconcileObservedShards,
  serializeAutoscalerState,
  type AutoscalerState,
  type RecordedCall,
} from "./state";

export interface AutoscalerDeps {
  metrics: StreamMetricsSource;
  stream: StreamCapacityControl;
  /** Where the state object lives (the assets bucket). */
  store: ObjectStore;
  notifier: Notifier;
}

export interface AutoscalerConfig {
  stage: string;
  streamName: string;
  stateKey: string;
  settings: AutoscalerSettings;
  bounds: { minShards: number; maxShards: number };
}

export type AutoscalerStep = "read-state" | "describe-stream" | "describe-limits" | "read-metrics" | "update-shard-count" | "write-state" | "notify";

export interface AutoscalerOutcome {
  decision?: ScalingDecision;
  /** "none": no call; "done": UpdateShardCount accepted; "failed": a step failed (see failure). */
  outcome: "none" | "done" | "failed";
  failure?: { step: AutoscalerStep; error: string };
  /** A shard count change nobody recorded, seen this run. */
  inferred?: RecordedCall;
  /** Notices published this run (subjects). */
  notices: string[];
  /** The notice that could not be published, if any (the handler must then fail loudly). */
  notifyError?: string;
  /** Problems that did not stop the run (e.g. DescribeLimits unavailable). */
  warnings: string[];
  state?: AutoscalerState;
}

class StepError extends Error {
  constructor(
    readonly step: AutoscalerStep,
    readonly original: unknown,
  ) {
    super(`${step}: ${describeError(original)}`);
  }
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

async function step<T>(name: AutoscalerStep, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw new StepError(name, err);
  }
}

/** Errors after which UpdateShardCount certainly did not happen (so the call does not count). */
const DEFINITE_REJECTIONS = new Set([
  "LimitExceededException",
  "ResourceInUseException",
  "ResourceNotFoundException",
  "InvalidArgumentException",
  "ValidationException",
  "AccessDeniedException",
  "ValidationError",
]);

function subject(text: string): string {
  // SNS subjects: ASCII, no line breaks, at most 100 characters.
  const ascii = text.replace(/[^\x20-\x7e]/g, "?");
  return ascii.length <= 100 ? ascii : `${ascii.slice(0, 97)}...`;
}

function noticeOf(config: AutoscalerConfig, title: string, lines: string[], attributes: Record<string, string>): Notice {
  return {
    subject: subject(`[eventlake ${config.stage}] ${title}`),
    message: [`${title}`, "", ...lines, "", `stream: ${config.streamName}`, `stage: ${config.stage}`].join("\n"),
    attributes: { source: "autoscaler", stage: config.stage, stream: config.streamName, ...attributes },
  };
}

export async function runAutoscaler(deps: AutoscalerDeps, config: AutoscalerConfig, nowMs: number): Promise<AutoscalerOutcome> {
  const result: AutoscalerOutcome = { outcome: "none", notices: [], warnings: [] };
  const pending: Notice[] = [];
  let state: AutoscalerState | undefined;
  try {
    const stored = await step("read-state", () => deps.store.get(config.stateKey));
    state = stored ? parseAutoscalerState(new TextDecoder().decode(stored), config.streamName, config.stateKey) : emptyAutoscalerState(config.streamName);
    const previousCode = state.decisions[state.decisions.length - 1]?.code;

    const stream = await step("describe-stream", () => deps.stream.describe(config.streamName));
    if (stream.status === "ACTIVE" && stream.mode === "provisioned") {
      const reconciled = reconcileObservedShards(state, stream.openShards, nowMs);
      state = reconciled.state;
      if (reconciled.inferred) {
        result.inferred = reconciled.inferred;
        pending.push(
          noticeOf(config, `Shard count changed outside the autoscaler: ${reconciled.inferred.from} -> ${reconciled.inferred.to}`, [
            "The change is counted toward the 10 UpdateShardCount calls per rolling 24 h and restarts the cool-downs.",
          ], { action: "inferred", code: "inferred" }),
        );
      }
    }

    let account: { shardLimit: number; openShards: number } | undefined;
    if (stream.mode === "provisioned") {
      try {
        account = await deps.stream.accountShards();
      } catch (err) {
        result.warnings.push(`describe-limits: ${describeError(err)} (planning without the account quota)`);
      }
    }

    const s = config.settings;
    const periodMs = s.metricPeriodSeconds * 1000;
    const endMs = Math.floor((nowMs - s.metricDelaySeconds * 1000) / periodMs) * periodMs;
    const lookbackMs = Math.max(s.scaleUpWindowSeconds, s.scaleDownWindowSeconds) * 1000 + periodMs;
    const startMs = Math.floor((endMs - lookbackMs) / periodMs) * periodMs;
    const metrics =
      stream.mode === "provisioned" && stream.status === "ACTIVE"
        ? await step("read-metrics", () => deps.metrics.read({ streamName: config.streamName, startMs, endMs, periodSeconds: s.metricPeriodSeconds }))
        : [];

    const decision = planShardCount({
      nowMs,
      stream,
      metrics,
      calls: state.calls,
      bounds: config.bounds,
      ...(account ? { account } : {}),
      settings: s,
    });
    result.decision = decision;

    if (decision.action === "none") {
      state = { ...state, decisions: [...state.decisions, decisionRecord(decision, nowMs, "none")] };
      if (BLOCKED_SCALE_UP_CODES.includes(decision.code) && previousCode !== decision.code) {
        pending.push(
          noticeOf(config, `Stream needs shards the autoscaler cannot add (${decision.code})`, [
            decision.reason,
            decision.nextCallAtMs ? `Next UpdateShardCount possible after ${new Date(decision.nextCallAtMs).toISOString()}.` : "",
            "Producers are throttled: the ingest function retries and spills to fallback/ (nothing is lost; replay re-injects it).",
          ].filter(Boolean), { action: "none", code: decision.code }),
        );
      }
    } else {
      // Record the call before making it: a crash in between over-counts, never under-counts.
      const call: RecordedCall = { atMs: nowMs, from: decision.current, to: decision.target, source: "autoscaler", outcome: "pending" };
      const withCall = { ...state, calls: [...state.calls, call] };
      await step("write-state", () => deps.store.put(config.stateKey, serializeAutoscalerState(withCall), { contentType: "application/json" }));
      state = withCall;
      try {
        await deps.stream.updateShardCount(config.streamName, decision.target);
        call.outcome = "accepted";
        state = { ...state, decisions: [...state.decisions, decisionRecord(decision, nowMs, "done")] };
        result.outcome = "done";
        pending.push(
          noticeOf(config, `Scaled ${decision.action === "scale-up" ? "up" : "down"}: ${decision.current} -> ${decision.target} shards`, [
            decision.reason,
            `UpdateShardCount calls in the last 24 h: ${decision.callsInWindow + 1} of ${KINESIS.maxScalingCallsPer24h}.`,
          ], { action: decision.action, code: decision.code }),
        );
      } catch (err) {
        const name = err instanceof Error ? err.name : "";
        if (DEFINITE_REJECTIONS.has(name)) state = { ...state, calls: state.calls.filter((c) => c !== call) };
        else call.outcome = "unknown";
        const error = describeError(err);
        state = { ...state, decisions: [...state.decisions, decisionRecord(decision, nowMs, "failed", error)] };
        result.outcome = "failed";
        result.failure = { step: "update-shard-count", error };
        pending.push(
          noticeOf(config, `Autoscaler failed: UpdateShardCount ${decision.current} -> ${decision.target}`, [
            decision.reason,
            `UpdateShardCount failed: ${error}`,
            "The stream keeps its current shard count; the next run plans again.",
          ], { action: decision.action, code: "failure" }),
        );
      }
    }
    state = pruneAutoscalerState(state, nowMs);
    const finalState = state;
    await step("write-state", () => deps.store.put(config.stateKey, serializeAutoscalerState(finalState), { contentType: "application/json" }));
    result.state = finalState;
  } catch (err) {
    const failed = err instanceof StepError ? err : new StepError("read-state", err);
    result.outcome = "failed";
    result.failure = { step: failed.step, error: describeError(failed.original) };
    if (state) result.state = state;
    pending.push(
      noticeOf(config, `Autoscaler failed at ${failed.step}`, [
        describeError(failed.original),
        result.decision ? `Decision before the failure: ${result.decision.action} (${result.decision.reason}).` : "No decision was made.",
      ], { action: result.decision?.action ?? "none", code: "failure" }),
    );
  }

  for (const notice of pending) {
    try {
      await deps.notifier.publish(notice);
      result.notices.push(notice.subject);
    } catch (err) {
      result.notifyError = `${notice.subject}: ${describeError(err)}`;
    }
  }
  return result;
}
