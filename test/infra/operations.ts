/**
 * The operations functions of one stage (called by stageSuite on its scenario): the shard autoscaler and the job
 * watchdog, each a scheduled function (CronV2 on EventBridge Scheduler) with the scheduler's event, its settings
 * from the stage, and a least-privilege role that names exactly the calls it makes.
 */
import { describe, expect, it } from "vitest";
import { AUTOSCALER_CONFIG_ENV, parseAutoscalerConfig } from "@eventlake/core/autoscaler/config";
import { autoscalerStateKey } from "@eventlake/core/autoscaler/state";
import { scheduledEventInput } from "@eventlake/core/schedule";
import { metricsNamespace, type StageConfig } from "@eventlake/core/stage-config";
import { policyOf, type PolicyStatement, type RecordedResource, type Scenario } from "./harness";
import { grantLines } from "./iam-simulation";
import { RESOURCE_TYPES, addCounts } from "./resource-types";
import { SERVICE_NAME_VARIABLE } from "@eventlake/core/functions/define";
import { autoscalerFunction } from "@eventlake/core/functions/autoscaler";
import { watchdogFunction } from "@eventlake/core/functions/watchdog";

/** Resources the autoscaler and the watchdog add to a stage, by type: per function, its role and the schedule's. */
export const OPERATIONS_COUNTS: Readonly<Record<string, number>> = {
  [RESOURCE_TYPES.fn]: 2,
  [RESOURCE_TYPES.role]: 4,
  [RESOURCE_TYPES.logGroup]: 2,
  [RESOURCE_TYPES.object]: 2,
  [RESOURCE_TYPES.schedule]: 2,
};

export function withOperations(expected: Record<string, number>): Record<string, number> {
  return addCounts(expected, OPERATIONS_COUNTS);
}

