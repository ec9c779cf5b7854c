/**
 * The curated layer's streaming job (ARCHITECTURE.md "Curated layer"): a Glue streaming job (Spark) that reads the
 * stream and writes curated Parquet, quarantine rows and aggregates to the lake, running the curation contract compiled to Spark SQL.
 *
 * - Job: `gluestreaming`, Glue version pinned from the stage (4.0: the newest AWS documents for streaming and auto
 *   scaling), G.025X workers with auto scaling (numberOfWorkers is the maximum), one run at a time, continuous
 *   CloudWatch logging to its own log group, job metrics and observability metrics (consumer lag). No job bookmark
 *   option: bookmarks do not apply to streaming jobs, the Spark checkpoint does (on the assets bucket).
 * - Assets (stacks/glue-assets.ts): the script, the runner package (--extra-py-files) and the plan, uploaded under
 *   content-addressed keys next to each other in the assets bucket.
 * - Role, exactly what the job does, derived from the call list next to its runner (glue/runner/aws_calls.json):
 *   read the stream (and decrypt with a customer-managed key, if any); put and delete objects under the three table
 *   prefixes of the lake (a replayed batch overwrites and removes what it no longer produces); read its scripts
 *   and plan; read, write and delete anything under its one work prefix `glue/jobs/curation` (checkpoint, state,
 *   temp: EMRFS reads parent "directories" and writes `<dir>_$folder$` markers, so the grant is the whole prefix,
 *   with no "/" before "*"); s3:ListBucket on the assets bucket unconditioned (the state pointer and the batch
 *   manifests are missing on a first batch: without ListBucket S3 answers 403, not 404); publish metrics only to
 *   the Glue namespace and the stage's; write its logs. No Glue catalog permission: the tables use partition
 *   projection, the job never touches the catalog.
 * - Start after deploy: a Glue job resource does not start its job. A small function (functions/glue-starter.ts)
 *   is invoked by the deploy whenever the job's definition changes (aws.lambda.Invocation); it starts the job, or
 *   leaves a current run alone, or restarts a run of an older definition. It never fails the deploy for a run that
 *   is already active.
 */
import { createHash } from "node:crypto";
import { buildGlueAssets } from "./glue-assets";
import { glueStarterFunction } from "@eventlake/core/functions/glue-starter";
import type { AwsCall } from "@eventlake/core/aws-calls/model";
import jobCalls from "../glue/runner/aws_calls.json";
import { accountValues, grantsFromCalls } from "./iam";
import { ASSET_PREFIXES, CURATION_TEMP_PREFIX, CURATION_WORK_PREFIX, type Lake } from "./lake";
import { logRetention, type Stage } from "./stage";
import { streamKmsKeyArn, type Stream } from "./stream";

/**
 * Where the job keeps its files in the assets bucket: scripts apart (read-only to the job), everything it writes
 * under one work prefix per job (so several jobs could share the bucket).
 */
export const CURATION_JOB_PATHS = {
  scripts: `${ASSET_PREFIXES.glueScripts}curation/`,
  work: CURATION_WORK_PREFIX,
  checkpoint: `${CURATION_WORK_PREFIX}checkpoint/`,
  state: `${CURATION_WORK_PREFIX}state/`,
  staging: `${CURATION_TEMP_PREFIX}staging/`,
  sparkTemp: `${CURATION_TEMP_PREFIX}spark/`,
} as const;

/** Every AWS call of the job (its script, Spark through EMRFS, and Glue itself for the job). */
export const CURATION_JOB_CALLS: readonly AwsCall[] = (jobCalls as { calls: AwsCall[] }).calls;

/** How long the starter may wait for an outdated run to stop before leaving the start to the watchdog. */
const STARTER_TIMEOUT = "10 minutes";

export interface CurationDeps {
  stream: Stream;
  lake: Lake;
}

