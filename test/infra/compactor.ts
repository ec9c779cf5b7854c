/**
 * The compactor of one stage (called by stageSuite on its scenario): the scheduled function (CronV2 on
 * EventBridge Scheduler), its size from the stage settings, its package (the Parquet worker script next to the
 * bundle, parquet-wasm installed at the adapters' pinned version), its settings environment, and its least-privilege
 * role (list only under curated/, objects only under curated/).
 */
import { describe, expect, it } from "vitest";
import adapters from "../../packages/adapters/package.json";
import { compactorEnvironment, runConfigFromEnvironment } from "@eventlake/core/compaction/config";
import { scheduledEventInput } from "@eventlake/core/schedule";
import { LAKE_PREFIXES, metricsNamespace, type StageConfig } from "@eventlake/core/stage-config";
import { policyOf, type RecordedResource, type Scenario } from "./harness";
import { grantLines } from "./iam-simulation";
import { RESOURCE_TYPES, addCounts } from "./resource-types";
import { SERVICE_NAME_VARIABLE } from "@eventlake/core/functions/define";
import { compactorFunction } from "@eventlake/core/functions/compactor";

/** Resources the compactor adds to a stage, by type (stageSuite adds them to its inventory). */
export const COMPACTOR_COUNTS: Readonly<Record<string, number>> = {
  [RESOURCE_TYPES.fn]: 1,
  // the function's role; the schedule's (Scheduler invokes the function with it)
  [RESOURCE_TYPES.role]: 2,
  [RESOURCE_TYPES.logGroup]: 1,
  [RESOURCE_TYPES.object]: 1,
  [RESOURCE_TYPES.schedule]: 1,
};

/** Adds the compactor's resources to an expected inventory. */
export function withCompactor(expected: Record<string, number>): Record<string, number> {
  return addCounts(expected, COMPACTOR_COUNTS);
}

export function compactorAssertions(stage: string, cfg: StageConfig, scenario: () => Scenario) {
  const fn = () => scenario().one(RESOURCE_TYPES.fn, "CompactorHandler");
  const lakeArn = () => String(scenario().one("aws:s3/bucket:Bucket", "Lake").state.arn);
  const env = () => (fn().inputs.environment as { variables: Record<string, string> }).variables;

  describe(`stage "${stage}": compactor`, () => {
    it(`runs ${compactorFunction.sourceFile} on the stage's schedule with the scheduler's event, no retries (the next run recovers)`, () => {
      const schedule = scenario().one(RESOURCE_TYPES.schedule, "CompactorSchedule");
      expect(schedule.inputs).toMatchObject({
        scheduleExpression: cfg.schedules.compactor,
        state: "ENABLED",
        flexibleTimeWindow: { mode: "OFF" },
        target: { arn: fn().state.arn, retryPolicy: { maximumRetryAttempts: 0 } },
      });
      const target = schedule.inputs.target as { input: string; roleArn: string };
      expect(JSON.parse(target.input)).toEqual(scheduledEventInput("compactor"));
      // The schedule's role may invoke exactly this function.
      const role = scenario().ofType(RESOURCE_TYPES.role).find((r: RecordedResource) => r.state.arn === target.roleArn)!;
      expect(policyOf(role.inputs.assumeRolePolicy).Statement.map((st) => st.Principal)).toEqual([{ Service: ["scheduler.amazonaws.com"] }]);
      const inline = role.inputs.inlinePolicies as { policy: string }[];
      expect(inline.flatMap((p) => policyOf(p.policy).Statement)).toEqual([{ Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: [fn().state.arn] }]);
    });

    it("is sized from the stage settings (measured: see stacks/compactor.ts) and logs to its own group", () => {
      expect(fn().inputs).toMatchObject({
        handler: compactorFunction.handler,
        runtime: "nodejs22.x",
        architectures: ["arm64"],
        memorySize: cfg.compaction.memoryMb,
        timeout: cfg.compaction.timeoutSeconds,
        ephemeralStorage: { size: cfg.compaction.ephemeralStorageMb },
      });
      const logGroup = scenario().one(RESOURCE_TYPES.logGroup, "CompactorHandler");
      expect(logGroup.inputs.retentionInDays).toBe(cfg.compaction.logRetentionDays);
      expect(fn().inputs.loggingConfig).toMatchObject({ logGroup: logGroup.inputs.name });
    });

    it("ships the Parquet worker next to the bundle and installs parquet-wasm at the pinned version", () => {
      const build = scenario().builds.find((b) => b.handler === compactorFunction.handler)!;
      expect(build).toBeDefined();
      expect(build.copyFiles.map((c) => ({ from: c.from.replace(/\\/g, "/").split("/").slice(-4).join("/"), to: c.to, isDir: c.isDir }))).toEqual([
        { from: "adapters/src/compaction/parquet-worker.mjs", to: "parquet-worker.mjs", isDir: false },
      ]);
      expect(env()[compactorFunction.env.parquetWorker.name]).toBe("parquet-worker.mjs");
      expect(build.properties).toMatchObject({ install: { "parquet-wasm": adapters.dependencies["parquet-wasm"] }, architecture: "arm64" });
      expect(Object.keys(build.links)).toEqual([]);
    });

    it("gets the bucket, the metrics namespace and the stage's compaction settings through its environment", () => {
      expect(env()).toMatchObject({
        [compactorFunction.env.lakeBucket.name]: scenario().one("aws:s3/bucket:Bucket", "Lake").state.bucket,
        [compactorFunction.env.metricsNamespace.name]: metricsNamespace(stage),
        [SERVICE_NAME_VARIABLE]: compactorFunction.service,
        ...compactorEnvironment(cfg.compaction),
      });
      const config = runConfigFromEnvironment(env());
      expect(config.settleMs).toBe(cfg.compaction.settleMinutes * 60_000);
      // A live run's intent is never taken for an abandoned one.
      expect(config.intentLeaseMs).toBeGreaterThan(cfg.compaction.timeoutSeconds * 1000);
    });

    it("may list the lake (no other bucket) and touch only objects under curated/ (and only Lambda may assume its role)", () => {
      const role = scenario().one(RESOURCE_TYPES.role, "CompactorHandlerRole");
      expect(fn().inputs.role).toBe(role.state.arn);
      const inline = role.inputs.inlinePolicies as { policy: string }[];
      // ListBucket unconditioned: it heads merge outputs before they exist (404, not 403, needs it).
      expect(grantLines(inline.flatMap((p) => policyOf(p.policy).Statement))).toEqual(
        [
          `s3:ListBucket ${lakeArn()}`,
          ...["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"].map((a) => `${a} ${lakeArn()}/${LAKE_PREFIXES.curated}*`),
        ].sort(),
      );
      expect(role.inputs.managedPolicyArns).toEqual(["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]);
      expect(policyOf(role.inputs.assumeRolePolicy).Statement.map((st) => st.Principal)).toEqual([{ Service: ["lambda.amazonaws.com"] }]);
    });

    it("is exported by name", () => {
      expect(scenario().outputs.compactorFunction).toBe(fn().state.name);
    });
  });
}
