/** The plain object-store port: S3 on AWS (packages/adapters/src/s3-object-store.ts), the local S3 stand-in locally. */

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

export interface PutObjectOptions {
  contentType?: string;
  contentEncoding?: string;
}

export interface ObjectStore {
  put(key: string, body: Uint8Array | string, options?: PutObjectOptions): Promise<void>;
  /** Returns undefined when the key does not exist. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Every object under the prefix, in key order (paginates internally). */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  delete(keys: readonly string[]): Promise<void>;
}
