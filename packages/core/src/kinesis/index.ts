export { hashKeyOf, parseExplicitHashKey, effectiveHashKey, InvalidExplicitHashKeyError } from "./hash-key";
export {
  aggregate,
  deaggregate,
  isAggregated,
  encodeAggregatedRecord,
  aggregatedSize,
  RecordTooLargeError,
  KPL_FRAMING_BYTES,
} from "./kpl";
export type { UserRecord, KinesisPutEntry, AggregateOptions } from "./kpl";
export {
  planPutRecordsBatches,
  splitPutRecordsBatches,
  putRecordsEntrySize,
  PutRecordsEntryTooLargeError,
  DEFAULT_PUT_RECORDS_LIMITS,
} from "./put-batches";
export type { PutRecordsEntryLike, PutRecordsLimits } from "./put-batches";
export { DEFAULT_RETRY_POLICY, backoffDelayMs, decideRetry, failedEntryIndexes, isRetryableCallError } from "./retry-policy";
export type { RetryPolicy, RetryDecision } from "./retry-policy";
export { findShardIndex, sortShardMap } from "./shard-map";
export type { ShardRange } from "./shard-map";
