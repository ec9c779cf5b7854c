/**
 * The Firehose data-transformation contract (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html,
 * https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-status-model.html): the event Firehose sends the
 * transform Lambda, the response it expects, and the error codes it writes for records that fail. The shapes are
 * `@types/aws-lambda`'s; only where Firehose's documented or observed behavior is stricter or different are they
 * narrowed here.
 */
import type {
  FirehoseRecordMetadata,
  FirehoseRecordTransformationStatus,
  FirehoseTransformationEvent,
  FirehoseTransformationEventRecord,
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
} from "aws-lambda";

/**
 * Kinesis metadata Firehose adds to each record when the source is a Kinesis stream. `@types/aws-lambda` types
 * `subsequenceNumber` as a string; the events Firehose sends carry a number (as in
 * test/contract/fixtures/firehose-kinesis-source-event.json), and de-aggregated KPL sub-records share the sequence
 * number and differ by it.
 */
export type FirehoseKinesisRecordMetadata = Omit<FirehoseRecordMetadata, "subsequenceNumber"> & { subsequenceNumber: number };

/** One record of the event: `recordId` is opaque (echo it back verbatim), `data` is base64. */
export type FirehoseTransformEventRecord = Omit<FirehoseTransformationEventRecord, "kinesisRecordMetadata"> & {
  kinesisRecordMetadata?: FirehoseKinesisRecordMetadata;
};

/** The invocation event; `sourceKinesisStreamArn` is present when the source is a Kinesis stream. */
export type FirehoseTransformEvent = Omit<FirehoseTransformationEvent, "records"> & { records: FirehoseTransformEventRecord[] };

export type TransformResult = FirehoseRecordTransformationStatus;
export const TRANSFORM_RESULTS = ["Ok", "Dropped", "ProcessingFailed"] as const satisfies readonly TransformResult[];

/**
 * One answered record. Firehose requires `recordId`, `result` and `data` on every record (the status model above;
 * a missing one fails the record), so `data` is required here where `@types/aws-lambda` has it optional. `metadata`
 * only matters with dynamic partitioning (`!{partitionKeyFromLambda:<key>}`), which the archive does not use.
 */
export type FirehoseTransformResponseRecord = FirehoseTransformationResultRecord & { data: string };

export type FirehoseTransformResponse = Omit<FirehoseTransformationResult, "records"> & { records: FirehoseTransformResponseRecord[] };

/**
 * Error codes and messages Firehose writes to the error output (errorCode / errorMessage). The Lambda invocation
 * codes and messages are AWS's (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation-failure-handling.html
 * and captured error records);
 * `processingFailed` (a record the function answered ProcessingFailed) and `requestTooLarge` are this project's
 * wording: AWS does not document them.
 */
export const PROCESSING_ERRORS = {
  functionError: {
    errorCode: "Lambda.FunctionError",
    errorMessage: "The Lambda function was successfully invoked but it returned an error result.",
  },
  jsonProcessing: {
    errorCode: "Lambda.JsonProcessingException",
    errorMessage:
      "There was an error parsing returned records from the Lambda function. Ensure that the returned records follow the status model required by Firehose.",
  },
  duplicatedRecordId: {
    errorCode: "Lambda.DuplicatedRecordId",
    errorMessage: "Multiple records were returned with the same record ID. Ensure that the Lambda function returns unique record IDs for each record.",
  },
  missingRecordId: {
    errorCode: "Lambda.MissingRecordId",
    errorMessage: "One or more record IDs were not returned. Ensure that the Lambda function returns all received record IDs.",
  },
  processingFailed: {
    errorCode: "Lambda.ProcessingFailed",
    errorMessage: "The Lambda function returned the result ProcessingFailed for this record.",
  },
  requestTooLarge: {
    errorCode: "Lambda.RequestTooLarge",
    errorMessage: "The invocation request was larger than Lambda's 6 MB synchronous payload limit: Lambda refused it.",
  },
} as const satisfies Record<string, { errorCode: string; errorMessage: string }>;

export type ProcessingError = (typeof PROCESSING_ERRORS)[keyof typeof PROCESSING_ERRORS];
