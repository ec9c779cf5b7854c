/**
 * Grouping buffered records into transform invocations the way Firehose does: each invocation closes once its
 * record data reaches the processor's buffer-size hint. Firehose does not split by Lambda's request limit (AWS
 * documents no such split): an invocation whose request reaches 6 MB is refused by Lambda
 * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html) and its records end in the error
 * output. The stage keeps the hint small enough for that never to happen
 * (packages/core/src/firehose/processor-buffer.ts).
 */
import { FIREHOSE } from "@eventlake/core/limits";

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
