/**
 * The job watchdog's decision: the curation job (a Glue streaming job on AWS) must be RUNNING. From its recent
 * runs, decide whether to start it and whether to alarm. Pure: the caller passes the runs and the clock value.
 *
 * - A run RUNNING: all is well. A run STARTING/WAITING (Glue provisioning) or STOPPING: wait, since starting
 *   another would fail with ConcurrentRunsExceededException; alarm once if it stays there past its grace period.
 * - No run at all, or the latest ended (STOPPED, SUCCEEDED, FAILED, TIMEOUT, ERROR, EXPIRED): start it. Glue
 *   resumes a streaming job from its checkpoint location (a job argument), so nothing is reprocessed or skipped
 *   beyond the sink's at-least-once batch. Every start alarms (with the last run's state and error).
 * - Crash loop: when `maxFailures` runs failed within `failureWindowSeconds`, restarting every few minutes only
 *   burns money (each start bills at least a minute of every worker) and floods the topic: start again only after
 *   `crashLoopBackoffSeconds` since the last failure. The loop alarms once, when first detected.
 * Notices are de-duplicated without state: a condition that persists alarms on the run that first sees it (its
 * age crossed the threshold within the last `intervalSeconds`), plus every start.
 *
 * - Maintenance (./maintenance.ts): Glue restarts streaming jobs within 3 hours of the job's maintenance window. In
 *   that span a run that stopped cleanly (STOPPED, SUCCEEDED) or one starting or stopping is expected: the watchdog
 *   still starts the job if needed, but raises no notice and reports it as not unexpectedly down (`expected`), so
 *   the job-state alarm does not page on-call every week. Failures in the window are handled as always.
 *
 * To stop the job on purpose, disable the watchdog's schedule first (the schedule's `enabled` flag), or it will be
 * restarted on the next run.
 */

import type { JobRunInfo } from "../ports";
import { GLUE_MAINTENANCE_RESTART_HOURS, inMaintenanceRestart, parseMaintenanceWindow } from "./maintenance";

export interface WatchdogSettings {
  /** The watchdog's own schedule interval (for alarming once per condition). */
  intervalSeconds: number;
  /** A run STARTING/WAITING longer than this alarms (Glue usually provisions in a few minutes). */
  startingGraceSeconds: number;
  /** A run STOPPING longer than this alarms. */
  stoppingGraceSeconds: number;
  /** Failed runs (FAILED, ERROR, TIMEOUT) within the window that make a crash loop. */
  maxFailures: number;
  failureWindowSeconds: number;
  /** In a crash loop, wait this long after the last failure before starting again. */
  crashLoopBackoffSeconds: number;
  /** The job's maintenance window (Glue's "Day:Hour", GMT); undefined: restarts are never expected. */
  maintenanceWindow?: string;
}

export const DEFAULT_WATCHDOG_SETTINGS: Omit<WatchdogSettings, "intervalSeconds"> = {
  startingGraceSeconds: 15 * 60,
  stoppingGraceSeconds: 15 * 60,
  maxFailures: 3,
  failureWindowSeconds: 60 * 60,
  crashLoopBackoffSeconds: 30 * 60,
};

export type WatchdogCode =
  | "running"
  | "starting"
  | "stuck-starting"
  | "stopping"
  | "stuck-stopping"
  | "never-run"
  | "ended"
  | "crash-loop"
  | "crash-loop-backoff";

export interface WatchdogDecision {
  /** Start a new run now. */
  start: boolean;
  /** Notify people (SNS) about this run's finding. */
  alarm: boolean;
  /** False when no run is RUNNING. */
  running: boolean;
  /**
   * Not running, but expectedly so: Glue's maintenance restart is due. The JobNotRunning metric is
   * `running || expected ? 0 : 1`.
   */
  expected: boolean;
  code: WatchdogCode;
  reason: string;
  /** The run the decision is about (the newest), if any. */
  latest?: JobRunInfo;
}

const ACTIVE_STARTING = new Set(["STARTING", "WAITING"]);
const FAILED = new Set(["FAILED", "ERROR", "TIMEOUT"]);

function describeRun(run: JobRunInfo): string {
  const error = run.errorMessage ? `: ${run.errorMessage}` : "";
  return `run ${run.id} ${run.state}${error}`;
}

