/**
 * S3 multipart uploads in the local store: CreateMultipartUpload, UploadPart, CompleteMultipartUpload and
 * AbortMultipartUpload (the product's compactor and large Parquet writes use them). An upload is a directory under
 * `<rootDir>/.s3-multipart/<uploadId>/` holding `upload.json` and one file per part with a JSON sidecar; completing
 * it streams the parts into one object, committed like any other write (fs-bucket-store.ts).
 */
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { createChecksum, type ChecksumAlgorithm } from "./checksums";
import {
  ensureDir,
  finishTemp,
  fsyncDir,
  isMissing,
  unlinkQuiet,
  writeFileAtomic,
  writeTemp,
  type DirSyncer,
  type KeyedMutex,
  type TempFile,
  type WriteOptions,
} from "./durable-files";
import { S3Error } from "./errors";
import { MAX_PUT_BYTES, toBase64Record, type Location, type ObjectAttributes, type Preconditions, type StoredObject } from "./stored-object";

export const MIN_PART_BYTES = 5 * 1024 ** 2;
export const MAX_PART_NUMBER = 10_000;
const MULTIPART_DIR = ".s3-multipart";

export interface UploadInfo {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: number;
  attributes: ObjectAttributes;
  checksumAlgorithm?: ChecksumAlgorithm;
}

export interface PartInfo {
  partNumber: number;
  etag: string;
  size: number;
  lastModified: number;
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
}

interface PartSidecar extends PartInfo {
  file: { size: number; mtimeNs: string };
}

/** What uploads need from the store they complete into. */
export interface UploadTarget {
  readonly rootDir: string;
  readonly durable: boolean;
  readonly locks: KeyedMutex;
  readonly dirSync: DirSyncer;
  /** Validates a key and says where it lives (throws S3Error). */
  locate(bucket: string, key: string): Location;
  requireBucket(bucket: string): Promise<string>;
  /** Commits a finished temp file as the key's new version. */
  commit(loc: Location, tmp: TempFile, meta: StoredObject, preconditions: Preconditions): Promise<StoredObject>;
}

export class MultipartUploads {
  constructor(private readonly target: UploadTarget) {}

  private uploadDir(uploadId: string): string {
    if (!/^[0-9a-f]{32}$/.test(uploadId)) throw new S3Error("NoSuchUpload", undefined, { UploadId: uploadId });
    return path.join(this.target.rootDir, MULTIPART_DIR, uploadId);
  }

  async create(
    bucket: string,
    key: string,
    attributes: ObjectAttributes,
    checksumAlgorithm?: ChecksumAlgorithm,
  ): Promise<UploadInfo> {
    this.target.locate(bucket, key);
    await this.target.requireBucket(bucket);
    const uploadId = randomBytes(16).toString("hex");
    const dir = this.uploadDir(uploadId);
    await ensureDir(dir, this.target.durable);
    const info: UploadInfo = { uploadId, bucket, key, initiated: Date.now(), attributes, checksumAlgorithm };
    await writeFileAtomic(path.join(dir, "upload.json"), JSON.stringify(info), this.target.durable);
    await fsyncDir(dir, this.target.durable);
    return info;
  }

