/**
 * The Glue streaming job itself (glue/eventlake_job.py) in local Spark, instead of the DuckDB curator: for people who
 * change the job (`eventlake up --curator spark`) and for the tests that run it against the local pipeline.
 *
 * The job runs unchanged in a child process (glue/local/run_job.py: PySpark from glue/.venv, the `awsglue`
 * stand-in, the local stream as a file stream source, hadoop-aws on the local S3); this module uploads the curation
 * plan where the stack would (the assets bucket), passes the job arguments the stack passes (stacks/glue.ts), and
 * starts it. Its state, manifests, checkpoint and staging live in the local assets bucket, as on AWS.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { clientConfig } from "@eventlake/adapters/aws-config";
import { glueJobPlanJson } from "@eventlake/core/glue/job-plan";
import { metricsNamespace } from "@eventlake/core/stage-config";
import { LOCAL_ASSETS_BUCKET, LOCAL_CURATION_JOB } from "../local-config";
import type { PipelineContext } from "../pipeline-context";
import { targetEnv } from "@eventlake/adapters/aws-config";

const REPO_ROOT = join(import.meta.dirname, "..", "..", "..", "..");
export const GLUE_PYTHON = join(REPO_ROOT, "glue", ".venv", "bin", "python");
export const SPARK_JOB_DIR = "spark-job";
/** Where the local job keeps its curation plan, checkpoint, state, manifests and staging (the assets bucket). */
export const SPARK_JOB_PREFIXES = {
  plan: "glue/plan/curation-plan.json",
  checkpoint: "glue/checkpoints/curation/",
  state: "glue/state/curation/",
  staging: "glue/staging/curation/",
} as const;

export interface SparkJobTarget {
  region: string;
  streamName: string;
  bucket: string;
  kinesisEndpoint: string;
  s3Endpoint: string;
}

export interface SparkJobOptions extends SparkJobTarget {
  dataDir: string;
  /** Micro-batch window (the job's --window_seconds). */
  windowSeconds: number;
  /** The job's stdout and stderr, line by line. */
  onLine?: (line: string) => void;
}

export interface SparkJobProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** True when glue/.venv was installed (scripts/glue-env.mjs); the job also needs java on the PATH. */
export function sparkJobInstalled(): boolean {
  return existsSync(join(REPO_ROOT, "glue", ".venv", ".eventlake-env"));
}

/** The job arguments the stack gives the Glue job (stacks/glue.ts), for the local stream and buckets. */
export function sparkJobArgs(target: SparkJobTarget, windowSeconds: number, stage: string): string[] {
  const args: Record<string, string> = {
    JOB_NAME: LOCAL_CURATION_JOB,
    stream_arn: `arn:aws:kinesis:${target.region}:000000000000:stream/${target.streamName}`,
    lake_bucket: target.bucket,
    assets_bucket: LOCAL_ASSETS_BUCKET,
    plan_key: SPARK_JOB_PREFIXES.plan,
    checkpoint_prefix: SPARK_JOB_PREFIXES.checkpoint,
    state_prefix: SPARK_JOB_PREFIXES.state,
    staging_prefix: SPARK_JOB_PREFIXES.staging,
    window_seconds: String(windowSeconds),
    metrics_namespace: metricsNamespace(stage),
    starting_position: "TRIM_HORIZON",
  };
  return Object.entries(args).flatMap(([k, v]) => [`--${k}`, v]);
}

/** Uploads the curation plan to the assets bucket (created when missing), as the stack's deploy does. */
export async function publishSparkJobPlan(target: SparkJobTarget): Promise<void> {
  const s3 = new S3Client({ ...clientConfig({ region: target.region, endpoint: target.s3Endpoint }), forcePathStyle: true });
  try {
    try {
      await s3.send(new CreateBucketCommand({ Bucket: LOCAL_ASSETS_BUCKET }));
    } catch (error) {
      const name = (error as Error).name;
      if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") throw error;
    }
    await s3.send(new PutObjectCommand({ Bucket: LOCAL_ASSETS_BUCKET, Key: SPARK_JOB_PREFIXES.plan, Body: glueJobPlanJson(), ContentType: "application/json" }));
  } finally {
    s3.destroy();
  }
}

/** Starts the job (after publishSparkJobPlan). SIGTERM or SIGKILL stops it; a restart resumes from its checkpoint. */
export function spawnSparkJob(options: SparkJobOptions, stage = "local"): SparkJobProcess {
  const work = join(options.dataDir, SPARK_JOB_DIR);
  mkdirSync(work, { recursive: true });
  const child = spawn(GLUE_PYTHON, ["-B", join(REPO_ROOT, "glue", "local", "run_job.py"), ...sparkJobArgs(options, options.windowSeconds, stage)], {
    cwd: join(REPO_ROOT, "glue"),
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      ...targetEnv({ S3: options.s3Endpoint, KINESIS: options.kinesisEndpoint }),
      EVENTLAKE_SPARK_WORK_DIR: work,
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      PYTHONUNBUFFERED: "1",
    },
  });
  for (const stream of [child.stdout!, child.stderr!]) {
    let pending = "";
    stream.on("data", (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) options.onLine?.(line);
    });
  }
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited };
}

/**
 * `eventlake up --curator spark`: the Glue job in local Spark as the pipeline's curated layer (a JobRunner for
 * supervisedJob, like the DuckDB curator: the job ending by itself is a failed run the watchdog sees and restarts).
 */
export async function startSparkCurator(ctx: PipelineContext, fail: (error: Error) => void = () => undefined): Promise<{ close(): Promise<void> }> {
  if (!sparkJobInstalled()) throw new Error("the local Spark environment is not installed: run `node scripts/glue-env.mjs` (needs python3 and java)");
  const target = { region: ctx.region, streamName: ctx.streamName, bucket: ctx.bucket, kinesisEndpoint: ctx.kinesisEndpoint, s3Endpoint: ctx.s3Endpoint };
  await publishSparkJobPlan(target);
  let closing = false;
  const job = spawnSparkJob({ ...target, dataDir: ctx.dataDir, windowSeconds: ctx.stage.curation.windowSeconds, onLine: (l) => ctx.log(`[spark] ${l}`) });
  ctx.log(`curator: the Glue job runs in local Spark (pid ${job.child.pid}, window ${ctx.stage.curation.windowSeconds} s)`);
  void job.exited.then((code) => {
    if (!closing) fail(new Error(`the Spark job exited (${code ?? job.child.signalCode})`));
  });
  return {
    async close() {
      closing = true;
      if (job.child.exitCode === null && job.child.signalCode === null) job.child.kill("SIGTERM");
      await job.exited;
    },
  };
}
