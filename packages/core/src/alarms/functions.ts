/**
 * The pipeline's Lambda functions, as the alarm catalog knows them: every function gets an errors alarm and a
 * throttles alarm generated from this list (never written out one by one), each with a runbook that says what an
 * error of *that* function does to the pipeline. The stacks pass the functions they create (by these keys); a
 * function whose key is not listed here still gets both alarms, with the generic runbook.
 */
import { DEPLOY_VARIABLES } from "../deploy-variables";
import { firehoseTransformFunction } from "../functions/firehose-transform";
import { glueStarterFunction } from "../functions/glue-starter";
import { ingestFunction } from "../functions/ingest";

export interface FunctionProfile {
  /** What the function does (one line). */
  role: string;
  /** What its errors mean for the pipeline. */
  onErrors: string;
  /** What its throttles mean for the pipeline. */
  onThrottles: string;
  /** Where to look first when it fails, most likely first. */
  checkFirst: readonly string[];
  /** How to fix the usual causes. */
  fix: readonly string[];
}

export const PIPELINE_FUNCTIONS = {
  ingest: {
    role: `HTTP API -> validation -> Kinesis PutRecords (${ingestFunction.sourceFile})`,
    onErrors:
      "Requests that hit an error were answered 500 (retryable) and nothing of them was written: clients that retry lose nothing, others lose those events. A function that fails at cold start fails every request.",
    onThrottles:
      "API Gateway answered the throttled requests with an error without running the function: clients must retry; nothing of them was written.",
    checkFirst: [
      'The function\'s log group: `"ingest failed"` entries (error name and stack), and cold-start errors (a missing environment variable, the WriteKeys secret not set or not valid JSON).',
      "Duration against the timeout (stage `ingest.timeoutSeconds`): timeouts count as errors.",
      `ConcurrentExecutions against the account's concurrency quota (or the opt-in reserved concurrency, ${DEPLOY_VARIABLES.ingestReservedConcurrency}), for throttles: each throttled request is a 500 to the client (HTTP APIs cannot answer Lambda's 429 as a 429).`,
    ],
    fix: [
      "Configuration: set the secret (`npx sst secret set WriteKeys ... --stage <stage>`) or the missing variable and redeploy.",
      "A code fault: fix, test locally (`npm start`, `npx eventlake send`), redeploy; clients' retries recover the requests.",
      "Throttles: raise the account's Lambda concurrency quota (and the reservation, if any: docs/deploy.md, Quotas) or lower the API stage's `api.throttlingRateLimit`/`throttlingBurstLimit` so excess load gets 429 before it reaches the function.",
    ],
  },
  "firehose-transform": {
    role: `Firehose's record transformation for the raw archive (${firehoseTransformFunction.sourceFile})`,
    onErrors:
      "Firehose retries a failed invocation (3 times by default), then writes the batch's records to raw-errors/ marked processing-failed: they are kept byte for byte, but they are missing from raw/ until reprocessed.",
    onThrottles: "Firehose waits and retries: raw/ delivery is delayed (see the Firehose freshness alarm).",
    checkFirst: [
      "The function's log group, and Duration against its timeout (`rawArchive.transformTimeoutSeconds`, at most 300 s).",
      "Objects under raw-errors/ (their error output type and error codes), and Firehose's ExecuteProcessing.Success.",
      "The response size: the whole response must stay under Lambda's 6 MB; `rawArchive.transformBufferSizeMb` sets the input size.",
    ],
    fix: [
      "Timeouts: raise `rawArchive.transformMemoryMb` (more CPU) or `rawArchive.transformTimeoutSeconds`; responses near 6 MB: lower `rawArchive.transformBufferSizeMb`.",
      "A code fault: fix and redeploy, then reprocess the records kept under raw-errors/ (they hold the original bytes).",
    ],
  },
  autoscaler: {
    role: "Scheduled shard autoscaler: reads stream metrics and calls UpdateShardCount",
    onErrors: "The stream keeps its shard count: under rising load writes get throttled and spill; under falling load you pay for idle shards.",
    onThrottles: "A scheduled run was skipped; the next one retries.",
    checkFirst: [
      "The function's log group and its SNS notices (every decision and failure is published).",
      "The Autoscaler failures alarm and the stream's status (UPDATING while a resharding runs).",
    ],
    fix: [
      "Permissions or configuration: fix and redeploy. The schedule retries on its own.",
      "Under load before it is fixed: change the shard count by hand (`aws kinesis update-shard-count`, within half to double the current count).",
    ],
  },
  compactor: {
    role: "Scheduled compactor: merges small curated Parquet files of settled partitions",
    onErrors:
      "That run's merges did not finish; the crash-safe protocol leaves readers with every row, but small files accumulate and queries get slower and dearer.",
    onThrottles: "A scheduled run was skipped; the next one retries.",
    checkFirst: [
      "The function's log group (which partition, which step), Duration against its timeout, and Max Memory Used in the REPORT lines.",
      "The Compaction failures alarm.",
    ],
    fix: [
      "Timeouts or memory: raise the compactor's memory or timeout, or lower its per-run work; a corrupt input file: move it aside and rerun.",
    ],
  },
  watchdog: {
    role: "Scheduled Glue job watchdog: keeps the curation job RUNNING (restarts it from its checkpoint)",
    onErrors: "Nobody checks the curation job: if it stops, curated/ stops updating silently (the Glue job state alarm turns to ALARM as its metric goes missing).",
    onThrottles: "A scheduled run was skipped; the next one retries.",
    checkFirst: ["The function's log group: glue:GetJobRuns / glue:StartJobRun errors (permissions, job name)."],
    fix: ["Fix the permission or configuration and redeploy; meanwhile check the job in the Glue console and start it by hand if needed."],
  },
  "glue-starter": {
    role: `Deploy-time starter of the curation job (${glueStarterFunction.sourceFile}): starts it, or restarts a run of an older definition`,
    onErrors:
      "The deploy that invoked it failed at its last step: the job definition is updated but the job may still run the previous version, or not run at all until the watchdog starts it.",
    onThrottles: "The deploy's invocation was refused: the deploy failed at its last step; deploy again.",
    checkFirst: [
      "The deploy's output and the function's log group: glue:GetJob / GetJobRuns / StartJobRun / BatchStopJobRun errors (permissions, job name).",
      "The job's runs in the Glue console: a run stuck in STOPPING, or failing at start-up (its continuous log group).",
    ],
    fix: ["Fix the cause and deploy again (the starter is idempotent); or start the job by hand: `aws glue start-job-run --job-name <curationJob output>`."],
  },
} as const satisfies Record<string, FunctionProfile>;

export type PipelineFunction = keyof typeof PIPELINE_FUNCTIONS;

/** Every function the pipeline has, in data-flow order. */
export const PIPELINE_FUNCTION_KEYS = Object.keys(PIPELINE_FUNCTIONS) as PipelineFunction[];

const GENERIC: FunctionProfile = {
  role: "a Lambda function of the pipeline",
  onErrors: "Its invocations failed: whatever it does for the pipeline did not happen for them.",
  onThrottles: "Its invocations were refused for lack of concurrency.",
  checkFirst: ["The function's log group, and Duration against its timeout."],
  fix: ["Fix the fault or the configuration and redeploy."],
};

export function functionProfile(key: string): FunctionProfile {
  return (PIPELINE_FUNCTIONS as Record<string, FunctionProfile>)[key] ?? GENERIC;
}
