/**
 * Pulumi type tokens of the resources the stacks create, named once for every infrastructure assertion module, and
 * the helper that adds a module's resources to a stage's expected inventory.
 */
export const RESOURCE_TYPES = {
  topic: "aws:sns/topic:Topic",
  topicPolicy: "aws:sns/topicPolicy:TopicPolicy",
  subscription: "aws:sns/topicSubscription:TopicSubscription",
  bucket: "aws:s3/bucket:Bucket",
  publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  versioning: "aws:s3/bucketVersioning:BucketVersioning",
  object: "aws:s3/bucketObjectv2:BucketObjectv2",
  stream: "aws:kinesis/stream:Stream",
  firehose: "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
  randomBytes: "random:index/randomBytes:RandomBytes",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  fn: "aws:lambda/function:Function",
  permission: "aws:lambda/permission:Permission",
  invocation: "aws:lambda/invocation:Invocation",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  logStream: "aws:cloudwatch/logStream:LogStream",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  dashboard: "aws:cloudwatch/dashboard:Dashboard",
  schedule: "aws:scheduler/schedule:Schedule",
  api: "aws:apigatewayv2/api:Api",
  apiStage: "aws:apigatewayv2/stage:Stage",
  route: "aws:apigatewayv2/route:Route",
  integration: "aws:apigatewayv2/integration:Integration",
  database: "aws:glue/catalogDatabase:CatalogDatabase",
  table: "aws:glue/catalogTable:CatalogTable",
  glueJob: "aws:glue/job:Job",
  workgroup: "aws:athena/workgroup:Workgroup",
} as const;

/** Adds a module's resource counts (by type) to an expected inventory. */
export function addCounts(expected: Record<string, number>, counts: Readonly<Record<string, number>>): Record<string, number> {
  const out = { ...expected };
  for (const [type, n] of Object.entries(counts)) out[type] = (out[type] ?? 0) + n;
  return out;
}
