import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  overloadBoundMs,
  overloadStepMs,
  planShardCount,
  roundDownTarget,
  roundUpTarget,
  temporaryShards,
  validateAutoscalerSettings,
  type AutoscalerSettings,
  type PlannerInput,
} from "../src/autoscaler/planner";
import type { StreamDatapoint } from "../src/ports";
import { stageConfig } from "../src/stage-config";
import { BLOCKING, overloadEpisodes, prng, simulate, type SimulationParams } from "./autoscaler-simulation";

const MiB = 1024 * 1024;
const MINUTE = 60_000;
const AWS: AutoscalerSettings = stageConfig("prod").autoscaler;

/** A per-minute datapoint carrying `shards` shards' worth of bytes (records of 2 KiB: bytes are the fuller dimension). */
function point(startMs: number, shards: number, extra: Partial<StreamDatapoint> = {}): StreamDatapoint {
  const bytes = shards * MiB * 60;
  return { startMs, periodSeconds: 60, incomingBytes: bytes, incomingRecords: bytes / 2048, throttledRecords: 0, ...extra };
}

/** Visible metrics at `now` with the AWS settings: minutes ending at least 3 min ago, `shards` each. */
function series(now: number, minutes: number, shards: number | ((i: number) => number), extra: Partial<StreamDatapoint> = {}): StreamDatapoint[] {
  const end = Math.floor((now - AWS.metricDelaySeconds * 1000) / MINUTE) * MINUTE;
  return Array.from({ length: minutes }, (_, i) => {
    const start = end - (minutes - i) * MINUTE;
    return point(start, typeof shards === "number" ? shards : shards(i), extra);
  });
}

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
function input(partial: Partial<PlannerInput> & { openShards?: number }): PlannerInput {
  const { openShards = 4, ...rest } = partial;
  return {
    nowMs: NOW,
    stream: { mode: "provisioned", status: "ACTIVE", openShards },
    metrics: series(NOW, 40, openShards * 0.5),
    calls: [],
    bounds: { minShards: 1, maxShards: 64 },
    settings: AWS,
    ...rest,
  };
}

