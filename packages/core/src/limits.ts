/**
 * AWS service limits that the pipeline depends on, defined once.
 * Sources: ../shared/reference/aws-contracts.md (section numbers in comments).
 */
export const KINESIS = {
  /** PutRecords: records per call (1.1). */
  maxRecordsPerPutRecords: 500,
  /** PutRecords: whole request, data + partition keys (1.1). */
  maxPutRecordsRequestBytes: 10 * 1024 * 1024,
  /** One record, data + partition key, at the default MaxRecordSize (1.1). */
  maxRecordBytes: 1024 * 1024,
  /** Partition key length in Unicode characters (1.1). */
  maxPartitionKeyChars: 256,
  /** Per-shard write limits, both capacity modes (1.1). */
  shardWriteBytesPerSecond: 1024 * 1024,
  shardWriteRecordsPerSecond: 1000,
  /** Per-shard read limits (1.3). */
  shardReadBytesPerSecond: 2 * 1024 * 1024,
  shardReadTransactionsPerSecond: 5,
  maxRecordsPerGetRecords: 10_000,
  /** Provisioned billing unit (1.8). */
  putPayloadUnitBytes: 25 * 1024,
  /** UpdateShardCount (1.5). */
  maxScalingCallsPer24h: 10,
  maxShardsPerStream: 10_000,
  /** The MD5 hash key space: [0, 2^128 - 1]. */
  maxHashKey: (1n << 128n) - 1n,
} as const;

/** KPL's default aggregation size (peers-and-complaints.md: KPL defaults). */
export const KPL_DEFAULT_MAX_AGGREGATED_BYTES = 51_200;

export const FIREHOSE = {
  /** Synchronous Lambda invocation payload limit, request and response (3.4). */
  maxLambdaPayloadBytes: 6 * 1024 * 1024,
  /** Measured: a synchronous invocation's response may be up to 6,291,556 bytes (5, [L11]). */
  maxLambdaResponseBytes: 6_291_556,
  defaultProcessorRetries: 3,
  /** Processor (transform) buffering hints: 0.2-3 MB, 0-900 s; defaults 1 MB / 60 s (3.4). */
  processorBufferSizeMb: { min: 0.2, max: 3, default: 1 },
  processorBufferIntervalSeconds: { min: 0, max: 900, default: 60 },
  /** S3 destination buffering hints: 1-128 MB, 0-900 s; defaults 5 MB / 300 s (3.5). */
  destinationBufferSizeMb: { min: 1, max: 128, default: 5 },
  destinationBufferIntervalSeconds: { min: 0, max: 900, default: 300 },
  /** Firehose gives a transform Lambda at most 5 minutes (3.4). */
  maxTransformTimeoutSeconds: 300,
  /** Prefix and ErrorOutputPrefix, each, after evaluation (3.6). */
  maxEvaluatedPrefixChars: 512,
  /** Prefix and ErrorOutputPrefix as configured (API length constraint). */
  maxConfiguredPrefixChars: 1024,
  /** `!{firehose:random-string}` (3.6). */
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
