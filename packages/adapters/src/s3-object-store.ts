import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import type { ObjectInfo, ObjectStore, PutObjectOptions } from "@eventlake/core/ports";
import { clientConfig, type AwsTarget } from "./aws-config";

export type S3ObjectStoreOptions =
  | {
      bucket: string;
      /** Region and, for local stand-ins, an endpoint (path-style addressing is used then). */
      target: AwsTarget;
      /** SDK attempts per call (default: the SDK's 3). */
      maxAttempts?: number;
    }
  | {
      bucket: string;
      /** A client built elsewhere (tests, shared clients); it is not destroyed by `destroy()`. */
      client: S3Client;
    };

/** Objects deleted per DeleteObjects call (the API's maximum). */
export const DELETE_BATCH = 1000;

/** An S3 call failed; the message names the operation and the object(s). The SDK error is the `cause`. */
export class S3ObjectStoreError extends Error {
  constructor(
    message: string,
    readonly operation: string,
    readonly bucket: string,
    /** Keys concerned (for list: the prefix). */
    readonly keys: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "S3ObjectStoreError";
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    return `${err.name}${status ? ` (HTTP ${status})` : ""}: ${err.message}`;
  }
  return String(err);
}

/**
 * What a 403 on a read means when the key may not exist: S3 answers a missing key with 404 only to a caller allowed
 * s3:ListBucket on the bucket, with 403 AccessDenied otherwise
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html). Such a 403 is never read as "missing": the
 * error says which grant is absent (the role's call list, packages/core/src/aws-calls).
 */
export function missingKeyAccessHint(operation: string, err: unknown): string {
  if (operation !== "GetObject" && operation !== "HeadObject") return "";
  const status = (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  if (status !== 403 && (err as Error | undefined)?.name !== "AccessDenied") return "";
  return " (if the key does not exist, S3 answers 403 instead of 404 to a role without s3:ListBucket on the bucket: grant it)";
}

function isNoSuchKey(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === "NoSuchKey" || err.name === "NotFound") return true;
  // Some stand-ins answer 404 without a parsable body; a missing bucket must still be an error.
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === 404 && err.name !== "NoSuchBucket";
}

/**
 * ObjectStore over S3 (SDK v3): the lake bucket on AWS, or the local S3 stand-in through an endpoint override.
 * Every failure is an S3ObjectStoreError whose message carries the bucket and key.
 */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  readonly client: S3Client;
  private readonly ownsClient: boolean;

  constructor(options: S3ObjectStoreOptions) {
    this.bucket = options.bucket;
    if ("client" in options) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      const config: S3ClientConfig = {
        ...clientConfig(options.target, options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
        // Local stand-ins are addressed by IP/port: bucket names cannot go into the host name.
        ...(options.target.endpoint ? { forcePathStyle: true } : {}),
      };
      this.client = new S3Client(config);
      this.ownsClient = true;
    }
  }

  private fail(operation: string, keys: readonly string[], err: unknown, what = keys[0] ?? ""): S3ObjectStoreError {
    return new S3ObjectStoreError(`S3 ${operation} s3://${this.bucket}/${what} failed: ${describe(err)}${missingKeyAccessHint(operation, err)}`, operation, this.bucket, keys, {
      cause: err,
    });
  }

  async put(key: string, body: Uint8Array | string, options: PutObjectOptions = {}): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ...(options.contentType !== undefined ? { ContentType: options.contentType } : {}),
          ...(options.contentEncoding !== undefined ? { ContentEncoding: options.contentEncoding } : {}),
        }),
      );
    } catch (err) {
      throw this.fail("PutObject", [key], err);
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    let body;
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      body = out.Body;
    } catch (err) {
      if (isNoSuchKey(err)) return undefined;
      throw this.fail("GetObject", [key], err);
    }
    if (!body) return new Uint8Array(0);
    try {
      // Reading the body also runs the SDK's response checksum validation.
      return await body.transformToByteArray();
    } catch (err) {
      throw this.fail("GetObject", [key], err);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(token !== undefined ? { ContinuationToken: token } : {}),
          }),
        );
      } catch (err) {
        throw this.fail("ListObjectsV2", [prefix], err, `${prefix}*`);
      }
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        yield { key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (page.IsTruncated && !token) {
        throw this.fail("ListObjectsV2", [prefix], new Error("truncated page without NextContinuationToken"), `${prefix}*`);
      }
    } while (token !== undefined);
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      let errors;
      try {
        const out = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        errors = out.Errors ?? [];
      } catch (err) {
        const what = batch.length === 1 ? batch[0] : `${batch[0]} (+${batch.length - 1} more keys)`;
        throw this.fail("DeleteObjects", batch, err, what);
      }
      if (errors.length > 0) {
        const failed = errors.map((e) => e.Key ?? "?");
        const detail = errors
          .slice(0, 5)
          .map((e) => `${e.Key}: ${e.Code ?? "Error"} ${e.Message ?? ""}`.trim())
          .join("; ");
        const more = errors.length > 5 ? `; and ${errors.length - 5} more` : "";
        throw new S3ObjectStoreError(
          `S3 DeleteObjects on s3://${this.bucket} failed for ${errors.length} of ${batch.length} keys: ${detail}${more}`,
          "DeleteObjects",
          this.bucket,
          failed,
        );
      }
    }
  }

  /** Closes the client's sockets when this store created it. */
  destroy(): void {
    if (this.ownsClient) this.client.destroy();
  }
}