export function createCuration(stage: Stage, { stream, lake }: CurationDeps) {
  const { curation } = stage.config;
  const jobName = `eventlake-${stage.name}-curation`;

  const logGroup = new aws.cloudwatch.LogGroup("CurationLogs", {
    name: `/aws-glue/jobs/${jobName}`,
    retentionInDays: curation.logRetentionDays,
  });

  // Assets: script, runner package, plan.
  const assets = buildGlueAssets(CURATION_JOB_PATHS.scripts);
  const script = new aws.s3.BucketObjectv2("CurationScript", {
    bucket: lake.assets.name,
    key: assets.script.key,
    source: new $util.asset.FileAsset(assets.script.path),
    contentType: "text/x-python",
  });
  const runner = new aws.s3.BucketObjectv2("CurationRunner", {
    bucket: lake.assets.name,
    key: assets.runner.key,
    contentBase64: assets.runner.base64,
    contentType: "application/zip",
  });
  const plan = new aws.s3.BucketObjectv2("CurationPlan", {
    bucket: lake.assets.name,
    key: assets.plan.key,
    content: assets.plan.json,
    contentType: "application/json",
  });

  // The job's role: trusted by Glue only; exactly the calls above.
  const role = new aws.iam.Role("CurationJobRole", {
    description: `eventlake ${stage.name}: the curation Glue streaming job`,
    assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "glue.amazonaws.com" }),
  });
  const grants = grantsFromCalls(CURATION_JOB_CALLS, {
    ...accountValues(),
    streamArn: stream.arn,
    streamKmsKeyArn: streamKmsKeyArn(stage),
    lakeBucket: lake.lake.name,
    assetsBucket: lake.assets.name,
    metricsNamespace: stage.metricsNamespace,
    curationLogGroupArn: logGroup.arn,
    curationScriptsPrefix: CURATION_JOB_PATHS.scripts,
    // The work prefix without its "/": the grant then also covers the folder marker next to it (curation_$folder$).
    curationWorkDir: CURATION_JOB_PATHS.work.replace(/\/$/, ""),
  });
  const policy = new aws.iam.RolePolicy("CurationJobPolicy", {
    role: role.id,
    policy: aws.iam.getPolicyDocumentOutput({
      statements: grants.apply((gs) => gs.map((g) => ({ effect: "Allow", actions: g.actions, resources: g.resources, ...(g.conditions ? { conditions: g.conditions } : {}) }))),
    }).json,
  });

  const defaultArguments = {
    "--job-language": "python",
    "--extra-py-files": $interpolate`s3://${lake.assets.name}/${runner.key}`,
    "--TempDir": $interpolate`s3://${lake.assets.name}/${CURATION_JOB_PATHS.sparkTemp}`,
    "--enable-auto-scaling": "true",
    "--enable-metrics": "true",
    "--enable-observability-metrics": "true",
    "--enable-continuous-cloudwatch-log": "true",
    "--enable-continuous-log-filter": "true",
    "--continuous-log-logGroup": logGroup.name,
    "--enable-spark-ui": "false",
    // The runner's own arguments (glue/runner/args.py).
    "--stream_arn": stream.arn,
    "--starting_position": "TRIM_HORIZON",
    "--window_seconds": String(curation.windowSeconds),
    "--lake_bucket": lake.lake.name,
    "--assets_bucket": lake.assets.name,
    "--plan_key": plan.key,
    "--checkpoint_prefix": CURATION_JOB_PATHS.checkpoint,
    "--state_prefix": CURATION_JOB_PATHS.state,
    "--staging_prefix": CURATION_JOB_PATHS.staging,
    "--metrics_namespace": stage.metricsNamespace,
  };

  const job = new aws.glue.Job(
    "CurationJob",
    {
      name: jobName,
      description: `eventlake ${stage.name}: stream -> curated/, quarantine/, aggregates/ (curation contract, Spark SQL)`,
      roleArn: role.arn,
      glueVersion: curation.glueVersion,
      workerType: curation.workerType,
      numberOfWorkers: curation.maxWorkers,
      command: { name: "gluestreaming", scriptLocation: $interpolate`s3://${lake.assets.name}/${script.key}`, pythonVersion: "3" },
      executionProperty: { maxConcurrentRuns: 1 },
      // Glue restarts streaming jobs for maintenance: within 3 hours after this window (GMT), not at a random time.
      maintenanceWindow: curation.maintenanceWindow,
      defaultArguments,
    },
    { dependsOn: [policy, plan, runner] },
  );

  const starter = new sst.aws.Function(glueStarterFunction.id, {
    description: `eventlake ${stage.name}: starts ${jobName} after a deploy`,
    handler: glueStarterFunction.handler,
    runtime: "nodejs22.x",
    architecture: "arm64",
    memory: "256 MB",
    timeout: STARTER_TIMEOUT,
    logging: { retention: logRetention(curation.logRetentionDays) },
    environment: glueStarterFunction.toEnv({ glueJobName: jobName }),
    permissions: grantsFromCalls(glueStarterFunction.calls, { ...accountValues(), glueJobName: jobName }),
  });

  // Invoked by the deploy when the job's definition changes (content-addressed assets are part of its arguments).
  const definition = $resolve([job.arn, job.defaultArguments, job.workerType, job.numberOfWorkers, job.glueVersion]).apply((parts) =>
    createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 32),
  );
  new aws.lambda.Invocation(
    "CurationStart",
    {
      functionName: starter.name,
      input: JSON.stringify({ reason: "deploy", job: jobName }),
      triggers: { definition, assets: assets.version },
    },
    { dependsOn: [job] },
  );

  return { job, jobName, role, logGroup, starter, assets: { script, runner, plan } };
}

export type Curation = ReturnType<typeof createCuration>;
