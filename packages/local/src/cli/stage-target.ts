/**
 * `--stage <name>`: the CLI on a deployed stage. Resources come from SST's outputs (packages/core/src/stage-outputs.ts),
 * calls go through AWS SDK v3 clients with the default credential chain (environment, shared config and SSO
 * profiles, instance or container roles) in the stage's region. Failures a person can fix (no outputs, no credentials,
 * wrong region, access denied) become one line saying what to do, never a stack trace.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { AwsTarget } from "@eventlake/adapters/aws-config";
import { describeAlarmStates } from "@eventlake/adapters/cloudwatch-alarm-states";
import { GlueJobControl } from "@eventlake/adapters/glue-job-control";
import { S3ObjectStore } from "@eventlake/adapters/s3-object-store";
import { DEFAULT_OUTPUTS_FILE, resolveStageOutputs, stageRegion, type StageResources } from "@eventlake/core/stage-outputs";
import { readAlarmStates } from "@eventlake/emulators/alarms/state";
import { LOCAL_CURATION_JOB, type LocalInfo } from "../local-config";
import type { SmokePorts } from "../smoke/smoke";

export interface StageOptions {
  stage: string;
  /** SST's outputs file (default .sst/outputs.json in the current directory). */
  outputs?: string;
  region?: string;
}

/** A person-fixable problem: the CLI prints its message as one line and exits 1. */
export class StageProblem extends Error {
  override name = "StageProblem";
}

export function loadStage(options: StageOptions): { resources: StageResources; region: string } {
  const file = resolve(options.outputs ?? DEFAULT_OUTPUTS_FILE);
  const text = existsSync(file) ? readFileSync(file, "utf8") : undefined;
  const resolution = resolveStageOutputs(options.stage, text, options.outputs ?? DEFAULT_OUTPUTS_FILE);
  if (!resolution.ok) throw new StageProblem(resolution.message);
  return { resources: resolution.resources, region: stageRegion(resolution.resources, options.region) };
}

function causes(error: unknown): { name: string; message: string; code?: string; status?: number }[] {
  const chain = [];
  let e = error as (Error & { code?: string; cause?: unknown; $metadata?: { httpStatusCode?: number }; Code?: string }) | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    chain.push({ name: e.name ?? "", message: e.message ?? String(e), ...(e.code ? { code: e.code } : {}), ...(e.$metadata?.httpStatusCode ? { status: e.$metadata.httpStatusCode } : {}) });
    e = e.cause as typeof e;
  }
  return chain;
}

/**
 * One line for an AWS failure on a stage: what went wrong and what to do. `what` names the call, e.g. "reading
 * s3://bucket/raw/"; `region` is where the call went.
 */
