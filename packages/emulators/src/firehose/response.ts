/**
 * Judges a transform's answer the way Firehose does (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-status-model.html,
 * https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-failure-handling.html), for
 * the local Firehose and for contract tests.
 *
 * Whole invocation:
 *   - a response larger than Lambda's synchronous limit is not a response at all: Lambda fails the invocation, so
 *     Firehose retries it and then writes the batch to the error output as Lambda.FunctionError (responseIsTooLarge);
 *   - a response that is not `{records: [...]}`: every record fails with Lambda.JsonProcessingException.
 * Per record, in input order:
 *   - returned once with a valid answer: Ok (delivered, with its decoded data), Dropped (a success, nothing
 *     delivered) or ProcessingFailed (error output, Lambda.ProcessingFailed);
 *   - returned more than once: Lambda.DuplicatedRecordId;
 *   - not returned (a missing recordId, or too few answers): Lambda.MissingRecordId;
 *   - returned without a valid `result`, without base64 `data`, or with malformed `metadata`:
 *     Lambda.JsonProcessingException.
 * Answers whose recordId was not in the batch (extra records, or too many answers) cannot be delivered: Firehose
 * has no source record for them. They are reported (extraRecordIds, returnedCount) and otherwise ignored, which
 * leaves every input record with exactly one verdict, so nothing is delivered twice and nothing vanishes.
 * Failed records are never retried by another invocation: the judgement is final, like Firehose's.
 */
import { FIREHOSE } from "@eventlake/core/limits";
import { decodeBase64 } from "@eventlake/core/firehose/base64";
import { PROCESSING_ERRORS, TRANSFORM_RESULTS, type ProcessingError, type TransformResult } from "@eventlake/core/firehose/contract";

export type RecordVerdict =
  | { recordId: string; outcome: "ok"; data: Uint8Array }
  | { recordId: string; outcome: "dropped" }
  | { recordId: string; outcome: "failed"; error: ProcessingError };

export interface ResponseJudgement {
  /** One verdict per input record, in input order. */
  verdicts: RecordVerdict[];
  /** recordIds answered that were not in the batch. */
  extraRecordIds: string[];
  returnedCount: number;
  expectedCount: number;
  /** Why the response as a whole was refused (every record then failed with Lambda.JsonProcessingException). */
  malformed?: string;
}

/** True when Lambda would have refused to return a response of this size (the invocation fails). */
export function responseIsTooLarge(responseBytes: number, limitBytes: number = FIREHOSE.maxLambdaResponseBytes): boolean {
  return responseBytes > limitBytes;
}

const RESULT_SET: ReadonlySet<string> = new Set(TRANSFORM_RESULTS);

type Answer = { ok: true; result: TransformResult; data: Uint8Array } | { ok: false };

function readAnswer(entry: Record<string, unknown>): Answer {
  const result = entry.result;
  if (typeof result !== "string" || !RESULT_SET.has(result)) return { ok: false };
  if (typeof entry.data !== "string") return { ok: false };
  const data = decodeBase64(entry.data);
  if (!data) return { ok: false };
  if (entry.metadata === undefined) return { ok: true, result: result as TransformResult, data };
  // Metadata carries dynamic partitioning's keys (the raw archive does not use dynamic partitioning, so they are
  // not used here); a record whose metadata is not `{partitionKeys: {<name>: <string>}}` still fails, as before.
  const keys = (entry.metadata as { partitionKeys?: unknown } | null)?.partitionKeys;
  if (keys === null || typeof keys !== "object" || Array.isArray(keys)) return { ok: false };
  if (Object.values(keys as Record<string, unknown>).some((v) => typeof v !== "string")) return { ok: false };
  return { ok: true, result: result as TransformResult, data };
}

export function judgeTransformResponse(inputRecordIds: readonly string[], response: unknown): ResponseJudgement {
  const expectedCount = inputRecordIds.length;
  const records = (response as { records?: unknown } | null)?.records;
  if (response === null || typeof response !== "object" || Array.isArray(response) || !Array.isArray(records)) {
    return {
      verdicts: inputRecordIds.map((recordId) => ({ recordId, outcome: "failed", error: PROCESSING_ERRORS.jsonProcessing })),
      extraRecordIds: [],
      returnedCount: 0,
      expectedCount,
      malformed: "the response is not an object with a records array",
    };
  }
  const inputs = new Set(inputRecordIds);
  const answers = new Map<string, Answer[]>();
  const extraRecordIds: string[] = [];
  for (const entry of records as unknown[]) {
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) continue;
    const recordId = (entry as { recordId?: unknown }).recordId;
    if (typeof recordId !== "string") continue; // cannot be attributed: its record shows up as missing
    if (!inputs.has(recordId)) {
      extraRecordIds.push(recordId);
      continue;
    }
    const list = answers.get(recordId);
    const answer = readAnswer(entry as Record<string, unknown>);
    if (list) list.push(answer);
    else answers.set(recordId, [answer]);
  }
  const verdicts = inputRecordIds.map((recordId): RecordVerdict => {
    const list = answers.get(recordId);
    if (!list) return { recordId, outcome: "failed", error: PROCESSING_ERRORS.missingRecordId };
    if (list.length > 1) return { recordId, outcome: "failed", error: PROCESSING_ERRORS.duplicatedRecordId };
    const answer = list[0]!;
    if (!answer.ok) return { recordId, outcome: "failed", error: PROCESSING_ERRORS.jsonProcessing };
    if (answer.result === "Dropped") return { recordId, outcome: "dropped" };
    if (answer.result === "ProcessingFailed") return { recordId, outcome: "failed", error: PROCESSING_ERRORS.processingFailed };
    return { recordId, outcome: "ok", data: answer.data };
  });
  return { verdicts, extraRecordIds, returnedCount: records.length, expectedCount };
}
