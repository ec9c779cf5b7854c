/**
 * Starting the curation job after a deploy (the deploy-time starter, functions/glue-starter.ts). A Glue job resource
 * does not start its job, and a running streaming job keeps the script it started with: after a deploy that changed
 * the job (new script, plan or arguments, so a newer LastModifiedOn), the running run is stopped and a new one
 * started, which resumes from the checkpoint. Idempotent: a current run that is already running (or starting) is
 * left alone, and a start that races another one (ConcurrentRunsExceededException) counts as started.
 *
 * Pure planner plus a small loop over a port; the watchdog (packages/core/src/watchdog) keeps the job running later.
 */
import type { JobControl, JobRunInfo } from "../ports";

const ACTIVE = new Set(["STARTING", "RUNNING", "WAITING"]);

export type StartDecision =
  | { action: "none"; runId: string; reason: string }
  | { action: "start"; reason: string }
  | { action: "stop"; runIds: string[]; reason: string }
  | { action: "wait"; runIds: string[]; reason: string };

/** What to do now, from the job's recent runs and when its definition last changed. */
export function planJobStart(runs: readonly JobRunInfo[], jobModifiedMs: number | undefined): StartDecision {
  const active = runs.filter((r) => ACTIVE.has(r.state));
  const outdated = active.filter((r) => jobModifiedMs !== undefined && r.startedOnMs !== undefined && r.startedOnMs < jobModifiedMs);
  if (outdated.length > 0) {
    return {
      action: "stop",
      runIds: outdated.map((r) => r.id),
      reason: `run ${outdated.map((r) => r.id).join(", ")} started before the job definition changed: stopping it to start the new version`,
    };
  }
  const current = active[0];
  if (current) return { action: "none", runId: current.id, reason: `run ${current.id} is ${current.state} with the current definition` };
  const stopping = runs.filter((r) => r.state === "STOPPING");
  if (stopping.length > 0) {
    return { action: "wait", runIds: stopping.map((r) => r.id), reason: `run ${stopping.map((r) => r.id).join(", ")} is stopping` };
  }
  return { action: "start", reason: runs.length === 0 ? "the job has never run" : `no active run (latest: ${runs[0]!.id} ${runs[0]!.state})` };
}

export interface EnsureOptions {
  /** Give up waiting (a stop in progress) at this time; the watchdog starts the job later. */
  deadlineMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  pollMs?: number;
}

export interface EnsureResult {
  /** started: a new run; running: a current run was already there; pending: a stop did not finish in time. */
  outcome: "started" | "running" | "pending";
  runId?: string;
  /** Each decision taken, in order (for the deploy log). */
  steps: string[];
}

/** Brings the job to "a run with the current definition is active", within the deadline. */
export async function ensureJobCurrent(control: JobControl, jobName: string, options: EnsureOptions): Promise<EnsureResult> {
  const pollMs = options.pollMs ?? 5_000;
  const steps: string[] = [];
  const stopped = new Set<string>();
  for (;;) {
    const [runs, modifiedMs] = await Promise.all([control.list(jobName, 25), control.lastModifiedMs(jobName)]);
    const decision = planJobStart(runs, modifiedMs);
    steps.push(`${decision.action}: ${decision.reason}`);
    switch (decision.action) {
      case "none":
        return { outcome: "running", runId: decision.runId, steps };
      case "start": {
        const started = await control.start(jobName);
        if (started.alreadyRunning) {
          steps.push("start: another run became active meanwhile (ConcurrentRunsExceededException)");
          // Re-plan: that run may predate the deploy.
          break;
        }
        return { outcome: "started", ...(started.runId ? { runId: started.runId } : {}), steps };
      }
      case "stop": {
        const fresh = decision.runIds.filter((id) => !stopped.has(id));
        if (fresh.length > 0) await control.stop(jobName, fresh);
        for (const id of fresh) stopped.add(id);
        break;
      }
      case "wait":
        break;
    }
    if (options.now() + pollMs > options.deadlineMs) {
      steps.push("pending: the previous run has not stopped yet; the watchdog will start the new version");
      return { outcome: "pending", steps };
    }
    await options.sleep(pollMs);
  }
}