describe("autoscaler planner: rules", () => {
  it("does nothing for on-demand streams and for streams that are not ACTIVE", () => {
    expect(planShardCount(input({ stream: { mode: "on-demand", status: "ACTIVE", openShards: 4 }, metrics: series(NOW, 40, 40) }))).toMatchObject({ action: "none", code: "on-demand" });
    expect(planShardCount(input({ stream: { mode: "provisioned", status: "UPDATING", openShards: 4 }, metrics: series(NOW, 40, 40) }))).toMatchObject({ action: "none", code: "not-active" });
  });

  it("scales up at 70% of capacity to the peak at 50%, on a multiple of 25% of the current count", () => {
    const d = planShardCount(input({ openShards: 4, metrics: series(NOW, 40, (i) => (i === 38 ? 3 : 1)) }));
    // Peak 3 shards' worth = 75% of 4; needed ceil(3 / 0.5) = 6 = 150% of 4.
    expect(d).toMatchObject({ action: "scale-up", code: "scale-up", current: 4, target: 6 });
    expect(d.utilization).toBeCloseTo(0.75);
    // 69% does not.
    expect(planShardCount(input({ openShards: 4, metrics: series(NOW, 40, 4 * 0.69) }))).toMatchObject({ action: "none", code: "steady" });
  });

  it("scales up on the records dimension too", () => {
    // 0.1 shards of bytes but 800 records/s per shard on 1 shard (tiny records): 80% of the records limit.
    const metrics = series(NOW, 10, 0.1).map((d) => ({ ...d, incomingRecords: 800 * 60 }));
    expect(planShardCount(input({ openShards: 1, metrics }))).toMatchObject({ action: "scale-up", target: 2 });
  });

  it("doubles when the stream throttled (the measured demand is censored)", () => {
    const metrics = series(NOW, 10, 4, { throttledRecords: 10 });
    expect(planShardCount(input({ openShards: 4, metrics }))).toMatchObject({ action: "scale-up", target: 8 });
  });

  it("never more than double, never above the stage maximum or the account quota", () => {
    expect(planShardCount(input({ openShards: 4, metrics: series(NOW, 10, 40) }))).toMatchObject({ action: "scale-up", target: 8 });
    expect(planShardCount(input({ openShards: 4, metrics: series(NOW, 10, 40), bounds: { minShards: 1, maxShards: 6 } }))).toMatchObject({ target: 6 });
    expect(planShardCount(input({ openShards: 6, metrics: series(NOW, 10, 40), bounds: { minShards: 1, maxShards: 6 } }))).toMatchObject({ action: "none", code: "at-max" });
    // 4 -> 8 splits 4 shards first: the account needs room for them (10 open + 4 <= 14), temporary ones included.
    expect(planShardCount(input({ openShards: 4, metrics: series(NOW, 10, 40), account: { shardLimit: 14, openShards: 10 } }))).toMatchObject({ action: "scale-up", target: 8 });
    // 4 -> 6 holds 4 temporary shards too (6 - gcd 2), 4 -> 5 and 4 -> 7 more: with 3 free there is nothing to do.
    expect(planShardCount(input({ openShards: 4, metrics: series(NOW, 10, 40), account: { shardLimit: 13, openShards: 10 } }))).toMatchObject({ action: "none", code: "account-quota" });
    // 6 -> 9 needs 6 temporary shards, 6 -> 12 also 6: a quota of 6 free allows the doubling.
    expect(planShardCount(input({ openShards: 6, metrics: series(NOW, 10, 40), account: { shardLimit: 26, openShards: 20 } }))).toMatchObject({ action: "scale-up", target: 12 });
  });

  it("keeps to 10 calls per rolling 24 h, saying when the next one is possible", () => {
    const calls = Array.from({ length: 10 }, (_, i) => ({ atMs: NOW - 23 * 3_600_000 + i * 60 * MINUTE, from: 1, to: 2 }));
    const d = planShardCount(input({ openShards: 4, metrics: series(NOW, 10, 40), calls }));
    expect(d).toMatchObject({ action: "none", code: "call-budget", callsInWindow: 10, nextCallAtMs: calls[0]!.atMs + 24 * 3_600_000 });
    // A call 24 h old no longer counts.
    const older = calls.map((c, i) => (i === 0 ? { ...c, atMs: NOW - 24 * 3_600_000 } : c));
    expect(planShardCount(input({ openShards: 4, metrics: series(NOW, 10, 40), calls: older }))).toMatchObject({ action: "scale-up", callsInWindow: 9 });
  });

  it("waits out the scale-up cool-down, and judges only periods measured after the last change", () => {
    // Every visible period predates a change 2 minutes ago: nothing measured at the new count yet.
    const recent = [{ atMs: NOW - 2 * MINUTE, from: 2, to: 4 }];
    expect(planShardCount(input({ openShards: 4, metrics: series(NOW, 10, 40), calls: recent }))).toMatchObject({ action: "none", code: "steady" });
    const metrics = [...series(NOW, 10, 1).slice(0, -1), point(NOW - 4 * MINUTE, 3.9)];
    expect(planShardCount(input({ openShards: 4, metrics, calls: [{ atMs: NOW - 5 * MINUTE, from: 2, to: 4 }] }))).toMatchObject({ action: "scale-up" });
    // With a cool-down longer than the metric delay, the cool-down is what waits.
    const slow = { ...AWS, scaleUpCooldownSeconds: 600 };
    const cooling = planShardCount(input({ openShards: 4, metrics, settings: slow, calls: [{ atMs: NOW - 8 * MINUTE, from: 2, to: 4 }] }));
    expect(cooling).toMatchObject({ action: "none", code: "cooldown" });
  });

  it("scales down below 30% for the whole window after the cool-down, to the peak at 50%, at most by half", () => {
    const d = planShardCount(input({ openShards: 8, metrics: series(NOW, 40, 1) }));
    // Peak 1 of 8 = 12.5%; needed ceil(1 / 0.5) = 2, but at most half: 4.
    expect(d).toMatchObject({ action: "scale-down", code: "scale-down", target: 4 });
    expect(planShardCount(input({ openShards: 8, metrics: series(NOW, 40, 2.2) }))).toMatchObject({ action: "scale-down", target: 6 });
    expect(planShardCount(input({ openShards: 8, metrics: series(NOW, 40, (i) => (i === 20 ? 2.5 : 1)) }))).toMatchObject({ action: "none", code: "steady" });
    expect(planShardCount(input({ openShards: 8, metrics: series(NOW, 40, 1), calls: [{ atMs: NOW - 29 * MINUTE, from: 4, to: 8 }] }))).toMatchObject({ action: "none" });
    expect(planShardCount(input({ openShards: 8, metrics: series(NOW, 40, 1), calls: [{ atMs: NOW - 40 * MINUTE, from: 4, to: 8 }] }))).toMatchObject({ action: "scale-down" });
    expect(planShardCount(input({ openShards: 1, metrics: series(NOW, 40, 0) }))).toMatchObject({ action: "none", code: "steady" });
    expect(planShardCount(input({ openShards: 4, metrics: series(NOW, 40, 0), bounds: { minShards: 3, maxShards: 8 } }))).toMatchObject({ action: "scale-down", target: 3 });
    expect(planShardCount(input({ openShards: 3, metrics: series(NOW, 40, 0), bounds: { minShards: 3, maxShards: 8 } }))).toMatchObject({ action: "none", code: "steady" });
    expect(planShardCount(input({ openShards: 8, metrics: series(NOW, 40, 0), bounds: { minShards: 5, maxShards: 8 } }))).toMatchObject({ action: "scale-down", target: 6 });
  });

  it("does not scale down while consumers lag, or with throttling in the window", () => {
    expect(planShardCount(input({ openShards: 8, metrics: series(NOW, 40, 1, { iteratorAgeMs: 120_000 }) }))).toMatchObject({ action: "none", code: "consumers-lagging" });
    expect(planShardCount(input({ openShards: 8, metrics: series(NOW, 40, 1, { iteratorAgeMs: 30_000 }) }))).toMatchObject({ action: "scale-down" });
    expect(planShardCount(input({ openShards: 8, metrics: series(NOW, 40, 1, { throttledRecords: 1 }) }))).toMatchObject({ action: "none" });
  });

  it("keeps the last calls of the 24 h budget for scaling up", () => {
    const calls = (n: number) => Array.from({ length: n }, (_, i) => ({ atMs: NOW - 20 * 3_600_000 + i * MINUTE, from: 8, to: 8 }));
    expect(planShardCount(input({ openShards: 8, metrics: series(NOW, 40, 1), calls: calls(6) }))).toMatchObject({ action: "scale-down" });
    expect(planShardCount(input({ openShards: 8, metrics: series(NOW, 40, 1), calls: calls(7) }))).toMatchObject({ action: "none", code: "scale-down-reserve" });
    expect(planShardCount(input({ openShards: 8, metrics: series(NOW, 40, 40), calls: calls(9) }))).toMatchObject({ action: "scale-up" });
  });

  it("moves a stream outside the stage bounds back inside, half or double at a time", () => {
    expect(planShardCount(input({ openShards: 1, bounds: { minShards: 3, maxShards: 8 }, metrics: series(NOW, 40, 0) }))).toMatchObject({ action: "scale-up", code: "below-min", target: 2 });
    expect(planShardCount(input({ openShards: 20, bounds: { minShards: 1, maxShards: 8 }, metrics: series(NOW, 40, 0) }))).toMatchObject({ action: "scale-down", code: "above-max", target: 10 });
  });

  it("refuses to judge from missing or late metrics", () => {
    expect(planShardCount(input({ metrics: [] }))).toMatchObject({ action: "none", code: "no-data" });
    expect(planShardCount(input({ metrics: series(NOW - 20 * MINUTE, 10, 40) }))).toMatchObject({ action: "none", code: "no-data" });
  });

  it("rounds targets to multiples of 25% and counts temporary shards", () => {
    expect([roundUpTarget(4, 5), roundUpTarget(4, 6), roundUpTarget(4, 7), roundUpTarget(4, 9), roundUpTarget(1, 1.1), roundUpTarget(3, 4)]).toEqual([5, 6, 7, 8, 2, 4]);
    expect([roundDownTarget(8, 1), roundDownTarget(8, 5), roundDownTarget(8, 7), roundDownTarget(2, 1), roundDownTarget(3, 2)]).toEqual([4, 6, 8, 1, 2]);
    expect([temporaryShards(4, 8), temporaryShards(8, 4), temporaryShards(3, 4), temporaryShards(6, 4)]).toEqual([4, 0, 3, 2]);
  });

  it("validates settings: hysteresis, the reserve, and windows that cover the schedule", () => {
    expect(validateAutoscalerSettings(AWS, 300)).toEqual([]);
    expect(validateAutoscalerSettings({ ...AWS, scaleDownUtilization: 0.6 }).join()).toMatch(/hysteresis/);
    expect(validateAutoscalerSettings({ ...AWS, reservedScaleUpCalls: 10 }).join()).toMatch(/reservedScaleUpCalls/);
    expect(validateAutoscalerSettings({ ...AWS, scaleUpWindowSeconds: 300 }, 300).join()).toMatch(/unread/);
  });
});

