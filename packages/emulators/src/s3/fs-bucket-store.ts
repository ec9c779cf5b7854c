/**
 * Buckets and objects on the local file system, with S3's semantics and crash safety.
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

import { randomBytes } from "node:crypto";
import { createReadStream, type Dirent } from "node:fs";
import * as fsp from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import * as path from "node:path";
import { createChecksum, type ChecksumAlgorithm } from "./checksums";
import { S3Error } from "./errors";
import {
  compareKeys,
  decodeSegment,
  encodeSegment,
  keyToPath,
  OBJECT_FILE_PREFIX,
  SIDECAR_SUFFIX,
  TEMP_PREFIX,
  type KeyCodecOptions,
} from "./key-codec";

export const MAX_KEY_BYTES = 1024;
export const MAX_PUT_BYTES = 5 * 1024 ** 3;
export const MIN_PART_BYTES = 5 * 1024 ** 2;
export const MAX_PART_NUMBER = 10_000;
const STALE_TEMP_MS = 60 * 60 * 1000;
const FORMAT_FILE = ".s3-format.json";
const MULTIPART_DIR = ".s3-multipart";

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

interface Sidecar extends StoredObject {
  v: 1;
  /** The data file this sidecar was written for. */
  file: { size: number; mtimeNs: string };
}

/** Result of streaming a body, handed to the caller's verification before anything is committed. */
export interface BodyDigests {
  size: number;
  md5: Buffer;
  digests: Partial<Record<ChecksumAlgorithm, Buffer>>;
}

export interface WriteOptions {
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /** Checksums to compute while streaming (for verification and/or storage). */
  algorithms?: readonly ChecksumAlgorithm[];
  /** Checksums to keep in the sidecar and return on GetObject (subset of algorithms). */
  storeChecksums?: readonly ChecksumAlgorithm[];
  /** Throws (an S3Error) to reject the body; runs after the body has ended and before the commit. */
  verify?: (result: BodyDigests) => void;
  maxBytes?: number;
}

interface TempOptions extends WriteOptions {
  /** Create the directory when missing (default true). */
  createDir?: boolean;
  durable: boolean;
}

export interface Preconditions {
  ifMatch?: string;
  ifNoneMatch?: string;
}

export interface OpenedObject {
  meta: StoredObject;
  handle: FileHandle;
}

export interface ListOptions {
  prefix: string;
  delimiter?: string;
  /** Only entries strictly after this key (UTF-8 order). */
  startAfter?: string;
  /** Resume after a common prefix: skip every key under it. */
  skipPrefix?: string;
  maxKeys: number;
}

export interface ListResult {
  contents: StoredObject[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** Last entry returned, to build a continuation token from. */
  last?: { value: string; isPrefix: boolean };
}

export interface FsBucketStoreOptions {
  /**
   * fsync data, sidecars and directories before a write is acknowledged (default true): a 200 then survives power
   * loss. With false, writes are still atomic (a killed process never leaves a partial object visible) but the last
   * acknowledged writes can be lost if the machine itself crashes. For throwaway data and tests.
   */
  durable?: boolean;
}

export interface BucketInfo {
  name: string;
  creationDate: Date;
}

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

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function isValidBucketName(name: string): boolean {
  return BUCKET_RE.test(name) && !name.includes("..") && !/^\d+\.\d+\.\d+\.\d+$/.test(name);
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : undefined;
}

function isMissing(err: unknown): boolean {
  const code = errnoCode(err);
  // ENAMETOOLONG: a listing prefix can name a path no key could be stored at.
  return code === "ENOENT" || code === "ENOTDIR" || code === "ENAMETOOLONG";
}

/** Unique per process (random) and per call (counter): no two writers, even across restarts, share a temp name. */
const TEMP_INSTANCE = randomBytes(8).toString("hex");
let tempCounter = 0;

function tempName(): string {
  return `${TEMP_PREFIX}${TEMP_INSTANCE}-${(tempCounter++).toString(36)}`;
}

async function fsyncDir(dir: string, durable: boolean): Promise<void> {
  if (!durable) return;
  let handle: FileHandle | undefined;
  try {
    handle = await fsp.open(dir, "r");
    await handle.sync();
  } catch (err) {
    // Some platforms cannot open or fsync directories (Windows); the rename is still atomic there. A directory that
    // is gone was pruned by a delete, which fsyncs its parent itself.
    const code = errnoCode(err);
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL" && code !== "EACCES" && code !== "ENOENT") throw err;
  } finally {
    await handle?.close();
  }
}

/** mkdir -p, fsyncing the parent of every directory it creates. */
async function ensureDir(dir: string, durable: boolean): Promise<void> {
  const first = await fsp.mkdir(dir, { recursive: true });
  if (first === undefined) return;
  const created: string[] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    created.push(d);
    if (d === first || path.dirname(d) === d) break;
  }
  for (const d of created.reverse()) await fsyncDir(path.dirname(d), durable);
}

