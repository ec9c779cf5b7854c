import { describe, expect, it } from "vitest";
import { alarmCatalog, type AlarmDefinition } from "@eventlake/core/alarms/catalog";
import { alarmQueries, evaluateAlarm, evaluationWindow, signalValues } from "@eventlake/emulators/alarms/evaluate";
import { notificationLines } from "@eventlake/core/alarms/notification";
import { formatEmfLine, parseEmfLine } from "@eventlake/emulators/metrics/emf";
import { singleValue } from "@eventlake/emulators/metrics/stat-set";
import { MetricSeriesStore } from "@eventlake/emulators/metrics/series-store";
import { CUSTOM_METRICS } from "@eventlake/core/metrics/catalog";

const catalog = alarmCatalog("prod");
const entry = (id: string) => catalog.find((d) => d.id === id)!;
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

/** A line exactly as Powertools Metrics printed it from functions/ingest.ts (captured from a local run). */
const POWERTOOLS_LINE =
  '{"_aws":{"Timestamp":1795662224113,"CloudWatchMetrics":[{"Namespace":"eventlake/local","Dimensions":[["service"]],"Metrics":[{"Name":"Requests","Unit":"Count"},{"Name":"RecordsSpilled","Unit":"Count"}]}]},"service":"ingest","Requests":1,"RecordsSpilled":3}';

describe("EMF", () => {
  it("reads Powertools' lines and ignores everything else", () => {
    expect(parseEmfLine(POWERTOOLS_LINE)).toEqual([
      { metric: { namespace: "eventlake/local", metricName: CUSTOM_METRICS.ingest.requests, dimensions: { service: "ingest" } }, timestampMs: 1795662224113, set: singleValue(1), unit: "Count" },
      { metric: { namespace: "eventlake/local", metricName: CUSTOM_METRICS.ingest.recordsSpilled, dimensions: { service: "ingest" } }, timestampMs: 1795662224113, set: singleValue(3), unit: "Count" },
    ]);
    for (const junk of ['{"level":"INFO","message":"ingest request"}', "not json", '{"_aws":{"Timestamp":"x"}}', '{"_aws":', ""]) expect(parseEmfLine(junk)).toEqual([]);
    // Several samples of one metric; a dimension without a value drops that dimension set only.
    const multi = '{"_aws":{"Timestamp":5,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[["a"],["missing"]],"Metrics":[{"Name":"m"}]}]},"a":"x","m":[1,5,3]}';
    expect(parseEmfLine(multi)).toEqual([{ metric: { namespace: "n", metricName: "m", dimensions: { a: "x" } }, timestampMs: 5, set: { sampleCount: 3, sum: 9, min: 1, max: 5 } }]);
  });

  it("writes lines it reads back", () => {
    const line = formatEmfLine({ namespace: "Glue", dimensions: { JobName: "j", JobRunId: "ALL", Type: "gauge" }, values: { "glue.driver.streaming.maxConsumerLagInMs": 1200 }, timestampMs: 42 });
    expect(parseEmfLine(line)).toEqual([
      { metric: { namespace: "Glue", metricName: "glue.driver.streaming.maxConsumerLagInMs", dimensions: { JobName: "j", JobRunId: "ALL", Type: "gauge" } }, timestampMs: 42, set: singleValue(1200), unit: "None" },
    ]);
  });
});

describe("metric store (CloudWatch query semantics)", () => {
  it("aggregates by period and statistic, matches dimensions exactly, and has no point for an empty period", () => {
    const store = new MetricSeriesStore({ resolutionSeconds: 10, retentionSeconds: 3600 });
    const m = { namespace: "n", metricName: "m", dimensions: { service: "ingest" } };
    store.add(m, T0 + 1_000, singleValue(2));
    store.add(m, T0 + 15_000, singleValue(5));
    store.add(m, T0 + 61_000, singleValue(7));
    store.add({ ...m, dimensions: { service: "ingest", error: "x" } }, T0 + 1_000, singleValue(100));
    const q = (stat: "Sum" | "Maximum" | "Average" | "SampleCount") => store.query([{ id: "a", ...m, stat, periodSeconds: 60 }], T0, T0 + 180_000)[0]!.points;
    expect(q("Sum")).toEqual([{ timestampMs: T0, value: 7 }, { timestampMs: T0 + 60_000, value: 7 }]);
    expect(q("Maximum")[0]!.value).toBe(5);
    expect(q("Average")[0]!.value).toBe(3.5);
    expect(q("SampleCount")[0]!.value).toBe(2);
    store.prune(T0 + 3600_000 + 30_000);
    expect(q("Sum")).toEqual([{ timestampMs: T0 + 60_000, value: 7 }]);
  });
});

