/**
 * How the local S3 store puts bytes on disk so that a crash never exposes a partial file and an acknowledged write
 * survives power loss: a new file streamed under a temp name next to its destination (MD5 and checksums computed on
 * the way), fsynced, renamed into place, and the directory fsynced (coalesced across concurrent writers). Used by
 * fs-bucket-store.ts (objects and sidecars) and multipart.ts (parts).
 */
import { randomBytes } from "node:crypto";
import * as fsp from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import * as path from "node:path";
import { createChecksum, type ChecksumAlgorithm } from "./checksums";
import { S3Error } from "./errors";
import { TEMP_PREFIX } from "./key-codec";

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

export interface TempOptions extends WriteOptions {
  /** Create the directory when missing (default true). */
  createDir?: boolean;
  durable: boolean;
}

export function errnoCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : undefined;
}

export function isMissing(err: unknown): boolean {
  const code = errnoCode(err);
  // ENAMETOOLONG: a listing prefix can name a path no key could be stored at.
  return code === "ENOENT" || code === "ENOTDIR" || code === "ENAMETOOLONG";
}

/** Unique per process (random) and per call (counter): no two writers, even across restarts, share a temp name. */
const TEMP_INSTANCE = randomBytes(8).toString("hex");
let tempCounter = 0;

export function tempName(): string {
  return `${TEMP_PREFIX}${TEMP_INSTANCE}-${(tempCounter++).toString(36)}`;
}

export async function fsyncDir(dir: string, durable: boolean): Promise<void> {
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
export async function ensureDir(dir: string, durable: boolean): Promise<void> {
  const first = await fsp.mkdir(dir, { recursive: true });
  if (first === undefined) return;
  const created: string[] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    created.push(d);
    if (d === first || path.dirname(d) === d) break;
  }
  for (const d of created.reverse()) await fsyncDir(path.dirname(d), durable);
}

export async function unlinkQuiet(file: string): Promise<void> {
  await fsp.unlink(file).catch(() => undefined);
}

/** Writes bytes to a new file next to `target`, fsyncs, and renames it over `target` (no directory fsync). */
export async function writeFileAtomic(target: string, data: string | Uint8Array, durable: boolean): Promise<void> {
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

export interface TempFile extends BodyDigests {
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
export async function writeTemp(dir: string, options: TempOptions): Promise<TempFile> {
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
export async function finishTemp(tmp: TempFile, durable: boolean): Promise<void> {
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
export class DirSyncer {
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

/** Per-key mutual exclusion inside this process. */
export class KeyedMutex {
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
