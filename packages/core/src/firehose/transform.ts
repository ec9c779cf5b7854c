/**
 * The raw-archive transform: one Firehose transformation event in, the response Firehose expects out
 * (./contract.ts; https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html). Every recordId is echoed exactly once, in input order. A record that is a canonical
 * event or a bad row is `Ok` with its own bytes plus "\n" (byte-faithful NDJSON); anything else is
 * `ProcessingFailed` (Firehose then writes its original bytes to the error output: nothing vanishes). Nothing is
 * `Dropped`. No dynamic partitioning, so no metadata.
 *
 * The response is never larger than Lambda's synchronous limit: each answer is at most 4 base64 characters longer
 * than the record's data and carries no Kinesis metadata, so it is smaller than the request Firehose sent (itself
 * within the limit). The size is still computed and checked; over it, TransformResponseTooLargeError fails the
 * invocation (Firehose retries, then writes the whole batch to the error output) rather than answer something
 * Lambda would refuse.
 */
import { FIREHOSE } from "../limits";
import { archiveLine, judgeArchiveRecord, type ArchiveRecordProblem } from "./archive-record";
import { decodeBase64, encodeBase64 } from "./base64";
import type { FirehoseTransformEvent, FirehoseTransformResponse, FirehoseTransformResponseRecord } from "./contract";

/** The event is not a Firehose transformation event (no records array, a record without a recordId). */
export class InvalidTransformEventError extends Error {
  override readonly name = "InvalidTransformEventError";
}

export class TransformResponseTooLargeError extends Error {
  override readonly name = "TransformResponseTooLargeError";
  constructor(
    readonly responseBytes: number,
    readonly limitBytes: number,
  ) {
    super(`the transform response would be ${responseBytes} bytes, over Lambda's ${limitBytes}-byte limit`);
  }
}

export interface TransformSummary {
  records: number;
  ok: number;
  processingFailed: number;
  failedByProblem: Partial<Record<ArchiveRecordProblem, number>>;
  kinds: { event: number; bad_row: number };
  /** Decoded bytes received and archive bytes answered (Ok records, newline included). */
  bytesIn: number;
  bytesOut: number;
  /** Size of the response as JSON. */
  responseBytes: number;
}

export interface TransformOutcome {
  response: FirehoseTransformResponse;
  summary: TransformSummary;
}

/** Bytes one answer adds to the JSON response: {"recordId":...,"result":"...","data":"..."} plus a comma. */
function answerBytes(record: FirehoseTransformResponseRecord): number {
  return Buffer.byteLength(JSON.stringify(record.recordId)) + record.result.length + record.data.length + 36;
}

function assertEvent(event: unknown): asserts event is FirehoseTransformEvent {
  const records = (event as { records?: unknown } | null)?.records;
  if (!Array.isArray(records)) throw new InvalidTransformEventError("not a Firehose transformation event: no records array");
  for (let i = 0; i < records.length; i++) {
    const id = (records[i] as { recordId?: unknown } | null)?.recordId;
    if (typeof id !== "string" || id === "") throw new InvalidTransformEventError(`record ${i} has no recordId`);
  }
}

export function transformRecords(event: unknown, limitBytes: number = FIREHOSE.maxLambdaResponseBytes): TransformOutcome {
  assertEvent(event);
  const summary: TransformSummary = {
    records: event.records.length,
    ok: 0,
    processingFailed: 0,
    failedByProblem: {},
    kinds: { event: 0, bad_row: 0 },
    bytesIn: 0,
    bytesOut: 0,
    // {"records":[]} plus, per answer, its JSON and a comma (one comma fewer than answers).
    responseBytes: event.records.length > 0 ? 13 : 14,
  };
  const records: FirehoseTransformResponseRecord[] = new Array<FirehoseTransformResponseRecord>(event.records.length);
  const fail = (recordId: string, data: string, problem: ArchiveRecordProblem): FirehoseTransformResponseRecord => {
    summary.processingFailed++;
    summary.failedByProblem[problem] = (summary.failedByProblem[problem] ?? 0) + 1;
    return { recordId, result: "ProcessingFailed", data };
  };
  for (let i = 0; i < event.records.length; i++) {
    const input = event.records[i]!;
    const data = typeof input.data === "string" ? input.data : undefined;
    const bytes = data === undefined ? undefined : decodeBase64(data);
    let answer: FirehoseTransformResponseRecord;
    if (bytes === undefined) {
      // Not base64 (Firehose never sends that): answer empty data, which is valid base64; Firehose keeps the original.
      answer = fail(input.recordId, "", "invalid_base64");
    } else {
      summary.bytesIn += bytes.byteLength;
      const verdict = judgeArchiveRecord(bytes);
      if (verdict.ok) {
        const line = archiveLine(bytes);
        summary.ok++;
        summary.kinds[verdict.kind]++;
        summary.bytesOut += line.byteLength;
        answer = { recordId: input.recordId, result: "Ok", data: encodeBase64(line) };
      } else {
        answer = fail(input.recordId, data!, verdict.problem);
      }
    }
    summary.responseBytes += answerBytes(answer);
    records[i] = answer;
  }
  if (summary.responseBytes > limitBytes) throw new TransformResponseTooLargeError(summary.responseBytes, limitBytes);
  return { response: { records }, summary };
}
