/**
 * The checksums S3 accepts on uploads (x-amz-checksum-*), computed incrementally while a body streams to disk.
 * CRC32 uses node:zlib; CRC32C and CRC64NVME are table-driven here; SHA-1/SHA-256/MD5 use node:crypto.
 * Digests are big-endian bytes; S3 sends them base64-encoded.
 */

import { createHash, type Hash } from "node:crypto";
import { crc32 as zlibCrc32 } from "node:zlib";

export const CHECKSUM_ALGORITHMS = ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export function isChecksumAlgorithm(value: string): value is ChecksumAlgorithm {
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(value);
}

/** Digest size in bytes, used to validate the base64 values clients send. */
export const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = { crc32: 4, crc32c: 4, crc64nvme: 8, sha1: 20, sha256: 32 };

export interface IncrementalChecksum {
  update(chunk: Uint8Array): void;
  digest(): Buffer;
}

class Crc32 implements IncrementalChecksum {
  private value = 0;
  update(chunk: Uint8Array): void {
    this.value = zlibCrc32(chunk, this.value);
  }
  digest(): Buffer {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(this.value >>> 0);
    return out;
  }
}

/** Reflected CRC-32C (Castagnoli), polynomial 0x82F63B78, init and xor-out 0xFFFFFFFF. */
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

class Crc32c implements IncrementalChecksum {
  private crc = 0xffffffff;
  update(chunk: Uint8Array): void {
    const t = CRC32C_TABLE;
    let crc = this.crc;
    for (let i = 0; i < chunk.length; i++) crc = t[(crc ^ chunk[i]!) & 0xff]! ^ (crc >>> 8);
    this.crc = crc;
  }
  digest(): Buffer {
    const out = Buffer.alloc(4);
    out.writeUInt32BE((this.crc ^ 0xffffffff) >>> 0);
    return out;
  }
}

/**
 * Reflected CRC-64/NVME, polynomial 0x9A6C9329AC4BC9B5, init and xor-out all ones. The 64-bit register is kept as
 * two 32-bit halves so the inner loop stays on small integers.
 */
const CRC64_TABLE_HI = new Uint32Array(256);
const CRC64_TABLE_LO = new Uint32Array(256);
(() => {
  const polyHi = 0x9a6c9329;
  const polyLo = 0xac4bc9b5;
  for (let n = 0; n < 256; n++) {
    let hi = 0;
    let lo = n;
    for (let k = 0; k < 8; k++) {
      const lsb = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (lsb) {
        hi = (hi ^ polyHi) >>> 0;
        lo = (lo ^ polyLo) >>> 0;
      }
    }
    CRC64_TABLE_HI[n] = hi;
    CRC64_TABLE_LO[n] = lo;
  }
})();

class Crc64Nvme implements IncrementalChecksum {
  private hi = 0xffffffff;
  private lo = 0xffffffff;
  update(chunk: Uint8Array): void {
    const th = CRC64_TABLE_HI;
    const tl = CRC64_TABLE_LO;
    let hi = this.hi;
    let lo = this.lo;
    for (let i = 0; i < chunk.length; i++) {
      const idx = (lo ^ chunk[i]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ tl[idx]!;
      hi = (hi >>> 8) ^ th[idx]!;
    }
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
  }
  digest(): Buffer {
    const out = Buffer.alloc(8);
    out.writeUInt32BE((this.hi ^ 0xffffffff) >>> 0, 0);
    out.writeUInt32BE((this.lo ^ 0xffffffff) >>> 0, 4);
    return out;
  }
}

class NodeHash implements IncrementalChecksum {
  private readonly hash: Hash;
  constructor(algorithm: string) {
    this.hash = createHash(algorithm);
  }
  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }
  digest(): Buffer {
    return this.hash.digest();
  }
}

export function createChecksum(algorithm: ChecksumAlgorithm | "md5"): IncrementalChecksum {
  switch (algorithm) {
    case "crc32":
      return new Crc32();
    case "crc32c":
      return new Crc32c();
    case "crc64nvme":
      return new Crc64Nvme();
    case "sha1":
    case "sha256":
    case "md5":
      return new NodeHash(algorithm);
  }
}

/** Checks that a client-supplied base64 checksum is well-formed for its algorithm. */
export function isValidChecksumValue(algorithm: ChecksumAlgorithm, value: string): boolean {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) return false;
  return Buffer.from(value, "base64").length === DIGEST_BYTES[algorithm];
}