describe("alarm evaluation (CloudWatch rules)", () => {
  const values = (def: AlarmDefinition, perPeriod: (number | undefined)[]) => evaluateAlarm(def, perPeriod);

  it("judges the last complete periods, aligned to the period", () => {
    expect(evaluationWindow(T0 + 61_500, 60, 3, 1_000)).toEqual({ startMs: T0 - 120_000, endMs: T0 + 60_000, periodStarts: [T0 - 120_000, T0 - 60_000, T0] });
    // Within the settle time the period that just ended is not judged yet.
    expect(evaluationWindow(T0 + 60_500, 60, 1, 1_000).periodStarts).toEqual([T0 - 60_000]);
  });

  it("alarms when M of N periods breach", () => {
    const age = entry("stream-iterator-age"); // Maximum >= 60000 in 3 of 5
    expect(values(age, [70_000, 10, 70_000, 10, 70_000]).state).toBe("ALARM");
    expect(values(age, [70_000, 10, 70_000, 10, 10]).state).toBe("OK");
    expect(values(age, [70_000, 10, 70_000, 10, 70_000]).reason).toMatch(/3 of the last 5 datapoint\(s\) \[70000, 10, 70000, 10, 70000\] >= 60000/);
  });

  it("treats missing data as the alarm says", () => {
    const spills = entry("ingest-fallback-spills"); // notBreaching
    expect(values(spills, [undefined]).state).toBe("OK");
    const breaching = { ...spills, treatMissingData: "breaching" as const };
    expect(values(breaching, [undefined]).state).toBe("ALARM");
    expect(values(breaching, [0]).state).toBe("OK");
    const watchdog = entry("curated-job-not-running"); // missing: a silent watchdog is INSUFFICIENT_DATA (and notifies)
    expect(values(watchdog, [undefined]).state).toBe("INSUFFICIENT_DATA");
    expect(values(watchdog, [1]).state).toBe("ALARM");
    const age = entry("stream-iterator-age"); // missing: INSUFFICIENT_DATA when nothing at all
    expect(values(age, [undefined, undefined, undefined, undefined, undefined]).state).toBe("INSUFFICIENT_DATA");
    // Missing periods do not count either way: 3 breaching datapoints among the present ones still alarm.
    expect(values(age, [70_000, undefined, 70_000, undefined, 70_000]).state).toBe("ALARM");
    expect(evaluateAlarm({ ...age, treatMissingData: "ignore" }, [undefined, undefined, undefined, undefined, undefined], "ALARM").state).toBe("ALARM");
  });

  it("computes ratio alarms as a ratio of sums, with no value without a denominator", () => {
    const def = entry("curated-quarantine-rate"); // EventsQuarantined / (EventsCurated + EventsQuarantined) > 0.01, 3 of 3 x 300 s
    const store = new MetricSeriesStore({ resolutionSeconds: 10, retentionSeconds: 7200 });
    const metric = (metricName: string) => ({ namespace: "eventlake/prod", metricName, dimensions: { service: "curation" } });
    const window = evaluationWindow(T0 + 900_000, 300, 3);
    // Period 1: 98 curated, 2 quarantined (0.02); period 2: only quarantined rows (1.0); period 3: nothing.
    store.add(metric(CUSTOM_METRICS.curation.eventsCurated), window.periodStarts[0]! + 5_000, singleValue(90));
    store.add(metric(CUSTOM_METRICS.curation.eventsCurated), window.periodStarts[0]! + 65_000, singleValue(8));
    store.add(metric(CUSTOM_METRICS.curation.eventsQuarantined), window.periodStarts[0]! + 5_000, singleValue(2));
    store.add(metric(CUSTOM_METRICS.curation.eventsQuarantined), window.periodStarts[1]! + 5_000, singleValue(4));
    const queries = alarmQueries(def, () => undefined)!;
    const results = store.query(queries, window.startMs, window.endMs);
    const perPeriod = signalValues(def, results, window.periodStarts);
    expect(perPeriod).toEqual([0.02, 1, undefined]);
    // notBreaching: the empty period counts as fine, so 2 of 3 breach and 3 are needed.
    expect(evaluateAlarm(def, perPeriod).state).toBe("OK");
  });

  it("notifies with the runbook on ALARM and briefly on OK", () => {
    const def = entry("stream-write-throttled");
    const fired = notificationLines(def, { from: "OK", to: "ALARM", atMs: T0, reason: "threshold crossed" }, "eventlake-prod-stream-write-throttled");
    expect(fired[0]).toBe("ALARM stream-write-throttled [warning] 2026-01-01T12:00:00.000Z (was OK)");
    expect(fired.join("\n")).toContain(def.runbook.fix[0]);
    expect(fired.at(-1)).toBe("  Runbook: RUNBOOK.md#stream-write-throttled");
    const cleared = notificationLines(def, { from: "ALARM", to: "OK", atMs: T0, reason: "fine" });
    expect(cleared.join("\n")).not.toContain("How to fix");
    expect(cleared.at(-1)).toBe("  Runbook: RUNBOOK.md#stream-write-throttled");
  });
});
