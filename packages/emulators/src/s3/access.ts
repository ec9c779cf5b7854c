/**
 * The one IAM rule of S3 that changes what a reader sees: a GetObject/HeadObject of a missing key answers 404
 * NoSuchKey only to a caller allowed s3:ListBucket on the bucket, 403 AccessDenied otherwise
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html). The local stand-in applies it per caller so
 * a local run fails the way AWS would when a role lacks the grant.
 *
 * Callers are told apart by the access key id of their SigV4 credentials: each local function signs with its role's
 * name (AWS_ACCESS_KEY_ID, set by the local runtime; packages/adapters/src/aws-config.ts). A caller with no known
 * identity (the CLI, tests, "local") keeps the stand-in's default: no IAM, 404 for a missing key.
 */
import type { IncomingMessage } from "node:http";
import { FUNCTION_CALLS, type FunctionId } from "@eventlake/core/aws-calls/functions";
import { unconditionedListBuckets, type ArnValues } from "@eventlake/core/aws-calls/model";

export interface S3Caller {
  identity: string;
  /** The caller may s3:ListBucket the bucket (unconditioned): a missing key is then a 404 for it, else a 403. */
  canListBucket(bucket: string): boolean;
}

/** Finds a caller's grants from its access key id; undefined: unknown caller (no IAM applied). */
export type S3CallerResolver = (accessKeyId: string) => S3Caller | undefined;

/** The access key id of a SigV4-signed request (Authorization header or presigned X-Amz-Credential). */
export function accessKeyIdOf(req: IncomingMessage, query: URLSearchParams): string | undefined {
  const auth = req.headers.authorization;
  const credential = (typeof auth === "string" ? /Credential=([^/,\s]+)\//.exec(auth)?.[1] : undefined) ?? query.get("X-Amz-Credential")?.split("/")[0];
  return credential || undefined;
}

/** Callers for the roles of packages/core/src/aws-calls (one per function), with the local bucket names. */
export function functionCallers(values: ArnValues): S3CallerResolver {
  const callers = new Map<string, S3Caller>();
  for (const [id, entry] of Object.entries(FUNCTION_CALLS) as [FunctionId, (typeof FUNCTION_CALLS)[FunctionId]][]) {
    const listable = new Set(unconditionedListBuckets(entry.calls, values));
    callers.set(id, { identity: id, canListBucket: (bucket) => listable.has(bucket) });
  }
  return (accessKeyId) => callers.get(accessKeyId);
}
