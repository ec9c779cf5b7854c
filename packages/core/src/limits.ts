/**
 * AWS service limits that the pipeline depends on, defined once, each with the AWS page that states it.
 * Kinesis: PutRecords (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html) and the quotas
 * page (https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html), unless noted.
 */
export const KINESIS = {
  /** PutRecords: records per call. */
  maxRecordsPerPutRecords: 500,
  /** PutRecords: whole request, data + partition keys. */
  maxPutRecordsRequestBytes: 10 * 1024 * 1024,
  /** One record, data + partition key, at the default MaxRecordSize (https://docs.aws.amazon.com/streams/latest/dev/large-records.html). */
  maxRecordBytes: 1024 * 1024,
  /** Partition key length in Unicode characters (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecordsRequestEntry.html). */
  maxPartitionKeyChars: 256,
  /** Per-shard write limits, both capacity modes. */
  shardWriteBytesPerSecond: 1024 * 1024,
  shardWriteRecordsPerSecond: 1000,
  /** Per-shard read limits (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetRecords.html). */
  shardReadBytesPerSecond: 2 * 1024 * 1024,
  shardReadTransactionsPerSecond: 5,
  maxRecordsPerGetRecords: 10_000,
  /** Provisioned mode's billing unit, the PUT payload unit (https://aws.amazon.com/kinesis/data-streams/pricing/). */
  putPayloadUnitBytes: 25 * 1024,
  /** UpdateShardCount's limits (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_UpdateShardCount.html). */
  maxScalingCallsPer24h: 10,
  maxShardsPerStream: 10_000,
  /** The MD5 hash key space: [0, 2^128 - 1]. */
  maxHashKey: (1n << 128n) - 1n,
} as const;

/**
 * The Kinesis Producer Library's default AggregationMaxSize (KinesisProducerConfiguration in
 * https://github.com/awslabs/amazon-kinesis-producer): the aggregate size producers written with the KPL emit.
 */
export const KPL_DEFAULT_MAX_AGGREGATED_BYTES = 51_200;

export const FIREHOSE = {
  /**
   * Synchronous Lambda invocation payload limit, request and response, which bounds every transform invocation
   * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html,
   * https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html).
   */
  maxLambdaPayloadBytes: 6 * 1024 * 1024,
  /**
   * The exact response limit, 100 bytes over 6 MiB: Lambda's own error names it ("Response payload size exceeded
   * maximum allowed payload size (6291556 bytes)"), measured in
   * https://zaccharles.medium.com/deep-dive-lambdas-response-payload-size-limit-8aedba9530ed.
   */
  maxLambdaResponseBytes: 6_291_556,
  defaultProcessorRetries: 3,
  /**
   * Processor (transform) buffering hints: 0.2-3 MB, 0-900 s; defaults 1 MB / 60 s
   * (https://docs.aws.amazon.com/firehose/latest/APIReference/API_ProcessorParameter.html).
   */
  processorBufferSizeMb: { min: 0.2, max: 3, default: 1 },
  processorBufferIntervalSeconds: { min: 0, max: 900, default: 60 },
  /** S3 destination buffering hints: 1-128 MB, 0-900 s; defaults 5 MB / 300 s (https://docs.aws.amazon.com/firehose/latest/APIReference/API_BufferingHints.html). */
  destinationBufferSizeMb: { min: 1, max: 128, default: 5 },
  destinationBufferIntervalSeconds: { min: 0, max: 900, default: 300 },
  /** Firehose gives a transform Lambda at most 5 minutes (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html). */
  maxTransformTimeoutSeconds: 300,
  /** Prefix and ErrorOutputPrefix, each, after evaluation (https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html). */
  maxEvaluatedPrefixChars: 512,
  /** Prefix and ErrorOutputPrefix as configured (API length constraint). */
  maxConfiguredPrefixChars: 1024,
  /** `!{firehose:random-string}` (https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html). */
  randomStringChars: 11,
  /** Delivery stream names: 1-64 of [a-zA-Z0-9_.-]. */
  maxDeliveryStreamNameChars: 64,
} as const;

/**
 * API Gateway's default account-level throttling quotas per Region (HTTP and REST APIs share them): 10,000 requests
 * per second, burst 5,000 (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html). A stage limit
 * above them is never the one that applies.
 */
export const API_GATEWAY = {
  accountRateLimit: 10_000,
  accountBurstLimit: 5_000,
} as const;
