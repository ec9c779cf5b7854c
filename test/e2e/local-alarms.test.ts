/**
 * The alarm catalog evaluated locally, end to end: the real ingest handler in its sandbox prints EMF, the collector
 * turns it into metrics, the evaluator applies CloudWatch's rules and announces state changes with the runbook.
 *
 * Scenario: the stream is unavailable (the ingest function points at a stream that does not exist), so accepted
 * events spill to fallback/ -> the fallback-spills alarm goes to ALARM; the pipeline restarts with the stream
 * working, events are written -> the alarm returns to OK. Alarm periods are shortened to 2 s (the rules, M of N and
 * missing-data treatment stay the catalog's), so this takes seconds, not minutes.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startLocalPipeline, type LocalPipeline } from "@eventlake/local";
import { localAlarmsComponent } from "@eventlake/local/alarms/index";
import { curatorComponent } from "@eventlake/local/curator/curator";
import { rawArchiveComponent } from "@eventlake/local/firehose/index";
import { alarmsStatus, formatAlarmsStatus } from "@eventlake/local/cli/alarms-status";
import { tempDir } from "../helpers/temp-dir";
import { CUSTOM_METRICS } from "@eventlake/core/metrics/catalog";
import { ingestFunction } from "@eventlake/core/functions/ingest";

const tmp = tempDir("alarms");
let pipeline: LocalPipeline | undefined;
afterAll(async () => {
  await pipeline?.close();
  tmp.remove();
});

const components = () => [localAlarmsComponent({ intervalMs: 250, periodSeconds: 2 })];
const alertsLog = () => (existsSync(join(tmp.dir, "alerts.log")) ? readFileSync(join(tmp.dir, "alerts.log"), "utf8") : "");

async function waitFor(what: string, condition: () => boolean, timeoutMs = 45_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; alerts.log:\n${alertsLog()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function send(p: LocalPipeline, prefix: string, count: number) {
  const batch = Array.from({ length: count }, (_, i) => ({ type: "track", event: "Alarm Test", userId: `u-${i % 3}`, messageId: `${prefix}-${i}` }));
  const response = await fetch(`${p.info.endpoint}/v1/batch`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from(`${p.info.writeKey}:`).toString("base64")}` },
    body: JSON.stringify({ batch }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** The notification blocks of alerts.log for one alarm, in order. */
function notifications(id: string): string[] {
  return alertsLog()
    .split("\n\n")
    .filter((block) => new RegExp(`^(ALARM|OK|INSUFFICIENT_DATA) ${id} `).test(block.trim()));
}

