/**
 * `eventlake curate --stage <name>`: the local curator (packages/local/src/curator/) against a deployed stage's
 * stream and lake bucket, until Ctrl-C. This is what `sst dev` runs in its curator pane on a personal stage
 * (stacks/dev-curation.ts), instead of a Glue job: the same curation contract, on the developer's machine, with the
 * developer's AWS credentials (the default chain). The curator's state (checkpoints, dedup window) stays in
 * `<data dir>/stages/<stage>/`, so a restart resumes where it stopped.
 *
 * The stream, bucket and region come from the dev command's environment (EVENTLAKE_STREAM_NAME,
 * EVENTLAKE_LAKE_BUCKET, AWS_REGION), else from the stage's outputs. EVENTLAKE_KINESIS_ENDPOINT and
 * EVENTLAKE_S3_ENDPOINT point it at stand-ins instead (tests).
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { awsTargetFromEnv } from "@eventlake/adapters/aws-config";
import { LAKE_BUCKET, STREAM_NAME } from "@eventlake/core/functions/variables";
import { metricsNamespace, stageConfig } from "@eventlake/core/stage-config";
import { curatorComponent } from "../curator/curator";
import { resolveDataDir } from "../local-config";
import type { PipelineContext } from "../pipeline-context";
import { StageProblem, explainAwsFailure, loadStage } from "./stage-target";

const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

export interface CurateOptions {
  dataDir?: string;
  stage: string;
  outputs?: string;
  region?: string;
}

export async function runCurate(options: CurateOptions, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const fail = (line: string) => {
    console.error(`eventlake curate: ${line}`);
    process.exit(1);
  };
  let streamName = env[STREAM_NAME.name];
  let bucket = env[LAKE_BUCKET.name];
  let region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!streamName || !bucket || !region) {
    try {
      const loaded = loadStage({ stage: options.stage, ...(options.outputs ? { outputs: options.outputs } : {}), ...(options.region ? { region: options.region } : {}) });
      if (loaded.resources.curationJob) {
        return fail(`stage "${options.stage}" runs the Glue job ${loaded.resources.curationJob}: a second curator would write its events again. \`eventlake curate\` is for stages deployed by \`sst dev\` (docs/deploy.md, "sst dev")`);
      }
      streamName = loaded.resources.streamName;
      bucket = loaded.resources.lakeBucket;
      region = loaded.region;
    } catch (error) {
      if (error instanceof StageProblem) return fail(error.message);
      throw error;
    }
  }
  const kinesis = awsTargetFromEnv(env, "KINESIS");
  const s3 = awsTargetFromEnv(env, "S3");
  const dataDir = join(resolveDataDir(options.dataDir), "stages", options.stage);
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const ctx: PipelineContext = {
    dataDir,
    stage: stageConfig(options.stage),
    region,
    streamName,
    bucket,
    // No endpoint: the SDK's AWS endpoints for the region.
    kinesisEndpoint: kinesis.endpoint ?? "",
    s3Endpoint: s3.endpoint ?? "",
    metricsNamespace: metricsNamespace(options.stage),
    repoRoot: REPO_ROOT,
    log,
    createFunction: () => {
      throw new Error("the curator creates no functions");
    },
    functions: () => [],
  };
  let curator: { close(): Promise<void> };
  try {
    curator = await curatorComponent().start(ctx);
  } catch (error) {
    return fail(explainAwsFailure(error, { stage: options.stage, region, what: `curating ${streamName} into s3://${bucket}` }));
  }
  log(`curator: ${streamName} -> s3://${bucket}/curated/ (stage "${options.stage}", ${region}); state in ${dataDir}. Ctrl-C stops it.`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await curator.close();
    log("curator: stopped; it resumes from its checkpoint next time.");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}
