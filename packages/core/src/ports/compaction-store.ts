/**
 * The compactor's object-store port: what the crash-safe protocol needs beyond the plain ObjectStore (ETags,
 * byte ranges pinned to an ETag, create-only writes, multipart uploads). packages/adapters implements it on S3
 * (the same adapter talks to the local S3 stand-in).
 */

export interface StoredObject {
  key: string;
  size: number;
  lastModified: Date;
  /** As S3 returns it (quoted). */
  etag: string;
}

/** A read pinned to an ETag found the object replaced (HTTP 412) or gone (404). */
export class ObjectChangedError extends Error {
  override readonly name = "ObjectChangedError";
  constructor(
    readonly key: string,
    readonly reason: "replaced" | "missing",
  ) {
    super(`s3 object ${key} was ${reason === "replaced" ? "replaced" : "deleted"} since it was listed`);
  }
}

export interface MultipartUpload {
  readonly key: string;
  /** Parts are numbered from 1; every part but the last must be >= 5 MiB (S3's rule). */
  uploadPart(partNumber: number, bytes: Uint8Array): Promise<void>;
  /** Completes with If-None-Match: *; "exists" when the key was created meanwhile (this upload is then aborted). */
  complete(): Promise<"created" | "exists">;
  abort(): Promise<void>;
}

export interface CompactionStore {
  /** Every object under the prefix, in key order. */
  list(prefix: string): AsyncIterable<StoredObject>;
  head(key: string): Promise<StoredObject | undefined>;
  /** Bytes [start, end) of the object; with `etag`, throws ObjectChangedError if it is no longer that version. */
  readRange(key: string, start: number, end: number, etag?: string): Promise<Uint8Array>;
  /** The whole object (pinned to `etag` when given); undefined when missing and no etag was given. */
  read(key: string, etag?: string): Promise<Uint8Array | undefined>;
  /** The whole object written to a local file (bounded memory), pinned to `etag`. Returns the bytes written. */
  download(key: string, path: string, etag?: string): Promise<number>;
  /** PUT with If-None-Match: *; false when the key already exists. */
  putIfAbsent(key: string, body: Uint8Array | string, contentType: string): Promise<boolean>;
  startUpload(key: string, contentType: string): Promise<MultipartUpload>;
  delete(keys: readonly string[]): Promise<void>;
}
