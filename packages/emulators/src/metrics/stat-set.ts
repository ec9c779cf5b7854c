/**
 * CloudWatch's storage model, for the local metrics store: a statistic set per metric and period (what CloudWatch
 * keeps per metric and timestamp, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_StatisticSet.html),
 * the statistics read from it, and a canonical key per metric (namespace, name, exact dimensions).
 */
import type { MetricId, Statistic } from "@eventlake/core/ports";

/** A statistic set: what CloudWatch keeps per metric and timestamp, and what a pre-aggregated datum carries. */
export interface StatSet {
  sampleCount: number;
  sum: number;
  min: number;
  max: number;
}

export function statOf(set: StatSet, stat: Statistic): number {
  switch (stat) {
    case "Sum":
      return set.sum;
    case "Average":
      return set.sampleCount === 0 ? 0 : set.sum / set.sampleCount;
    case "Maximum":
      return set.max;
    case "Minimum":
      return set.min;
    case "SampleCount":
      return set.sampleCount;
  }
}

export function mergeStatSets(into: StatSet, other: StatSet): StatSet {
  into.sampleCount += other.sampleCount;
  into.sum += other.sum;
  into.min = Math.min(into.min, other.min);
  into.max = Math.max(into.max, other.max);
  return into;
}

export function singleValue(value: number): StatSet {
  return { sampleCount: 1, sum: value, min: value, max: value };
}

/** A canonical key of a metric (dimensions sorted), for maps. */
export function metricKey(metric: MetricId): string {
  const dims = Object.keys(metric.dimensions)
    .sort()
    .map((k) => [k, metric.dimensions[k]]);
  return JSON.stringify([metric.namespace, metric.metricName, dims]);
}

export function parseMetricKey(key: string): MetricId {
  const [namespace, metricName, dims] = JSON.parse(key) as [string, string, [string, string][]];
  return { namespace, metricName, dimensions: Object.fromEntries(dims) };
}