function scheduledFunction(scenario: () => Scenario, name: "Autoscaler" | "Watchdog") {
  const fn = () => scenario().one(RESOURCE_TYPES.fn, `${name}Handler`);
  const env = () => (fn().inputs.environment as { variables: Record<string, string> }).variables;
  const statements = () => {
    const role = scenario().one(RESOURCE_TYPES.role, `${name}HandlerRole`);
    expect(fn().inputs.role).toBe(role.state.arn);
    expect(role.inputs.managedPolicyArns).toEqual(["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]);
    expect(policyOf(role.inputs.assumeRolePolicy).Statement.map((st) => st.Principal)).toEqual([{ Service: ["lambda.amazonaws.com"] }]);
    return (role.inputs.inlinePolicies as { policy: string }[]).flatMap((p) => policyOf(p.policy).Statement);
  };
  const checkSchedule = (expression: string, key: string) => {
    const schedule = scenario().one(RESOURCE_TYPES.schedule, `${name}Schedule`);
    expect(schedule.inputs).toMatchObject({
      scheduleExpression: expression,
      state: "ENABLED",
      flexibleTimeWindow: { mode: "OFF" },
      target: { arn: fn().state.arn, retryPolicy: { maximumRetryAttempts: 0 } },
    });
    const target = schedule.inputs.target as { input: string; roleArn: string };
    expect(JSON.parse(target.input)).toEqual(scheduledEventInput(key));
    const role = scenario().ofType(RESOURCE_TYPES.role).find((r: RecordedResource) => r.state.arn === target.roleArn)!;
    expect(policyOf(role.inputs.assumeRolePolicy).Statement.map((st) => st.Principal)).toEqual([{ Service: ["scheduler.amazonaws.com"] }]);
    const inline = role.inputs.inlinePolicies as { policy: string }[];
    expect(inline.flatMap((p) => policyOf(p.policy).Statement)).toEqual([{ Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [fn().state.arn] }]);
  };
  const checkFunction = (handler: string, cfg: StageConfig) => {
    expect(fn().inputs).toMatchObject({ handler, runtime: "nodejs22.x", architectures: ["arm64"], memorySize: 256, timeout: 60 });
    const logGroup = scenario().one(RESOURCE_TYPES.logGroup, `${name}Handler`);
    expect(logGroup.inputs.retentionInDays).toBe(cfg.ingest.logRetentionDays);
    expect(fn().inputs.loggingConfig).toMatchObject({ logGroup: logGroup.inputs.name });
    const build = scenario().builds.find((b) => b.handler === handler)!;
    expect(Object.keys(build.links)).toEqual([]);
  };
  return { fn, env, statements, checkSchedule, checkFunction };
}

export function operationsAssertions(stage: string, cfg: StageConfig, scenario: () => Scenario) {
  const bucket = (prefix: string) => scenario().one("aws:s3/bucket:Bucket", prefix);
  const stream = () => scenario().one("aws:kinesis/stream:Stream", "Events");
  const topicArn = () => String(scenario().one("aws:sns/topic:Topic").state.arn);

  describe(`stage "${stage}": shard autoscaler`, () => {
    const a = scheduledFunction(scenario, "Autoscaler");

    it(`runs ${autoscalerFunction.sourceFile} on the stage's schedule with the scheduler's event, no retries (the next run plans again)`, () => {
      a.checkSchedule(cfg.schedules.autoscaler, "autoscaler");
      a.checkFunction(autoscalerFunction.handler, cfg);
    });

    it("gets the stream, its state bucket, the alarm topic and the stage's rules and bounds through its environment", () => {
      const env = a.env();
      expect(env).toMatchObject({
        [autoscalerFunction.env.stage.name]: stage,
        [autoscalerFunction.env.streamName.name]: stream().state.name,
        [autoscalerFunction.env.assetsBucket.name]: bucket("Assets").state.bucket,
        [autoscalerFunction.env.alarmTopicArn.name]: topicArn(),
        [autoscalerFunction.env.metricsNamespace.name]: metricsNamespace(stage),
        [SERVICE_NAME_VARIABLE]: autoscalerFunction.service,
      });
      // What the handler reads from it at cold start.
      expect(autoscalerFunction.readEnv(env)).toMatchObject({ stage, streamName: stream().state.name, metricsNamespace: metricsNamespace(stage) });
      expect(parseAutoscalerConfig(env[AUTOSCALER_CONFIG_ENV], 300)).toEqual({
        settings: cfg.autoscaler,
        bounds: { minShards: cfg.stream.minShards, maxShards: cfg.stream.maxShards },
      });
    });

    it("may read metrics, describe and reshard its stream, read the account quota, notify, and touch only its state object", () => {
      const assetsArn = String(bucket("Assets").state.arn);
      const key = autoscalerStateKey(String(stream().state.name));
      expect(grantLines(a.statements() as PolicyStatement[])).toEqual(
        [
          // GetMetricData, DescribeLimits and UpdateShardCount have no resource type: AWS only accepts "*".
          "cloudwatch:GetMetricData *",
          "kinesis:DescribeLimits *",
          "kinesis:UpdateShardCount *",
          `kinesis:DescribeStreamSummary ${String(stream().state.arn)}`,
          `sns:Publish ${String(topicArn())}`,
          `s3:GetObject ${assetsArn}/${key}`,
          `s3:PutObject ${assetsArn}/${key}`,
          // The state file is missing on the first run: S3 answers 404 (not 403) only with ListBucket on the bucket.
          `s3:ListBucket ${assetsArn}`,
        ].sort(),
      );
    });
  });

  describe(`stage "${stage}": job watchdog`, () => {
    const w = scheduledFunction(scenario, "Watchdog");
    const job = () => scenario().one("aws:glue/job:Job", "CurationJob");

    it(`runs ${watchdogFunction.sourceFile} on the stage's schedule with the scheduler's event`, () => {
      w.checkSchedule(cfg.schedules.watchdog, "watchdog");
      w.checkFunction(watchdogFunction.handler, cfg);
    });

    it("watches the curation job, knows its own schedule, and may only read the job's runs, start it and notify", () => {
      expect(w.env()).toMatchObject({
        [watchdogFunction.env.stage.name]: stage,
        [watchdogFunction.env.glueJobName.name]: job().inputs.name,
        [watchdogFunction.env.alarmTopicArn.name]: topicArn(),
        [watchdogFunction.env.schedule.name]: cfg.schedules.watchdog,
        [SERVICE_NAME_VARIABLE]: watchdogFunction.service,
      });
      expect(grantLines(w.statements() as PolicyStatement[])).toEqual(
        // The job's ARN as IAM sees it, from its name (the mock's job ARN is not in that form).
        [
          `glue:GetJobRuns arn:aws:glue:us-east-1:123456789012:job/${String(job().inputs.name)}`,
          `glue:StartJobRun arn:aws:glue:us-east-1:123456789012:job/${String(job().inputs.name)}`,
          `sns:Publish ${String(topicArn())}`,
        ].sort(),
      );
    });
  });
}
