/**
 * The raw archive of one stage (called by stageSuite on its scenario): the Firehose delivery stream (Kinesis source,
 * Lambda processor and its hints, extended S3 destination with gzip, the arrival-time prefix, the error prefix,
 * buffering per stage, error logging), the transform function, and both roles at least privilege.
 */
import { describe, expect, it } from "vitest";
import { FIREHOSE } from "@eventlake/core/limits";
import { RAW_ARCHIVE, rawArchiveDeliveryStreamName } from "@eventlake/core/firehose/raw-archive";
import { LAKE_PREFIXES, type StageConfig } from "@eventlake/core/stage-config";
import { ACCOUNT, policyOf, type RecordedResource, type Scenario } from "./harness";
import { grantLines } from "./iam-simulation";
import { RESOURCE_TYPES, addCounts } from "./resource-types";
import { SERVICE_NAME_VARIABLE } from "@eventlake/core/functions/define";
import { firehoseTransformFunction } from "@eventlake/core/functions/firehose-transform";

/** Resources the raw archive adds to a stage, by type (stageSuite adds them to its inventory). */
export const RAW_ARCHIVE_COUNTS: Readonly<Record<string, number>> = {
  [RESOURCE_TYPES.firehose]: 1,
  // The transform function, its code, its role and log group; Firehose's role, policy, log group and stream.
  [RESOURCE_TYPES.fn]: 1,
  [RESOURCE_TYPES.object]: 1,
  [RESOURCE_TYPES.role]: 2,
  [RESOURCE_TYPES.rolePolicy]: 1,
  [RESOURCE_TYPES.logGroup]: 2,
  [RESOURCE_TYPES.logStream]: 1,
};

/** Adds the raw archive's resources to an expected inventory. */
export function withRawArchive(expected: Record<string, number>): Record<string, number> {
  return addCounts(expected, RAW_ARCHIVE_COUNTS);
}

const str = (v: unknown) => String(v);

interface ExtendedS3 {
  roleArn: string;
  bucketArn: string;
  prefix: string;
  errorOutputPrefix: string;
  bufferingSize: number;
  bufferingInterval: number;
  compressionFormat: string;
  cloudwatchLoggingOptions: { enabled: boolean; logGroupName: string; logStreamName: string };
  processingConfiguration: { enabled: boolean; processors: { type: string; parameters: { parameterName: string; parameterValue: string }[] }[] };
  dynamicPartitioningConfiguration?: unknown;
}

