/**
 * What may enter the raw archive: exactly the records ingest writes to the stream, a canonical event or a bad row
 * (ingest/events.ts), one JSON object per record. The archive keeps their bytes as they are: a record is judged,
 * never re-serialized, and its line is the record's own bytes plus "\n".
 *
 * A record that is not one of them (bytes that are not UTF-8, not JSON, not an object, an unknown `kind`, missing
 * the fields every consumer relies on, or containing a raw line break that would split the NDJSON line) is refused
 * with a typed problem: the transform marks it ProcessingFailed and Firehose keeps its bytes in the error output.
 */
import { EVENT_TYPES } from "../ingest/events";

export const ARCHIVE_RECORD_PROBLEMS = [
  "invalid_base64",
  "empty",
  "invalid_utf8",
  "line_break",
  "malformed_json",
  "not_an_object",
  "unknown_kind",
  "invalid_record",
] as const;
export type ArchiveRecordProblem = (typeof ARCHIVE_RECORD_PROBLEMS)[number];

export type ArchiveVerdict =
  | { ok: true; kind: "event" | "bad_row" }
  | { ok: false; problem: ArchiveRecordProblem; message: string };

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const isString = (v: unknown): v is string => typeof v === "string";
const isNonEmptyString = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const isFormatVersion = (v: unknown) => Number.isInteger(v) && (v as number) >= 1;
const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);

function missing(fields: string[]): ArchiveVerdict {
  return { ok: false, problem: "invalid_record", message: `missing or mistyped field(s): ${fields.join(", ")}` };
}

/** Checks the fields every consumer of the archive relies on; other fields pass as they are. */
function judgeObject(record: Record<string, unknown>): ArchiveVerdict {
  if (record.kind === "event") {
    const bad: string[] = [];
    if (!isFormatVersion(record.formatVersion)) bad.push("formatVersion");
    if (!isNonEmptyString(record.messageId)) bad.push("messageId");
    if (!isString(record.type) || !EVENT_TYPE_SET.has(record.type)) bad.push("type");
    if (!isNonEmptyString(record.receivedAt)) bad.push("receivedAt");
    if (!isNonEmptyString(record.timestamp)) bad.push("timestamp");
    if (!isNonEmptyString(record.sourceId)) bad.push("sourceId");
    return bad.length > 0 ? missing(bad) : { ok: true, kind: "event" };
  }
  if (record.kind === "bad_row") {
    const bad: string[] = [];
    if (!isFormatVersion(record.formatVersion)) bad.push("formatVersion");
    if (!isNonEmptyString(record.reason)) bad.push("reason");
    if (!isNonEmptyString(record.receivedAt)) bad.push("receivedAt");
    if (!isNonEmptyString(record.sourceId)) bad.push("sourceId");
    if (!isString(record.endpoint)) bad.push("endpoint");
    if (!isString(record.payload)) bad.push("payload");
    return bad.length > 0 ? missing(bad) : { ok: true, kind: "bad_row" };
  }
  const kind = record.kind === undefined ? "no kind" : `kind ${JSON.stringify(record.kind).slice(0, 40)}`;
  return { ok: false, problem: "unknown_kind", message: `${kind}: expected "event" or "bad_row"` };
}

/** Judges one stream record's bytes. */
export function judgeArchiveRecord(bytes: Uint8Array): ArchiveVerdict {
  if (bytes.byteLength === 0) return { ok: false, problem: "empty", message: "the record is empty" };
  for (let i = 0; i < bytes.byteLength; i++) {
    const b = bytes[i];
    if (b === 0x0a || b === 0x0d) {
      return { ok: false, problem: "line_break", message: `a raw line break at byte ${i} would split the NDJSON line` };
    }
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, problem: "invalid_utf8", message: "the record is not valid UTF-8" };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: "malformed_json", message: `not JSON: ${(error as Error).message}` };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, problem: "not_an_object", message: "the record is JSON but not an object" };
  }
  return judgeObject(value as Record<string, unknown>);
}

/** The record's archive line: its bytes followed by "\n" (the NDJSON delimiter Firehose itself does not add). */
export function archiveLine(bytes: Uint8Array): Uint8Array {
  const line = new Uint8Array(bytes.byteLength + 1);
  line.set(bytes, 0);
  line[bytes.byteLength] = 0x0a;
  return line;
}
