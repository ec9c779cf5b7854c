/**
 * Building transform invocations the way Firehose does (aws-contracts.md 3.2, 3.4): the event shape for a Kinesis
 * source, and the split of buffered records into invocations by the processor's buffer-size hint. Firehose does not
 * split by Lambda's request limit (AWS documents no such split): an invocation whose request reaches 6 MB is
 * refused by Lambda (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html) and its records end in
 * the error output. The stage keeps the hint small enough for that never to happen (processor-buffer.ts).
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
  /** Indexes into the input, in order: each group is one invocation Lambda accepts. */
  batches: number[][];
  /** Invocations whose request reaches Lambda's limit: Lambda refuses them, their records fail. */
  tooLarge: { records: number[]; requestBytes: number }[];
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
 * Groups records (in order) into invocations as Firehose does: each closes once its data reaches the buffer-size
 * hint. An invocation whose request would reach Lambda's limit is not split but set apart as refused.
 * `recordBytes[i]` is eventRecordBytes of record i, `dataBytes[i]` its data size.
 */
export function planInvocations(recordBytes: readonly number[], dataBytes: readonly number[], options: PlanOptions): InvocationPlan {
  const maxRequest = options.maxRequestBytes ?? FIREHOSE.maxLambdaPayloadBytes;
  const plan: InvocationPlan = { batches: [], tooLarge: [] };
  let current: number[] = [];
  // The envelope's `"records":[]` plus each record and a comma between records.
  let requestBytes = options.envelopeBytes;
  let data = 0;
  const close = () => {
    if (current.length > 0) {
      if (requestBytes >= maxRequest) plan.tooLarge.push({ records: current, requestBytes });
      else plan.batches.push(current);
    }
    current = [];
    requestBytes = options.envelopeBytes;
    data = 0;
  };
  for (let i = 0; i < recordBytes.length; i++) {
    current.push(i);
    requestBytes += recordBytes[i]! - (current.length === 1 ? 1 : 0);
    data += dataBytes[i] ?? 0;
    if (data >= options.bufferSizeBytes) close();
  }
  close();
  return plan;
}
