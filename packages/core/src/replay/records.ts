/**
 * What `eventlake replay` reads and re-sends, as pure functions: which lake objects a replay covers (source prefix,
 * time range from the Hive hour partition in the key), how one line of such an object becomes a stream record again
 * (the same bytes, with the partition key the ingest function would have used), and where a replay notes that an
 * object was re-sent, so running it twice does not send everything twice.
 */
import { createHash } from "node:crypto";
import { LAKE_PREFIXES } from "../stage-config";
import type { StreamRecordInput } from "../ports";

/**
 * Where each source reads: fallback/ (ingest spills, NDJSON of the records' bytes), raw/ (the Firehose archive, gzip
 * NDJSON of the same bytes), and for quarantine the raw archive's bad rows (it keeps every rejected event byte for
 * byte), which are judged again rather than re-sent as they are.
 */
export const REPLAY_SOURCES = { fallback: LAKE_PREFIXES.fallback, raw: LAKE_PREFIXES.raw, quarantine: LAKE_PREFIXES.raw } as const;
export type ReplaySource = keyof typeof REPLAY_SOURCES;

/** One marker object per source and replayed object, under this prefix of the lake bucket (outside every table). */
export const REPLAY_LEDGER_PREFIX = "replay-ledger/";
export const ledgerKeyOf = (source: ReplaySource, objectKey: string) => `${REPLAY_LEDGER_PREFIX}${source}/${objectKey}.json`;

export interface ReplayRecord extends StreamRecordInput {
  kind: "event" | "bad_row";
  messageId?: string;
}

const HOUR_PARTITION = /(?:^|\/)year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/hour=(\d{2})\//;

/** The start of the hour an object's key is partitioned under (UTC ms), or undefined if it has no hour partition. */
export function hourOfKey(key: string): number | undefined {
  const m = HOUR_PARTITION.exec(key);
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]));
}

/**
 * Whether an object belongs to a replay of [since, until): by its hour partition, which holds objects written in that
 * hour (an hour partly inside the range is included whole). Objects without an hour partition are included only when
 * no range is given.
 */
export function inReplayRange(key: string, range: { sinceMs?: number; untilMs?: number }): boolean {
  if (range.sinceMs === undefined && range.untilMs === undefined) return true;
  const hour = hourOfKey(key);
  if (hour === undefined) return false;
  if (range.sinceMs !== undefined && hour + 3_600_000 <= range.sinceMs) return false;
  if (range.untilMs !== undefined && hour >= range.untilMs) return false;
  return true;
}

const nonEmpty = (v: unknown): v is string => typeof v === "string" && v !== "";

/**
 * One NDJSON line of a fallback or raw object back into a stream record: the same bytes, and the partition key the
 * ingest function gave it (userId, else anonymousId; a bad row without either keeps its messageId, else a hash of
 * the line). A line that is not a canonical event or a bad row is refused with a reason: replay re-sends only what
 * the pipeline itself wrote.
 */
export function replayRecordOf(line: Uint8Array): ReplayRecord | { refused: string } {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString("utf8"));
  } catch {
    return { refused: "not JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { refused: "not a JSON object" };
  const record = value as Record<string, unknown>;
  const messageId = nonEmpty(record.messageId) ? record.messageId : undefined;
  if (record.kind === "event") {
    const identity = nonEmpty(record.userId) ? record.userId : nonEmpty(record.anonymousId) ? record.anonymousId : undefined;
    if (identity === undefined || messageId === undefined) return { refused: "an event without messageId, userId or anonymousId" };
    return { kind: "event", messageId, partitionKey: identity.slice(0, 256), data: line };
  }
  if (record.kind === "bad_row") {
    const partitionKey = messageId?.slice(0, 256) ?? createHash("md5").update(line).digest("hex");
    return { kind: "bad_row", ...(messageId !== undefined ? { messageId } : {}), partitionKey, data: line };
  }
  return { refused: `unknown kind ${JSON.stringify(record.kind)}` };
}

/** Splits an object's bytes into its non-empty lines (no copies). */
export function ndjsonLines(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      if (i > start) lines.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  return lines;
}
