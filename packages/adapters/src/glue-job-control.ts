/**
 * JobControl (packages/core/src/ports/job-runs.ts: the watchdog's JobRuns plus GetJob and BatchStopJobRun) on
 * @aws-sdk/client-glue: GetJob, GetJobRuns, StartJobRun, BatchStopJobRun. `start` reports Glue's
 * ConcurrentRunsExceededException as `alreadyRunning` instead of throwing: another starter won the race.
 */
import {
  BatchStopJobRunCommand,
  ConcurrentRunsExceededException,
  GetJobCommand,
  GetJobRunsCommand,
  GlueClient,
  StartJobRunCommand,
} from "@aws-sdk/client-glue";
import type { JobControl, JobRunInfo } from "@eventlake/core/ports";
import { clientConfig, type AwsTarget } from "./aws-config";

export class GlueJobControl implements JobControl {
  readonly client: GlueClient;

  constructor(target: AwsTarget) {
    this.client = new GlueClient(clientConfig(target));
  }

  async lastModifiedMs(jobName: string): Promise<number | undefined> {
    const { Job } = await this.client.send(new GetJobCommand({ JobName: jobName }));
    return Job?.LastModifiedOn?.getTime();
  }

  async list(jobName: string, maxResults: number): Promise<JobRunInfo[]> {
    const { JobRuns } = await this.client.send(new GetJobRunsCommand({ JobName: jobName, MaxResults: maxResults }));
    return (JobRuns ?? [])
      .map((r) => {
        const run: JobRunInfo = { id: r.Id ?? "", state: r.JobRunState ?? "UNKNOWN" };
        if (r.StartedOn) run.startedOnMs = r.StartedOn.getTime();
        if (r.CompletedOn) run.completedOnMs = r.CompletedOn.getTime();
        if (r.ErrorMessage) run.errorMessage = r.ErrorMessage;
        return run;
      })
      .sort((a, b) => (b.startedOnMs ?? 0) - (a.startedOnMs ?? 0));
  }

  async start(jobName: string): Promise<{ runId?: string; alreadyRunning: boolean }> {
    try {
      const { JobRunId } = await this.client.send(new StartJobRunCommand({ JobName: jobName }));
      return JobRunId ? { runId: JobRunId, alreadyRunning: false } : { alreadyRunning: false };
    } catch (error) {
      if (error instanceof ConcurrentRunsExceededException) return { alreadyRunning: true };
      throw error;
    }
  }

  async stop(jobName: string, runIds: readonly string[]): Promise<void> {
    if (runIds.length === 0) return;
    const { Errors } = await this.client.send(new BatchStopJobRunCommand({ JobName: jobName, JobRunIds: [...runIds] }));
    // A run that ended meanwhile cannot be stopped: not an error for us. Anything else is.
    const real = (Errors ?? []).filter((e) => !/not in a stoppable state|already/i.test(e.ErrorDetail?.ErrorMessage ?? ""));
    if (real.length > 0) {
      throw new Error(`BatchStopJobRun failed: ${real.map((e) => `${e.JobRunId}: ${e.ErrorDetail?.ErrorCode} ${e.ErrorDetail?.ErrorMessage}`).join("; ")}`);
    }
  }
}
