/**
 * CloudWatch's statistic sets (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_StatisticSet.html):
 * what CloudWatch keeps per metric and timestamp, and the canonical key of a metric. The metrics written as EMF and the
 * local metrics store aggregate with these.
 */
import type { MetricId, Statistic } from "../ports/metrics-query";

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
