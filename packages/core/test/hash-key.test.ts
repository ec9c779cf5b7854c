import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KINESIS } from "../src/limits";
import {
  InvalidExplicitHashKeyError,
  effectiveHashKey,
  hashKeyOf,
  parseExplicitHashKey,
} from "../src/kinesis/hash-key";

/** Independent reference: MD5 digest read as two big-endian 64-bit halves. */
function referenceHashKey(key: string): bigint {
  const digest = createHash("md5").update(Buffer.from(key, "utf8")).digest();
  return (digest.readBigUInt64BE(0) << 64n) | digest.readBigUInt64BE(8);
}

/** First key of the form prefix + n whose MD5 starts with the given byte. */
function keyWithFirstDigestByte(prefix: string, byte: number): string {
  for (let n = 0; ; n++) {
    const key = `${prefix}${n}`;
    if (createHash("md5").update(key, "utf8").digest()[0] === byte) return key;
  }
}

describe("hashKeyOf", () => {
  it("is the MD5 of the UTF-8 key as an unsigned 128-bit big-endian integer (known answers)", () => {
    // MD5("") = d41d8cd98f00b204e9800998ecf8427e, MD5("abc") = 900150983cd24fb0d6963f7d28e17f72 (RFC 1321)
    expect(hashKeyOf("")).toBe(0xd41d8cd98f00b204e9800998ecf8427en);
    expect(hashKeyOf("abc")).toBe(0x900150983cd24fb0d6963f7d28e17f72n);
    for (const key of ["user-1", "a", "é", "日本語", "🙂 emoji", "x".repeat(256)]) {
      expect(hashKeyOf(key)).toBe(referenceHashKey(key));
    }
  });

  it("matches an independent MD5 computation for random unicode keys", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 64 }), (key) => {
        expect(hashKeyOf(key)).toBe(referenceHashKey(key));
      }),
      { numRuns: 200 },
    );
  });

  it("is unsigned: a digest starting with 0xff is above 2^127, one starting with 0x00 is below 2^120", () => {
    const high = keyWithFirstDigestByte("hi-", 0xff);
    const h = hashKeyOf(high);
    expect(h).toBeGreaterThan(1n << 127n);
    expect(h).toBeGreaterThanOrEqual(0xffn << 120n);
    expect(h).toBeLessThanOrEqual(KINESIS.maxHashKey);
    expect(h).toBe(referenceHashKey(high));

    const low = keyWithFirstDigestByte("lo-", 0x00);
    expect(hashKeyOf(low)).toBeLessThan(1n << 120n);
    expect(hashKeyOf(low)).toBeGreaterThanOrEqual(0n);
  });
});

describe("parseExplicitHashKey", () => {
  it("accepts decimal integers in [0, 2^128 - 1]", () => {
    expect(parseExplicitHashKey("0")).toBe(0n);
    expect(parseExplicitHashKey("1")).toBe(1n);
    expect(parseExplicitHashKey("340282366920938463463374607431768211455")).toBe(KINESIS.maxHashKey);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: KINESIS.maxHashKey }), (v) => {
        expect(parseExplicitHashKey(v.toString())).toBe(v);
      }),
    );
  });

  it.each([
    "",
    "-1",
    "01",
    "00",
    " 1",
    "1 ",
    "1.0",
    "1e3",
    "0x10",
    "+1",
    "١",
    "340282366920938463463374607431768211456", // 2^128
    "9".repeat(40),
  ])("rejects %j with InvalidExplicitHashKeyError", (s) => {
    expect(() => parseExplicitHashKey(s)).toThrow(InvalidExplicitHashKeyError);
  });
});

describe("effectiveHashKey", () => {
  it("uses the explicit hash key when given, else the partition key's hash", () => {
    expect(effectiveHashKey("user-1")).toBe(hashKeyOf("user-1"));
    expect(effectiveHashKey("user-1", "42")).toBe(42n);
  });
});
