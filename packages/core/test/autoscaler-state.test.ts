import { describe, expect, it } from "vitest";
import {
  emptyAutoscalerState,
  parseAutoscalerState,
  pruneAutoscalerState,
  reconcileObservedShards,
  serializeAutoscalerState,
  type AutoscalerState,
} from "../src/autoscaler/state";

const H = 3_600_000;

describe("autoscaler state", () => {
  const now = Date.UTC(2025, 0, 15, 12);

  it("round-trips, and refuses a corrupt or foreign object instead of forgetting the call history", () => {
    const state: AutoscalerState = {
      ...emptyAutoscalerState("events"),
      lastSeen: { atMs: now, openShards: 4 },
      calls: [{ atMs: now - H, from: 2, to: 4, source: "autoscaler", outcome: "accepted" }],
    };
    expect(parseAutoscalerState(serializeAutoscalerState(state), "events")).toEqual(state);
    expect(() => parseAutoscalerState("{oops", "events")).toThrow(/unreadable .*not JSON.*delete it to start over/);
    expect(() => parseAutoscalerState(serializeAutoscalerState(state), "other")).toThrow(/belongs to stream "events"/);
    expect(() => parseAutoscalerState('{"version":2}', "events")).toThrow(/unknown version/);
  });

  it("keeps 24 h of calls plus the latest one, and the last 20 decisions", () => {
    const old = { atMs: now - 30 * H, from: 1, to: 2, source: "autoscaler" as const, outcome: "accepted" as const };
    const recent = { ...old, atMs: now - 2 * H };
    expect(pruneAutoscalerState({ ...emptyAutoscalerState("e"), calls: [old, recent] }, now).calls).toEqual([recent]);
    expect(pruneAutoscalerState({ ...emptyAutoscalerState("e"), calls: [old] }, now).calls).toEqual([old]);
    const decisions = Array.from({ length: 30 }, (_, i) => ({ atMs: i, action: "none" as const, code: "steady" as const, current: 1, target: 1, reason: "", outcome: "none" as const }));
    expect(pruneAutoscalerState({ ...emptyAutoscalerState("e"), decisions }, now).decisions.map((d) => d.atMs)).toEqual(decisions.slice(10).map((d) => d.atMs));
  });

  it("records a shard count change it did not make as an inferred call, once", () => {
    const seen = { ...emptyAutoscalerState("e"), lastSeen: { atMs: now - H, openShards: 4 } };
    const first = reconcileObservedShards(seen, 8, now);
    expect(first.inferred).toEqual({ atMs: now, from: 4, to: 8, source: "inferred", outcome: "accepted" });
    expect(reconcileObservedShards(first.state, 8, now + 1).inferred).toBeUndefined();
    // Its own call explains the change.
    const own = { ...seen, calls: [{ atMs: now - H / 2, from: 4, to: 8, source: "autoscaler" as const, outcome: "accepted" as const }] };
    expect(reconcileObservedShards(own, 8, now).inferred).toBeUndefined();
    // First run ever: nothing to compare with.
    expect(reconcileObservedShards(emptyAutoscalerState("e"), 8, now).inferred).toBeUndefined();
  });
});
