/**
 * The local evaluator's bookkeeping, on a clock of its own (no waiting): which alarms apply to what runs here,
 * which state changes are announced, and persistence of states across restarts.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { alarmCatalog } from "@eventlake/core/alarms/catalog";
import { singleValue } from "../src/metrics/stat-set";
import { MetricSeriesStore } from "@eventlake/emulators/metrics/series-store";
import { stageConfig } from "@eventlake/core/stage-config";
import { LocalAlarmEvaluator } from "@eventlake/emulators/alarms/evaluator";
import { tempDir } from "../../../test/helpers/temp-dir";
import { CUSTOM_METRICS } from "@eventlake/core/metrics/catalog";

const tmp = tempDir("alarm-evaluator");
afterAll(() => tmp.remove());

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
/** The job-state alarm's period for the local stage (twice the local watchdog schedule), in ms. */
const P = alarmCatalog("local").find((d) => d.id === "curated-job-not-running")!.periodSeconds * 1000;
const alerts = () => (existsSync(join(tmp.dir, "alerts.log")) ? readFileSync(join(tmp.dir, "alerts.log"), "utf8") : "");

describe("local alarm evaluator", () => {
  const store = new MetricSeriesStore({ resolutionSeconds: 10, retentionSeconds: 86_400 });
  let functions = ["eventlake-local-ingest"];
  const evaluator = () =>
    new LocalAlarmEvaluator({ dataDir: tmp.dir, stageName: "local", stage: stageConfig("local"), streamName: "eventlake-local", functionNames: () => functions, metrics: store });
  const jobNotRunning = (atMs: number, value: number) =>
    store.add({ namespace: "eventlake/local", metricName: CUSTOM_METRICS.watchdog.jobNotRunning, dimensions: { service: "watchdog" } }, atMs, singleValue(value));

  it("evaluates what runs here, announces a silent watchdog but not a fresh one, and keeps states across restarts", async () => {
    let e = evaluator();
    await e.evaluate(T0);
    // No watchdog function yet: its alarm does not apply; the ingest function's alarms do.
    expect(e.states.notApplicable.map((x) => x.id)).toContain("curated-job-not-running");
    expect(Object.keys(e.states.alarms)).toEqual(expect.arrayContaining(["function-errors-ingest", "ingest-fallback-spills"]));
    expect(e.states.alarms["function-errors-watchdog"]).toBeUndefined();

    // The watchdog starts: no data yet is INSUFFICIENT_DATA, and nobody is told (nothing changed).
    functions = [...functions, "eventlake-local-watchdog"];
    expect((await e.evaluate(T0 + P / 2)).filter((t) => t.notified)).toEqual([]);
    expect(e.states.alarms["curated-job-not-running"]?.state).toBe("INSUFFICIENT_DATA");
    // Its first report (job running): OK, not announced either.
    jobNotRunning(T0 + P + P / 4, 0);
    const settled = await e.evaluate(T0 + 2 * P + 1_000);
    expect(settled.filter((t) => t.id === "curated-job-not-running")).toEqual([expect.objectContaining({ from: "INSUFFICIENT_DATA", to: "OK", notified: false })]);
    expect(settled.filter((t) => t.notified)).toEqual([]);
    expect(alerts()).toBe("");

    // A restart keeps the states: no repeated transitions.
    e = evaluator();
    expect(e.states.alarms["curated-job-not-running"]?.state).toBe("OK");
    // The watchdog falls silent for a whole period: INSUFFICIENT_DATA, announced with the runbook.
    const silent = await e.evaluate(T0 + 3 * P + 1_000);
    expect(silent.filter((t) => t.notified)).toEqual([expect.objectContaining({ id: "curated-job-not-running", to: "INSUFFICIENT_DATA" })]);
    expect(alerts()).toMatch(/^INSUFFICIENT_DATA curated-job-not-running \[critical\]/);
    expect(alerts()).toContain("Check first:");
    // It reports again, job stopped: ALARM; then running: OK, announced since the bad state was.
    jobNotRunning(T0 + 3 * P + P / 4, 1);
    expect((await e.evaluate(T0 + 4 * P + 1_000)).filter((t) => t.notified)).toEqual([expect.objectContaining({ id: "curated-job-not-running", to: "ALARM" })]);
    jobNotRunning(T0 + 4 * P + P / 4, 0);
    expect((await e.evaluate(T0 + 5 * P + 1_000)).filter((t) => t.notified)).toEqual([expect.objectContaining({ id: "curated-job-not-running", from: "ALARM", to: "OK" })]);
    expect(alerts().match(/^(ALARM|OK|INSUFFICIENT_DATA) curated-job-not-running/gm)).toEqual([
      "INSUFFICIENT_DATA curated-job-not-running",
      "ALARM curated-job-not-running",
      "OK curated-job-not-running",
    ]);
  });
});
