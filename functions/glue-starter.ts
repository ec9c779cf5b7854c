/**
 * Starts the curation job after a deploy (invoked once per deploy that changes the job, by an aws.lambda.Invocation
 * in stacks/glue.ts): a Glue job resource does not start its job. Idempotent: a current run already active is left
 * alone; a run of an older definition is stopped and a new one started (it resumes from the checkpoint). A stop that
 * does not finish before the deadline returns "pending" (the deploy does not fail; the watchdog starts the job).
 * Thin: unwrap, call the core (ensureJobCurrent), log.
 */
import middy from "@middy/core";
import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { Context } from "aws-lambda";
import { awsTargetFromEnv } from "@eventlake/adapters/aws-config";
import { GlueJobControl } from "@eventlake/adapters/glue-job-control";
import { glueStarterFunction } from "@eventlake/core/functions/glue-starter";
import { ensureJobCurrent, type EnsureResult } from "@eventlake/core/glue/job-start";
import type { JobControl } from "@eventlake/core/ports";

// The service name comes from POWERTOOLS_SERVICE_NAME (the description's toEnv sets it).
const logger = new Logger();

/** Kept back from the remaining time to answer. */
const RESERVE_MS = 5_000;

let control: JobControl | undefined;

export async function startJob(jobName: string, deps: { control: JobControl; remainingMs: number }): Promise<EnsureResult> {
  const deadlineMs = Date.now() + deps.remainingMs - RESERVE_MS;
  return ensureJobCurrent(deps.control, jobName, {
    deadlineMs,
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
}

export const handler = middy(async (_event: unknown, context: Context): Promise<EnsureResult> => {
  const jobName = glueStarterFunction.readEnv(process.env).glueJobName;
  control ??= new GlueJobControl(awsTargetFromEnv(process.env, "GLUE"));
  const result = await startJob(jobName, { control, remainingMs: context.getRemainingTimeInMillis() });
  logger.info("curation job", { jobName, ...result });
  return result;
}).use(injectLambdaContext(logger));