describe("local alarms, end to end", () => {
  it("fires the fallback-spills alarm with its runbook when the stream fails, and clears it once the stream works", async () => {
    pipeline = await startLocalPipeline(
      { dataDir: tmp.dir, port: 0, apiThrottling: false, functionEnv: { [ingestFunction.env.streamName.name]: "eventlake-missing" } },
      components(),
    );
    const failed = await send(pipeline, "spill", 20);
    expect(failed.status).toBe(503);
    expect(failed.json).toMatchObject({ spilled: 20, written: 0 });

    await waitFor("the ALARM notification", () => notifications("ingest-fallback-spills").length >= 1);
    const [fired] = notifications("ingest-fallback-spills");
    expect(fired).toMatch(/^ALARM ingest-fallback-spills \[critical\] \S+ \(was (OK|INSUFFICIENT_DATA)\)/);
    expect(fired).toContain("eventlake-local-ingest-fallback-spills");
    expect(fired).toMatch(/Why: threshold crossed: 1 of the last 1 datapoint\(s\) \[20\] > 0/);
    // The runbook travels with the notification.
    expect(fired).toContain("Check first:");
    expect(fired).toContain("How to fix:");
    expect(fired).toContain("Runbook: RUNBOOK.md#ingest-fallback-spills");
    const states = JSON.parse(readFileSync(join(tmp.dir, "alarms.json"), "utf8")) as { alarms: Record<string, { state: string }> };
    expect(states.alarms["ingest-fallback-spills"]?.state).toBe("ALARM");
    // Function alarms are derived from the functions that run: the ingest function's are evaluated.
    expect(Object.keys(states.alarms)).toEqual(expect.arrayContaining(["function-errors-ingest", "function-throttles-ingest"]));
    await pipeline.close();
    pipeline = undefined;

    // The stream works again: events are written, nothing spills, the alarm returns to OK (announced once each).
    pipeline = await startLocalPipeline({ dataDir: tmp.dir, port: 0, apiThrottling: false }, components());
    const ok = await send(pipeline, "ok", 20);
    expect(ok.status).toBe(200);
    await waitFor("the OK notification", () => notifications("ingest-fallback-spills").length >= 2);
    const sequence = notifications("ingest-fallback-spills");
    expect(sequence).toHaveLength(2);
    expect(sequence[1]).toMatch(/^OK ingest-fallback-spills \[critical\] \S+ \(was ALARM\)/);
    expect(sequence[1]).toContain("Runbook: RUNBOOK.md#ingest-fallback-spills");
    // The unwritten-events alarm never fired: every event was either written or spilled.
    expect(notifications("ingest-unwritten-events")).toEqual([]);

    // Metrics came from the real sources: the handler's EMF and the local Kinesis counters (persisted each second).
    const points = () => readFileSync(join(tmp.dir, "metrics", "points.ndjson"), "utf8");
    await waitFor("the stream's counters in the metrics store", () => points().includes("IncomingRecords"));
    expect(points()).toContain(CUSTOM_METRICS.ingest.recordsSpilled);
    await pipeline.close();
    pipeline = undefined;

    // What `eventlake status` shows: each alarm's state.
    const status = alarmsStatus(tmp.dir)!;
    expect(status.alarms.find((a) => a.id === "ingest-fallback-spills")?.state).toBe("OK");
    expect(status.inAlarm).toBe(0);
    expect(formatAlarmsStatus(status)).toMatch(/OK\s+ingest-fallback-spills\s+critical/);
  }, 120_000);

  it("fires the quarantine-rate alarm from the curator's metrics when most events are bad, and clears it; consumer lag and iterator age are evaluated", async () => {
    const dataDir = `${tmp.dir}-quarantine`;
    const withCurator = () => [
      rawArchiveComponent({ config: { bufferIntervalMs: 500, pollIntervalMs: 100, processor: { bufferIntervalMs: 0 } }, metricsIntervalMs: 1_000 }),
      curatorComponent({ windowMs: 300 }),
      localAlarmsComponent({ intervalMs: 250, periodSeconds: 2 }),
    ];
    const log = () => (existsSync(join(dataDir, "alerts.log")) ? readFileSync(join(dataDir, "alerts.log"), "utf8") : "");
    const blocks = (id: string) => log().split("\n\n").filter((b) => new RegExp(`^(ALARM|OK|INSUFFICIENT_DATA) ${id} `).test(b.trim()));
    const waitForLog = async (what: string, condition: () => boolean) => {
      const deadline = Date.now() + 60_000;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; alerts.log:\n${log()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    pipeline = await startLocalPipeline({ dataDir, port: 0, apiThrottling: false }, withCurator());
    const auth = { "content-type": "application/json", authorization: `Basic ${Buffer.from(`${pipeline.info.writeKey}:`).toString("base64")}` };
    const post = (batch: unknown[]) => fetch(`${pipeline!.info.endpoint}/v1/batch`, { method: "POST", headers: auth, body: JSON.stringify({ batch }) }).then((r) => r.arrayBuffer());
    // Half the events have no identity: rejected at ingest, archived as bad rows, quarantined by the curator. The
    // alarm needs 3 of 3 periods (2 s here) over the stage's 5 %: keep the traffic up until it fires.
    let n = 0;
    const mixed = () => Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? { type: "track", event: "No identity", messageId: `q-${n++}` } : { type: "track", event: "Fine", userId: "u", messageId: `q-${n++}` }));
    const sending = (async () => {
      while (blocks("curated-quarantine-rate").length === 0) {
        await post(mixed());
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    await waitForLog("the quarantine-rate ALARM", () => blocks("curated-quarantine-rate").length >= 1);
    await sending;
    const [fired] = blocks("curated-quarantine-rate");
    expect(fired).toMatch(/^ALARM curated-quarantine-rate \[warning\]/);
    expect(fired).toContain("Runbook: RUNBOOK.md#curated-quarantine-rate");

    // Valid events only: the rate falls to 0 and the alarm clears.
    const valid = () => Array.from({ length: 20 }, () => ({ type: "track", event: "Fine", userId: "u", messageId: `v-${n++}` }));
    const clearing = (async () => {
      while (blocks("curated-quarantine-rate").length < 2) {
        await post(valid());
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    await waitForLog("the quarantine-rate OK", () => blocks("curated-quarantine-rate").length >= 2);
    await clearing;
    expect(blocks("curated-quarantine-rate")[1]).toMatch(/^OK curated-quarantine-rate \[warning\] \S+ \(was ALARM\)/);

    // The curator's consumer-lag gauge (under Glue's name) and the raw archive's GetRecords iterator age (under
    // Kinesis's) reached the store, so those alarms are evaluated too, and both consumers keep up: OK.
    const states = JSON.parse(readFileSync(join(dataDir, "alarms.json"), "utf8")) as { alarms: Record<string, { state: string }> };
    expect(states.alarms["curated-consumer-lag"]?.state).toBe("OK");
    expect(states.alarms["stream-iterator-age"]?.state).toBe("OK");
    const points = readFileSync(join(dataDir, "metrics", "points.ndjson"), "utf8");
    expect(points).toContain("glue.driver.streaming.maxConsumerLagInMs");
    expect(points).toContain("GetRecords.IteratorAgeMilliseconds");
    await pipeline.close();
    pipeline = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  }, 180_000);
});
