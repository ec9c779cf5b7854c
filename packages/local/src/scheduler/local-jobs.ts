/**
 * Local jobs: long-running local components that play a Glue streaming job (the curator), with runs the watchdog
 * can see and restart, served over the Glue API subset the watchdog and the deploy-time starter call (GetJobRuns,
 * GetJobRun, GetJob, StartJobRun; AWS JSON 1.1), so functions/watchdog.ts and its Glue adapter run unchanged
 * through an endpoint override (EVENTLAKE_GLUE_ENDPOINT).
 *
 * A job is a component wrapped by `supervisedJob`: a run is RUNNING from its start until it reports a failure
 * (FAILED, with the error) or the pipeline stops it (STOPPED); StartJobRun starts a new run of the component when
 * no run is active, or answers ConcurrentRunsExceededException as Glue does. Jobs register per data directory
 * (`registerLocalJob`) when they start, so the scheduler component, started after them, finds them.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import type { JobRunInfo } from "@eventlake/core/ports";
import type { LocalComponent, PipelineContext } from "../pipeline-context";

export type LocalJobRun = JobRunInfo;

export interface LocalJob {
  name: string;
  /** Runs, newest first. */
  runs(): LocalJobRun[];
  start(): Promise<{ runId?: string; alreadyRunning: boolean }>;
  /** When the job's definition last changed (ms); locally: when it was registered. */
  modifiedMs: number;
}

const registry = new Map<string, LocalJob[]>();

/** Makes a job visible to the scheduler component of the pipeline in `dataDir`; returns its unregistration. */
export function registerLocalJob(dataDir: string, job: LocalJob): () => void {
  const key = resolve(dataDir);
  registry.set(key, [...(registry.get(key) ?? []).filter((j) => j.name !== job.name), job]);
  return () => registry.set(key, (registry.get(key) ?? []).filter((j) => j !== job));
}

export function localJobsOf(dataDir: string): LocalJob[] {
  return registry.get(resolve(dataDir)) ?? [];
}

/** One run of a supervised component; `fail` marks it FAILED (the component crashed) and stops it. */
export type JobRunner = (ctx: PipelineContext, fail: (error: Error) => void) => Promise<{ close(): Promise<void> }>;

/**
 * A component run as a local job named `jobName`: started with the pipeline (a start failure fails the pipeline's
 * start, as before), then restartable by the watchdog after it failed.
 */
export function supervisedJob(componentName: string, jobName: string, runner: JobRunner): LocalComponent {
  return {
    name: componentName,
    async start(ctx) {
      interface Run extends LocalJobRun {
        handle?: { close(): Promise<void> };
      }
      const runs: Run[] = [];
      let closing = false;
      const startRun = async (): Promise<Run> => {
        const run: Run = { id: `jr_${randomUUID().replace(/-/g, "")}`, state: "STARTING", startedOnMs: Date.now() };
        runs.unshift(run);
        const fail = (error: Error) => {
          if (run.state !== "RUNNING" && run.state !== "STARTING") return;
          Object.assign(run, { state: "FAILED", completedOnMs: Date.now(), errorMessage: `${error.name}: ${error.message}` });
          ctx.log(`${componentName}: job run ${run.id} failed: ${error.message}`);
          void run.handle?.close().catch(() => undefined);
        };
        try {
          run.handle = await runner(ctx, fail);
          if (run.state === "STARTING") run.state = "RUNNING";
        } catch (error) {
          fail(error as Error);
          throw error;
        }
        return run;
      };
      await startRun();
      const job: LocalJob = {
        name: jobName,
        modifiedMs: Date.now(),
        runs: () => runs.slice(0, 50).map(({ handle: _handle, ...info }) => ({ ...info })),
        async start() {
          if (closing) throw Object.assign(new Error("the local pipeline is shutting down"), { name: "OperationTimeoutException" });
          const active = runs.find((r) => r.state === "RUNNING" || r.state === "STARTING" || r.state === "STOPPING");
          if (active) return { alreadyRunning: true };
          const run = await startRun().catch(() => runs[0] as Run);
          return { runId: run.id, alreadyRunning: false };
        },
      };
      const unregister = registerLocalJob(ctx.dataDir, job);
      return {
        async close() {
          closing = true;
          unregister();
          for (const run of runs) {
            if (run.state !== "RUNNING" && run.state !== "STARTING") continue;
            run.state = "STOPPING";
            await run.handle?.close();
            Object.assign(run, { state: "STOPPED", completedOnMs: Date.now() });
          }
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The Glue API subset, AWS JSON 1.1.

class GlueError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

function runJson(jobName: string, run: LocalJobRun) {
  return {
    Id: run.id,
    JobName: jobName,
    JobRunState: run.state,
    StartedOn: seconds(run.startedOnMs),
    LastModifiedOn: seconds(run.completedOnMs ?? run.startedOnMs),
    ...(run.completedOnMs !== undefined ? { CompletedOn: seconds(run.completedOnMs) } : {}),
    ...(run.errorMessage ? { ErrorMessage: run.errorMessage } : {}),
  };
}

async function handle(jobs: readonly LocalJob[], operation: string, input: Record<string, unknown>): Promise<unknown> {
  const name = input.JobName;
  if (typeof name !== "string" || name === "") throw new GlueError("InvalidInputException", "JobName is required");
  const job = jobs.find((j) => j.name === name);
  if (!job) throw new GlueError("EntityNotFoundException", `Job with name: ${name} not found`);
  switch (operation) {
    case "GetJobRuns": {
      const max = typeof input.MaxResults === "number" ? Math.min(200, Math.max(1, input.MaxResults)) : 100;
      return { JobRuns: job.runs().slice(0, max).map((r) => runJson(name, r)) };
    }
    case "GetJobRun": {
      const run = job.runs().find((r) => r.id === input.RunId);
      if (!run) throw new GlueError("EntityNotFoundException", `Job run ${String(input.RunId)} not found`);
      return { JobRun: runJson(name, run) };
    }
    case "GetJob":
      return { Job: { Name: name, LastModifiedOn: seconds(job.modifiedMs), Command: { Name: "gluestreaming" } } };
    case "StartJobRun": {
      const started = await job.start();
      if (started.alreadyRunning) throw new GlueError("ConcurrentRunsExceededException", `Concurrent runs exceeded for ${name}`);
      return { JobRunId: started.runId };
    }
    default:
      throw new GlueError("UnknownOperationException", `${operation} is not supported by the local job service`);
  }
}

export async function startLocalJobService(options: { jobs: readonly LocalJob[]; host?: string; port?: number }): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"] ?? "");
      const operation = target.startsWith("AWSGlue.") ? target.slice("AWSGlue.".length) : "";
      const reply = (status: number, body: unknown) => {
        const text = JSON.stringify(body);
        res.writeHead(status, { "content-type": "application/x-amz-json-1.1", "content-length": Buffer.byteLength(text) });
        res.end(text);
      };
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
      } catch {
        reply(400, { __type: "SerializationException", message: "body is not JSON" });
        return;
      }
      handle(options.jobs, operation, input).then(
        (out) => reply(200, out),
        (err: unknown) => {
          const e = err instanceof GlueError ? err : new GlueError("InternalServiceException", (err as Error).message, 500);
          reply(e.status, { __type: e.type, message: e.message });
        },
      );
    });
  });
  await new Promise<void>((r, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", r);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${options.host ?? "127.0.0.1"}:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
