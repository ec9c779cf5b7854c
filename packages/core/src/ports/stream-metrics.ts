/**
 * The stream-metrics port the shard autoscaler (packages/core/src/autoscaler) reads demand from: CloudWatch on AWS
 * (packages/adapters/src/cloudwatch-stream-metrics.ts), the local stream layer's samples locally.
 */

/** Complete metric periods of a stream in [startMs, endMs), aligned to the period. */
export interface StreamMetricsQuery {
  streamName: string;
  startMs: number;
  endMs: number;
  periodSeconds: number;
}

/**
 * One metric period of the stream: Kinesis's stream-level metrics in the AWS/Kinesis namespace
 * (https://docs.aws.amazon.com/streams/latest/dev/monitoring-with-cloudwatch.html).
 */
export interface StreamDatapoint {
  startMs: number;
  periodSeconds: number;
  /** IncomingBytes, Sum: bytes written (admitted). */
  incomingBytes: number;
  /** IncomingRecords, Sum: records written (admitted). */
  incomingRecords: number;
  /** WriteProvisionedThroughputExceeded, Sum: records refused by throttling. */
  throttledRecords: number;
  /** GetRecords.IteratorAgeMilliseconds, Maximum; undefined when no consumer polled in the period. */
  iteratorAgeMs?: number;
}

/**
 * The stream's write metrics per period (IncomingBytes, IncomingRecords, WriteProvisionedThroughputExceeded: Sum;
 * GetRecords.IteratorAgeMilliseconds: Maximum). Periods with no writes come back as zeros; only complete periods
 * are returned.
 */
export interface StreamMetricsSource {
  read(query: StreamMetricsQuery): Promise<StreamDatapoint[]>;
}
