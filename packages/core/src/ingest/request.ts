import type { IngestConfig } from "./config";
import { CANONICAL_FORMAT_VERSION, type BadRow, type EventType, type JsonObject } from "./events";
import { inspectJson, isPlainObject } from "./inspect";
import { normalizeEvent, type NormalizeContext } from "./normalize";
import { EVENT_REJECTIONS, RequestRejected, type EventRejectionReason } from "./reasons";
import type { SchemaRegistry } from "./schema-registry";
import { parseTimestamp } from "./timestamps";

import type { IngestRoute } from "./routes";

export { INGEST_ROUTES, type IngestRoute } from "./routes";

export type RawItem = { value: unknown } | { malformedText: string };

export interface ParsedRequest {
  items: RawItem[];
  batchSentAtMs?: number;
  batchSentAtRaw?: unknown;
  outerContext?: JsonObject;
  /** Segment clients may send the write key in the body instead of a header. */
  writeKey?: string;
}

const NDJSON_TYPES = ["application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines"];

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RequestRejected("malformed_body", (error as Error).message);
  }
}

function readBatchFields(body: Record<string, unknown>, parsed: ParsedRequest) {
  const shape = inspectJson({ context: body.context, sentAt: body.sentAt, writeKey: body.writeKey }, 64);
  if (shape.forbiddenKey) throw new RequestRejected("forbidden_key");
  // The outer context is merged into every event: a lone surrogate in it would make every event unstorable.
  if (shape.invalidUnicode) throw new RequestRejected("invalid_unicode");
  if (body.sentAt !== undefined && body.sentAt !== null) {
    const ms = parseTimestamp(body.sentAt);
    if (ms === undefined) throw new RequestRejected("malformed_body", "sentAt is not a valid date-time");
    parsed.batchSentAtMs = ms;
    parsed.batchSentAtRaw = body.sentAt;
  }
  if (body.context !== undefined && body.context !== null) {
    if (!isPlainObject(body.context)) throw new RequestRejected("malformed_body", "context must be an object");
    parsed.outerContext = body.context;
  }
  if (typeof body.writeKey === "string") parsed.writeKey = body.writeKey;
}

/** Splits a request body into its events (without judging them yet) and the batch-level fields. */
export function parseRequestBody(route: IngestRoute, text: string, contentType: string | undefined, config: IngestConfig): ParsedRequest {
  const mediaType = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  const parsed: ParsedRequest = { items: [] };

  if (route === "events" && NDJSON_TYPES.includes(mediaType)) {
    // One event per line: a malformed line is that event's problem, not the request's.
    let start = 0;
    while (start <= text.length) {
      let end = text.indexOf("\n", start);
      if (end === -1) end = text.length;
      const line = text.slice(start, end).trim();
      start = end + 1;
      if (line === "") continue;
      if (parsed.items.length >= config.maxBatchEvents) {
        throw new RequestRejected("too_many_events", `at most ${config.maxBatchEvents} events per request`);
      }
      try {
        parsed.items.push({ value: JSON.parse(line) });
      } catch {
        parsed.items.push({ malformedText: line });
      }
    }
    if (parsed.items.length === 0) throw new RequestRejected("empty_batch");
    return parsed;
  }

  if (text.trim() === "") throw new RequestRejected("malformed_body", "the body is empty");
  const body = parseJson(text);
  if (!isPlainObject(body)) throw new RequestRejected("malformed_body", "the body must be a JSON object");

  if (route === "batch" || route === "events") {
    const field = route === "batch" ? "batch" : "events";
    const list = body[field];
    if (!Array.isArray(list)) throw new RequestRejected("malformed_body", `"${field}" must be an array of events`);
    if (list.length === 0) throw new RequestRejected("empty_batch");
    if (list.length > config.maxBatchEvents) {
      throw new RequestRejected("too_many_events", `${list.length} events > ${config.maxBatchEvents}`);
    }
    readBatchFields(body, parsed);
    parsed.items = list.map((value) => ({ value }));
    return parsed;
  }

  // Single-message endpoints: the body is the event; writeKey may ride along in it.
  if (typeof body.writeKey === "string") parsed.writeKey = body.writeKey;
  parsed.items = [{ value: body }];
  return parsed;
}

/** One record to put on the stream: a canonical event or a bad row, JSON-encoded. */
export interface OutgoingRecord {
  index: number;
  kind: "event" | "bad_row";
  messageId: string | undefined;
  partitionKey: string;
  data: Uint8Array;
}

export interface EventRejection {
  index: number;
  messageId?: string;
  reason: EventRejectionReason;
  message: string;
}

export interface IngestPlan {
  /** Canonical events and bad rows, in request order. */
  records: OutgoingRecord[];
  accepted: number;
  rejections: EventRejection[];
}

export interface PlanContext {
  route: IngestRoute;
  endpoint: string;
  sourceId: string;
  receivedAtMs: number;
  config: IngestConfig;
  schemas: SchemaRegistry;
  newMessageId: () => string;
  /** Bad-row payloads are cut here so a bad row always fits one stream record. */
  badRowPayloadLimitBytes?: number;
}

const SINGLE_TYPES = new Set<string>(["track", "identify", "page", "screen", "group", "alias"]);
const DEFAULT_BAD_ROW_PAYLOAD_LIMIT = 256 * 1024;

