/**
 * Kinesis hash keys: how a record is routed to a shard
 * (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecordsRequestEntry.html).
 * A partition key maps to the MD5 of its UTF-8 bytes, read as an unsigned 128-bit big-endian integer.
 * An ExplicitHashKey, when given, overrides that hash; it is a decimal string in [0, 2^128 - 1].
 */
import { hash } from "node:crypto";
import { KINESIS } from "../limits";

/** Thrown for an ExplicitHashKey that Kinesis would reject. */
export class InvalidExplicitHashKeyError extends Error {
  override readonly name = "InvalidExplicitHashKeyError";
  constructor(readonly value: string) {
    super(`ExplicitHashKey must be a decimal integer in [0, 2^128 - 1] without leading zeros, got ${JSON.stringify(value)}`);
  }
}

/** The 128-bit hash key Kinesis derives from a partition key: MD5 of its UTF-8 bytes, unsigned big-endian. */
export function hashKeyOf(partitionKey: string): bigint {
  // Hex output keeps this to one native call and one BigInt parse.
  return BigInt(`0x${hash("md5", partitionKey, "hex")}`);
}

/** Same pattern as the Kinesis API model: `0|([1-9]\d{0,38})`. */
const EXPLICIT_HASH_KEY_PATTERN = /^(?:0|[1-9]\d{0,38})$/;

/** Parses an ExplicitHashKey as Kinesis accepts it; throws InvalidExplicitHashKeyError otherwise. */
export function parseExplicitHashKey(s: string): bigint {
  if (!EXPLICIT_HASH_KEY_PATTERN.test(s)) throw new InvalidExplicitHashKeyError(s);
  const value = BigInt(s);
  if (value > KINESIS.maxHashKey) throw new InvalidExplicitHashKeyError(s);
  return value;
}

/** The hash key a record routes by: its ExplicitHashKey when set, otherwise the hash of its partition key. */
export function effectiveHashKey(partitionKey: string, explicitHashKey?: string): bigint {
  return explicitHashKey === undefined ? hashKeyOf(partitionKey) : parseExplicitHashKey(explicitHashKey);
}