async function unlinkQuiet(file: string): Promise<void> {
  await fsp.unlink(file).catch(() => undefined);
}

/** Writes bytes to a new file next to `target`, fsyncs, and renames it over `target` (no directory fsync). */
async function writeFileAtomic(target: string, data: string | Uint8Array, durable: boolean): Promise<void> {
  const tmp = path.join(path.dirname(target), tempName());
  const handle = await fsp.open(tmp, "wx");
  try {
    await handle.writeFile(data);
    if (durable) await handle.sync();
  } catch (err) {
    await handle.close();
    await unlinkQuiet(tmp);
    throw err;
  }
  await handle.close();
  try {
    await fsp.rename(tmp, target);
  } catch (err) {
    await unlinkQuiet(tmp);
    throw err;
  }
}

interface TempFile extends BodyDigests {
  path: string;
  /** Still open and not yet fsynced: see finishTemp. */
  handle: FileHandle;
  mtimeNs: bigint;
}

/**
 * Streams a body into a new temp file in `dir` (created when missing), computing MD5 and the given checksums, and
 * runs `verify`. The file is left open and unsynced (finishTemp), so the caller can overlap its fsync with other
 * work; on failure it is removed.
 */
async function writeTemp(dir: string, options: TempOptions): Promise<TempFile> {
  let handle: FileHandle | undefined;
  let tmp = "";
  for (let attempt = 0; handle === undefined; attempt++) {
    tmp = path.join(dir, tempName());
    try {
      handle = await fsp.open(tmp, "wx");
    } catch (err) {
      if (errnoCode(err) === "ENAMETOOLONG") throw new S3Error("KeyTooLongError", "Your key is too long for the local file system");
      // Missing directory: create it (the first write below a new prefix, or a concurrent delete pruned it).
      if (errnoCode(err) !== "ENOENT" || options.createDir === false || attempt >= 10) throw err;
      await ensureDir(dir, options.durable).catch((e: unknown) => {
        if (errnoCode(e) === "ENAMETOOLONG") throw new S3Error("KeyTooLongError", "Your key is too long for the local file system");
        if (errnoCode(e) !== "ENOENT") throw e;
      });
    }
  }
  try {
    const md5 = createChecksum("md5");
    const algorithms = options.algorithms ?? [];
    const hashers = algorithms.map((a) => [a, createChecksum(a)] as const);
    const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    let size = 0;
    for await (const chunk of options.body) {
      if (chunk.length === 0) continue;
      size += chunk.length;
      if (size > maxBytes) {
        throw new S3Error("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", {
          MaxSizeAllowed: String(maxBytes),
        });
      }
      md5.update(chunk);
      for (const [, h] of hashers) h.update(chunk);
      let offset = 0;
      while (offset < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
        offset += bytesWritten;
      }
    }
    const digests: Partial<Record<ChecksumAlgorithm, Buffer>> = {};
    for (const [a, h] of hashers) digests[a] = h.digest();
    const result = { size, md5: md5.digest(), digests };
    options.verify?.(result);
    const st = await handle.stat({ bigint: true });
    return { ...result, path: tmp, handle, mtimeNs: st.mtimeNs };
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlinkQuiet(tmp);
    throw err;
  }
}

/** fsyncs and closes a temp file (removing it when that fails). */
async function finishTemp(tmp: TempFile, durable: boolean): Promise<void> {
  try {
    if (durable) await tmp.handle.sync();
  } catch (err) {
    await tmp.handle.close().catch(() => undefined);
    await unlinkQuiet(tmp.path);
    throw err;
  }
  await tmp.handle.close();
}

/**
 * Directory fsyncs, coalesced: a caller waits for an fsync that started after its call (so it covers the caller's
 * renames), and concurrent callers share one.
 */
class DirSyncer {
  private readonly entries = new Map<string, { current: Promise<void>; queued?: Promise<void> }>();
  constructor(private readonly durable: boolean) {}

