/**
 * How large the transform's processor buffer (Firehose `BufferSizeInMBs`) may be so that no invocation request
 * reaches Lambda's 6 MB synchronous payload limit (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
 * Lambda refuses a larger request outright; Firehose retries and then sends the whole buffer to raw-errors/.
 *
 * The hint counts record data, but the request carries each record base64-encoded (4/3) inside a JSON object with
 * its recordId and `kinesisRecordMetadata` (measured with the real event shape, not guessed), and Firehose closes a
 * buffer only once its data reaches the hint, so the last record can overshoot it by up to the largest record. The
 * worst case is a hint's worth of the smallest records (most metadata per byte), then one largest record:
 *
 *   request <= envelope + (hint + largest) * 4/3 + (ceil(hint / smallest) + 1) * (metadata + base64 padding)
 */
import { FIREHOSE, KINESIS } from "../limits";
import { envelopeBytes, eventRecordBytes, eventRecordOf } from "./invocations";

export interface TransformRecordLimits {
  /** The largest record data the stream can carry to Firehose (a canonical event of the largest accepted event). */
  largestRecordBytes: number;
  /** The smallest record data: the shortest canonical event. */
  smallestRecordBytes: number;
}

const MB = 1024 * 1024;

/** JSON bytes of one event record around its data, at its largest (longest partition key and sequence number). */
export function maxRecordMetadataBytes(): number {
  const record = eventRecordOf({
    shardId: "shardId-999999999999",
    partitionKey: "k".repeat(KINESIS.maxPartitionKeyChars),
    sequenceNumber: "9".repeat(56),
    subsequenceNumber: 999_999,
    arrivalMs: 9_999_999_999_999,
    data: new Uint8Array(0),
  });
  return eventRecordBytes(record);
}

/** The invocation envelope at its largest (longest stream names and region). */
export function maxEnvelopeBytes(): number {
  return envelopeBytes({
    invocationId: "00000000-0000-0000-0000-000000000000",
    deliveryStreamArn: `arn:aws-us-gov:firehose:ap-southeast-4:123456789012:deliverystream/${"x".repeat(FIREHOSE.maxDeliveryStreamNameChars)}`,
    sourceKinesisStreamArn: `arn:aws-us-gov:kinesis:ap-southeast-4:123456789012:stream/${"x".repeat(128)}`,
    region: "ap-southeast-4",
  });
}

/** The largest invocation request a processor buffer of `bufferMb` can produce with these records. */
export function worstCaseTransformRequestBytes(bufferMb: number, limits: TransformRecordLimits): number {
  const hint = bufferMb * MB;
  const data = hint + limits.largestRecordBytes;
  const records = Math.ceil(hint / limits.smallestRecordBytes) + 1;
  // base64: 4 characters per 3 bytes, padded per record to a multiple of 4 (at most 2 more characters each).
  return maxEnvelopeBytes() + Math.ceil((data * 4) / 3) + records * (maxRecordMetadataBytes() + 2);
}

/**
 * The largest processor buffer (in 0.1 MB steps, within Firehose's 0.2-3 MB) whose worst-case request stays under
 * Lambda's limit; undefined when even the minimum does not (the records are too small or too large for Firehose).
 */
export function maxProcessorBufferMb(limits: TransformRecordLimits): number | undefined {
  let best: number | undefined;
  for (let tenths = Math.round(FIREHOSE.processorBufferSizeMb.min * 10); tenths <= FIREHOSE.processorBufferSizeMb.max * 10; tenths++) {
    const mb = tenths / 10;
    if (worstCaseTransformRequestBytes(mb, limits) < FIREHOSE.maxLambdaPayloadBytes) best = mb;
  }
  return best;
}

/**
 * The smallest record the ingest function writes to the stream: a canonical event with one-character ids is about
 * 197 bytes, a bad row is larger (test/: firehose-processor-buffer.test.ts measures both against this floor).
 */
export const MIN_STREAM_RECORD_BYTES = 180;

/**
 * The records the stream carries to Firehose. The largest is Kinesis's record limit, not the ingest's per-event
 * limit: a batch's outer `context` is merged into each canonical event after that limit is checked, so a canonical
 * event is only bounded by the record size.
 */
export const STREAM_RECORD_LIMITS: TransformRecordLimits = {
  largestRecordBytes: KINESIS.maxRecordBytes,
  smallestRecordBytes: MIN_STREAM_RECORD_BYTES,
};
