import { describe, expect, it } from "vitest";
import { DEFAULT_WATCHDOG_SETTINGS, decideWatchdog, type JobRunInfo } from "../src/watchdog/decision";

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const MIN = 60_000;
const settings = { ...DEFAULT_WATCHDOG_SETTINGS, intervalSeconds: 300 };
const decide = (runs: JobRunInfo[], nowMs = NOW) => decideWatchdog({ nowMs, jobName: "curate", runs, settings });
const run = (id: string, state: string, startedMinAgo: number, completedMinAgo?: number, errorMessage?: string): JobRunInfo => ({
  id,
  state,
  startedOnMs: NOW - startedMinAgo * MIN,
  ...(completedMinAgo !== undefined ? { completedOnMs: NOW - completedMinAgo * MIN } : {}),
  ...(errorMessage ? { errorMessage } : {}),
});

describe("job watchdog decision", () => {
  it("leaves a RUNNING job alone, whatever older runs did", () => {
    expect(decide([run("old", "FAILED", 90, 80), run("now", "RUNNING", 70)])).toMatchObject({ start: false, alarm: false, running: true, code: "running" });
  });

  it("starts a job that never ran, or whose last run ended, and alarms with the reason", () => {
    expect(decide([])).toMatchObject({ start: true, alarm: true, running: false, code: "never-run" });
    const failed = decide([run("a", "RUNNING", 600, 590), run("b", "FAILED", 30, 2, "OutOfMemoryError")].map((r) => (r.id === "a" ? { ...r, state: "STOPPED" } : r)));
    expect(failed).toMatchObject({ start: true, alarm: true, code: "ended", latest: { id: "b" } });
    expect(failed.reason).toMatch(/OutOfMemoryError/);
    for (const state of ["STOPPED", "SUCCEEDED", "TIMEOUT", "ERROR", "EXPIRED"]) {
      expect(decide([run("x", state, 60, 1)])).toMatchObject({ start: true, alarm: true });
    }
  });

  it("waits for a starting or stopping run (a second run would fail), alarming once when stuck", () => {
    expect(decide([run("s", "STARTING", 5)])).toMatchObject({ start: false, alarm: false, code: "starting" });
    expect(decide([run("s", "WAITING", 17)])).toMatchObject({ start: false, alarm: true, code: "stuck-starting" });
    // The next run (5 minutes later) sees the same condition: no second notice.
    expect(decide([run("s", "STARTING", 22)])).toMatchObject({ start: false, alarm: false, code: "stuck-starting" });
    expect(decide([run("s", "STOPPING", 5)])).toMatchObject({ start: false, alarm: false, code: "stopping" });
    expect(decide([run("s", "STOPPING", 16)])).toMatchObject({ start: false, alarm: true, code: "stuck-stopping" });
  });

  it("backs off in a crash loop, alarming when the loop is first seen and when it starts again", () => {
    const loop = [run("a", "FAILED", 20, 18), run("b", "FAILED", 12, 10), run("c", "FAILED", 4, 2)];
    expect(decide(loop)).toMatchObject({ start: false, alarm: true, code: "crash-loop-backoff" });
    expect(decide(loop, NOW + 10 * MIN)).toMatchObject({ start: false, alarm: false, code: "crash-loop-backoff" });
    expect(decide(loop, NOW + 29 * MIN)).toMatchObject({ start: true, alarm: true, code: "crash-loop" });
    // Failures outside the window do not count.
    expect(decide([run("a", "FAILED", 200, 190), run("b", "FAILED", 130, 125), run("c", "FAILED", 4, 2)])).toMatchObject({ start: true, code: "ended" });
  });
});
