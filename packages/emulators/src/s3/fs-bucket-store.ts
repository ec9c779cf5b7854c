/**
 * Buckets and objects on the local file system, with S3's semantics and crash safety. How bytes reach the disk is
 * durable-files.ts; listing is listing.ts; multipart uploads are multipart.ts; an object's metadata is
 * stored-object.ts.
 *
 * Layout (see key-codec.ts for how keys map to names):
 *   <rootDir>/.s3-format.json                      encoding choice, fixed when the directory is first used
 *   <rootDir>/<bucket>/<dir>/.../@<name>            object bytes, exactly as uploaded
 *   <rootDir>/<bucket>/<dir>/.../@<name>%meta       JSON sidecar: etag, content type, user metadata, checksums
 *   <rootDir>/<bucket>/<dir>/.../%tmp-*             in-flight writes (never listed; removed when stale)
 *   <rootDir>/.s3-multipart/<uploadId>/...          multipart uploads in progress
 *
 * Writes: the body streams into a temp file in the destination directory while MD5 and the requested checksums are
 * computed; after verification the file is fsynced, the sidecar is written and fsynced the same way, both are renamed
 * into place (data first: the data rename is the commit point) and the directory is fsynced. A crash therefore never
 * exposes a partial object, and once a write returns it survives power loss. The sidecar records the data file's size
 * and mtime; a sidecar that does not match its data file (a crash between the two renames, or a copied data
 * directory) is repaired from the data on first access (ETag recomputed, stored checksums dropped).
 *
 * Concurrency: one process owns a root directory. Commits, deletes and repairs of one key are serialized in-process;
 * uploads of the same key stream in parallel and the last commit wins, as on S3.
 */

import * as fsp from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import * as path from "node:path";
import { createChecksum, type ChecksumAlgorithm } from "./checksums";
import {
  DirSyncer,
  ensureDir,
  errnoCode,
  finishTemp,
  fsyncDir,
  isMissing,
  KeyedMutex,
  tempName,
  unlinkQuiet,
  writeFileAtomic,
  writeTemp,
  type TempFile,
  type WriteOptions,
} from "./durable-files";
import { S3Error } from "./errors";
import { keyToPath, type KeyCodecOptions } from "./key-codec";
import { listKeys, type ListOptions, type ListResult } from "./listing";
import { MultipartUploads } from "./multipart";
import {
  etagMatches,
  MAX_KEY_BYTES,
  MAX_PUT_BYTES,
  stripSidecar,
  toBase64Record,
  type Location,
  type ObjectAttributes,
  type Preconditions,
  type Sidecar,
  type StoredObject,
} from "./stored-object";

const FORMAT_FILE = ".s3-format.json";

export interface OpenedObject {
  meta: StoredObject;
  handle: FileHandle;
}

export interface FsBucketStoreOptions {
  /**
   * fsync data, sidecars and directories before a write is acknowledged (default true): a 200 then survives power
   * loss. With false, writes are still atomic (a killed process never leaves a partial object visible) but the last
   * acknowledged writes can be lost if the machine itself crashes. For throwaway data and tests.
   */
  durable?: boolean;
}

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function isValidBucketName(name: string): boolean {
  return BUCKET_RE.test(name) && !name.includes("..") && !/^\d+\.\d+\.\d+\.\d+$/.test(name);
}

