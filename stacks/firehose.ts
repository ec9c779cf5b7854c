/**
 * The raw archive (ARCHITECTURE.md "Data flow"): a Firehose delivery stream with the Kinesis stream as its source,
 * the transform Lambda (functions/firehose-transform.ts) as its processor, and an extended S3 destination writing gzip NDJSON under
 * `raw/year=/month=/day=/hour=/` by arrival time, failed records under `raw-errors/<error-output-type>/...`. The
 * prefixes, compression and retries are defined once in packages/core/src/firehose/raw-archive.ts (the local
 * Firehose runs with the same); sizes and intervals come from the stage (`rawArchive`).
 *
 * No dynamic partitioning (see raw-archive.ts): it can only be chosen at creation and never turned off, forbids
 * zero buffering, and plain `!{timestamp:...}` already partitions by arrival hour.
 *
 * IAM, exactly what Firehose does with the role, derived from its call list (packages/core/src/aws-calls/functions.ts,
 * `RawArchive`): read the stream (DescribeStream, GetShardIterator, GetRecords,
 * ListShards; kms:Decrypt only for a customer-managed key), write objects (PutObject, AbortMultipartUpload) under
 * exactly raw/ and raw-errors/ plus the two bucket-level calls its uploads make (GetBucketLocation,
 * ListBucketMultipartUploads), invoke the transform (InvokeFunction, GetFunctionConfiguration) and write its own
 * error log stream. The role trusts firehose.amazonaws.com for this account only (sts:ExternalId, as AWS's
 * generated roles do). The transform's role has only what SST gives every function: its own log group.
 */
import { FIREHOSE } from "@eventlake/core/limits";
import { RAW_ARCHIVE, rawArchiveDeliveryStreamName } from "@eventlake/core/firehose/raw-archive";
import type { StageConfig } from "@eventlake/core/stage-config";
import { callsOf } from "@eventlake/core/aws-calls/functions";
import { firehoseTransformFunction } from "@eventlake/core/functions/firehose-transform";
import { accountValues, grantsFromCalls } from "./iam";
import type { Lake } from "./lake";
import { logRetention, type Stage } from "./stage";
import { streamKmsKeyArn, type Stream } from "./stream";

/**
 * The Lambda processor's parameters. Only values that differ from Firehose's defaults are set, besides the ARN:
 * the provider does not store defaults, so setting them shows a change on every deploy.
 */
export function processorParameters(lambdaArn: $util.Input<string>, rawArchive: StageConfig["rawArchive"]) {
  const parameters: { parameterName: string; parameterValue: $util.Input<string> }[] = [{ parameterName: "LambdaArn", parameterValue: lambdaArn }];
  const optional: [string, number, number][] = [
    ["BufferSizeInMBs", rawArchive.transformBufferSizeMb, FIREHOSE.processorBufferSizeMb.default],
    ["BufferIntervalInSeconds", rawArchive.transformBufferIntervalSeconds, FIREHOSE.processorBufferIntervalSeconds.default],
    ["NumberOfRetries", RAW_ARCHIVE.processorRetries, FIREHOSE.defaultProcessorRetries],
  ];
  for (const [parameterName, value, defaultValue] of optional) {
    if (value !== defaultValue) parameters.push({ parameterName, parameterValue: String(value) });
  }
  return parameters;
}

export interface RawArchiveDeps {
  stream: Stream;
  lake: Lake;
}

export function createRawArchive(stage: Stage, { stream, lake }: RawArchiveDeps) {
  const { rawArchive, ingest } = stage.config;
  const name = rawArchiveDeliveryStreamName(stage.name);

  // No `permissions`: the transform makes no AWS call (its description's call list is empty).
  const transform = new sst.aws.Function(firehoseTransformFunction.id, {
    description: `eventlake ${stage.name}: Firehose record transformation for raw/`,
    handler: firehoseTransformFunction.handler,
    runtime: "nodejs22.x",
    architecture: ingest.architecture,
    memory: `${rawArchive.transformMemoryMb} MB`,
    timeout: `${rawArchive.transformTimeoutSeconds} seconds`,
    logging: { retention: logRetention(ingest.logRetentionDays) },
    environment: firehoseTransformFunction.toEnv({ metricsNamespace: stage.metricsNamespace, logLevel: ingest.logLevel, logEvent: "false" }),
  });
  // Firehose invokes the processor with a qualifier; $LATEST is what an unpublished function runs.
  const lambdaArn = $interpolate`${transform.arn}:$LATEST`;

  // Created ahead: with the API, Firehose logs only to a group and stream that exist.
  const logGroup = new aws.cloudwatch.LogGroup("RawArchiveLogs", {
    name: `/aws/kinesisfirehose/${name}`,
    retentionInDays: ingest.logRetentionDays,
  });
  const logStream = new aws.cloudwatch.LogStream("RawArchiveLogStream", { logGroupName: logGroup.name, name: RAW_ARCHIVE.logStreamName });

  const account = aws.getCallerIdentityOutput({}).accountId;
  const role = new aws.iam.Role("RawArchiveRole", {
    description: `eventlake ${stage.name}: Firehose ${name} (stream -> transform -> raw/)`,
    assumeRolePolicy: aws.iam.getPolicyDocumentOutput({
      statements: [
        {
          effect: "Allow",
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["firehose.amazonaws.com"] }],
          conditions: [{ test: "StringEquals", variable: "sts:ExternalId", values: [account] }],
        },
      ],
    }).json,
  });
  const grants = grantsFromCalls(callsOf("RawArchive"), {
    ...accountValues(),
    streamArn: stream.arn,
    streamKmsKeyArn: streamKmsKeyArn(stage),
    lakeBucket: lake.lake.name,
    transformArn: transform.arn,
    rawArchiveLogGroupArn: logGroup.arn,
    rawArchiveLogStream: logStream.name,
  });
  const policy = new aws.iam.RolePolicy("RawArchivePolicy", {
    role: role.id,
    policy: aws.iam.getPolicyDocumentOutput({
      statements: grants.apply((gs) => gs.map((g) => ({ effect: "Allow", actions: g.actions, resources: g.resources, ...(g.conditions ? { conditions: g.conditions } : {}) }))),
    }).json,
  });

  const deliveryStream = new aws.kinesis.FirehoseDeliveryStream(
    "RawArchive",
    {
      name,
      destination: "extended_s3",
      kinesisSourceConfiguration: { kinesisStreamArn: stream.arn, roleArn: role.arn },
      extendedS3Configuration: {
        roleArn: role.arn,
        bucketArn: lake.lake.arn,
        prefix: RAW_ARCHIVE.prefix,
        errorOutputPrefix: RAW_ARCHIVE.errorOutputPrefix,
        bufferingSize: rawArchive.bufferSizeMb,
        bufferingInterval: rawArchive.bufferIntervalSeconds,
        compressionFormat: RAW_ARCHIVE.compression,
        cloudwatchLoggingOptions: { enabled: true, logGroupName: logGroup.name, logStreamName: logStream.name },
        processingConfiguration: {
          enabled: true,
          processors: [{ type: "Lambda", parameters: processorParameters(lambdaArn, rawArchive) }],
        },
      },
    },
    // Firehose checks its role's access when the stream is created: the policy must exist first.
    { dependsOn: [policy] },
  );

  return { deliveryStream, transform, role, logGroup };
}

export type RawArchive = ReturnType<typeof createRawArchive>;
