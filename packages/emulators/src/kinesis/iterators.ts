/**
 * Shard iterators that hold their position while a shard has nothing new, as Kinesis's do.
 *
 * kinesalite answers a GetRecords that finds no record with a NextShardIterator moved to "now" (its sequence
 * numbers carry the put time in seconds). A PutRecords computes its sequence numbers before its records are
 * visible to readers, so an empty read that lands in between, in a later second, moves the iterator past them: the
 * first record of a shard (sequence index 0) is then never read. On Kinesis a shard is read sequentially and
 * NextShardIterator is "the next position in the shard from which to start sequentially reading data records"
 * (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetRecords.html): a record not yet returned is never
 * behind it. So the front answers an empty page with a fresh iterator at the position the request's iterator had.
 */
import { createDecipheriv } from "node:crypto";
import { createRequire } from "node:module";
import type { RawResponse } from "./backend";

interface KinesaliteDb {
  createShardIterator(streamName: string, shardId: string, sequenceNumber: string): string;
  ITERATOR_PWD_KEY: Buffer;
  ITERATOR_PWD_IV: Buffer;
}

const kinesaliteDb = createRequire(import.meta.url)("kinesalite/db") as KinesaliteDb;

export interface IteratorPosition {
  streamName: string;
  shardId: string;
  sequenceNumber: string;
}

/** Where a kinesalite iterator reads from; undefined for anything that is not one (kinesalite refuses those). */
export function iteratorPosition(iterator: string): IteratorPosition | undefined {
  const buffer = Buffer.from(iterator, "base64");
  if (buffer.length <= 8) return undefined;
  try {
    const decipher = createDecipheriv("aes-256-cbc", kinesaliteDb.ITERATOR_PWD_KEY, kinesaliteDb.ITERATOR_PWD_IV);
    const pieces = Buffer.concat([decipher.update(buffer.subarray(8)), decipher.final()]).toString("utf8").split("/");
    if (pieces.length !== 5) return undefined;
    return { streamName: pieces[1]!, shardId: pieces[2]!, sequenceNumber: pieces[3]! };
  } catch {
    return undefined;
  }
}

// kinesalite's empty page is about 300 bytes and spells the empty list this way; larger pages are never parsed.
const EMPTY_PAGE_MAX_BYTES = 2048;
const EMPTY_RECORDS = Buffer.from('"Records":[]');

/** kinesalite's answer to GetRecords, with an empty page's NextShardIterator put back at the request's position. */
export function holdPositionWhenEmpty(response: RawResponse, requestIterator: unknown): RawResponse {
  if (response.statusCode !== 200 || typeof requestIterator !== "string") return response;
  if (response.body.length > EMPTY_PAGE_MAX_BYTES || !response.body.includes(EMPTY_RECORDS)) return response;
  const page = JSON.parse(response.body.toString("utf8")) as { Records?: unknown[]; NextShardIterator?: string };
  // No NextShardIterator: the shard is closed and read to its end; nothing to hold.
  if ((page.Records?.length ?? 0) > 0 || !page.NextShardIterator) return response;
  const position = iteratorPosition(requestIterator);
  if (!position) return response;
  page.NextShardIterator = kinesaliteDb.createShardIterator(position.streamName, position.shardId, position.sequenceNumber);
  return { ...response, body: Buffer.from(JSON.stringify(page)) };
}
