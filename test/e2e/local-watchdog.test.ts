/**
 * The job watchdog on one machine: the real functions/watchdog.ts in its Lambda sandbox, run by the local scheduler,
 * talks to the local job service (the Glue API subset) through its unchanged Glue adapter, and to the local alarm
 * topic. The watched job is a supervised component that crashes on demand, as the Glue job's stand-in would.
 */
import { startLocalPipeline, type LocalPipeline } from "@eventlake/local";
import { localJobsOf } from "@eventlake/local/scheduler/local-jobs";
import { schedulerComponent, supervisedJob, type InvocationRecord } from "@eventlake/local/scheduler/index";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir";

const tmp = tempDir("watchdog");
let pipeline: LocalPipeline;
const invocations: InvocationRecord[] = [];
/** The current run's crash switch, and how many times the job component was started. */
let crash: ((error: Error) => void) | undefined;
let starts = 0;

beforeAll(async () => {
  pipeline = await startLocalPipeline({ dataDir: tmp.dir, port: 0, apiThrottling: false }, [
    supervisedJob("demo-job", "demo-curation", async (_ctx, fail) => {
      starts++;
      crash = fail;
      return { close: async () => undefined };
    }),
    schedulerComponent({ only: ["watchdog"], schedules: { watchdog: "rate(1 second)" }, onInvocation: (r) => invocations.push(r) }),
  ]);
}, 60_000);

afterAll(async () => {
  await pipeline?.close();
  tmp.remove();
});

async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; watchdog runs: ${JSON.stringify(invocations.slice(-2))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("local job watchdog, end to end", () => {
  it("leaves a running job alone, restarts a failed one and tells the alarm topic", async () => {
    const job = localJobsOf(tmp.dir).find((j) => j.name === "demo-curation")!;
    expect(job.runs()).toEqual([expect.objectContaining({ state: "RUNNING" })]);
    await waitFor("a watchdog run", () => invocations.some((i) => i.ok));
    expect(starts).toBe(1);
    expect(invocations.find((i) => i.ok)?.result).toMatchObject({ decision: { code: "running", running: true, start: false } });

    crash!(new Error("DuckDB: out of memory"));
    expect(job.runs()[0]).toMatchObject({ state: "FAILED", errorMessage: "Error: DuckDB: out of memory" });
    // The job restarts before the watchdog's invocation returns: wait for both.
    const restarted = () => invocations.find((i) => (i.result as { startedRunId?: string } | undefined)?.startedRunId);
    await waitFor("the watchdog to restart the job", () => starts === 2 && job.runs()[0]?.state === "RUNNING" && restarted() !== undefined);
    const [current, failed] = job.runs();
    expect(failed).toMatchObject({ state: "FAILED" });
    expect(restarted()?.result).toMatchObject({ decision: { code: "ended", start: true, alarm: true }, startedRunId: current!.id });

    const alerts = readFileSync(join(tmp.dir, "alerts.log"), "utf8");
    expect(alerts).toMatch(/NOTICE \[eventlake local\] Curation job was not running: restarted it \(ended\)/);
    expect(alerts).toMatch(/DuckDB: out of memory/);
    // Running again: later runs leave it alone.
    const after = invocations.length;
    await waitFor("another watchdog run", () => invocations.length > after + 1);
    expect(starts).toBe(2);
    expect(invocations.filter((i) => !i.ok)).toEqual([]);
  }, 60_000);
});