export function explainAwsFailure(error: unknown, context: { stage: string; region: string; what: string }): string {
  if (error instanceof StageProblem) return error.message;
  const chain = causes(error);
  const has = (test: (c: (typeof chain)[number]) => boolean) => chain.some(test);
  const named = (...names: string[]) => has((c) => names.includes(c.name) || (c.code !== undefined && names.includes(c.code)));
  const where = `stage "${context.stage}" in ${context.region}`;
  if (named("CredentialsProviderError") || has((c) => /could not load credentials/i.test(c.message))) {
    return `no AWS credentials found for ${where}: run \`aws configure\` or \`aws sso login\`, or set AWS_PROFILE (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) to the account the stage is deployed in`;
  }
  if (has((c) => /region is missing/i.test(c.message))) {
    return `no AWS region for ${where}: pass --region <region> or set AWS_REGION`;
  }
  if (named("ExpiredToken", "ExpiredTokenException", "RequestExpired") || has((c) => /token .*expired/i.test(c.message))) {
    return `your AWS credentials have expired (${context.what}): log in again (\`aws sso login\`) and re-run`;
  }
  if (named("InvalidClientTokenId", "UnrecognizedClientException", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidSignatureException")) {
    return `AWS rejected your credentials (${context.what}): check AWS_PROFILE / your access key; they must belong to the account of ${where}`;
  }
  if (named("PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException") || has((c) => c.status === 301)) {
    return `${context.what}: the bucket is in another region than ${context.region}; pass --region with the stage's region (its outputs name it) or redeploy`;
  }
  if (named("ResourceNotFoundException", "EntityNotFoundException", "NoSuchBucket", "ResourceNotFound")) {
    return `${context.what}: not found in ${context.region}; the stage may be deployed to another region (pass --region <region>) or removed (\`npx sst deploy --stage ${context.stage}\`)`;
  }
  if (named("AccessDenied", "AccessDeniedException", "AuthorizationError", "UnauthorizedOperation")) {
    return `access denied ${context.what} on ${where}: your credentials lack the permission (${chain[0]?.message.split("\n")[0] ?? ""})`;
  }
  if (named("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ETIMEDOUT", "TimeoutError")) {
    return `cannot reach AWS in ${context.region} (${context.what}): check the network and the region name (--region)`;
  }
  const first = chain[0];
  return `${context.what} on ${where} failed: ${first ? `${first.name ? `${first.name}: ` : ""}${first.message.split("\n")[0]}` : String(error)}`;
}

export interface StageCommandOptions extends StageOptions {
  json?: boolean;
}

/**
 * Runs a --stage command: resolves the stage, runs `body`, and turns a failure a person can fix into one line on
 * stderr (exit 1). Returns the exit code.
 */
export async function runOnStage(command: string, options: StageOptions, body: (stage: { resources: StageResources; region: string }) => Promise<number>): Promise<number> {
  let loaded: { resources: StageResources; region: string };
  try {
    loaded = loadStage(options);
  } catch (error) {
    if (!(error instanceof StageProblem)) throw error;
    console.error(`eventlake ${command}: ${error.message}`);
    return 1;
  }
  try {
    return await body(loaded);
  } catch (error) {
    console.error(`eventlake ${command}: ${explainAwsFailure(error, { stage: options.stage, region: loaded.region, what: `${command} on the stage's resources` })}`);
    return 1;
  }
}

/**
 * Where a stage's calls to one service go: its region, AWS's endpoint. EVENTLAKE_<SERVICE>_ENDPOINT (the override
 * the functions use locally, packages/adapters/src/aws-config.ts) points them at a stand-in instead, which is how the
 * tests run the --stage code path without AWS.
 */
export function stageTarget(region: string, service: "KINESIS" | "S3" | "GLUE" | "CLOUDWATCH", env: NodeJS.ProcessEnv = process.env): AwsTarget {
  const endpoint = env[`EVENTLAKE_${service}_ENDPOINT`] || undefined;
  return endpoint ? { region, endpoint } : { region };
}

/** The stage's lake bucket through the S3 API. */
export function stageLake(resources: StageResources, region: string): S3ObjectStore {
  return new S3ObjectStore({ bucket: resources.lakeBucket, target: stageTarget(region, "S3") });
}

/** Smoke ports on a deployed stage: the stage's API, S3, Glue GetJobRuns and CloudWatch DescribeAlarms. */
export function stageSmokePorts(resources: StageResources, region: string, writeKey: string): SmokePorts & { close(): void } {
  const lake = stageLake(resources, region);
  const glue = resources.curationJob ? new GlueJobControl(stageTarget(region, "GLUE")) : undefined;
  return {
    api: { endpoint: resources.apiUrl, writeKey },
    lake,
    job:
      glue && resources.curationJob
        ? { name: resources.curationJob, runs: (max) => glue.list(resources.curationJob!, max) }
        : { none: "no Glue job on this stage: it was deployed by `sst dev`, where the curator runs on the developer's machine (see docs/deploy.md)" },
    alarms: {
      states: async () => {
        return describeAlarmStates(stageTarget(region, "CLOUDWATCH"), resources.alarmNames);
      },
    },
    close() {
      lake.destroy();
      glue?.client.destroy();
    },
  };
}

/** Smoke ports on the local pipeline: its API, the S3 stand-in, the local job service, the local alarm states. */
export function localSmokePorts(info: LocalInfo, dataDir: string): SmokePorts & { close(): void } {
  const lake = new S3ObjectStore({ bucket: info.bucket, target: { region: info.region, endpoint: info.s3Endpoint } });
  const glue = info.glueEndpoint ? new GlueJobControl({ region: info.region, endpoint: info.glueEndpoint }) : undefined;
  return {
    api: { endpoint: info.endpoint, writeKey: info.writeKey },
    lake,
    job: glue
      ? { name: LOCAL_CURATION_JOB, runs: (max) => glue.list(LOCAL_CURATION_JOB, max) }
      : { none: "the local curator does not run as a job in this pipeline (no local job service)" },
    alarms: {
      states: async () => {
        const states = readAlarmStates(dataDir);
        if (!states) return [];
        return Object.values(states.alarms).map((a) => ({ name: a.id, state: a.state, reason: a.reason, since: new Date(a.sinceMs).toISOString() }));
      },
    },
    close() {
      lake.destroy();
      glue?.client.destroy();
    },
  };
}
