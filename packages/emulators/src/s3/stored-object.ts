/**
 * An object as the local S3 store keeps it: its attributes and metadata (the JSON sidecar next to its data file),
 * where a key lives on disk, and the rules shared by plain and multipart writes (S3's size limits, ETag matching,
 * stored checksums).
 */
import type { ChecksumAlgorithm } from "./checksums";

export const MAX_KEY_BYTES = 1024;
export const MAX_PUT_BYTES = 5 * 1024 ** 3;

export interface ObjectAttributes {
  contentType?: string;
  contentEncoding?: string;
  cacheControl?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  expires?: string;
  /** x-amz-meta-* values, names lower-case without the prefix. */
  userMetadata: Record<string, string>;
}

export interface StoredObject extends ObjectAttributes {
  key: string;
  size: number;
  /** Hex MD5 of the bytes, or `<hex>-<parts>` for multipart uploads; without quotes. */
  etag: string;
  /** Milliseconds since the epoch. */
  lastModified: number;
  /** Base64 full-object checksums verified or computed at upload. */
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
  partCount?: number;
}

export interface Sidecar extends StoredObject {
  v: 1;
  /** The data file this sidecar was written for. */
  file: { size: number; mtimeNs: string };
}

export interface Preconditions {
  ifMatch?: string;
  ifNoneMatch?: string;
}

/** Where a key lives: its directory, data file, sidecar, and the name its writes are serialized under. */
export interface Location {
  bucketDir: string;
  dir: string;
  dataPath: string;
  sidecarPath: string;
  lockKey: string;
}

export function etagMatches(header: string, etag: string): boolean {
  return header
    .split(",")
    .map((t) => t.trim().replace(/^W\//, "").replace(/^"|"$/g, ""))
    .some((t) => t === "*" || t === etag);
}

export function toBase64Record(digests: Partial<Record<ChecksumAlgorithm, Buffer>>, keep: readonly ChecksumAlgorithm[]) {
  const out: Partial<Record<ChecksumAlgorithm, string>> = {};
  for (const a of keep) {
    const d = digests[a];
    if (d) out[a] = d.toString("base64");
  }
  return out;
}

export function stripSidecar(sidecar: Sidecar): StoredObject {
  const { v: _v, file: _file, ...meta } = sidecar;
  return meta;
}
