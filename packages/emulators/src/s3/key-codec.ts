/**
 * How object keys map to paths under a bucket directory.
 *
 * A key is split on "/" and every segment becomes one path component, so the tree under rootDir/<bucket> mirrors
 * the key space and stays readable (`events/year=2024/month=01/@part-0001.parquet`): tools that only read local
 * files (DuckDB here) can glob it, and hive-style `name=value` directories keep their names.
 *
 * - Directory components are `encodeSegment(segment)`; the object's own file is `"@" + encodeSegment(last)`. Because an
 *   encoded segment never starts with "@" (it is escaped), a key `a` and a key `a/b` (file `@a` and directory `a`)
 *   never collide, and neither do keys ending in "/" (`a/` is the file `@%` inside directory `a`).
 * - `encodeSegment` keeps `[A-Za-z0-9-_.=,+~]` (and, on case- and normalization-sensitive file systems, non-ASCII
 *   characters) as they are and writes every other byte as `%XX` (upper-case hex). `.` and `..` become `%2E` and
 *   `%2E%2E`, the empty segment becomes `%`. Nothing can therefore name a parent directory, and no key can leave
 *   the bucket directory.
 * - Decoding accepts only canonical encodings (decode then encode must give the name back), so every file maps to
 *   exactly one key and stray files (temp files, sidecars, anything a user drops in) are never listed as objects.
 */

/** Longest encoded segment accepted: "@" + segment + "%meta" must fit NAME_MAX (255 bytes). */
export const MAX_ENCODED_SEGMENT_BYTES = 240;
export const OBJECT_FILE_PREFIX = "@";
export const SIDECAR_SUFFIX = "%meta";
export const TEMP_PREFIX = "%tmp-";

export interface KeyCodecOptions {
  /**
   * Escape upper-case ASCII letters and every non-ASCII character. Needed on case-insensitive or
   * normalization-insensitive file systems (default macOS/Windows volumes), where `A`/`a` or NFC/NFD forms of the
   * same text would otherwise name the same file.
   */
  foldSafe: boolean;
}

const HEX = "0123456789ABCDEF";

function isSafeAscii(c: number, foldSafe: boolean): boolean {
  if (c >= 0x61 && c <= 0x7a) return true; // a-z
  if (c >= 0x30 && c <= 0x39) return true; // 0-9
  if (c >= 0x41 && c <= 0x5a) return !foldSafe; // A-Z
  // - _ . = , + ~
  return c === 0x2d || c === 0x5f || c === 0x2e || c === 0x3d || c === 0x2c || c === 0x2b || c === 0x7e;
}

function pctByte(b: number): string {
  return "%" + HEX[b >> 4]! + HEX[b & 15]!;
}

export function encodeSegment(segment: string, options: KeyCodecOptions): string {
  if (segment === "") return "%";
  if (segment === ".") return "%2E";
  if (segment === "..") return "%2E%2E";
  let out = "";
  for (const ch of segment) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) {
      out += isSafeAscii(cp, options.foldSafe) ? ch : pctByte(cp);
    } else if (options.foldSafe) {
      for (const b of Buffer.from(ch, "utf8")) out += pctByte(b);
    } else {
      out += ch;
    }
  }
  return out;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The segment a component name encodes, or undefined when the name is not a canonical encoding. */
export function decodeSegment(name: string, options: KeyCodecOptions): string | undefined {
  if (name === "%") return "";
  if (name === "") return undefined;
  let segment: string;
  if (!name.includes("%")) {
    segment = name;
  } else {
    const bytes: number[] = [];
    const nameBytes = Buffer.from(name, "utf8");
    for (let i = 0; i < nameBytes.length; i++) {
      const b = nameBytes[i]!;
      if (b === 0x25) {
        const hex = nameBytes.subarray(i + 1, i + 3).toString("latin1");
        if (!/^[0-9A-F]{2}$/.test(hex)) return undefined;
        bytes.push(Number.parseInt(hex, 16));
        i += 2;
      } else {
        bytes.push(b);
      }
    }
    try {
      segment = utf8.decode(Uint8Array.from(bytes));
    } catch {
      return undefined;
    }
  }
  return encodeSegment(segment, options) === name ? segment : undefined;
}

export interface KeyPath {
  /** Encoded directory components between the bucket directory and the object file. */
  dirs: string[];
  /** Name of the data file ("@" + encoded last segment). */
  file: string;
  /** Name of the metadata sidecar next to it. */
  sidecar: string;
}

/** Maps a key to its path components; throws KeyTooLongError-worthy RangeError when a segment is too long. */
export function keyToPath(key: string, options: KeyCodecOptions): KeyPath {
  const segments = key.split("/");
  const encoded = segments.map((s) => encodeSegment(s, options));
  for (const e of encoded) {
    if (Buffer.byteLength(e, "utf8") > MAX_ENCODED_SEGMENT_BYTES) {
      throw new RangeError(`key segment longer than ${MAX_ENCODED_SEGMENT_BYTES} bytes once encoded`);
    }
  }
  const last = encoded.pop()!;
  const file = OBJECT_FILE_PREFIX + last;
  return { dirs: encoded, file, sidecar: file + SIDECAR_SUFFIX };
}

/** UTF-8 byte order of two strings (what S3 lists in), without allocating. Equals code-point order. */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // Surrogates (code points >= U+10000) sort after every BMP character in code-point order, but
    // U+E000..U+FFFF code units are larger than surrogate code units, so correct for that case.
    const sa = ca >= 0xd800 && ca <= 0xdfff;
    const sb = cb >= 0xd800 && cb <= 0xdfff;
    if (sa !== sb) return sa ? 1 : -1;
    return ca - cb;
  }
  return a.length - b.length;
}
