/**
 * Alarms and dashboard of one stage (called by stageSuite): one CloudWatch alarm per applicable entry of the alarm
 * catalog with the stage's thresholds, an errors and a throttles alarm for every function the stacks deploy, every
 * action on the stage's topic, runbook pointers in every description, and a dashboard over the same resources.
 * Expectations are derived from the catalog and from the resources in the scenario, so a new function or a newly
 * deployed Firehose/Glue job makes the matching alarms required without editing this file.
 */
import { describe, expect, it } from "vitest";
import {
  ALARM_DESCRIPTION_MAX_CHARS,
  alarmCatalog,
  alarmResources,
  metricRefs,
  ratioExpression,
  type AlarmDefinition,
} from "@eventlake/core/alarms/catalog";
import { metricsNamespace, type StageConfig } from "@eventlake/core/stage-config";
import type { RecordedResource, Scenario } from "./harness";
import { RESOURCE_TYPES } from "./resource-types";
import { CUSTOM_METRICS } from "@eventlake/core/metrics/catalog";

type Dimensions = Record<string, string>;
interface MetricQuery {
  id: string;
  expression?: string;
  returnData?: boolean;
  metric?: { namespace: string; metricName: string; dimensions?: Dimensions; stat: string; period: number };
}

/**
 * A deployed function's key in the catalog: its handler file's name (functions/<key>.ts -> "<key>"). sst.config.ts
 * passes the functions under these keys.
 */
export function functionKey(fn: RecordedResource): string {
  const handler = String(fn.inputs.handler);
  return handler.slice(handler.lastIndexOf("/") + 1, handler.lastIndexOf("."));
}

/** Catalog entries whose resources the scenario has (functions by their keys). */
function applicableEntries(s: Scenario, stage: string, cfg: StageConfig): AlarmDefinition[] {
  const keys = s.ofType(RESOURCE_TYPES.fn).map(functionKey);
  const has = (r: string) =>
    r === "api"
      ? s.ofType(RESOURCE_TYPES.api).length > 0
      : r === "stream"
      ? s.ofType(RESOURCE_TYPES.stream).length > 0
      : r === "deliveryStream"
        ? s.ofType(RESOURCE_TYPES.firehose).length > 0
        : r === "glueJob"
          ? s.ofType(RESOURCE_TYPES.glueJob).length > 0
          : keys.includes(r.slice("function:".length));
  return alarmCatalog(stage, cfg, { functions: keys }).filter((def) => alarmResources(def).every(has));
}

/** How many alarms the scenario must have: one per applicable catalog entry (functions included). */
export function expectedAlarmCount(s: Scenario, stage: string, cfg: StageConfig): number {
  return applicableEntries(s, stage, cfg).length;
}

