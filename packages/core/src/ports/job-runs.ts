/**
 * The job-runs ports: the runs of the long-running curation job (a Glue streaming job on AWS, the local curator
 * locally), as the watchdog (packages/core/src/watchdog) and the deploy-time starter (packages/core/src/glue/job-start.ts)
 * see them. packages/adapters/src/glue-job-control.ts implements both on Glue.
 */

/** Glue's JobRunState values (https://docs.aws.amazon.com/glue/latest/dg/job-run-statuses.html; the API adds EXPIRED). */
export type JobRunState = "STARTING" | "RUNNING" | "STOPPING" | "STOPPED" | "SUCCEEDED" | "FAILED" | "TIMEOUT" | "ERROR" | "WAITING" | "EXPIRED";

export interface JobRunInfo {
  id: string;
  state: JobRunState | string;
  startedOnMs?: number;
  completedOnMs?: number;
  errorMessage?: string;
}

/** What the watchdog needs: list the runs, start one. */
export interface JobRuns {
  /** The most recent runs, newest first. */
  list(jobName: string, maxResults: number): Promise<JobRunInfo[]>;
  /**
   * Starts a run (from the job's checkpoint). `alreadyRunning` when the service refused because a run is active
   * (Glue's ConcurrentRunsExceededException: another starter won the race), which is not a failure.
   */
  start(jobName: string): Promise<{ runId?: string; alreadyRunning: boolean }>;
}

/** What the deploy-time starter needs besides (Glue GetJob, GetJobRuns, StartJobRun, BatchStopJobRun on AWS). */
export interface JobControl extends JobRuns {
  /** When the job definition last changed (ms since the epoch); undefined if Glue does not say. */
  lastModifiedMs(jobName: string): Promise<number | undefined>;
  stop(jobName: string, runIds: readonly string[]): Promise<void>;
}