export function rawArchiveAssertions(stage: string, cfg: StageConfig, scenario: () => Scenario) {
  const firehoseOf = (s: Scenario) => s.one(RESOURCE_TYPES.firehose, "RawArchive");
  const s3Of = (s: Scenario) => firehoseOf(s).inputs.extendedS3Configuration as ExtendedS3;
  const transformOf = (s: Scenario) => s.one(RESOURCE_TYPES.fn, "RawTransform");
  const lakeArn = (s: Scenario) => str(s.one("aws:s3/bucket:Bucket", "Lake").state.arn);

  describe(`stage "${stage}": raw archive (Firehose)`, () => {
    it("reads the Kinesis stream and delivers gzip to the lake with the stage's buffering hints", () => {
      const s = scenario();
      const firehose = firehoseOf(s);
      const stream = s.one("aws:kinesis/stream:Stream", "Events");
      const role = s.one(RESOURCE_TYPES.role, "RawArchiveRole");
      expect(firehose.inputs.name).toBe(rawArchiveDeliveryStreamName(stage));
      expect(firehose.inputs.destination).toBe("extended_s3");
      expect(firehose.inputs.kinesisSourceConfiguration).toEqual({ kinesisStreamArn: stream.state.arn, roleArn: role.state.arn });
      const s3 = s3Of(s);
      expect(s3).toMatchObject({
        roleArn: role.state.arn,
        bucketArn: lakeArn(s),
        bufferingSize: cfg.rawArchive.bufferSizeMb,
        bufferingInterval: cfg.rawArchive.bufferIntervalSeconds,
        compressionFormat: "GZIP",
      });
      expect(s3.dynamicPartitioningConfiguration).toBeUndefined();
      expect(firehose.inputs.serverSideEncryption).toBeUndefined();
    });

    it("partitions raw/ by arrival hour (Hive style) and sends failures under raw-errors/<error-output-type>/", () => {
      const s3 = s3Of(scenario());
      expect(s3.prefix).toBe("raw/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/");
      expect(s3.prefix.startsWith(LAKE_PREFIXES.raw)).toBe(true);
      expect(s3.errorOutputPrefix.startsWith(LAKE_PREFIXES.rawErrors)).toBe(true);
      expect(s3.errorOutputPrefix).toContain("!{firehose:error-output-type}");
      expect([s3.prefix, s3.errorOutputPrefix]).toEqual([RAW_ARCHIVE.prefix, RAW_ARCHIVE.errorOutputPrefix]);
    });

    it("transforms with the Lambda processor: its ARN, and the stage's hints where they differ from Firehose's defaults", () => {
      const s = scenario();
      const s3 = s3Of(s);
      expect(s3.processingConfiguration.enabled).toBe(true);
      expect(s3.processingConfiguration.processors).toHaveLength(1);
      const [processor] = s3.processingConfiguration.processors;
      expect(processor!.type).toBe("Lambda");
      const params = Object.fromEntries(processor!.parameters.map((p) => [p.parameterName, p.parameterValue]));
      expect(params.LambdaArn).toBe(`${str(transformOf(s).state.arn)}:$LATEST`);
      const expected = (value: number, defaultValue: number) => (value === defaultValue ? undefined : String(value));
      expect(params.BufferSizeInMBs).toBe(expected(cfg.rawArchive.transformBufferSizeMb, FIREHOSE.processorBufferSizeMb.default));
      expect(params.BufferIntervalInSeconds).toBe(expected(cfg.rawArchive.transformBufferIntervalSeconds, FIREHOSE.processorBufferIntervalSeconds.default));
      expect(params.NumberOfRetries).toBeUndefined(); // 3, Firehose's default
      expect(Object.keys(params).sort()).toEqual(["LambdaArn", ...(params.BufferSizeInMBs ? ["BufferSizeInMBs"] : []), ...(params.BufferIntervalInSeconds ? ["BufferIntervalInSeconds"] : [])].sort());
    });

    it("logs delivery and invocation errors to its own log group and stream", () => {
      const s = scenario();
      const s3 = s3Of(s);
      const group = s.one(RESOURCE_TYPES.logGroup, "RawArchiveLogs");
      const logStream = s.one(RESOURCE_TYPES.logStream, "RawArchiveLogStream");
      expect(group.inputs).toMatchObject({ name: `/aws/kinesisfirehose/${rawArchiveDeliveryStreamName(stage)}`, retentionInDays: cfg.ingest.logRetentionDays });
      expect(logStream.inputs).toEqual({ logGroupName: group.state.name, name: RAW_ARCHIVE.logStreamName });
      expect(s3.cloudwatchLoggingOptions).toEqual({ enabled: true, logGroupName: group.state.name, logStreamName: RAW_ARCHIVE.logStreamName });
    });

    it(`runs the transform function from ${firehoseTransformFunction.sourceFile} within Firehose's 5 minutes`, () => {
      const fn = transformOf(scenario());
      expect(fn.inputs).toMatchObject({
        handler: firehoseTransformFunction.handler,
        runtime: "nodejs22.x",
        memorySize: cfg.rawArchive.transformMemoryMb,
        timeout: cfg.rawArchive.transformTimeoutSeconds,
      });
      expect(fn.inputs.timeout as number).toBeLessThanOrEqual(FIREHOSE.maxTransformTimeoutSeconds);
      const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
      expect(env).toMatchObject({ [SERVICE_NAME_VARIABLE]: firehoseTransformFunction.service });
      expect(firehoseTransformFunction.readEnv(env)).toMatchObject({ metricsNamespace: `eventlake/${stage}`, logEvent: "false" });
    });
  });

  describe(`stage "${stage}": raw archive IAM`, () => {
    it("lets only Firehose of this account assume the delivery role", () => {
      const trust = policyOf(scenario().one(RESOURCE_TYPES.role, "RawArchiveRole").inputs.assumeRolePolicy);
      expect(trust.Statement).toEqual([
        {
          Effect: "Allow",
          Action: ["sts:AssumeRole"],
          Principal: { Service: ["firehose.amazonaws.com"] },
          Condition: { StringEquals: { "sts:ExternalId": [ACCOUNT] } },
        },
      ]);
    });

    it("grants Firehose exactly: read the stream, write raw/ and raw-errors/, invoke the transform, log its errors", () => {
      const s = scenario();
      const role = s.one(RESOURCE_TYPES.role, "RawArchiveRole");
      const policies = s.ofType(RESOURCE_TYPES.rolePolicy).filter((p) => p.inputs.role === role.state.id || p.inputs.role === `${role.name}-id`);
      expect(policies).toHaveLength(1);
      expect(role.inputs.inlinePolicies ?? []).toEqual([]);
      expect(role.inputs.managedPolicyArns ?? []).toEqual([]);
      const lake = lakeArn(s);
      const fnArn = str(transformOf(s).state.arn);
      const logGroup = s.one(RESOURCE_TYPES.logGroup, "RawArchiveLogs");
      const streamArn = str(s.one("aws:kinesis/stream:Stream", "Events").state.arn);
      const decrypt = cfg.stream.kmsKeyId.startsWith("arn:") ? [`kms:Decrypt ${cfg.stream.kmsKeyId}`] : [];
      expect(grantLines(policyOf(policies[0]!.inputs.policy).Statement)).toEqual(
        [
          ...["DescribeStream", "GetShardIterator", "GetRecords", "ListShards"].map((a) => `kinesis:${a} ${streamArn}`),
          ...decrypt,
          ...["s3:PutObject", "s3:AbortMultipartUpload"].flatMap((a) => [`${a} ${lake}/${LAKE_PREFIXES.raw}*`, `${a} ${lake}/${LAKE_PREFIXES.rawErrors}*`]),
          `s3:GetBucketLocation ${lake}`,
          `s3:ListBucketMultipartUploads ${lake}`,
          ...["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"].flatMap((a) => [`${a} ${fnArn}`, `${a} ${fnArn}:$LATEST`]),
          `logs:PutLogEvents ${str(logGroup.state.arn)}:log-stream:${RAW_ARCHIVE.logStreamName}`,
        ].sort(),
      );
      expect(policyOf(policies[0]!.inputs.policy).Statement.every((st) => st.Effect === "Allow" && !st.Principal)).toBe(true);
    });

    it("gives the transform nothing but its own logs, and lets only Lambda assume its role", () => {
      const s = scenario();
      const fn: RecordedResource = transformOf(s);
      const role = s.ofType(RESOURCE_TYPES.role).find((r) => r.state.arn === fn.inputs.role)!;
      expect(role).toBeDefined();
      // SST always writes an inline policy; with no permissions it has no statement.
      const inline = (role.inputs.inlinePolicies as { policy: string }[] | undefined) ?? [];
      expect(inline.flatMap((p) => policyOf(p.policy).Statement)).toEqual([]);
      expect(role.inputs.managedPolicyArns).toEqual(["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]);
      expect(s.ofType(RESOURCE_TYPES.rolePolicy).filter((p) => String(p.inputs.role).includes(role.name))).toEqual([]);
      expect(policyOf(role.inputs.assumeRolePolicy).Statement.map((st) => st.Principal)).toEqual([{ Service: ["lambda.amazonaws.com"] }]);
      const logGroup = s.one(RESOURCE_TYPES.logGroup, "RawTransform");
      expect(fn.inputs.loggingConfig).toMatchObject({ logGroup: logGroup.inputs.name });
    });

    it("is exported: the delivery stream and transform names", () => {
      const s = scenario();
      expect(s.outputs).toMatchObject({ rawArchiveStream: firehoseOf(s).state.name, rawTransformFunction: transformOf(s).state.name });
    });
  });
}