export function alarmAssertions(stage: string, cfg: StageConfig, scenario: () => Scenario) {
  const byName = (s: Scenario) => new Map(s.ofType(RESOURCE_TYPES.alarm).map((a) => [String(a.inputs.name), a]));
  const physical = (s: Scenario, type: string) => s.ofType(type).map((r) => String(r.state.name));

  describe(`stage "${stage}": alarms (one catalog)`, () => {
    it("has one alarm per applicable catalog entry, with the stage's thresholds and the catalog's evaluation rules", () => {
      const s = scenario();
      const alarms = byName(s);
      const entries = applicableEntries(s, stage, cfg);
      expect(entries.map((e) => e.id)).toEqual(expect.arrayContaining(["ingest-fallback-spills", "stream-iterator-age", "stream-write-throttled", "stream-put-success"]));
      const names: Record<string, string | undefined> = {
        api: s.ofType(RESOURCE_TYPES.api).map((a) => `${a.name}-id`)[0], // the harness gives every resource the id "<name>-id"
        stream: physical(s, RESOURCE_TYPES.stream)[0],
        deliveryStream: physical(s, RESOURCE_TYPES.firehose)[0],
        glueJob: physical(s, RESOURCE_TYPES.glueJob)[0],
        ...Object.fromEntries(s.ofType(RESOURCE_TYPES.fn).map((fn) => [`function:${functionKey(fn)}`, String(fn.state.name)])),
      };
      const bind = (dims: Readonly<Record<string, unknown>>): Dimensions =>
        Object.fromEntries(Object.entries(dims).map(([k, v]) => [k, typeof v === "string" ? v : names[(v as { resource: string }).resource]!]));
      for (const def of entries) {
        const alarm = alarms.get(`eventlake-${stage}-${def.id}`);
        expect(alarm, `alarm for catalog entry ${def.id}`).toBeDefined();
        const inputs = alarm!.inputs;
        expect(inputs).toMatchObject({
          comparisonOperator: def.comparison,
          threshold: def.threshold,
          evaluationPeriods: def.evaluationPeriods,
          datapointsToAlarm: def.datapointsToAlarm,
          treatMissingData: def.treatMissingData,
        });
        expect(inputs.insufficientDataActions, `${def.id} insufficientDataActions`).toEqual(
          def.notifyOnInsufficientData ? [s.one(RESOURCE_TYPES.topic).state.arn] : undefined,
        );
        const refs = metricRefs(def.signal);
        if (def.signal.kind === "metric") {
          expect(inputs).toMatchObject({
            namespace: refs[0]!.namespace,
            metricName: refs[0]!.metricName,
            statistic: refs[0]!.statistic,
            period: def.periodSeconds,
            dimensions: bind(refs[0]!.dimensions),
          });
        } else {
          const queries = inputs.metricQueries as MetricQuery[];
          expect(queries.filter((q) => q.returnData)).toEqual([expect.objectContaining({ expression: ratioExpression(def.signal) })]);
          expect(queries.filter((q) => q.metric).map((q) => q.metric)).toEqual(
            refs.map((ref) => ({ namespace: ref.namespace, metricName: ref.metricName, stat: ref.statistic, period: def.periodSeconds, dimensions: bind(ref.dimensions) })),
          );
        }
      }
      // The thresholds really are the stage's (not another stage's defaults).
      expect(alarms.get(`eventlake-${stage}-stream-iterator-age`)?.inputs.threshold).toBe(cfg.alarms.iteratorAgeMs);
      expect(alarms.get(`eventlake-${stage}-stream-put-success`)?.inputs.threshold).toBe(cfg.alarms.putRecordsSuccessRatio);
      expect(alarms.get(`eventlake-${stage}-ingest-fallback-spills`)?.inputs).toMatchObject({
        namespace: metricsNamespace(stage),
        dimensions: { service: "ingest" },
        period: cfg.alarms.fallbackSpillPeriodMinutes * 60,
      });
    });

    it("has an errors and a throttles alarm for every function the stacks deploy", () => {
      const s = scenario();
      const alarms = s.ofType(RESOURCE_TYPES.alarm);
      const functions = s.ofType(RESOURCE_TYPES.fn);
      expect(functions.length).toBeGreaterThan(0);
      for (const fn of functions) {
        // Passed under its handler's name, so its alarms carry the right runbook.
        expect(alarms.map((a) => a.inputs.name)).toContain(`eventlake-${stage}-function-errors-${functionKey(fn)}`);
        const of = (metricName: string) =>
          alarms.filter((a) => a.inputs.namespace === "AWS/Lambda" && a.inputs.metricName === metricName && (a.inputs.dimensions as Dimensions)?.FunctionName === fn.state.name);
        expect(of("Errors"), `Errors alarm of ${String(fn.state.name)}`).toHaveLength(1);
        expect(of("Throttles"), `Throttles alarm of ${String(fn.state.name)}`).toHaveLength(1);
        expect(of("Errors")[0]!.inputs).toMatchObject({ statistic: "Sum", threshold: cfg.alarms.functionErrors });
        expect(of("Throttles")[0]!.inputs).toMatchObject({ statistic: "Sum", threshold: cfg.alarms.functionThrottles });
      }
      // Nothing else: no alarm on a function that does not exist.
      const lambdaAlarms = alarms.filter((a) => a.inputs.namespace === "AWS/Lambda");
      expect(lambdaAlarms).toHaveLength(2 * functions.length);
    });

    it("routes every alarm to the stage's topic on ALARM and on OK, with a runbook pointer in the description", () => {
      const s = scenario();
      const topicArn = s.one(RESOURCE_TYPES.topic).state.arn;
      const alarms = s.ofType(RESOURCE_TYPES.alarm);
      expect(alarms).toHaveLength(expectedAlarmCount(s, stage, cfg));
      for (const alarm of alarms) {
        const id = String(alarm.inputs.name).slice(`eventlake-${stage}-`.length);
        expect(alarm.inputs).toMatchObject({ actionsEnabled: true, alarmActions: [topicArn], okActions: [topicArn] });
        const description = String(alarm.inputs.alarmDescription);
        expect(description.length).toBeLessThanOrEqual(ALARM_DESCRIPTION_MAX_CHARS);
        expect(description.endsWith(`Runbook: RUNBOOK.md#${id}`)).toBe(true);
      }
      expect(new Set(alarms.map((a) => a.inputs.name)).size).toBe(alarms.length);
    });
  });

  describe(`stage "${stage}": dashboard`, () => {
    it("draws the pipeline from the same resources and shows every alarm's state; its URL is an output", () => {
      const s = scenario();
      const dashboard: RecordedResource = s.one(RESOURCE_TYPES.dashboard);
      expect(dashboard.inputs.dashboardName).toBe(`eventlake-${stage}`);
      const body = JSON.parse(String(dashboard.inputs.dashboardBody)) as { widgets: { type: string; properties: { metrics?: unknown[][]; alarms?: string[]; title?: string } }[] };
      const lines = body.widgets.flatMap((w) => w.properties.metrics ?? []);
      const has = (ns: string, metric: string, value?: string) =>
        lines.some((l) => l[0] === ns && l[1] === metric && (value === undefined || l.includes(value)));
      const streamName = String(s.one(RESOURCE_TYPES.stream).state.name);
      for (const metric of [CUSTOM_METRICS.ingest.requests, CUSTOM_METRICS.ingest.eventsAccepted, CUSTOM_METRICS.ingest.eventsRejected, CUSTOM_METRICS.ingest.recordsSpilled]) expect(has(metricsNamespace(stage), metric), metric).toBe(true);
      for (const metric of ["IncomingRecords", "WriteProvisionedThroughputExceeded", "GetRecords.IteratorAgeMilliseconds"]) {
        expect(has("AWS/Kinesis", metric, streamName), metric).toBe(true);
      }
      for (const fn of s.ofType(RESOURCE_TYPES.fn)) expect(has("AWS/Lambda", "Errors", String(fn.state.name))).toBe(true);
      expect(lines.some((l) => JSON.stringify(l).includes(CUSTOM_METRICS.curation.eventsQuarantined))).toBe(true);
      const alarmWidget = body.widgets.find((w) => w.type === "alarm");
      expect([...(alarmWidget?.properties.alarms ?? [])].sort()).toEqual(s.ofType(RESOURCE_TYPES.alarm).map((a) => String(a.state.arn)).sort());
      expect(String(s.outputs.dashboardUrl)).toBe(
        `https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=eventlake-${stage}`,
      );
    });
  });
}
