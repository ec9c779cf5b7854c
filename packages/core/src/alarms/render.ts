/**
 * Pure helpers over alarm entries: the metrics and resources an alarm reads, dimensions bound to a deployment's
 * resource names, CloudWatch's ratio expression, names, the condition as text, and the description CloudWatch puts
 * in every notification.
 */
import type { AlarmDefinition, AlarmSignal, ComparisonOperator, DimensionValue, MetricRef, ResourceKey } from "./types";

/** Every metric an alarm reads. */
export function metricRefs(signal: AlarmSignal): MetricRef[] {
  if (signal.kind === "metric") return [signal.metric];
  const out: MetricRef[] = [];
  const seen = new Set<string>();
  for (const ref of [...signal.numerator, ...signal.denominator]) {
    const key = JSON.stringify(ref);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(ref);
  }
  return out;
}

/** The resources an alarm needs named before it can exist. */
export function alarmResources(def: AlarmDefinition): ResourceKey[] {
  const out = new Set<ResourceKey>(def.requires ?? []);
  for (const ref of metricRefs(def.signal)) {
    for (const value of Object.values(ref.dimensions)) if (typeof value !== "string") out.add(value.resource);
  }
  return [...out];
}

/**
 * Dimensions with resource names filled in. `name` returns the name of a resource (a string locally, a Pulumi
 * Output in the stacks), or undefined when the deployment has no such resource (then the result is undefined).
 */
export function bindDimensions<T>(
  dimensions: Readonly<Record<string, DimensionValue>>,
  name: (resource: ResourceKey) => T | undefined,
): Record<string, string | T> | undefined {
  const out: Record<string, string | T> = {};
  for (const [key, value] of Object.entries(dimensions)) {
    if (typeof value === "string") {
      out[key] = value;
      continue;
    }
    const bound = name(value.resource);
    if (bound === undefined) return undefined;
    out[key] = bound;
  }
  return out;
}

/**
 * The CloudWatch metric-math expression of a ratio alarm, over query ids m0, m1, ... in `metricRefs` order:
 * IF(D > 0, N / D), each term FILL(m, 0), so a period without any denominator data has no value (like the local
 * evaluator) and a missing numerator counts as 0.
 */
export function ratioExpression(signal: Extract<AlarmSignal, { kind: "ratio" }>): string {
  const refs = metricRefs(signal);
  const id = (ref: MetricRef) => `m${refs.findIndex((r) => JSON.stringify(r) === JSON.stringify(ref))}`;
  const sum = (list: readonly MetricRef[]) => `(${list.map((ref) => `FILL(${id(ref)},0)`).join("+")})`;
  const d = sum(signal.denominator);
  return `IF(${d} > 0, ${sum(signal.numerator)}/${d})`;
}

/** The alarm's name on AWS (unique per account and region): `<app>-<stage>-<id>`. */
export function alarmName(app: string, stage: string, def: AlarmDefinition): string {
  return `${app}-${stage}-${def.id}`;
}

const COMPARISON_SYMBOL: Record<ComparisonOperator, string> = {
  GreaterThanOrEqualToThreshold: ">=",
  GreaterThanThreshold: ">",
  LessThanThreshold: "<",
  LessThanOrEqualToThreshold: "<=",
};

export function comparisonSymbol(op: ComparisonOperator): string {
  return COMPARISON_SYMBOL[op];
}

/** Whether a value breaches the alarm's threshold. */
export function breaches(def: Pick<AlarmDefinition, "comparison" | "threshold">, value: number): boolean {
  switch (def.comparison) {
    case "GreaterThanOrEqualToThreshold":
      return value >= def.threshold;
    case "GreaterThanThreshold":
      return value > def.threshold;
    case "LessThanThreshold":
      return value < def.threshold;
    case "LessThanOrEqualToThreshold":
      return value <= def.threshold;
  }
}

/** "Maximum GetRecords.IteratorAgeMilliseconds", or "EventsQuarantined / (EventsCurated + EventsQuarantined)". */
export function signalText(signal: AlarmSignal): string {
  const name = (ref: MetricRef) => `${ref.statistic} ${ref.metricName}`;
  if (signal.kind === "metric") return name(signal.metric);
  const sum = (refs: readonly MetricRef[]) => (refs.length === 1 ? refs[0]!.metricName : `(${refs.map((r) => r.metricName).join(" + ")})`);
  return `${sum(signal.numerator)} / ${sum(signal.denominator)}`;
}

/** "Maximum GetRecords.IteratorAgeMilliseconds >= 60000 in 3 of 5 periods of 60 s". */
export function conditionText(def: AlarmDefinition, thresholdLabel: string = String(def.threshold)): string {
  const window =
    def.evaluationPeriods === 1 ? `over ${def.periodSeconds} s` : `in ${def.datapointsToAlarm} of ${def.evaluationPeriods} periods of ${def.periodSeconds} s`;
  return `${signalText(def.signal)} ${comparisonSymbol(def.comparison)} ${thresholdLabel} ${window}`;
}

export const RUNBOOK_FILE = "RUNBOOK.md";

/** Where an alarm's runbook is: `RUNBOOK.md#<id>`. */
export function runbookLink(def: AlarmDefinition): string {
  return `${RUNBOOK_FILE}#${def.id}`;
}

/** CloudWatch's limit on AlarmDescription. */
export const ALARM_DESCRIPTION_MAX_CHARS = 1024;

/**
 * The alarm description CloudWatch puts in every SNS notification: severity, condition, the runbook summary and
 * first check, and the pointer into RUNBOOK.md; cut to CloudWatch's 1024 characters, keeping the pointer.
 */
export function alarmDescription(def: AlarmDefinition): string {
  const pointer = ` Runbook: ${runbookLink(def)}`;
  const body = `[${def.severity}] ${def.title}: ${conditionText(def)}. ${def.runbook.summary} First check: ${def.runbook.checkFirst[0] ?? "-"}`;
  const room = ALARM_DESCRIPTION_MAX_CHARS - pointer.length;
  const cut = body.length <= room ? body : `${body.slice(0, room - 1)}…`;
  return `${cut}${pointer}`;
}