/**
 * The Firehose data-transformation contract (aws-contracts.md 3.2-3.4): the event Firehose sends the transform
 * Lambda, the response it expects, and the error codes it writes for records that fail.
 */

/** Kinesis metadata Firehose adds to each record when the source is a Kinesis stream (3.2). */
export interface FirehoseKinesisRecordMetadata {
  shardId: string;
  partitionKey: string;
  /** Epoch milliseconds. */
  approximateArrivalTimestamp: number;
  sequenceNumber: string;
  /** De-aggregated KPL sub-records share the sequence number and differ by this (real events carry a number). */
  subsequenceNumber: number;
}

export interface FirehoseTransformEventRecord {
  /** Opaque: echo it back verbatim. */
  recordId: string;
  /** Epoch milliseconds. */
  approximateArrivalTimestamp: number;
  /** Base64 of the record's bytes. */
  data: string;
  kinesisRecordMetadata?: FirehoseKinesisRecordMetadata;
}

export interface FirehoseTransformEvent {
  invocationId: string;
  deliveryStreamArn: string;
  /** Present when the source is a Kinesis stream. */
  sourceKinesisStreamArn?: string;
  region: string;
  records: FirehoseTransformEventRecord[];
}

export const TRANSFORM_RESULTS = ["Ok", "Dropped", "ProcessingFailed"] as const;
export type TransformResult = (typeof TRANSFORM_RESULTS)[number];

export interface FirehoseTransformResponseRecord {
  recordId: string;
  result: TransformResult;
  /** Base64 of the transformed bytes; required for every result. */
  data: string;
  /** Only with dynamic partitioning: feeds `!{partitionKeyFromLambda:<key>}`. */
  metadata?: { partitionKeys: Record<string, string> };
}

export interface FirehoseTransformResponse {
  records: FirehoseTransformResponseRecord[];
}

/**
 * Error codes and messages Firehose writes to the error output (errorCode / errorMessage). The Lambda invocation
 * codes and messages are AWS's (Firehose developer guide, "Lambda Invocation Errors", and captured error records);
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
