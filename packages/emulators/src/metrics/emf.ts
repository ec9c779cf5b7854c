/**
 * CloudWatch Embedded Metric Format (EMF), both ways, as pure functions: reading the metric data out of a log line
 * the way CloudWatch Logs does for a Lambda function's output (Powertools Metrics prints these), and writing one.
 *
 * The format: a JSON object with `_aws: { Timestamp, CloudWatchMetrics: [{ Namespace, Dimensions: [[key...]...],
 * Metrics: [{ Name, Unit? }] }] }`; dimension values and metric values are top-level members of the same object.
 * A value may be a number or an array of numbers (several samples). Each dimension set makes its own metric.
 */
import type { MetricId } from "@eventlake/core/ports";
import { singleValue, type StatSet } from "./stat-set";

export interface MetricDatum {
  metric: MetricId;
  timestampMs: number;
  set: StatSet;
  unit?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function statSetOf(value: unknown): StatSet | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return singleValue(value);
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "number" && Number.isFinite(v))) {
    const values = value as number[];
    return { sampleCount: values.length, sum: values.reduce((a, b) => a + b, 0), min: Math.min(...values), max: Math.max(...values) };
  }
  return undefined;
}

/**
 * The metric data of one log line; an empty list for any line that is not valid EMF (plain logs, broken JSON,
 * missing members), never an exception: log files hold all sorts of lines.
 */
export function parseEmfLine(line: string): MetricDatum[] {
  const trimmed = line.trim();
  if (!trimmed.startsWith("{") || !trimmed.includes('"_aws"')) return [];
  let root: unknown;
  try {
    root = JSON.parse(trimmed);
  } catch {
    return [];
  }
  if (!isRecord(root) || !isRecord(root._aws)) return [];
  const timestampMs = root._aws.Timestamp;
  const directives = root._aws.CloudWatchMetrics;
  if (typeof timestampMs !== "number" || !Number.isFinite(timestampMs) || !Array.isArray(directives)) return [];
  const out: MetricDatum[] = [];
  for (const directive of directives) {
    if (!isRecord(directive) || typeof directive.Namespace !== "string" || !Array.isArray(directive.Metrics)) continue;
    const dimensionSets = Array.isArray(directive.Dimensions) ? directive.Dimensions : [[]];
    for (const dimensionSet of dimensionSets.length > 0 ? dimensionSets : [[]]) {
      if (!Array.isArray(dimensionSet)) continue;
      const dimensions: Record<string, string> = {};
      let complete = true;
      for (const key of dimensionSet) {
        const value = typeof key === "string" ? root[key] : undefined;
        if (typeof value !== "string") {
          complete = false;
          break;
        }
        dimensions[key as string] = value;
      }
      if (!complete) continue;
      for (const definition of directive.Metrics) {
        if (!isRecord(definition) || typeof definition.Name !== "string") continue;
        const set = statSetOf(root[definition.Name]);
        if (!set) continue;
        out.push({
          metric: { namespace: directive.Namespace, metricName: definition.Name, dimensions },
          timestampMs,
          set,
          ...(typeof definition.Unit === "string" ? { unit: definition.Unit } : {}),
        });
      }
    }
  }
  return out;
}

export interface EmfRecord {
  namespace: string;
  dimensions: Readonly<Record<string, string>>;
  /** Metric name -> value (or several samples). */
  values: Readonly<Record<string, number | readonly number[]>>;
  timestampMs: number;
  unit?: string;
}

/** One EMF line (no trailing newline) for a set of metrics sharing their dimensions. */
export function formatEmfLine(record: EmfRecord): string {
  const names = Object.keys(record.values);
  return JSON.stringify({
    _aws: {
      Timestamp: record.timestampMs,
      CloudWatchMetrics: [
        {
          Namespace: record.namespace,
          Dimensions: [Object.keys(record.dimensions)],
          Metrics: names.map((Name) => ({ Name, Unit: record.unit ?? "None" })),
        },
      ],
    },
    ...record.dimensions,
    ...record.values,
  });
}
