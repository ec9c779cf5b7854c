/**
 * Every AWS call each deployed function makes, and the calls Firehose makes with the raw archive's role. The Glue
 * job's calls live next to its runner (glue/runner/aws_calls.json) because its Python tests check them against the
 * job script. The stacks grant exactly these (stacks/iam.ts `grantsFromCalls`); test/infra/iam-simulation.ts
 * evaluates every role's synthesized policies against them.
 *
 * Keyed by the function's logical name in the stacks; each function's description (packages/core/src/functions/)
 * takes its list from here by that key.
 */
import { LAKE_PREFIXES } from "../stage-config";
import type { AwsCall, RoleCalls } from "./model";

const STREAM = "{streamArn}";
const LAKE = "arn:{partition}:s3:::{lakeBucket}";
const ASSETS = "arn:{partition}:s3:::{assetsBucket}";
const JOB = "arn:{partition}:glue:{region}:{account}:job/{glueJobName}";

const ingest: AwsCall[] = [
  { operation: "Kinesis PutRecords", action: "kinesis:PutRecords", resource: STREAM, by: "packages/adapters/src/kinesis-stream-writer.ts" },
  // The writer packs KPL aggregates per shard: it needs the shard map.
  { operation: "Kinesis ListShards", action: "kinesis:ListShards", resource: STREAM, by: "packages/adapters/src/kinesis-shard-map.ts" },
  {
    operation: "Kinesis PutRecords on a stream encrypted with a customer-managed key",
    action: "kms:GenerateDataKey",
    resource: "{streamKmsKeyArn}",
    onlyWith: "streamKmsKeyArn",
    by: "packages/adapters/src/kinesis-stream-writer.ts",
  },
  {
    operation: "S3 PutObject (fallback when Kinesis refuses)",
    action: "s3:PutObject",
    resource: `${LAKE}/${LAKE_PREFIXES.fallback}*`,
    by: "the ingest handler's fallback store (packages/adapters/src/s3-object-store.ts)",
  },
];

const autoscaler: AwsCall[] = [
  // GetMetricData has no resource type: AWS only accepts "*".
  { operation: "CloudWatch GetMetricData", action: "cloudwatch:GetMetricData", resource: "*", by: "packages/adapters/src/cloudwatch-stream-metrics.ts" },
  { operation: "Kinesis DescribeStreamSummary", action: "kinesis:DescribeStreamSummary", resource: STREAM, by: "packages/adapters/src/kinesis-stream-control.ts" },
  // UpdateShardCount has no resource type in the Service Authorization Reference: IAM only matches it on "*"
  // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkinesisdatastreams.html); a grant
  // on the stream's ARN is refused on AWS. The autoscaler names its stream in the call; IAM cannot narrow it.
  { operation: "Kinesis UpdateShardCount", action: "kinesis:UpdateShardCount", resource: "*", by: "packages/adapters/src/kinesis-stream-control.ts" },
  // An account-level call with no resource type.
  { operation: "Kinesis DescribeLimits", action: "kinesis:DescribeLimits", resource: "*", by: "packages/adapters/src/kinesis-stream-control.ts" },
  { operation: "SNS Publish", action: "sns:Publish", resource: "{alarmTopicArn}", by: "packages/adapters/src/sns-notifier.ts" },
  {
    operation: "S3 GetObject of its state file (absent on the first run)",
    action: "s3:GetObject",
    resource: `${ASSETS}/{autoscalerStateKey}`,
    readsMaybeMissingKey: true,
    by: "the autoscaler handler's state store (packages/adapters/src/s3-object-store.ts)",
  },
  { operation: "S3 PutObject of its state file", action: "s3:PutObject", resource: `${ASSETS}/{autoscalerStateKey}`, by: "the autoscaler handler's state store (packages/adapters/src/s3-object-store.ts)" },
];

const CURATED = `${LAKE}/${LAKE_PREFIXES.curated}*`;
const compactor: AwsCall[] = [
  {
    operation: "S3 ListObjectsV2 of curated partitions and compaction intents",
    action: "s3:ListBucket",
    resource: LAKE,
    context: { "s3:prefix": `${LAKE_PREFIXES.curated}*` },
    by: "packages/adapters/src/compaction/s3-compaction-store.ts",
  },
  {
    operation: "S3 HeadObject/GetObject of merge outputs and intents (checked before they exist)",
    action: "s3:GetObject",
    resource: CURATED,
    readsMaybeMissingKey: true,
    by: "packages/adapters/src/compaction/s3-compaction-store.ts",
  },
  { operation: "S3 PutObject and multipart uploads of merged files", action: "s3:PutObject", resource: CURATED, by: "packages/adapters/src/compaction/s3-compaction-store.ts" },
  { operation: "S3 DeleteObjects of merged inputs", action: "s3:DeleteObject", resource: CURATED, by: "packages/adapters/src/compaction/s3-compaction-store.ts" },
  { operation: "S3 AbortMultipartUpload of a failed merge", action: "s3:AbortMultipartUpload", resource: CURATED, by: "packages/adapters/src/compaction/s3-compaction-store.ts" },
];