/** Parsed sidecars by path (LRU). Entries are always validated against the data file before use. */
class SidecarCache {
  private readonly map = new Map<string, Sidecar>();
  constructor(private readonly max: number) {}
  get(file: string): Sidecar | undefined {
    const v = this.map.get(file);
    if (v) {
      this.map.delete(file);
      this.map.set(file, v);
    }
    return v;
  }
  set(file: string, value: Sidecar): void {
    this.map.delete(file);
    this.map.set(file, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
  delete(file: string): void {
    this.map.delete(file);
  }
  clear(): void {
    this.map.clear();
  }
}

export class FsBucketStore {
  private readonly locks = new KeyedMutex();
  private readonly dirSync: DirSyncer;
  private readonly sidecars = new SidecarCache(50_000);
  /** Multipart uploads into this store (multipart.ts). */
  readonly uploads: MultipartUploads;

  private constructor(
    readonly rootDir: string,
    private readonly codec: KeyCodecOptions,
    /** fsync files and directories before acknowledging writes (see FsBucketStoreOptions). */
    private readonly durable: boolean,
  ) {
    this.dirSync = new DirSyncer(durable);
    this.uploads = new MultipartUploads({
      rootDir,
      durable,
      locks: this.locks,
      dirSync: this.dirSync,
      locate: (bucket, key) => this.locate(bucket, key),
      requireBucket: (bucket) => this.requireBucket(bucket),
      commit: (loc, tmp, meta, preconditions) => this.commit(loc, tmp, meta, preconditions),
    });
  }

  /** Opens (creating if needed) a store rooted at `rootDir`. */
  static async open(rootDir: string, options: FsBucketStoreOptions = {}): Promise<FsBucketStore> {
    const durable = options.durable ?? true;
    const root = path.resolve(rootDir);
    await ensureDir(root, durable);
    const formatPath = path.join(root, FORMAT_FILE);
    let foldSafe: boolean;
    try {
      const format = JSON.parse(await fsp.readFile(formatPath, "utf8")) as { version?: number; foldSafe?: boolean };
      if (format.version !== 1) throw new Error(`${formatPath}: unsupported format version ${String(format.version)}`);
      foldSafe = format.foldSafe === true;
    } catch (err) {
      if (!isMissing(err)) throw err;
      foldSafe = await probeFoldingFileSystem(root);
      await writeFileAtomic(formatPath, JSON.stringify({ format: "eventlake-local-s3", version: 1, foldSafe }) + "\n", durable);
      await fsyncDir(root, durable);
    }
    return new FsBucketStore(root, { foldSafe }, durable);
  }

  // ---------------------------------------------------------------- buckets

  private bucketDir(bucket: string): string {
    if (!isValidBucketName(bucket)) throw new S3Error("InvalidBucketName", undefined, { BucketName: bucket });
    return path.join(this.rootDir, bucket);
  }

  async bucketExists(bucket: string): Promise<boolean> {
    try {
      return (await fsp.stat(this.bucketDir(bucket))).isDirectory();
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  private async requireBucket(bucket: string): Promise<string> {
    const dir = this.bucketDir(bucket);
    if (!(await this.bucketExists(bucket))) throw new S3Error("NoSuchBucket", undefined, { BucketName: bucket });
    return dir;
  }

  async createBucket(bucket: string): Promise<void> {
    const dir = this.bucketDir(bucket);
    try {
      await fsp.mkdir(dir);
    } catch (err) {
      if (errnoCode(err) === "EEXIST") throw new S3Error("BucketAlreadyOwnedByYou", undefined, { BucketName: bucket });
      throw err;
    }
    await fsyncDir(this.rootDir, this.durable);
  }

  // ---------------------------------------------------------------- objects

  private locate(bucket: string, key: string): Location {
    const bucketDir = this.bucketDir(bucket);
    if (key === "") throw new S3Error("InvalidArgument", "Object key must not be empty");
    if (Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) {
      throw new S3Error("KeyTooLongError", undefined, { MaxSizeAllowed: String(MAX_KEY_BYTES) });
    }
    let kp;
    try {
      kp = keyToPath(key, this.codec);
    } catch (err) {
      if (err instanceof RangeError) throw new S3Error("KeyTooLongError", `Your key is too long: ${err.message}`);
      throw err;
    }
    const dir = path.join(bucketDir, ...kp.dirs);
    return {
      bucketDir,
      dir,
      dataPath: path.join(dir, kp.file),
      sidecarPath: path.join(dir, kp.sidecar),
      lockKey: `${bucket}/${key}`,
    };
  }

  /** Streams a new object version to disk and commits it. */
  async putObject(
    bucket: string,
    key: string,
    attributes: ObjectAttributes,
    write: WriteOptions,
    preconditions: Preconditions = {},
  ): Promise<StoredObject> {
    const loc = this.locate(bucket, key);
    await this.requireBucket(bucket);
    const tmp = await writeTemp(loc.dir, { maxBytes: MAX_PUT_BYTES, ...write, durable: this.durable });
    const meta: StoredObject = {
      key,
      size: tmp.size,
      etag: tmp.md5.toString("hex"),
      lastModified: Date.now(),
      ...attributes,
      checksums: toBase64Record(tmp.digests, write.storeChecksums ?? []),
    };
    return this.commit(loc, tmp, meta, preconditions);
  }

  private async commit(loc: Location, tmp: TempFile, meta: StoredObject, preconditions: Preconditions) {
    const sidecar: Sidecar = { v: 1, ...meta, file: { size: tmp.size, mtimeNs: tmp.mtimeNs.toString() } };
    const sidecarTmp = path.join(loc.dir, tempName());
    let renamed = false;
    let sidecarRenamed = false;
    try {
      // Both files are durable before either is renamed into place.
      const settled = await Promise.allSettled([
        finishTemp(tmp, this.durable),
        writeFileAtomic(sidecarTmp, JSON.stringify(sidecar), this.durable),
      ]);
      for (const r of settled) if (r.status === "rejected") throw r.reason;
      await this.locks.run(loc.lockKey, async () => {
        if (preconditions.ifMatch !== undefined || preconditions.ifNoneMatch !== undefined) {
          const current = await this.readMeta(loc, true);
          if (preconditions.ifNoneMatch !== undefined && current && etagMatches(preconditions.ifNoneMatch, current.etag)) {
            throw new S3Error("PreconditionFailed", undefined, { Condition: "If-None-Match" });
          }
          if (preconditions.ifMatch !== undefined && (!current || !etagMatches(preconditions.ifMatch, current.etag))) {
            throw current
              ? new S3Error("PreconditionFailed", undefined, { Condition: "If-Match" })
              : new S3Error("NoSuchKey", undefined, { Key: meta.key });
          }
        }
        await fsp.rename(tmp.path, loc.dataPath); // the commit point
        renamed = true;
        await fsp.rename(sidecarTmp, loc.sidecarPath);
        sidecarRenamed = true;
        this.sidecars.set(loc.sidecarPath, sidecar);
      });
      await this.dirSync.sync(loc.dir);
      return meta;
    } finally {
      if (!renamed) await unlinkQuiet(tmp.path);
      if (!sidecarRenamed) await unlinkQuiet(sidecarTmp);
    }
  }

  /** An object's metadata, or undefined when it does not exist. `locked`: the caller holds the key's lock. */
  private async readMeta(loc: Location, locked: boolean): Promise<StoredObject | undefined> {
    if (!locked) {
      const cached = this.sidecars.get(loc.sidecarPath);
      if (cached) {
        const st = await fsp.stat(loc.dataPath, { bigint: true }).catch(() => undefined);
        if (st?.isFile() && cached.file.size === Number(st.size) && cached.file.mtimeNs === st.mtimeNs.toString()) {
          return stripSidecar(cached);
        }
      }
    }
    let handle: FileHandle;
    try {
      handle = await fsp.open(loc.dataPath, "r");
    } catch (err) {
      if (isMissing(err) || errnoCode(err) === "EISDIR") return undefined;
      throw err;
    }
    try {
      return await this.validatedMeta(loc, handle, locked);
    } finally {
      await handle.close();
    }
  }

  private async readSidecar(file: string, useCache: boolean): Promise<Sidecar | undefined> {
    if (useCache) {
      const cached = this.sidecars.get(file);
      if (cached) return cached;
    }
    try {
      const parsed = JSON.parse(await fsp.readFile(file, "utf8")) as Sidecar;
      if (parsed.v !== 1 || typeof parsed.file?.mtimeNs !== "string") return undefined;
      this.sidecars.set(file, parsed);
      return parsed;
    } catch {
      return undefined; // missing or unreadable: treated as absent and rebuilt from the data
    }
  }

  /**
   * Metadata for the data file open as `handle`. A sidecar that does not describe that file (crash between the two
   * renames, copied data directory, missing sidecar) is rebuilt from the data under the key's lock: the ETag is
   * recomputed, content type and user metadata are kept, stored checksums are dropped.
   */
  private async validatedMeta(loc: Location, handle: FileHandle, locked = false): Promise<StoredObject> {
    // The fast path may use the cache; the slow path (under the lock) always reads the disk.
    const check = async (useCache: boolean) => {
      const st = await handle.stat({ bigint: true });
      const sidecar = await this.readSidecar(loc.sidecarPath, useCache);
      const ok = sidecar && sidecar.file.size === Number(st.size) && sidecar.file.mtimeNs === st.mtimeNs.toString();
      return { st, sidecar, ok };
    };
    const first = await check(true);
    if (first.ok && first.sidecar) return stripSidecar(first.sidecar);
    const repair = async () => {
      const { st, sidecar, ok } = await check(false);
      if (ok && sidecar) return stripSidecar(sidecar);
      // Is `handle` still the current file? If the key was replaced meanwhile, describe our snapshot without writing.
      const current = await fsp.stat(loc.dataPath, { bigint: true }).catch(() => undefined);
      const md5 = createChecksum("md5");
      for await (const chunk of handle.createReadStream({ start: 0, autoClose: false, highWaterMark: 1 << 20 })) {
        md5.update(chunk as Buffer);
      }
      const key = sidecar?.key ?? loc.lockKey.slice(loc.lockKey.indexOf("/") + 1);
      const meta: StoredObject = {
        key,
        size: Number(st.size),
        etag: md5.digest().toString("hex"),
        lastModified: Number(st.mtimeNs / 1_000_000n),
        contentType: sidecar?.contentType,
        contentEncoding: sidecar?.contentEncoding,
        cacheControl: sidecar?.cacheControl,
        contentDisposition: sidecar?.contentDisposition,
        contentLanguage: sidecar?.contentLanguage,
        expires: sidecar?.expires,
        userMetadata: sidecar?.userMetadata ?? {},
        checksums: {},
      };
      if (current && current.ino === st.ino && current.dev === st.dev) {
        const repaired: Sidecar = { v: 1, ...meta, file: { size: meta.size, mtimeNs: st.mtimeNs.toString() } };
        await writeFileAtomic(loc.sidecarPath, JSON.stringify(repaired), this.durable);
        this.sidecars.set(loc.sidecarPath, repaired);
        await this.dirSync.sync(loc.dir);
      }
      return meta;
    };
    return locked ? repair() : this.locks.run(loc.lockKey, repair);
  }

  /** Opens an object for reading; undefined when the key does not exist. The caller closes the handle. */
  async openObject(bucket: string, key: string): Promise<OpenedObject | undefined> {
    const loc = this.locate(bucket, key);
    let handle: FileHandle;
    try {
      handle = await fsp.open(loc.dataPath, "r");
    } catch (err) {
      if (!isMissing(err) && errnoCode(err) !== "EISDIR") throw err;
      await this.requireBucket(bucket);
      return undefined;
    }
    try {
      return { handle, meta: await this.validatedMeta(loc, handle) };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async headObject(bucket: string, key: string): Promise<StoredObject | undefined> {
    const opened = await this.openObject(bucket, key);
    if (!opened) return undefined;
    await opened.handle.close();
    return opened.meta;
  }

  /** Deletes a key; deleting a missing key succeeds (S3 semantics). */
  async deleteObject(bucket: string, key: string): Promise<void> {
    const loc = this.locate(bucket, key);
    await this.requireBucket(bucket);
    await this.locks.run(loc.lockKey, async () => {
      let removed = false;
      try {
        await fsp.unlink(loc.dataPath);
        removed = true;
      } catch (err) {
        if (!isMissing(err)) throw err;
      }
      this.sidecars.delete(loc.sidecarPath);
      await fsp.unlink(loc.sidecarPath).catch((err: unknown) => {
        if (!isMissing(err)) throw err;
      });
      if (removed) await this.dirSync.sync(loc.dir).catch(() => undefined);
    });
    await this.pruneEmptyDirs(loc.dir, loc.bucketDir);
  }

  /** Removes now-empty directories from `dir` up to (not including) the bucket directory. */
  private async pruneEmptyDirs(dir: string, bucketDir: string): Promise<void> {
    for (let d = dir; d !== bucketDir && d.startsWith(bucketDir + path.sep); d = path.dirname(d)) {
      try {
        await fsp.rmdir(d);
      } catch {
        return; // not empty (or gone): stop
      }
      await fsyncDir(path.dirname(d), this.durable).catch(() => undefined);
    }
  }

  /** Copies an object (a consistent snapshot of the source) to a new key. */
  async copyObject(
    source: { bucket: string; key: string },
    target: { bucket: string; key: string },
    attributes: (sourceMeta: StoredObject) => ObjectAttributes,
    sourcePreconditions: (sourceMeta: StoredObject) => void = () => undefined,
  ): Promise<StoredObject> {
    const loc = this.locate(target.bucket, target.key);
    await this.requireBucket(target.bucket);
    const opened = await this.openObject(source.bucket, source.key);
    if (!opened) throw new S3Error("NoSuchKey", undefined, { Key: source.key });
    let tmp: TempFile;
    let sourceMeta: StoredObject;
    try {
      sourceMeta = opened.meta;
      sourcePreconditions(sourceMeta);
      const algorithms = Object.keys(sourceMeta.checksums) as ChecksumAlgorithm[];
      tmp = await writeTemp(loc.dir, {
        body: opened.handle.createReadStream({ start: 0, autoClose: false, highWaterMark: 1 << 20 }),
        algorithms,
        maxBytes: MAX_PUT_BYTES,
        durable: this.durable,
      });
      const digests = toBase64Record(tmp.digests, algorithms);
      const meta: StoredObject = {
        key: target.key,
        size: tmp.size,
        etag: tmp.md5.toString("hex"),
        lastModified: Date.now(),
        ...attributes(sourceMeta),
        checksums: digests,
      };
      return await this.commit(loc, tmp, meta, {});
    } finally {
      await opened.handle.close();
    }
  }

  // ---------------------------------------------------------------- listing (listing.ts)

  async list(bucket: string, options: ListOptions): Promise<ListResult> {
    const bucketDir = await this.requireBucket(bucket);
    return listKeys({ codec: this.codec, readMeta: (loc) => this.readMeta(loc, false) }, bucket, bucketDir, options);
  }
}

/** Whether names that differ only in case or Unicode normalization refer to the same file here. */
async function probeFoldingFileSystem(root: string): Promise<boolean> {
  const dir = await fsp.mkdtemp(path.join(root, ".s3-probe-"));
  try {
    await fsp.writeFile(path.join(dir, "a\u00e9"), "");
    const exists = async (name: string) =>
      fsp.stat(path.join(dir, name)).then(
        () => true,
        () => false,
      );
    return (await exists("A\u00e9")) || (await exists("ae\u0301"));
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