describe("autoscaler planner: the overload promise", () => {
  it("is what the module documents on AWS defaults: 25 min for a 2x surge, 45 min for 8x (U = 5 min)", () => {
    const timing = { scheduleIntervalMs: 5 * MINUTE, updateDurationMs: 5 * MINUTE };
    expect(overloadStepMs(AWS, timing)).toBe(10 * MINUTE);
    expect(overloadBoundMs(AWS, timing, 1)).toBe(25 * MINUTE);
    expect(overloadBoundMs(AWS, timing, 3)).toBe(45 * MINUTE);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Simulated days of load.

type Shape = "walk" | "spikes" | "diurnal" | "ramp" | "surge";

interface Scenario {
  seed: number;
  shape: Shape;
  days: number;
  scheduleMinutes: number;
  updateMinutesMax: number;
  delayMinutes: number;
  scaleUpCooldownMinutes: number;
  scaleDownCooldownMinutes: number;
  extraUpWindowMinutes: number;
  scaleDownWindowMinutes: number;
  reserve: number;
  base: number;
  volatility: number;
  minShards: number;
  maxShards: number;
  quota: { shardLimit: number; other: number } | null;
  recordBytes: number;
  lagProbability: number;
  /** Every UpdateShardCount takes the longest time the promise allows. */
  worstUpdates: boolean;
  /** Throttled records reported per record refused: producers that give up count less, retrying ones more. */
  throttleCounting: number;
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  shape: fc.constantFrom<Shape>("walk", "spikes", "diurnal", "ramp", "surge", "surge"),
  worstUpdates: fc.boolean(),
  throttleCounting: fc.double({ min: 0.1, max: 3, noNaN: true }),
  days: fc.integer({ min: 1, max: 3 }),
  scheduleMinutes: fc.constantFrom(1, 2, 5, 10),
  updateMinutesMax: fc.integer({ min: 1, max: 15 }),
  delayMinutes: fc.integer({ min: 0, max: 4 }),
  scaleUpCooldownMinutes: fc.integer({ min: 0, max: 20 }),
  scaleDownCooldownMinutes: fc.integer({ min: 0, max: 90 }),
  extraUpWindowMinutes: fc.integer({ min: 0, max: 10 }),
  scaleDownWindowMinutes: fc.integer({ min: 1, max: 90 }),
  reserve: fc.integer({ min: 1, max: 5 }),
  base: fc.double({ min: 0.01, max: 40, noNaN: true }),
  volatility: fc.double({ min: 0, max: 1, noNaN: true }),
  minShards: fc.integer({ min: 1, max: 4 }),
  maxShards: fc.integer({ min: 4, max: 512 }),
  quota: fc.option(fc.record({ shardLimit: fc.integer({ min: 50, max: 2000 }), other: fc.integer({ min: 0, max: 40 }) }), { nil: null }),
  recordBytes: fc.constantFrom(200, 1000, 5000, 50_000),
  lagProbability: fc.constantFrom(0, 0.01, 0.2),
});

function demandFunction(sc: Scenario): (m: number) => number {
  const random = prng(sc.seed ^ 0x9e3779b9);
  const minutes = sc.days * 1440;
  const values = new Float64Array(minutes);
  let level = sc.base;
  let spike = 0;
  let spikeLeft = 0;
  const rampEvery = 5 + Math.floor(random() * 120);
  for (let m = 0; m < minutes; m++) {
    switch (sc.shape) {
      case "walk":
        level = Math.min(2000, Math.max(0.001, level * Math.exp((random() - 0.5) * 0.4 * sc.volatility)));
        values[m] = level;
        break;
      case "spikes":
        if (spikeLeft <= 0 && random() < 0.01 * (0.2 + sc.volatility)) {
          spike = 1.5 + random() * 20;
          spikeLeft = 1 + Math.floor(random() * 120);
        }
        values[m] = sc.base * (spikeLeft-- > 0 ? spike : 1) * (1 + (random() - 0.5) * 0.2);
        break;
      case "diurnal":
        values[m] = sc.base * (1 + 0.95 * sc.volatility * Math.sin((2 * Math.PI * m) / 1440)) * (1 + (random() - 0.5) * 0.1);
        break;
      case "surge":
        // Sudden jumps to 1.1x..64x the base (a launch, a backfill), held for 10 min..5 h, then back.
        if (spikeLeft <= 0 && random() < 0.004) {
          spike = 1.1 + random() * random() * 63;
          spikeLeft = 10 + Math.floor(random() * 290);
        }
        values[m] = sc.base * (spikeLeft-- > 0 ? spike : 1);
        break;
      case "ramp":
        // Doubles every rampEvery minutes for a while, holds, then falls back.
        values[m] = sc.base * 2 ** Math.min(6, Math.max(0, (m % 720) - 60) / rampEvery) * (m % 720 < 600 ? 1 : 0.05);
        break;
    }
  }
  return (m) => values[m] ?? 0;
}

function paramsOf(sc: Scenario): SimulationParams {
  const random = prng(sc.seed);
  const schedule = sc.scheduleMinutes * 60;
  const settings: AutoscalerSettings = {
    ...AWS,
    scaleUpCooldownSeconds: sc.scaleUpCooldownMinutes * 60,
    scaleDownCooldownSeconds: sc.scaleDownCooldownMinutes * 60,
    scaleUpWindowSeconds: schedule + 60 + sc.extraUpWindowMinutes * 60,
    scaleDownWindowSeconds: sc.scaleDownWindowMinutes * 60,
    reservedScaleUpCalls: sc.reserve,
    metricPeriodSeconds: 60,
    metricDelaySeconds: sc.delayMinutes * 60,
  };
  expect(validateAutoscalerSettings(settings, schedule)).toEqual([]);
  const demand = demandFunction(sc);
  const maxShards = Math.max(sc.maxShards, sc.minShards);
  return {
    settings,
    scheduleMinutes: sc.scheduleMinutes,
    updateMinutesMax: sc.updateMinutesMax,
    minutes: sc.days * 1440,
    initialShards: sc.minShards,
    bounds: { minShards: sc.minShards, maxShards },
    ...(sc.quota ? { account: { shardLimit: sc.quota.shardLimit, otherStreamsShards: sc.quota.other } } : {}),
    recordBytes: sc.recordBytes,
    throttleCounting: sc.throttleCounting,
    demand,
    iteratorAge: (m) => (prng(sc.seed + m)() < sc.lagProbability ? 600_000 : 1_000),
    random: sc.worstUpdates ? () => 0.999999 : random,
  };
}

/** Shards' worth of the binding dimension of demand at minute m. */
function demandShards(p: SimulationParams, m: number): number {
  const shardsOfBytes = p.demand(m);
  const records = (shardsOfBytes * 1024 * 1024) / p.recordBytes;
  return Math.max(shardsOfBytes, records / 1000);
}

describe("autoscaler planner: simulated days of load", () => {
  it("never breaks an AWS limit and never stays above 100% longer than promised (unless blocked)", () => {
    let episodesChecked = 0;
    let callsMade = 0;
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const p = paramsOf(sc);
        const result = simulate(p);
        expect(result.violations).toEqual([]);
        callsMade += result.calls.length;
        const timing = { scheduleIntervalMs: sc.scheduleMinutes * MINUTE, updateDurationMs: sc.updateMinutesMax * MINUTE };
        const step = overloadStepMs(p.settings, timing);
        const first = Math.max(2 * 60_000 + p.settings.metricDelaySeconds * 1000 + timing.scheduleIntervalMs, step);
        for (const episode of overloadEpisodes(result.overloaded)) {
          // Episodes still running when the simulation ends are judged too: their length so far must be within the bound.
          // The capacity the promise counts from: the capacity at the start, or lower if a scale-down was decided
          // before any run could see an overloaded period (2P + D), on periods measured before the episode began.
          const blindUntil = episode.start + (2 * 60_000 + p.settings.metricDelaySeconds * 1000) / MINUTE;
          const blindScaleDowns = result.calls.filter((c) => c.decision.action === "scale-down" && c.minute >= episode.start && c.minute < blindUntil);
          const c0 = Math.min(result.capacity[episode.start] as number, ...blindScaleDowns.map((c) => c.to));
          let peak = 0;
          for (let m = episode.start; m < episode.end; m++) peak = Math.max(peak, demandShards(p, m));
          const doublings = Math.max(1, Math.ceil(Math.log2(peak / c0) - 1e-9));
          const bound = overloadBoundMs(p.settings, timing, doublings);
          const lengthMs = (episode.end - episode.start) * MINUTE;
          if (lengthMs <= bound) {
            episodesChecked++;
            continue;
          }
          // Over the bound: only allowed when the planner was blocked by the stage maximum, the account quota or the
          // 24 h budget at some point of the episode (including the run that could have answered its start).
          const fromMin = episode.start - first / MINUTE;
          const inEpisode = (minute: number) => minute >= fromMin && minute < episode.end;
          const blocked =
            result.decisions.some((d) => inEpisode(d.minute) && BLOCKING.includes(d.decision.code)) ||
            result.calls.some(
              (c) =>
                inEpisode(c.minute) &&
                c.decision.action === "scale-up" &&
                c.to < 2 * c.from &&
                (c.to === p.bounds.maxShards || (p.account !== undefined && (c.accountOpenBefore ?? 0) + temporaryShards(c.from, 2 * c.from) > p.account.shardLimit)),
            );
          if (!blocked) {
            const around = result.decisions.filter((d) => inEpisode(d.minute)).map((d) => `${d.minute}: ${d.decision.code} ${d.decision.current}->${d.decision.target}`);
            throw new Error(
              `overloaded for ${lengthMs / MINUTE} min from minute ${episode.start} (capacity ${c0}, peak ${peak.toFixed(2)} shards, ${doublings} doubling(s)), promised ${bound / MINUTE} min\n${around.join("\n")}`,
            );
          }
        }
      }),
      { numRuns: 150 },
    );
    // The simulations exercised the planner (not vacuous).
    expect(callsMade).toBeGreaterThan(100);
    expect(episodesChecked).toBeGreaterThan(20);
  });

  it("never calls UpdateShardCount on an on-demand stream", () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const result = simulate({ ...paramsOf({ ...sc, days: 1 }), mode: "on-demand" });
        expect(result.calls).toEqual([]);
        expect(result.decisions.every((d) => d.decision.code === "on-demand")).toBe(true);
      }),
      { numRuns: 20 },
    );
  });

  it("follows a diurnal day with few calls and comes back down at night", () => {
    const sc: Scenario = {
      seed: 7, shape: "diurnal", days: 2, scheduleMinutes: 5, updateMinutesMax: 5, delayMinutes: 3, scaleUpCooldownMinutes: 4,
      scaleDownCooldownMinutes: 30, extraUpWindowMinutes: 1, scaleDownWindowMinutes: 30, reserve: 3, base: 8, volatility: 1,
      minShards: 1, maxShards: 64, quota: null, recordBytes: 1000, lagProbability: 0, worstUpdates: false, throttleCounting: 1,
    };
    const p = paramsOf(sc);
    const result = simulate(p);
    expect(result.violations).toEqual([]);
    const perDay = [0, 1].map((day) => result.calls.filter((c) => Math.floor(c.minute / 1440) === day).length);
    // Up in the morning and down at night, within the budget.
    expect(Math.max(...perDay)).toBeLessThanOrEqual(10);
    expect(result.calls.some((c) => c.decision.action === "scale-up")).toBe(true);
    expect(result.calls.some((c) => c.decision.action === "scale-down")).toBe(true);
    const overloadedMinutes = result.overloaded.filter(Boolean).length;
    expect(overloadedMinutes / result.overloaded.length).toBeLessThan(0.05);
  });
});
