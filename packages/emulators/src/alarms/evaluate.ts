/**
 * Alarm evaluation with CloudWatch's semantics, as pure functions, for the local runtime (on AWS, CloudWatch does
 * it): the evaluation window is the last `evaluationPeriods` complete periods (aligned to multiples of the period);
 * each period's value is the alarm's statistic (or ratio of sums) over the datapoints in it; the alarm is ALARM when
 * at least `datapointsToAlarm` of those periods breach; periods without data follow `treatMissingData`.
 *
 * Simplification (documented in RUNBOOK.md): with "missing" or "ignore", CloudWatch may look further back than the
 * window to find enough datapoints; here missing periods are simply not counted, and a window without any datapoint
 * is INSUFFICIENT_DATA ("missing") or keeps the previous state ("ignore").
 */
import type { MetricDataResult, MetricStatQuery } from "@eventlake/core/ports";
import { bindDimensions, breaches, comparisonSymbol, metricRefs, type AlarmDefinition, type ResourceKey } from "@eventlake/core/alarms/catalog";
import type { AlarmState } from "@eventlake/core/alarms/alarm-state";

export type { AlarmState };

export interface EvaluationWindow {
  /** Start of each period in the window, oldest first. */
  periodStarts: number[];
  startMs: number;
  endMs: number;
}

/**
 * The last `evaluationPeriods` periods that have ended by `nowMs - settleMs` (the settle time lets datapoints of
 * a period that just ended arrive before it is judged).
 */
export function evaluationWindow(nowMs: number, periodSeconds: number, evaluationPeriods: number, settleMs = 0): EvaluationWindow {
  const periodMs = periodSeconds * 1000;
  const endMs = Math.floor((nowMs - settleMs) / periodMs) * periodMs;
  const startMs = endMs - evaluationPeriods * periodMs;
  const periodStarts = Array.from({ length: evaluationPeriods }, (_, i) => startMs + i * periodMs);
  return { periodStarts, startMs, endMs };
}

/**
 * The metric queries of an alarm (ids m0, m1, ... in `metricRefs` order), with resource names from `name`;
 * undefined when a resource it needs does not exist here. `periodSeconds` overrides the catalog's period.
 */
export function alarmQueries(
  def: AlarmDefinition,
  name: (resource: ResourceKey) => string | undefined,
  periodSeconds: number = def.periodSeconds,
): MetricStatQuery[] | undefined {
  const queries: MetricStatQuery[] = [];
  for (const [i, ref] of metricRefs(def.signal).entries()) {
    const dimensions = bindDimensions(ref.dimensions, name);
    if (!dimensions) return undefined;
    queries.push({ id: `m${i}`, namespace: ref.namespace, metricName: ref.metricName, dimensions, stat: ref.statistic, periodSeconds });
  }
  return queries;
}

/** The alarm's value per period of the window (undefined: no data in that period). */
export function signalValues(def: AlarmDefinition, results: readonly MetricDataResult[], periodStarts: readonly number[]): (number | undefined)[] {
  const refs = metricRefs(def.signal);
  const series = refs.map((_, i) => {
    const points = results.find((r) => r.id === `m${i}`)?.points ?? [];
    return new Map(points.map((p) => [p.timestampMs, p.value]));
  });
  const indexOf = (ref: unknown) => refs.findIndex((r) => JSON.stringify(r) === JSON.stringify(ref));
  return periodStarts.map((start) => {
    if (def.signal.kind === "metric") return series[0]?.get(start);
    // Ratio of sums, like the CloudWatch expression IF(D > 0, N / D) with FILL(m, 0) on each term.
    const sum = (list: readonly unknown[]) => {
      let total = 0;
      let present = false;
      for (const ref of list) {
        const value = series[indexOf(ref)]?.get(start);
        if (value !== undefined) {
          total += value;
          present = true;
        }
      }
      return { total, present };
    };
    const denominator = sum(def.signal.denominator);
    if (!denominator.present || !(denominator.total > 0)) return undefined;
    return sum(def.signal.numerator).total / denominator.total;
  });
}

export interface Evaluation {
  state: AlarmState;
  /** CloudWatch-style state reason. */
  reason: string;
  values: (number | undefined)[];
  /** Periods counted as breaching (including missing ones treated as breaching). */
  breaching: number;
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4))));

/** The state the alarm is in given its window's values; `previous` matters only for treatMissingData "ignore". */
export function evaluateAlarm(def: AlarmDefinition, values: readonly (number | undefined)[], previous: AlarmState = "INSUFFICIENT_DATA"): Evaluation {
  const shown = `[${values.map((v) => (v === undefined ? "-" : fmt(v))).join(", ")}]`;
  const present = values.filter((v): v is number => v !== undefined);
  const missing = values.length - present.length;
  const base = { values: [...values] };
  if (present.length === 0) {
    switch (def.treatMissingData) {
      case "breaching":
        return { ...base, state: "ALARM", breaching: values.length, reason: `no datapoints in the last ${values.length} period(s) of ${def.periodSeconds} s (missing data is treated as breaching)` };
      case "notBreaching":
        return { ...base, state: "OK", breaching: 0, reason: `no datapoints in the last ${values.length} period(s) (missing data is treated as not breaching)` };
      case "ignore":
        return { ...base, state: previous, breaching: 0, reason: `no datapoints; state kept (missing data is ignored)` };
      case "missing":
        return { ...base, state: "INSUFFICIENT_DATA", breaching: 0, reason: `no datapoints in the last ${values.length} period(s) of ${def.periodSeconds} s` };
    }
  }
  let breaching = present.filter((v) => breaches(def, v)).length;
  if (def.treatMissingData === "breaching") breaching += missing;
  const condition = `${comparisonSymbol(def.comparison)} ${fmt(def.threshold)}`;
  if (breaching >= def.datapointsToAlarm) {
    return {
      ...base,
      state: "ALARM",
      breaching,
      reason: `threshold crossed: ${breaching} of the last ${values.length} datapoint(s) ${shown} ${condition} (${def.datapointsToAlarm} needed)`,
    };
  }
  return {
    ...base,
    state: "OK",
    breaching,
    reason: `threshold not crossed: ${breaching} of the last ${values.length} datapoint(s) ${shown} ${condition} (${def.datapointsToAlarm} needed)`,
  };
}
