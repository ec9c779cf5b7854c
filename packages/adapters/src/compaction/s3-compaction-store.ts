/**
 * The compactor's store on S3 (SDK v3), next to the S3ObjectStore it extends: ETags from listings, reads pinned to
 * an ETag (If-Match: a replaced input fails with 412 instead of being read half old, half new), create-only writes
 * (If-None-Match: * on PutObject and CompleteMultipartUpload, so two runs can never both create an output), and
 * multipart uploads for outputs of any size in bounded memory. The same code talks to the local S3 stand-in.
 */
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { ObjectChangedError, type CompactionStore, type MultipartUpload, type StoredObject } from "@eventlake/core/ports";
import { S3ObjectStore, S3ObjectStoreError, missingKeyAccessHint } from "../s3-object-store";

const statusOf = (err: unknown) => (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
const nameOf = (err: unknown) => (err instanceof Error ? err.name : "");

function describe(err: unknown): string {
  if (err instanceof Error) {
    const status = statusOf(err);
    return `${err.name}${status ? ` (HTTP ${status})` : ""}: ${err.message}`;
  }
  return String(err);
}

const isMissing = (err: unknown) => nameOf(err) === "NoSuchKey" || nameOf(err) === "NotFound" || (statusOf(err) === 404 && nameOf(err) !== "NoSuchBucket");
const isPreconditionFailed = (err: unknown) => statusOf(err) === 412 || nameOf(err) === "PreconditionFailed";

export class S3CompactionStore implements CompactionStore {
  constructor(readonly objects: S3ObjectStore) {}

  private get client() {
    return this.objects.client;
  }

  private get bucket() {
    return this.objects.bucket;
  }

  private fail(operation: string, key: string, err: unknown): S3ObjectStoreError {
    return new S3ObjectStoreError(`S3 ${operation} s3://${this.bucket}/${key} failed: ${describe(err)}${missingKeyAccessHint(operation, err)}`, operation, this.bucket, [key], {
      cause: err,
    });
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ...(token !== undefined ? { ContinuationToken: token } : {}) }),
        );
      } catch (err) {
        throw this.fail("ListObjectsV2", `${prefix}*`, err);
      }
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        yield { key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0), etag: o.ETag ?? "" };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (page.IsTruncated && !token) throw this.fail("ListObjectsV2", `${prefix}*`, new Error("truncated page without NextContinuationToken"));
    } while (token !== undefined);
  }

  async head(key: string): Promise<StoredObject | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { key, size: out.ContentLength ?? 0, lastModified: out.LastModified ?? new Date(0), etag: out.ETag ?? "" };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw this.fail("HeadObject", key, err);
    }
  }

  private async getBody(key: string, etag: string | undefined, range?: string) {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(etag !== undefined ? { IfMatch: etag } : {}), ...(range !== undefined ? { Range: range } : {}) }),
      );
      return out.Body;
    } catch (err) {
      if (etag !== undefined && isPreconditionFailed(err)) throw new ObjectChangedError(key, "replaced");
      if (isMissing(err)) {
        if (etag !== undefined) throw new ObjectChangedError(key, "missing");
        return undefined;
      }
      throw this.fail("GetObject", key, err);
    }
  }

  async readRange(key: string, start: number, end: number, etag?: string): Promise<Uint8Array> {
    if (!(start >= 0 && end > start)) throw new RangeError(`bad range [${start}, ${end}) of ${key}`);
    const body = await this.getBody(key, etag, `bytes=${start}-${end - 1}`);
    if (body === undefined) throw new ObjectChangedError(key, "missing");
    let bytes: Uint8Array;
    try {
      bytes = await body.transformToByteArray();
    } catch (err) {
      throw this.fail("GetObject", key, err);
    }
    if (bytes.length !== end - start) throw this.fail("GetObject", key, new Error(`asked for ${end - start} bytes, got ${bytes.length}`));
    return bytes;
  }

  async read(key: string, etag?: string): Promise<Uint8Array | undefined> {
    const body = await this.getBody(key, etag);
    if (body === undefined) return undefined;
    try {
      return await body.transformToByteArray();
    } catch (err) {
      throw this.fail("GetObject", key, err);
    }
  }

  async download(key: string, path: string, etag?: string): Promise<number> {
    const body = await this.getBody(key, etag);
    if (body === undefined) throw new ObjectChangedError(key, "missing");
    let bytes = 0;
    try {
      const source = body instanceof Readable ? body : Readable.fromWeb(body.transformToWebStream() as Parameters<typeof Readable.fromWeb>[0]);
      source.on("data", (chunk: Buffer) => (bytes += chunk.length));
      await pipeline(source, createWriteStream(path));
    } catch (err) {
      await rm(path, { force: true });
      throw this.fail("GetObject", key, err);
    }
    return bytes;
  }

  async putIfAbsent(key: string, body: Uint8Array | string, contentType: string): Promise<boolean> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType, IfNoneMatch: "*" }));
      return true;
    } catch (err) {
      if (isPreconditionFailed(err)) return false;
      throw this.fail("PutObject", key, err);
    }
  }

  async startUpload(key: string, contentType: string): Promise<MultipartUpload> {
    let uploadId: string | undefined;
    try {
      uploadId = (await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: contentType }))).UploadId;
    } catch (err) {
      throw this.fail("CreateMultipartUpload", key, err);
    }
    if (!uploadId) throw this.fail("CreateMultipartUpload", key, new Error("no UploadId in the answer"));
    const id = uploadId;
    const parts: { PartNumber: number; ETag: string }[] = [];
    const abort = async () => {
      try {
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: id }));
      } catch (err) {
        if (!isMissing(err)) throw this.fail("AbortMultipartUpload", key, err);
      }
    };
    return {
      key,
      uploadPart: async (partNumber, bytes) => {
        try {
          const out = await this.client.send(
            new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: id, PartNumber: partNumber, Body: bytes, ContentLength: bytes.length }),
          );
          if (!out.ETag) throw new Error("no ETag in the answer");
          parts.push({ PartNumber: partNumber, ETag: out.ETag });
        } catch (err) {
          throw this.fail(`UploadPart ${partNumber}`, key, err);
        }
      },
      complete: async () => {
        try {
          await this.client.send(
            new CompleteMultipartUploadCommand({
              Bucket: this.bucket,
              Key: key,
              UploadId: id,
              IfNoneMatch: "*",
              MultipartUpload: { Parts: [...parts].sort((a, b) => a.PartNumber - b.PartNumber) },
            }),
          );
          return "created";
        } catch (err) {
          if (isPreconditionFailed(err)) {
            await abort();
            return "exists";
          }
          throw this.fail("CompleteMultipartUpload", key, err);
        }
      },
      abort,
    };
  }

  async delete(keys: readonly string[]): Promise<void> {
    await this.objects.delete(keys);
  }
}