export function decideWatchdog(input: { nowMs: number; jobName: string; runs: readonly JobRunInfo[]; settings: WatchdogSettings }): WatchdogDecision {
  const decision = decideRuns(input);
  const { settings: s, nowMs } = input;
  if (decision.running || !s.maintenanceWindow) return decision;
  const window = parseMaintenanceWindow(s.maintenanceWindow);
  if (!inMaintenanceRestart(window, nowMs, s.startingGraceSeconds * 1000)) return decision;
  // A clean stop, or a run on its way up or down, inside the restart span: Glue's maintenance, not an outage.
  const clean = decision.code === "starting" || decision.code === "stopping" || (decision.code === "ended" && CLEAN_END.has(decision.latest?.state ?? ""));
  if (!clean) return decision;
  return { ...decision, alarm: false, expected: true, reason: `${decision.reason} (within the maintenance window ${s.maintenanceWindow} GMT + ${GLUE_MAINTENANCE_RESTART_HOURS} h: Glue's maintenance restart)` };
}

const CLEAN_END = new Set(["STOPPED", "SUCCEEDED"]);

function decideRuns(input: { nowMs: number; jobName: string; runs: readonly JobRunInfo[]; settings: WatchdogSettings }): WatchdogDecision {
  const { nowMs, jobName, settings: s } = input;
  const runs = [...input.runs].sort((a, b) => (b.startedOnMs ?? 0) - (a.startedOnMs ?? 0));
  const intervalMs = s.intervalSeconds * 1000;
  /** True on the run that first sees `sinceMs` older than `thresholdMs`. */
  const firstSeen = (sinceMs: number | undefined, thresholdMs: number) => {
    const over = nowMs - (sinceMs ?? nowMs) - thresholdMs;
    return over >= 0 && over < intervalMs;
  };

  const running = runs.find((r) => r.state === "RUNNING");
  if (running) return { start: false, alarm: false, running: true, expected: false, code: "running", reason: `${jobName}: ${describeRun(running)}`, latest: running };

  const starting = runs.find((r) => ACTIVE_STARTING.has(r.state));
  if (starting) {
    const stuck = nowMs - (starting.startedOnMs ?? nowMs) > s.startingGraceSeconds * 1000;
    return {
      start: false,
      alarm: firstSeen(starting.startedOnMs, s.startingGraceSeconds * 1000),
      running: false,
      expected: false,
      code: stuck ? "stuck-starting" : "starting",
      reason: `${jobName}: ${describeRun(starting)}${stuck ? ` for over ${s.startingGraceSeconds} s` : ""}`,
      latest: starting,
    };
  }

  const stopping = runs.find((r) => r.state === "STOPPING");
  if (stopping) {
    // Glue has no "stopping since": the run's start is the only clock; a run is stopping at most since then.
    const since = stopping.completedOnMs ?? stopping.startedOnMs;
    const stuck = nowMs - (since ?? nowMs) > s.stoppingGraceSeconds * 1000;
    return {
      start: false,
      alarm: stuck && firstSeen(since, s.stoppingGraceSeconds * 1000),
      running: false,
      expected: false,
      code: stuck ? "stuck-stopping" : "stopping",
      reason: `${jobName}: ${describeRun(stopping)}; waiting for it to stop before starting a new run`,
      latest: stopping,
    };
  }

  const latest = runs[0];
  if (!latest) return { start: true, alarm: true, running: false, expected: false, code: "never-run", reason: `${jobName} has no runs: starting it` };

  const windowStart = nowMs - s.failureWindowSeconds * 1000;
  const failures = runs.filter((r) => FAILED.has(r.state) && (r.completedOnMs ?? r.startedOnMs ?? 0) >= windowStart);
  if (failures.length >= s.maxFailures) {
    const lastFailureMs = Math.max(...failures.map((r) => r.completedOnMs ?? r.startedOnMs ?? 0));
    const backoffMs = s.crashLoopBackoffSeconds * 1000;
    const loop = `${failures.length} runs failed in the last ${s.failureWindowSeconds} s (latest: ${describeRun(latest)})`;
    if (nowMs - lastFailureMs >= backoffMs) {
      return { start: true, alarm: true, running: false, expected: false, code: "crash-loop", reason: `${jobName}: ${loop}; backoff over, starting it again`, latest };
    }
    return {
      start: false,
      alarm: firstSeen(lastFailureMs, 0),
      running: false,
      expected: false,
      code: "crash-loop-backoff",
      reason: `${jobName}: ${loop}; next start after ${new Date(lastFailureMs + backoffMs).toISOString()}`,
      latest,
    };
  }
  return { start: true, alarm: true, running: false, expected: false, code: "ended", reason: `${jobName}: ${describeRun(latest)}; starting it from its checkpoint`, latest };
}
