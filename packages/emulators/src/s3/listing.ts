/**
 * ListObjectsV2 over the store's directory tree: keys in UTF-8 order, delimiters rolled up into common prefixes,
 * pages that resume after a key or a common prefix. Reads the file system only; metadata comes from the store.
 */
import type { Dirent } from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { isMissing } from "./durable-files";
import { compareKeys, decodeSegment, encodeSegment, OBJECT_FILE_PREFIX, SIDECAR_SUFFIX, TEMP_PREFIX, type KeyCodecOptions } from "./key-codec";
import type { Location, StoredObject } from "./stored-object";

/** Temp files older than this are left over from a crash: a listing that meets one removes it. */
const STALE_TEMP_MS = 60 * 60 * 1000;

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

/** What a listing needs from the store: how keys are named on disk, and an object's metadata. */
export interface ListingSource {
  codec: KeyCodecOptions;
  /** An object's metadata, or undefined when it was deleted meanwhile. */
  readMeta(loc: Location): Promise<StoredObject | undefined>;
}

interface WalkItem {
  kind: "file" | "dir";
  /** Full key for files; key prefix ending in "/" for directories. */
  key: string;
  abs: string;
}

/**
 * Keys in UTF-8 order, walking the directory tree: within one directory, a file `x` sorts as the key `…x` and a
 * directory `x` as `…x/` (every key below it starts with that), which is exactly the global key order. Subtrees
 * entirely before `startAfter`, outside the prefix, or rolled up into one common prefix are not descended into.
 */
export async function listKeys(source: ListingSource, bucket: string, bucketDir: string, options: ListOptions): Promise<ListResult> {
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
      startDir = path.join(bucketDir, ...segments.map((s) => encodeSegment(s, source.codec)));
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
    for (const item of await readDirSorted(source.codec, dirAbs, dirKey)) {
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
          if (await hasObject(source.codec, item.abs)) {
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
    return source.readMeta(loc);
  });
  result.contents = metas.filter((m): m is StoredObject => m !== undefined);
  return result;
}

/** Entries of one directory that are objects or key directories, in key order. */
async function readDirSorted(codec: KeyCodecOptions, dirAbs: string, dirKey: string): Promise<WalkItem[]> {
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
        const segment = decodeSegment(e.name.slice(OBJECT_FILE_PREFIX.length), codec);
        if (segment !== undefined) items.push({ kind: "file", key: dirKey + segment, abs: path.join(dirAbs, e.name) });
      } else if (e.name.startsWith(TEMP_PREFIX)) {
        void removeIfStale(path.join(dirAbs, e.name));
      }
    } else if (e.isDirectory()) {
      const segment = decodeSegment(e.name, codec);
      if (segment !== undefined) items.push({ kind: "dir", key: dirKey + segment + "/", abs: path.join(dirAbs, e.name) });
    }
  }
  return items.sort((a, b) => compareKeys(a.key, b.key));
}

async function removeIfStale(file: string): Promise<void> {
  try {
    const st = await fsp.stat(file);
    if (Date.now() - st.mtimeMs > STALE_TEMP_MS) await fsp.unlink(file);
  } catch {
    // gone already
  }
}

/** Whether any object exists in the subtree. */
async function hasObject(codec: KeyCodecOptions, dirAbs: string): Promise<boolean> {
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
      if (decodeSegment(e.name.slice(OBJECT_FILE_PREFIX.length), codec) !== undefined) return true;
    } else if (e.isDirectory() && decodeSegment(e.name, codec) !== undefined) {
      dirs.push(path.join(dirAbs, e.name));
    }
  }
  for (const d of dirs) if (await hasObject(codec, d)) return true;
  return false;
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

