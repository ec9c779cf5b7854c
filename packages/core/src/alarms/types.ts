/**
 * The alarm catalog's types: what an alarm measures (metric references with dimensions templated by resource names),
 * when it fires, how bad it is, and its runbook. Shared by the entries (entries.ts), the rendering helpers
 * (render.ts), the stacks, the local evaluator and the runbook generator.
 */
import type { Statistic } from "../ports";

export type { Statistic };

export type ComparisonOperator =
  | "GreaterThanOrEqualToThreshold"
  | "GreaterThanThreshold"
  | "LessThanThreshold"
  | "LessThanOrEqualToThreshold";

/** CloudWatch's missing-data treatments. */
export type TreatMissingData = "missing" | "notBreaching" | "breaching" | "ignore";

/** critical: data is late, at risk or not written; warning: degraded, act within the day. */
export type Severity = "critical" | "warning";

/**
 * A resource the alarms watch, named when the catalog is bound to a deployment (stacks) or to the local runtime:
 * the HTTP API (its ApiId), the Kinesis stream, the Firehose delivery stream, the Glue job, or a function by its key.
 */
export type ResourceKey = "api" | "stream" | "deliveryStream" | "glueJob" | `function:${string}`;

/** A dimension value: a literal, or the name of a resource. */
export type DimensionValue = string | { resource: ResourceKey };

export interface MetricRef {
  namespace: string;
  metricName: string;
  dimensions: Readonly<Record<string, DimensionValue>>;
  statistic: Statistic;
}

/**
 * What an alarm compares with its threshold, per period: one metric's statistic, or a ratio of sums
 * (sum of numerator metrics / sum of denominator metrics; no value when the denominator is 0 or missing).
 */
export type AlarmSignal =
  | { kind: "metric"; metric: MetricRef }
  | { kind: "ratio"; numerator: readonly MetricRef[]; denominator: readonly MetricRef[] };

export interface Runbook {
  /** One or two sentences: goes into the SNS message and the local notification's first lines. */
  summary: string;
  /** What the alarm means, in the pipeline's terms. */
  meaning: string;
  /** What to look at first, most likely cause first. */
  checkFirst: readonly string[];
  /** How to fix the usual causes. */
  fix: readonly string[];
}

export type AlarmComponent = "ingest" | "stream" | "raw archive" | "curated layer" | "operations" | "functions";

export interface AlarmDefinition {
  /** Stable id: the alarm's name suffix and its RUNBOOK.md anchor. */
  id: string;
  title: string;
  component: AlarmComponent;
  severity: Severity;
  signal: AlarmSignal;
  /** CloudWatch: 10, 20, 30 or a multiple of 60. */
  periodSeconds: number;
  evaluationPeriods: number;
  /** "M of N": periods (of the last evaluationPeriods) that must breach to alarm. */
  datapointsToAlarm: number;
  comparison: ComparisonOperator;
  threshold: number;
  /** Where the threshold comes from: a stage setting (`alarms.iteratorAgeMs`) or why it is fixed. */
  thresholdSource: string;
  unit: "milliseconds" | "seconds" | "count" | "ratio";
  treatMissingData: TreatMissingData;
  /**
   * Resources the alarm needs besides those in its dimensions: an alarm on a custom metric of a scheduled function
   * exists only where that function is deployed (otherwise "no data" would mean nothing, or page forever).
   */
  requires?: readonly ResourceKey[];
  /**
   * Notify on INSUFFICIENT_DATA too: for a metric that must always be reported, "no data" is the failure signal.
   * (Rather than treating missing data as breaching, which would also fire right after a deploy, before the first
   * datapoint: an alarm starts in INSUFFICIENT_DATA, so a deploy makes no transition and notifies nobody.)
   */
  notifyOnInsufficientData?: boolean;
  runbook: Runbook;
}