const watchdog: AwsCall[] = [
  { operation: "Glue GetJobRuns", action: "glue:GetJobRuns", resource: JOB, by: "packages/adapters/src/glue-job-control.ts" },
  { operation: "Glue StartJobRun", action: "glue:StartJobRun", resource: JOB, by: "packages/adapters/src/glue-job-control.ts" },
  { operation: "SNS Publish", action: "sns:Publish", resource: "{alarmTopicArn}", by: "packages/adapters/src/sns-notifier.ts" },
];

const curationStarter: AwsCall[] = [
  { operation: "Glue GetJob", action: "glue:GetJob", resource: JOB, by: "packages/adapters/src/glue-job-control.ts" },
  { operation: "Glue GetJobRuns", action: "glue:GetJobRuns", resource: JOB, by: "packages/adapters/src/glue-job-control.ts" },
  { operation: "Glue StartJobRun", action: "glue:StartJobRun", resource: JOB, by: "packages/adapters/src/glue-job-control.ts" },
  { operation: "Glue BatchStopJobRun", action: "glue:BatchStopJobRun", resource: JOB, by: "packages/adapters/src/glue-job-control.ts" },
];

/**
 * What Firehose does with the raw archive's role (https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html):
 * read the stream, invoke the transform, upload to raw/ and raw-errors/, log delivery errors.
 */
const FIREHOSE = "Firehose (the raw archive's delivery stream)";
const rawArchive: AwsCall[] = [
  ...["DescribeStream", "GetShardIterator", "GetRecords", "ListShards"].map(
    (op): AwsCall => ({ operation: `Kinesis ${op}`, action: `kinesis:${op}`, resource: STREAM, by: FIREHOSE }),
  ),
  { operation: "Kinesis GetRecords on a customer-managed key", action: "kms:Decrypt", resource: "{streamKmsKeyArn}", onlyWith: "streamKmsKeyArn", by: FIREHOSE },
  ...[LAKE_PREFIXES.raw, LAKE_PREFIXES.rawErrors].flatMap((prefix): AwsCall[] => [
    { operation: `S3 PutObject under ${prefix}`, action: "s3:PutObject", resource: `${LAKE}/${prefix}*`, by: FIREHOSE },
    { operation: `S3 AbortMultipartUpload under ${prefix}`, action: "s3:AbortMultipartUpload", resource: `${LAKE}/${prefix}*`, by: FIREHOSE },
  ]),
  { operation: "S3 GetBucketLocation", action: "s3:GetBucketLocation", resource: LAKE, by: FIREHOSE },
  { operation: "S3 ListBucketMultipartUploads", action: "s3:ListBucketMultipartUploads", resource: LAKE, by: FIREHOSE },
  ...["{transformArn}", "{transformArn}:$LATEST"].flatMap((fn): AwsCall[] => [
    { operation: "Lambda Invoke (the transform)", action: "lambda:InvokeFunction", resource: fn, by: FIREHOSE },
    { operation: "Lambda GetFunctionConfiguration", action: "lambda:GetFunctionConfiguration", resource: fn, by: FIREHOSE },
  ]),
  {
    operation: "CloudWatch Logs PutLogEvents (delivery errors)",
    action: "logs:PutLogEvents",
    resource: "{rawArchiveLogGroupArn}:log-stream:{rawArchiveLogStream}",
    by: FIREHOSE,
  },
];

/** The roles and their calls, by the logical name the stacks give the function or role. */
export const FUNCTION_CALLS = {
  Ingest: { id: "Ingest", kind: "function", calls: ingest },
  /** The Firehose transform makes no AWS call (its logs and EMF metrics go to stdout). */
  RawTransform: { id: "RawTransform", kind: "function", calls: [] },
  Autoscaler: { id: "Autoscaler", kind: "function", calls: autoscaler },
  Compactor: { id: "Compactor", kind: "function", calls: compactor },
  Watchdog: { id: "Watchdog", kind: "function", calls: watchdog },
  CurationStarter: { id: "CurationStarter", kind: "function", calls: curationStarter },
  RawArchive: { id: "RawArchive", kind: "service", calls: rawArchive },
} as const satisfies Record<string, RoleCalls>;

export type FunctionId = keyof typeof FUNCTION_CALLS;

/** The calls of one function or service role. */
export function callsOf(id: FunctionId): readonly AwsCall[] {
  return FUNCTION_CALLS[id].calls;
}
