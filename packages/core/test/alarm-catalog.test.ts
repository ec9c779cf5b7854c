import { describe, expect, it } from "vitest";
import {
  ALARM_DESCRIPTION_MAX_CHARS,
  CUSTOM_METRICS,
  alarmCatalog,
  alarmDescription,
  alarmResources,
  bindDimensions,
  metricRefs,
  ratioExpression,
  scheduleIntervalSeconds,
  type AlarmDefinition,
} from "@eventlake/core/alarms/catalog";
import { PIPELINE_FUNCTION_KEYS } from "@eventlake/core/alarms/functions";
import { pipelineDashboard } from "@eventlake/core/alarms/dashboard";
import { STAGES, metricsNamespace, stageConfig } from "@eventlake/core/stage-config";

/** Every alarm ARCHITECTURE.md ("Guarantees": operations page someone) requires, by id. */
const REQUIRED_ALARMS = [
  "stream-iterator-age",
  "stream-write-throttled",
  "stream-put-success",
  "raw-delivery-freshness",
  "raw-transform-failures",
  "curated-consumer-lag",
  "curated-job-not-running",
  "curated-quarantine-rate",
  "ingest-fallback-spills",
  "compaction-failures",
  "autoscaler-failures",
];

describe("alarm catalog", () => {
  it.each(Object.keys(STAGES))("%s: covers the required alarms, plus errors and throttles for every function", (stage) => {
    const ids = alarmCatalog(stage).map((d) => d.id);
    expect(ids).toEqual(expect.arrayContaining(REQUIRED_ALARMS));
    for (const fn of PIPELINE_FUNCTION_KEYS) expect(ids).toEqual(expect.arrayContaining([`function-errors-${fn}`, `function-throttles-${fn}`]));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(Object.keys(STAGES))("%s: every entry is a valid CloudWatch alarm with a complete runbook", (stage) => {
    for (const def of alarmCatalog(stage)) {
      expect([10, 20, 30].includes(def.periodSeconds) || def.periodSeconds % 60 === 0, `${def.id} period`).toBe(true);
      expect(def.periodSeconds * def.evaluationPeriods, `${def.id}: CloudWatch allows at most one day`).toBeLessThanOrEqual(86_400);
      expect(def.datapointsToAlarm).toBeGreaterThanOrEqual(1);
      expect(def.datapointsToAlarm).toBeLessThanOrEqual(def.evaluationPeriods);
      expect(Number.isFinite(def.threshold)).toBe(true);
      expect(def.id).toMatch(/^[a-z0-9-]+$/);
      expect(def.runbook.summary.length).toBeGreaterThan(20);
      expect(def.runbook.meaning.length).toBeGreaterThan(20);
      expect(def.runbook.checkFirst.length).toBeGreaterThan(0);
      expect(def.runbook.fix.length).toBeGreaterThan(0);
      const description = alarmDescription(def);
      expect(description.length).toBeLessThanOrEqual(ALARM_DESCRIPTION_MAX_CHARS);
      expect(description.endsWith(`Runbook: RUNBOOK.md#${def.id}`)).toBe(true);
      expect(description).toContain(def.runbook.summary.slice(0, 40));
    }
  });

  it("takes thresholds from the stage settings", () => {
    for (const stage of ["dev", "prod"]) {
      const cfg = stageConfig(stage);
      const byId = new Map(alarmCatalog(stage).map((d) => [d.id, d]));
      expect(byId.get("stream-iterator-age")?.threshold).toBe(cfg.alarms.iteratorAgeMs);
      expect(byId.get("raw-delivery-freshness")?.threshold).toBe(cfg.alarms.rawFreshnessSeconds);
      expect(byId.get("curated-consumer-lag")?.threshold).toBe(cfg.alarms.curatedLagMs);
      expect(byId.get("curated-quarantine-rate")?.threshold).toBe(cfg.alarms.quarantineRate);
      expect(byId.get("stream-put-success")?.threshold).toBe(cfg.alarms.putRecordsSuccessRatio);
      expect(byId.get("raw-transform-failures")?.threshold).toBe(cfg.alarms.transformSuccessRatio);
      expect(byId.get("stream-write-throttled")?.threshold).toBe(cfg.alarms.writeThrottledRecordsPerMinute);
      expect(byId.get("function-errors-ingest")?.threshold).toBe(cfg.alarms.functionErrors);
      expect(byId.get("function-throttles-ingest")?.threshold).toBe(cfg.alarms.functionThrottles);
      expect(byId.get("ingest-fallback-spills")?.periodSeconds).toBe(cfg.alarms.fallbackSpillPeriodMinutes * 60);
      expect(byId.get("curated-job-not-running")?.periodSeconds).toBe(2 * scheduleIntervalSeconds(cfg.schedules.watchdog));
    }
    // The stages differ where their settings differ.
    expect(alarmCatalog("prod").find((d) => d.id === "stream-iterator-age")?.threshold).not.toBe(
      alarmCatalog("dev").find((d) => d.id === "stream-iterator-age")?.threshold,
    );
  });

  it("uses the metric contracts: AWS metric names and the custom metrics producers emit", () => {
    const byId = new Map(alarmCatalog("prod").map((d) => [d.id, d]));
    const only = (id: string) => metricRefs(byId.get(id)!.signal);
    expect(only("stream-iterator-age")).toEqual([{ namespace: "AWS/Kinesis", metricName: "GetRecords.IteratorAgeMilliseconds", statistic: "Maximum", dimensions: { StreamName: { resource: "stream" } } }]);
    expect(only("raw-delivery-freshness")[0]).toMatchObject({ namespace: "AWS/Firehose", metricName: "DeliveryToS3.DataFreshness", dimensions: { DeliveryStreamName: { resource: "deliveryStream" } } });
    expect(only("curated-consumer-lag")[0]).toMatchObject({ namespace: "Glue", metricName: "glue.driver.streaming.maxConsumerLagInMs", dimensions: { JobRunId: "ALL", Type: "gauge" } });
    expect(only("ingest-fallback-spills")).toEqual([{ namespace: metricsNamespace("prod"), metricName: CUSTOM_METRICS.ingest.recordsSpilled, statistic: "Sum", dimensions: { service: "ingest" } }]);
    expect(only("curated-job-not-running")[0]).toMatchObject({ metricName: CUSTOM_METRICS.watchdog.jobNotRunning, dimensions: { service: "watchdog" } });
    // A silent watchdog notifies (INSUFFICIENT_DATA), but a fresh deploy (no data yet, no transition) does not.
    expect(byId.get("curated-job-not-running")).toMatchObject({ treatMissingData: "missing", notifyOnInsufficientData: true });
    expect(alarmResources(byId.get("curated-job-not-running")!)).toEqual(["function:watchdog"]);
    expect(only("function-errors-ingest")).toEqual([{ namespace: "AWS/Lambda", metricName: "Errors", statistic: "Sum", dimensions: { FunctionName: { resource: "function:ingest" } } }]);
  });

  it("writes ratio alarms as a metric-math expression that has no value without a denominator", () => {
    const def = alarmCatalog("prod").find((d) => d.id === "curated-quarantine-rate")!;
    expect(def.signal.kind).toBe("ratio");
    if (def.signal.kind !== "ratio") return;
    // m0 = EventsQuarantined, m1 = EventsCurated (metricRefs dedupes the repeated EventsQuarantined).
    expect(metricRefs(def.signal).map((r) => r.metricName)).toEqual([CUSTOM_METRICS.curation.eventsQuarantined, CUSTOM_METRICS.curation.eventsCurated]);
    expect(ratioExpression(def.signal)).toBe("IF((FILL(m1,0)+FILL(m0,0)) > 0, (FILL(m0,0))/(FILL(m1,0)+FILL(m0,0)))");
  });

  it("generates function alarms from the function list it is given, with a generic runbook for unknown ones", () => {
    const ids = alarmCatalog("dev", stageConfig("dev"), { functions: ["ingest", "replayer"] })
      .filter((d) => d.component === "functions")
      .map((d) => d.id);
    expect(ids).toEqual(["function-errors-ingest", "function-throttles-ingest", "function-errors-replayer", "function-throttles-replayer"]);
  });

  it("binds resource names into dimensions, and refuses when a resource is missing", () => {
    const def: AlarmDefinition = alarmCatalog("dev").find((d) => d.id === "stream-iterator-age")!;
    const dims = metricRefs(def.signal)[0]!.dimensions;
    expect(bindDimensions(dims, (r) => (r === "stream" ? "events-dev" : undefined))).toEqual({ StreamName: "events-dev" });
    expect(bindDimensions(dims, () => undefined)).toBeUndefined();
  });

  it("derives alarm periods from schedule expressions", () => {
    expect(scheduleIntervalSeconds("rate(5 minutes)")).toBe(300);
    expect(scheduleIntervalSeconds("rate(1 hour)")).toBe(3600);
    expect(scheduleIntervalSeconds("cron(0/15 * * * ? *)")).toBe(900);
    expect(() => scheduleIntervalSeconds("every day")).toThrow(/schedule expression/);
  });

  it("lays out a dashboard over the same metrics, with thresholds from the catalog", () => {
    const catalog = alarmCatalog("prod");
    const body = pipelineDashboard({ region: "us-east-1", stage: "prod", catalog, names: { stream: "s", deliveryStream: "d", glueJob: "g", functions: { ingest: "fn-ingest" } }, alarmArns: ["arn:1"] });
    const titles = body.widgets.map((w) => w.properties.title);
    expect(titles).toEqual(expect.arrayContaining(["Stream: consumer iterator age (ms)", "Raw archive: Firehose data freshness (s)", "Curated layer: Glue consumer lag (ms)", "Curated layer: quarantine rate", "Functions: errors"]));
    const age = body.widgets.find((w) => w.properties.title === "Stream: consumer iterator age (ms)");
    expect(age?.properties.annotations).toEqual({ horizontal: [{ label: "alarm threshold", value: stageConfig("prod").alarms.iteratorAgeMs }] });
    expect(body.widgets.find((w) => w.type === "alarm")?.properties.alarms).toEqual(["arn:1"]);
    for (const w of body.widgets) expect(w.x + w.width).toBeLessThanOrEqual(24);
    // Without Firehose or Glue, their widgets are left out rather than drawn on a missing name.
    const partial = pipelineDashboard({ region: "us-east-1", stage: "dev", catalog, names: { stream: "s", functions: {} } });
    expect(JSON.stringify(partial)).not.toContain("AWS/Firehose");
    expect(JSON.stringify(partial)).not.toContain("maxConsumerLagInMs");
  });
});
