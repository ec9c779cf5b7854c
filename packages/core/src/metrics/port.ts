/**
 * The metrics-query port: what an alarm evaluator (or any reader of metrics) asks, shaped like CloudWatch's
 * GetMetricData with MetricStat queries, so the same question can be put to CloudWatch on AWS and to the local
 * metrics store on one machine.
 *
 * Semantics (CloudWatch's): a metric is identified by its namespace, name and its exact set of dimensions (a query
 * for {service} does not match data emitted with {service, error}); periods are aligned to multiples of the period
 * since the epoch; a period without data has no point (it is "missing", not zero).
 */

export type Statistic = "Sum" | "Average" | "Maximum" | "Minimum" | "SampleCount";

export const STATISTICS: readonly Statistic[] = ["Sum", "Average", "Maximum", "Minimum", "SampleCount"];

/** One metric, fully named. */
export interface MetricId {
  namespace: string;
  metricName: string;
  dimensions: Readonly<Record<string, string>>;
}

export interface MetricStatQuery extends MetricId {
  /** Caller's id for the result (CloudWatch: lower-case first letter, letters, digits and underscores). */
  id: string;
  stat: Statistic;
  periodSeconds: number;
}

export interface MetricPoint {
  /** Start of the period (ms since the epoch). */
  timestampMs: number;
  value: number;
}

export interface MetricDataResult {
  id: string;
  /** Only periods with data, in ascending time order. */
  points: MetricPoint[];
}

export interface MetricsQueryPort {
  /** Points of each query for the periods that start in [startMs, endMs). */
  getMetricData(queries: readonly MetricStatQuery[], startMs: number, endMs: number): Promise<MetricDataResult[]>;
}