  sync(dir: string): Promise<void> {
    if (!this.durable) return Promise.resolve();
    const entry = this.entries.get(dir);
    if (!entry) {
      const current = this.run(dir);
      this.entries.set(dir, { current });
      return current;
    }
    entry.queued ??= entry.current
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        const current = this.run(dir);
        entry.current = current;
        entry.queued = undefined;
        return current;
      });
    return entry.queued;
  }

  private run(dir: string): Promise<void> {
    const p: Promise<void> = fsyncDir(dir, true).finally(() => {
      const e = this.entries.get(dir);
      if (e && e.current === p && !e.queued) this.entries.delete(dir);
    });
    return p;
  }
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

/** Per-key mutual exclusion inside this process. */
class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

interface Location {
  bucketDir: string;
  dir: string;
  dataPath: string;
  sidecarPath: string;
  lockKey: string;
}

interface WalkItem {
  kind: "file" | "dir";
  /** Full key for files; key prefix ending in "/" for directories. */
  key: string;
  abs: string;
}

function etagMatches(header: string, etag: string): boolean {
  return header
    .split(",")
    .map((t) => t.trim().replace(/^W\//, "").replace(/^"|"$/g, ""))
    .some((t) => t === "*" || t === etag);
}

function toBase64Record(digests: Partial<Record<ChecksumAlgorithm, Buffer>>, keep: readonly ChecksumAlgorithm[]) {
  const out: Partial<Record<ChecksumAlgorithm, string>> = {};
  for (const a of keep) {
    const d = digests[a];
    if (d) out[a] = d.toString("base64");
  }
  return out;
}

export class FsBucketStore {
  private readonly locks = new KeyedMutex();
  private readonly dirSync: DirSyncer;
  private readonly sidecars = new SidecarCache(50_000);

  private constructor(
    readonly rootDir: string,
    private readonly codec: KeyCodecOptions,
    /** fsync files and directories before acknowledging writes (see FsBucketStoreOptions). */
    private readonly durable: boolean,
  ) {
    this.dirSync = new DirSyncer(durable);
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

  async deleteBucket(bucket: string): Promise<void> {
    const dir = await this.requireBucket(bucket);
    if (await this.hasObject(dir)) throw new S3Error("BucketNotEmpty", undefined, { BucketName: bucket });
    // Only empty directories, stale temp files and orphaned sidecars can remain: move aside, then remove.
    const trash = path.join(this.rootDir, `.trash-${randomBytes(8).toString("hex")}`);
    await fsp.rename(dir, trash);
    this.sidecars.clear();
    await fsyncDir(this.rootDir, this.durable);
    await fsp.rm(trash, { recursive: true, force: true });
  }

  async listBuckets(): Promise<BucketInfo[]> {
    const out: BucketInfo[] = [];
    for (const e of await fsp.readdir(this.rootDir, { withFileTypes: true })) {
      if (!e.isDirectory() || !isValidBucketName(e.name)) continue;
      const st = await fsp.stat(path.join(this.rootDir, e.name)).catch(() => undefined);
      if (!st) continue;
      out.push({ name: e.name, creationDate: new Date(st.birthtimeMs > 0 ? st.birthtimeMs : st.mtimeMs) });
    }
    return out.sort((a, b) => compareKeys(a.name, b.name));
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

  // ---------------------------------------------------------------- listing

  /**
   * Keys in UTF-8 order, walking the directory tree: within one directory, a file `x` sorts as the key `…x` and a
   * directory `x` as `…x/` (every key below it starts with that), which is exactly the global key order. Subtrees
   * entirely before `startAfter`, outside the prefix, or rolled up into one common prefix are not descended into.
   */
  async list(bucket: string, options: ListOptions): Promise<ListResult> {
    const bucketDir = await this.requireBucket(bucket);
    const result: ListResult = { contents: [], commonPrefixes: [], isTruncated: false };
    if (options.maxKeys <= 0) return result;
    const { prefix } = options;
    const delimiter = options.delimiter || undefined;
    const startAfter = options.startAfter ?? "";
    const skipPrefix = options.skipPrefix || undefined;

    // Every key with the prefix lies below the directory of the prefix's complete segments.
    const slash = prefix.lastIndexOf("/");
    const base = slash >= 0 ? prefix.slice(0, slash + 1) : "";
    let startDir = bucketDir;
    if (base !== "") {
      const segments = base.slice(0, -1).split("/");
      try {
        startDir = path.join(bucketDir, ...segments.map((s) => encodeSegment(s, this.codec)));
      } catch {
        return result;
      }
    }

    const files: { key: string; abs: string }[] = [];
    let count = 0;
    let lastCommonPrefix: string | undefined;
    let done = false;

    /** Returns false when the walk must stop (page full or past the prefix). */
    const emitPrefix = (cp: string): boolean => {
      if (cp === lastCommonPrefix) return true;
      if (count >= options.maxKeys) {
        result.isTruncated = true;
        return false;
      }
      result.commonPrefixes.push(cp);
      result.last = { value: cp, isPrefix: true };
      lastCommonPrefix = cp;
      count++;
      return true;
    };

    const walk = async (dirAbs: string, dirKey: string): Promise<void> => {
      for (const item of await this.readDirSorted(dirAbs, dirKey)) {
        if (done) return;
        const k = item.key;
        if (!k.startsWith(prefix)) {
          if (item.kind === "dir" && prefix.startsWith(k)) {
            // The prefix continues inside this directory.
          } else if (compareKeys(k, prefix) > 0) {
            done = true; // sorted: everything from here on is past the prefix
            return;
          } else {
            continue;
          }
        }
        if (item.kind === "file") {
          if (startAfter && compareKeys(k, startAfter) <= 0) continue;
          if (skipPrefix && k.startsWith(skipPrefix)) continue;
          if (delimiter) {
            const at = k.indexOf(delimiter, prefix.length);
            if (at >= 0) {
              if (!emitPrefix(k.slice(0, at + delimiter.length))) done = true;
              continue;
            }
          }
          if (count >= options.maxKeys) {
            result.isTruncated = true;
            done = true;
            return;
          }
          files.push({ key: k, abs: item.abs });
          result.last = { value: k, isPrefix: false };
          count++;
          continue;
        }
        // Directory: every key below starts with k (which ends in "/").
        if (startAfter && compareKeys(startAfter, k) > 0 && !startAfter.startsWith(k)) continue;
        if (skipPrefix && k.startsWith(skipPrefix)) continue;
        if (delimiter && !(startAfter && startAfter.startsWith(k)) && k.length >= prefix.length) {
          const at = k.indexOf(delimiter, prefix.length);
          if (at >= 0) {
            // Everything below rolls up into one common prefix.
            if (await this.hasObject(item.abs)) {
              if (!emitPrefix(k.slice(0, at + delimiter.length))) done = true;
            }
            continue;
          }
        }
        await walk(item.abs, k);
      }
    };
    await walk(startDir, base);

    // Load metadata for the page (in parallel); keys deleted meanwhile drop out.
    const metas = await mapLimit(files, 16, async (f) => {
      const dir = path.dirname(f.abs);
      const name = path.basename(f.abs);
      const loc: Location = {
        bucketDir,
        dir,
        dataPath: f.abs,
        sidecarPath: path.join(dir, name + SIDECAR_SUFFIX),
        lockKey: `${bucket}/${f.key}`,
      };
      return this.readMeta(loc, false);
    });
    result.contents = metas.filter((m): m is StoredObject => m !== undefined);
    return result;
  }

  /** Entries of one directory that are objects or key directories, in key order. */
  private async readDirSorted(dirAbs: string, dirKey: string): Promise<WalkItem[]> {
    let entries: Dirent[];
    try {
      entries = await fsp.readdir(dirAbs, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
    const items: WalkItem[] = [];
    for (const e of entries) {
      if (e.isFile()) {
        if (e.name.startsWith(OBJECT_FILE_PREFIX)) {
          if (e.name.endsWith(SIDECAR_SUFFIX)) continue;
          const segment = decodeSegment(e.name.slice(OBJECT_FILE_PREFIX.length), this.codec);
          if (segment !== undefined) items.push({ kind: "file", key: dirKey + segment, abs: path.join(dirAbs, e.name) });
        } else if (e.name.startsWith(TEMP_PREFIX)) {
          void this.removeIfStale(path.join(dirAbs, e.name));
        }
      } else if (e.isDirectory()) {
        const segment = decodeSegment(e.name, this.codec);
        if (segment !== undefined) items.push({ kind: "dir", key: dirKey + segment + "/", abs: path.join(dirAbs, e.name) });
      }
    }
    return items.sort((a, b) => compareKeys(a.key, b.key));
  }

  private async removeIfStale(file: string): Promise<void> {
    try {
      const st = await fsp.stat(file);
      if (Date.now() - st.mtimeMs > STALE_TEMP_MS) await fsp.unlink(file);
    } catch {
      // gone already
    }
  }

  /** Whether any object exists in the subtree. */
  private async hasObject(dirAbs: string): Promise<boolean> {
    let entries: Dirent[];
    try {
      entries = await fsp.readdir(dirAbs, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
    const dirs: string[] = [];
    for (const e of entries) {
      if (e.isFile() && e.name.startsWith(OBJECT_FILE_PREFIX) && !e.name.endsWith(SIDECAR_SUFFIX)) {
        if (decodeSegment(e.name.slice(OBJECT_FILE_PREFIX.length), this.codec) !== undefined) return true;
      } else if (e.isDirectory() && decodeSegment(e.name, this.codec) !== undefined) {
        dirs.push(path.join(dirAbs, e.name));
      }
    }
    for (const d of dirs) if (await this.hasObject(d)) return true;
    return false;
  }

  // ---------------------------------------------------------------- multipart uploads

  private uploadDir(uploadId: string): string {
    if (!/^[0-9a-f]{32}$/.test(uploadId)) throw new S3Error("NoSuchUpload", undefined, { UploadId: uploadId });
    return path.join(this.rootDir, MULTIPART_DIR, uploadId);
  }

  async createMultipartUpload(
    bucket: string,
    key: string,
    attributes: ObjectAttributes,
    checksumAlgorithm?: ChecksumAlgorithm,
  ): Promise<UploadInfo> {
    this.locate(bucket, key);
    await this.requireBucket(bucket);
    const uploadId = randomBytes(16).toString("hex");
    const dir = this.uploadDir(uploadId);
    await ensureDir(dir, this.durable);
    const info: UploadInfo = { uploadId, bucket, key, initiated: Date.now(), attributes, checksumAlgorithm };
    await writeFileAtomic(path.join(dir, "upload.json"), JSON.stringify(info), this.durable);
    await fsyncDir(dir, this.durable);
    return info;
  }

  async getUpload(bucket: string, key: string, uploadId: string): Promise<UploadInfo> {
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
    await this.getUpload(bucket, key, uploadId);
    const dir = this.uploadDir(uploadId);
    let tmp: TempFile;
    try {
      // A missing upload directory means the upload was aborted: do not create it again.
      tmp = await writeTemp(dir, { maxBytes: MAX_PUT_BYTES, ...write, createDir: false, durable: this.durable });
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
      await finishTemp(tmp, this.durable);
      await this.locks.run(`${uploadId}#${partNumber}`, async () => {
        await fsp.rename(tmp.path, path.join(dir, name));
        await writeFileAtomic(path.join(dir, name + ".json"), JSON.stringify(part), this.durable);
        await this.dirSync.sync(dir);
      });
    } catch (err) {
      await unlinkQuiet(tmp.path);
      if (isMissing(err)) throw new S3Error("NoSuchUpload", undefined, { UploadId: uploadId });
      throw err;
    }
    const { file: _file, ...info } = part;
    return info;
  }

  async listParts(bucket: string, key: string, uploadId: string): Promise<PartInfo[]> {
    await this.getUpload(bucket, key, uploadId);
    const dir = this.uploadDir(uploadId);
    const parts: PartInfo[] = [];
    for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
      const m = /^part-(\d{5})$/.exec(name);
      if (!m) continue;
      const part = await this.readPart(dir, Number(m[1]));
      if (part) parts.push(part);
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
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

  async completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    requested: readonly { partNumber: number; etag: string }[],
    preconditions: Preconditions = {},
  ): Promise<StoredObject> {
    const upload = await this.getUpload(bucket, key, uploadId);
    const loc = this.locate(bucket, key);
    await this.requireBucket(bucket);
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
    const tmp = await writeTemp(loc.dir, { body, durable: this.durable });
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
    const committed = await this.commit(loc, tmp, meta, preconditions);
    await fsp.rm(dir, { recursive: true, force: true });
    return committed;
  }

  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    await this.getUpload(bucket, key, uploadId);
    await fsp.rm(this.uploadDir(uploadId), { recursive: true, force: true });
  }

  async listMultipartUploads(bucket: string, prefix: string): Promise<UploadInfo[]> {
    await this.requireBucket(bucket);
    const root = path.join(this.rootDir, MULTIPART_DIR);
    const out: UploadInfo[] = [];
    for (const id of await fsp.readdir(root).catch(() => [] as string[])) {
      if (!/^[0-9a-f]{32}$/.test(id)) continue;
      try {
        const info = JSON.parse(await fsp.readFile(path.join(root, id, "upload.json"), "utf8")) as UploadInfo;
        if (info.bucket === bucket && info.key.startsWith(prefix)) out.push(info);
      } catch {
        // incomplete or aborted
      }
    }
    return out.sort((a, b) => compareKeys(a.key, b.key) || a.initiated - b.initiated);
  }
}

function stripSidecar(sidecar: Sidecar): StoredObject {
  const { v: _v, file: _file, ...meta } = sidecar;
  return meta;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
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
