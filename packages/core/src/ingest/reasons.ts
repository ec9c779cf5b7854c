/**
 * Why an event or a request was rejected. Event-level reasons become bad-row records on the stream (and so land in
 * the raw archive and the quarantine table); request-level reasons are answered with an HTTP error and write nothing.
 */
export const EVENT_REJECTIONS = {
  malformed_json: "the event is not valid JSON",
  not_an_object: "the event must be a JSON object",
  event_too_large: "the event exceeds the per-event size limit",
  invalid_field_type: "a field has the wrong type",
  missing_field: "a required field is missing",
  missing_identity: "userId or anonymousId is required",
  invalid_message_id: "messageId must be a non-empty string within the length limit",
  duplicate_message_id: "another event in the same request has this messageId",
  invalid_timestamp: "a timestamp is not an ISO-8601 date-time or epoch milliseconds",
  timestamp_out_of_range: "the event's timestamp is before the floor or too far in the future",
  nesting_too_deep: "the event nests objects or arrays deeper than allowed",
  forbidden_key: "the event uses a forbidden key (__proto__)",
  invalid_unicode: "a string or key of the event is not valid Unicode (a lone UTF-16 surrogate escape such as \\ud800)",
  unknown_type: "type must be one of track, identify, page, screen, group, alias",
  schema_violation: "the event does not match its registered JSON Schema",
  unknown_schema_version: "the event names a schema version that is not registered",
} as const;
export type EventRejectionReason = keyof typeof EVENT_REJECTIONS;

export const REQUEST_ERRORS = {
  unauthorized: { status: 401, message: "a valid write key is required" },
  not_found: { status: 404, message: "no such endpoint" },
  method_not_allowed: { status: 405, message: "method not allowed on this endpoint" },
  body_too_large: { status: 413, message: "the request body exceeds the size limit" },
  decompressed_body_too_large: { status: 413, message: "the decompressed request body exceeds the size limit" },
  too_many_events: { status: 413, message: "the batch has more events than allowed" },
  unsupported_content_encoding: { status: 415, message: "only gzip and identity content encodings are accepted" },
  invalid_gzip: { status: 400, message: "the body is not valid gzip" },
  invalid_utf8: { status: 400, message: "the body is not valid UTF-8" },
  malformed_body: { status: 400, message: "the body is not valid JSON of the expected shape" },
  empty_batch: { status: 400, message: "the batch has no events" },
  forbidden_key: { status: 400, message: "the request uses a forbidden key (__proto__)" },
  invalid_unicode: { status: 400, message: "a batch-level field (context, sentAt, writeKey) is not valid Unicode (a lone UTF-16 surrogate escape)" },
} as const;
export type RequestErrorCode = keyof typeof REQUEST_ERRORS;

/** A request-level rejection: the whole request is answered with an error status and nothing is written. */
export class RequestRejected extends Error {
  readonly status: number;
  constructor(
    readonly code: RequestErrorCode,
    detail?: string,
  ) {
    super(detail ? `${REQUEST_ERRORS[code].message}: ${detail}` : REQUEST_ERRORS[code].message);
    this.name = "RequestRejected";
    this.status = REQUEST_ERRORS[code].status;
  }
}
