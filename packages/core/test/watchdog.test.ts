import { describe, expect, it } from "vitest";
import { DEFAULT_WATCHDOG_SETTINGS, decideWatchdog, type WatchdogSettings } from "../src/watchdog/decision";
import type { JobRunInfo } from "../src/ports";
import { inMaintenanceRestart, lastWindowStartMs, parseMaintenanceWindow } from "../src/watchdog/maintenance";

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

describe("Glue's maintenance restart (maintenance window)", () => {
  // Sunday 2026-11-29 03:00 GMT is a window start for "Sun:3".
  const windowStart = Date.UTC(2026, 10, 29, 3);
  const withWindow: WatchdogSettings = { ...settings, maintenanceWindow: "Sun:3" };
  const at = (nowMs: number, runs: JobRunInfo[], s: WatchdogSettings = withWindow) => decideWatchdog({ nowMs, jobName: "curate", runs, settings: s });
  const stopped = (endedMs: number): JobRunInfo => ({ id: "jr_1", state: "STOPPED", startedOnMs: endedMs - 7 * 86_400_000, completedOnMs: endedMs });

  it("parses Glue's Day:Hour (GMT) and refuses anything else", () => {
    expect(parseMaintenanceWindow("Sun:10")).toEqual({ day: 0, hour: 10 });
    expect(parseMaintenanceWindow("Sat:3")).toEqual({ day: 6, hour: 3 });
    for (const bad of ["sun:10", "Sun:24", "Sunday:10", "Sun 10", "Sun:1:00", ""]) expect(() => parseMaintenanceWindow(bad)).toThrow(/Day:Hour/);
  });

  it("a clean stop within 3 hours of the window (plus the start grace) is expected: restart, no notice, not 'down'", () => {
    for (const nowMs of [windowStart + 60_000, windowStart + 3 * 3_600_000, windowStart + 3 * 3_600_000 + settings.startingGraceSeconds * 1000]) {
      const d = at(nowMs, [stopped(nowMs - 30_000)]);
      expect(d).toMatchObject({ start: true, alarm: false, running: false, expected: true, code: "ended" });
      expect(d.reason).toMatch(/maintenance window Sun:3/);
    }
    // Glue's own restarted run still provisioning: waiting, expected.
    expect(at(windowStart + 600_000, [{ id: "jr_2", state: "STARTING", startedOnMs: windowStart + 500_000 }])).toMatchObject({ alarm: false, expected: true });
  });

  it("outside the span, or without a window, the same stop is an outage: notice and JobNotRunning", () => {
    const later = windowStart + 4 * 3_600_000;
    expect(at(later, [stopped(later - 30_000)])).toMatchObject({ start: true, alarm: true, expected: false });
    expect(at(windowStart - 3_600_000, [stopped(windowStart - 3_600_000 - 30_000)])).toMatchObject({ alarm: true, expected: false });
    expect(at(windowStart + 60_000, [stopped(windowStart)], settings)).toMatchObject({ alarm: true, expected: false });
  });

  it("a failure inside the window is still a failure", () => {
    const failed: JobRunInfo = { id: "jr_1", state: "FAILED", startedOnMs: windowStart - 86_400_000, completedOnMs: windowStart + 60_000, errorMessage: "OOM" };
    expect(at(windowStart + 120_000, [failed])).toMatchObject({ start: true, alarm: true, expected: false });
  });

  it("finds the most recent window start across the week boundary", () => {
    const w = parseMaintenanceWindow("Sat:23");
    const sundayMorning = Date.UTC(2026, 10, 29, 1); // 2 hours after Saturday 23:00
    expect(lastWindowStartMs(w, sundayMorning)).toBe(Date.UTC(2026, 10, 28, 23));
    expect(inMaintenanceRestart(w, sundayMorning, 0)).toBe(true);
    expect(inMaintenanceRestart(w, Date.UTC(2026, 10, 29, 2, 1), 0)).toBe(false);
  });
});
