/**
 * S3 error responses: the code, HTTP status and message S3 itself uses, so SDK clients map them to the same
 * exception classes (NoSuchKey, NoSuchBucket, ...) they get from AWS.
 */

const STATUS: Record<string, number> = {
  AccessDenied: 403,
  BadDigest: 400,
  BucketAlreadyOwnedByYou: 409,
  BucketNotEmpty: 409,
  EntityTooLarge: 400,
  EntityTooSmall: 400,
  IncompleteBody: 400,
  InternalError: 500,
  InvalidArgument: 400,
  InvalidBucketName: 400,
  InvalidDigest: 400,
  InvalidPart: 400,
  InvalidPartOrder: 400,
  InvalidRange: 416,
  InvalidRequest: 400,
  InvalidURI: 400,
  KeyTooLongError: 400,
  MalformedXML: 400,
  MethodNotAllowed: 405,
  MissingContentLength: 411,
  NoSuchBucket: 404,
  NoSuchKey: 404,
  NoSuchUpload: 404,
  NoSuchVersion: 404,
  NotImplemented: 501,
  NotModified: 304,
  PreconditionFailed: 412,
  SlowDown: 503,
  XAmzContentSHA256Mismatch: 400,
};

const DEFAULT_MESSAGE: Record<string, string> = {
  BucketAlreadyOwnedByYou: "Your previous request to create the named bucket succeeded and you already own it.",
  BucketNotEmpty: "The bucket you tried to delete is not empty",
  EntityTooSmall: "Your proposed upload is smaller than the minimum allowed object size.",
  IncompleteBody: "The request body terminated unexpectedly",
  InternalError: "We encountered an internal error. Please try again.",
  InvalidBucketName: "The specified bucket is not valid.",
  InvalidPart:
    "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
  InvalidPartOrder: "The list of parts was not in ascending order. Parts must be ordered by part number.",
  InvalidRange: "The requested range is not satisfiable",
  KeyTooLongError: "Your key is too long",
  MalformedXML: "The XML you provided was not well-formed or did not validate against our published schema",
  MissingContentLength: "You must provide the Content-Length HTTP header.",
  NoSuchBucket: "The specified bucket does not exist",
  NoSuchKey: "The specified key does not exist.",
  SlowDown: "Please reduce your request rate.",
  NoSuchUpload:
    "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
  PreconditionFailed: "At least one of the pre-conditions you specified did not hold",
};

export class S3Error extends Error {
  readonly status: number;
  constructor(
    readonly code: string,
    message?: string,
    /** Extra elements for the XML error body (e.g. Key, BucketName, ActualObjectSize). */
    readonly details: Record<string, string> = {},
    /** Extra response headers (e.g. Content-Range on InvalidRange). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message ?? DEFAULT_MESSAGE[code] ?? code);
    this.name = "S3Error";
    this.status = STATUS[code] ?? 400;
  }
}

export function isS3Error(err: unknown): err is S3Error {
  return err instanceof S3Error;
}
