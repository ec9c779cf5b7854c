/**
 * The transform invocation's event for a Kinesis source, as Firehose builds it
 * (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html), and its size in bytes: the stage
 * sizes the processor buffer from it (processor-buffer.ts) and the local Firehose sends it
 * (packages/emulators/src/firehose/invocation-plan.ts groups records into invocations).
 */
import { encodeBase64 } from "./base64";
import type { FirehoseTransformEvent, FirehoseTransformEventRecord } from "./contract";

/** One de-aggregated user record read from a Kinesis shard. */
export interface SourceRecord {
  shardId: string;
  partitionKey: string;
  sequenceNumber: string;
  /** Position inside a KPL aggregate (0 for a record that was not aggregated). */
  subsequenceNumber: number;
  /** Kinesis's approximate arrival time, epoch ms. */
  arrivalMs: number;
  data: Uint8Array;
}

/**
 * The recordId Firehose gives a record. Opaque to the transform; here, as in captured real events, the sequence
 * number followed by six digits (the subsequence number), so it is unique per stream and stable across retries.
 */
export function recordIdOf(record: Pick<SourceRecord, "sequenceNumber" | "subsequenceNumber">): string {
  return `${record.sequenceNumber}${String(record.subsequenceNumber).padStart(6, "0")}`;
}

export function eventRecordOf(record: SourceRecord): FirehoseTransformEventRecord {
  return {
    recordId: recordIdOf(record),
    approximateArrivalTimestamp: record.arrivalMs,
    data: encodeBase64(record.data),
    kinesisRecordMetadata: {
      shardId: record.shardId,
      partitionKey: record.partitionKey,
      approximateArrivalTimestamp: record.arrivalMs,
      sequenceNumber: record.sequenceNumber,
      subsequenceNumber: record.subsequenceNumber,
    },
  };
}

export interface InvocationEnvelope {
  invocationId: string;
  deliveryStreamArn: string;
  sourceKinesisStreamArn: string;
  region: string;
}

export function transformEvent(envelope: InvocationEnvelope, records: FirehoseTransformEventRecord[]): FirehoseTransformEvent {
  return {
    invocationId: envelope.invocationId,
    deliveryStreamArn: envelope.deliveryStreamArn,
    sourceKinesisStreamArn: envelope.sourceKinesisStreamArn,
    region: envelope.region,
    records,
  };
}

/** Bytes of the event's JSON without records: the envelope and `"records":[]`. */
export function envelopeBytes(envelope: InvocationEnvelope): number {
  return Buffer.byteLength(JSON.stringify(transformEvent(envelope, [])));
}

/** Bytes one record adds to the event's JSON (its JSON plus a separating comma). */
export function eventRecordBytes(record: FirehoseTransformEventRecord): number {
  return Buffer.byteLength(JSON.stringify(record)) + 1;
}