function payloadText(item: RawItem): string {
  if ("malformedText" in item) return item.malformedText;
  const value = item.value;
  if (isPlainObject(value) && "writeKey" in value) {
    // Keys never reach the archive, even inside a rejected event.
    const { writeKey: _dropped, ...rest } = value;
    return JSON.stringify(rest);
  }
  return JSON.stringify(value) ?? "null";
}

function identityOf(item: RawItem): string | undefined {
  if (!("value" in item) || !isPlainObject(item.value)) return undefined;
  for (const field of ["userId", "anonymousId"] as const) {
    const v = item.value[field];
    if ((typeof v === "string" && v !== "") || typeof v === "number") {
      const key = String(v);
      return key.length <= 256 ? key : key.slice(0, 256);
    }
  }
  return undefined;
}

/**
 * Encodes many small JSON strings into shared slabs instead of one Buffer each: far fewer allocations on the hot
 * path. Each record's bytes are a view into a slab.
 */
class Utf8Slab {
  private slab = Buffer.allocUnsafe(0);
  private used = 0;
  encode(text: string): Uint8Array {
    const worstCase = text.length * 3;
    if (this.used + worstCase > this.slab.length) {
      this.slab = Buffer.allocUnsafe(Math.max(256 * 1024, worstCase));
      this.used = 0;
    }
    const start = this.used;
    this.used += this.slab.write(text, start, "utf8");
    return this.slab.subarray(start, this.used);
  }
}

function truncateUtf8(text: string, limitBytes: number): { text: string; truncated: boolean } {
  if (text.length * 3 <= limitBytes || Buffer.byteLength(text) <= limitBytes) return { text, truncated: false };
  const cut = Buffer.from(text).subarray(0, limitBytes).toString("utf8");
  // A multi-byte character split at the cut decodes to U+FFFD: drop it.
  return { text: cut.endsWith("\uFFFD") ? cut.slice(0, -1) : cut, truncated: true };
}

/**
 * Judges every event of a parsed request: accepted ones become canonical events, rejected ones bad rows.
 * Both go to the stream, so nothing the client sent disappears; the client is told which were rejected and why.
 */
export function planIngest(parsed: ParsedRequest, ctx: PlanContext): IngestPlan {
  const routeType = SINGLE_TYPES.has(ctx.route) ? (ctx.route as EventType) : undefined;
  const receivedAt = new Date(ctx.receivedAtMs).toISOString();
  const normalizeContext: NormalizeContext = {
    routeType,
    defaultType: ctx.route === "events" ? "track" : undefined,
    batchSentAtMs: parsed.batchSentAtMs,
    batchSentAtIso: parsed.batchSentAtRaw,
    outerContext: parsed.outerContext,
    receivedAtMs: ctx.receivedAtMs,
    receivedAt,
    sourceId: ctx.sourceId,
    config: ctx.config,
    schemas: ctx.schemas,
    newMessageId: ctx.newMessageId,
  };
  const payloadLimit = ctx.badRowPayloadLimitBytes ?? DEFAULT_BAD_ROW_PAYLOAD_LIMIT;
  const records: OutgoingRecord[] = [];
  const rejections: EventRejection[] = [];
  const seenMessageIds = new Set<string>();
  const slab = new Utf8Slab();
  let accepted = 0;

  const rejectItem = (index: number, item: RawItem, reason: EventRejectionReason, message: string, messageId?: string) => {
    const { text, truncated } = truncateUtf8(payloadText(item), payloadLimit);
    const badRow: BadRow = {
      kind: "bad_row",
      formatVersion: CANONICAL_FORMAT_VERSION,
      reason,
      message,
      index,
      ...(messageId !== undefined ? { messageId } : {}),
      sourceId: ctx.sourceId,
      receivedAt,
      endpoint: ctx.endpoint,
      payload: text,
      payloadTruncated: truncated,
    };
    rejections.push({ index, ...(messageId !== undefined ? { messageId } : {}), reason, message });
    records.push({
      index,
      kind: "bad_row",
      messageId,
      partitionKey: identityOf(item) ?? messageId ?? ctx.newMessageId(),
      data: Buffer.from(JSON.stringify(badRow)),
    });
  };

  parsed.items.forEach((item, index) => {
    if ("malformedText" in item) {
      rejectItem(index, item, "malformed_json", EVENT_REJECTIONS.malformed_json);
      return;
    }
    const result = normalizeEvent(item.value, normalizeContext);
    if (!result.ok) {
      rejectItem(index, item, result.reason, result.message, result.messageId);
      return;
    }
    const event = result.event;
    const data = slab.encode(JSON.stringify(event));
    // The canonical form adds a few fields; the limit is on the event as the client sent it.
    if (data.length > ctx.config.maxEventBytes && Buffer.byteLength(payloadText(item)) > ctx.config.maxEventBytes) {
      rejectItem(index, item, "event_too_large", `the event is larger than ${ctx.config.maxEventBytes} bytes`, event.messageId);
      return;
    }
    if (seenMessageIds.has(event.messageId)) {
      rejectItem(index, item, "duplicate_message_id", EVENT_REJECTIONS.duplicate_message_id, event.messageId);
      return;
    }
    seenMessageIds.add(event.messageId);
    accepted++;
    records.push({
      index,
      kind: "event",
      messageId: event.messageId,
      partitionKey: event.userId ?? event.anonymousId!,
      data,
    });
  });

  return { records, accepted, rejections };
}
