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
  defaultProcessorRetries: 3,
} as const;
