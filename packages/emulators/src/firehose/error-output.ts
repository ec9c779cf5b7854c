/**
 * Firehose's error output for records that failed transformation (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-failure-handling.html): one JSON document per
 * record, `{attemptsMade, arrivalTimestamp, errorCode, errorMessage, attemptEndingTimestamp, rawData, lambdaArn}`,
 * in that key order, newline-delimited, under ErrorOutputPrefix with error-output-type `processing-failed`.
 * `rawData` is the base64 of the record's original bytes, so the error output keeps them whole.
 */
import type { ProcessingError } from "@eventlake/core/firehose/contract";

export interface ProcessingFailedDocument {
  /** Invocations attempted for the record's batch (1 + retries when every attempt failed). */
  attemptsMade: number;
  /** When the record arrived (epoch ms; for a Kinesis source, its approximate arrival time). */
  arrivalTimestamp: number;
  errorCode: string;
  errorMessage: string;
  /** When Firehose stopped attempting (epoch ms). */
  attemptEndingTimestamp: number;
  /** Base64 of the original record. */
  rawData: string;
  lambdaArn: string;
}

export function processingFailedDocument(input: {
  attemptsMade: number;
  arrivalTimestamp: number;
  error: ProcessingError | { errorCode: string; errorMessage: string };
  attemptEndingTimestamp: number;
  rawData: string;
  lambdaArn: string;
}): ProcessingFailedDocument {
  return {
    attemptsMade: input.attemptsMade,
    arrivalTimestamp: input.arrivalTimestamp,
    errorCode: input.error.errorCode,
    errorMessage: input.error.errorMessage,
    attemptEndingTimestamp: input.attemptEndingTimestamp,
    rawData: input.rawData,
    lambdaArn: input.lambdaArn,
  };
}

/** One error-output line. */
export function errorDocumentLine(document: ProcessingFailedDocument): string {
  return `${JSON.stringify(document)}\n`;
}
