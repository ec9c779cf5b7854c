/**
 * The Kinesis wire protocol as the SDK v3 speaks it: AWS JSON 1.1 over HTTP POST, the operation in
 * `X-Amz-Target: Kinesis_20131202.<Operation>`, errors as HTTP 4xx/5xx with `{"__type", "message"}`.
 */
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";

export const AMZ_JSON = "application/x-amz-json-1.1";
export const TARGET_PREFIX = "Kinesis_20131202.";

/** An error answered to the client in the JSON 1.1 shape. */
export class KinesisError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = type;
  }
}

/** The operation named by X-Amz-Target, or undefined. */
export function operationOf(target: string | string[] | undefined): string | undefined {
  const value = Array.isArray(target) ? target[0] : target;
  if (!value || !value.startsWith(TARGET_PREFIX)) return undefined;
  return value.slice(TARGET_PREFIX.length) || undefined;
}

/** True when the request body is AWS JSON 1.1 (the only encoding the front inspects). */
export function isJson11(contentType: string | string[] | undefined): boolean {
  const value = Array.isArray(contentType) ? contentType[0] : contentType;
  return (value ?? "").split(";")[0]?.trim().toLowerCase() === AMZ_JSON;
}

export function sendJson(res: ServerResponse, statusCode: number, body: unknown, extraHeaders: Record<string, string> = {}): void {
  const payload = Buffer.from(JSON.stringify(body));
  res.writeHead(statusCode, {
    "Content-Type": AMZ_JSON,
    "Content-Length": payload.length,
    "x-amzn-RequestId": randomUUID(),
    ...extraHeaders,
  });
  res.end(payload);
}

/**
 * An error response the SDK parses: status code, `x-amzn-ErrorType` header and `{"__type", "message"}` body
 * (the SDK reads the code from either).
 */
export function sendError(res: ServerResponse, error: KinesisError): void {
  sendJson(res, error.statusCode, { __type: error.type, message: error.message }, { "x-amzn-ErrorType": error.type });
}

/** Standard messages for errors the front produces itself. */
export const messages = {
  throttled: (shardId: string, streamName: string, accountId: string) =>
    `Rate exceeded for shard ${shardId} in stream ${streamName} under account ${accountId}.`,
  internalFailure: "Internal Service Failure",
  streamNotFound: (streamName: string, accountId: string) => `Stream ${streamName} under account ${accountId} not found.`,
  streamNotActive: (streamName: string, accountId: string, status: string) =>
    `Stream ${streamName} under account ${accountId} not ACTIVE, instead in state ${status}`,
};

/** Status codes for error names the front may be asked to produce (fault injection). */
export function statusCodeFor(errorType: string): number {
  switch (errorType) {
    case "InternalFailure":
    case "InternalFailureException":
      return 500;
    case "ServiceUnavailable":
    case "ServiceUnavailableException":
      return 503;
    default:
      return 400;
  }
}