  async get(bucket: string, key: string, uploadId: string): Promise<UploadInfo> {
    const dir = this.uploadDir(uploadId);
    let info: UploadInfo;
    try {
      info = JSON.parse(await fsp.readFile(path.join(dir, "upload.json"), "utf8")) as UploadInfo;
    } catch {
      throw new S3Error("NoSuchUpload", undefined, { UploadId: uploadId });
    }
    if (info.bucket !== bucket || info.key !== key) throw new S3Error("NoSuchUpload", undefined, { UploadId: uploadId });
    return info;
  }

  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    write: WriteOptions,
  ): Promise<PartInfo> {
    await this.get(bucket, key, uploadId);
    const dir = this.uploadDir(uploadId);
    let tmp: TempFile;
    try {
      // A missing upload directory means the upload was aborted: do not create it again.
      tmp = await writeTemp(dir, { maxBytes: MAX_PUT_BYTES, ...write, createDir: false, durable: this.target.durable });
    } catch (err) {
      if (isMissing(err)) throw new S3Error("NoSuchUpload", undefined, { UploadId: uploadId });
      throw err;
    }
    const name = `part-${String(partNumber).padStart(5, "0")}`;
    const part: PartSidecar = {
      partNumber,
      etag: tmp.md5.toString("hex"),
      size: tmp.size,
      lastModified: Date.now(),
      checksums: toBase64Record(tmp.digests, write.storeChecksums ?? []),
      file: { size: tmp.size, mtimeNs: tmp.mtimeNs.toString() },
    };
    try {
      await finishTemp(tmp, this.target.durable);
      await this.target.locks.run(`${uploadId}#${partNumber}`, async () => {
        await fsp.rename(tmp.path, path.join(dir, name));
        await writeFileAtomic(path.join(dir, name + ".json"), JSON.stringify(part), this.target.durable);
        await this.target.dirSync.sync(dir);
      });
    } catch (err) {
      await unlinkQuiet(tmp.path);
      if (isMissing(err)) throw new S3Error("NoSuchUpload", undefined, { UploadId: uploadId });
      throw err;
    }
    const { file: _file, ...info } = part;
    return info;
  }

  private async readPart(dir: string, partNumber: number): Promise<PartInfo | undefined> {
    const name = `part-${String(partNumber).padStart(5, "0")}`;
    try {
      const [st, raw] = await Promise.all([
        fsp.stat(path.join(dir, name), { bigint: true }),
        fsp.readFile(path.join(dir, name + ".json"), "utf8"),
      ]);
      const part = JSON.parse(raw) as PartSidecar;
      if (part.file.size !== Number(st.size) || part.file.mtimeNs !== st.mtimeNs.toString()) return undefined;
      const { file: _file, ...info } = part;
      return info;
    } catch {
      return undefined;
    }
  }

  async complete(
    bucket: string,
    key: string,
    uploadId: string,
    requested: readonly { partNumber: number; etag: string }[],
    preconditions: Preconditions = {},
  ): Promise<StoredObject> {
    const upload = await this.get(bucket, key, uploadId);
    const loc = this.target.locate(bucket, key);
    await this.target.requireBucket(bucket);
    const dir = this.uploadDir(uploadId);
    if (requested.length === 0) throw new S3Error("MalformedXML", "You must specify at least one part");
    const parts: PartInfo[] = [];
    let previous = 0;
    for (const r of requested) {
      if (r.partNumber <= previous) throw new S3Error("InvalidPartOrder");
      previous = r.partNumber;
      const part = await this.readPart(dir, r.partNumber);
      if (!part || part.etag !== r.etag.replace(/^"|"$/g, "")) {
        throw new S3Error("InvalidPart", undefined, { PartNumber: String(r.partNumber), ETag: r.etag });
      }
      parts.push(part);
    }
    parts.forEach((p, i) => {
      if (i < parts.length - 1 && p.size < MIN_PART_BYTES) {
        throw new S3Error("EntityTooSmall", undefined, {
          PartNumber: String(p.partNumber),
          ProposedSize: String(p.size),
          MinSizeAllowed: String(MIN_PART_BYTES),
        });
      }
    });
    const body = (async function* () {
      for (const p of parts) {
        const name = `part-${String(p.partNumber).padStart(5, "0")}`;
        yield* createReadStream(path.join(dir, name), { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>;
      }
    })();
    const tmp = await writeTemp(loc.dir, { body, durable: this.target.durable });
    const expectedSize = parts.reduce((n, p) => n + p.size, 0);
    if (tmp.size !== expectedSize) {
      await tmp.handle.close();
      await unlinkQuiet(tmp.path);
      throw new S3Error("InvalidPart", "A part changed while the upload was being completed");
    }
    const etagHash = createChecksum("md5");
    for (const p of parts) etagHash.update(Buffer.from(p.etag, "hex"));
    const meta: StoredObject = {
      key,
      size: tmp.size,
      etag: `${etagHash.digest().toString("hex")}-${parts.length}`,
      lastModified: Date.now(),
      ...upload.attributes,
      checksums: {},
      partCount: parts.length,
    };
    const committed = await this.target.commit(loc, tmp, meta, preconditions);
    await fsp.rm(dir, { recursive: true, force: true });
    return committed;
  }

  async abort(bucket: string, key: string, uploadId: string): Promise<void> {
    await this.get(bucket, key, uploadId);
    await fsp.rm(this.uploadDir(uploadId), { recursive: true, force: true });
  }
}
