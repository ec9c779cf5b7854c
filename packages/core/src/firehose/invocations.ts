/**
 * Building transform invocations the way Firehose does (aws-contracts.md 3.2, 3.4): the event shape for a Kinesis
 * source, and the split of buffered records into invocations that respect both the processor's buffer-size hint and
 * Lambda's synchronous request limit.
 */
import { FIREHOSE } from "../limits";
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

export interface InvocationPlan {
  /** Indexes into the input, in order: each group is one invocation. */
  batches: number[][];
  /** Records that alone make a request over the limit: they cannot be sent. */
  oversized: number[];
}

export interface PlanOptions {
  /** JSON bytes of the envelope (envelopeBytes). */
  envelopeBytes: number;
  /** Largest request, exclusive: Lambda needs it smaller than 6 MiB. */
  maxRequestBytes?: number;
  /** The processor's BufferSizeInMBs, in bytes of record data: an invocation is closed once it reaches this. */
  bufferSizeBytes: number;
}

/**
 * Splits records (in order) into invocations: each closes once its data reaches the buffer-size hint, and no
 * request reaches the Lambda limit. `recordBytes[i]` is eventRecordBytes of record i, `dataBytes[i]` its data size.
 */
export function planInvocations(recordBytes: readonly number[], dataBytes: readonly number[], options: PlanOptions): InvocationPlan {
  const maxRequest = options.maxRequestBytes ?? FIREHOSE.maxLambdaPayloadBytes;
  const batches: number[][] = [];
  const oversized: number[] = [];
  let current: number[] = [];
  let requestBytes = options.envelopeBytes;
  let data = 0;
  const close = () => {
    if (current.length > 0) batches.push(current);
    current = [];
    requestBytes = options.envelopeBytes;
    data = 0;
  };
  for (let i = 0; i < recordBytes.length; i++) {
    const size = recordBytes[i]!;
    if (options.envelopeBytes + size - 1 >= maxRequest) {
      oversized.push(i);
      continue;
    }
    if (requestBytes + size - (current.length === 0 ? 1 : 0) >= maxRequest) close();
    current.push(i);
    requestBytes += size - (current.length === 1 ? 1 : 0);
    data += dataBytes[i] ?? 0;
    if (data >= options.bufferSizeBytes) close();
  }
  close();
  return { batches, oversized };
}
