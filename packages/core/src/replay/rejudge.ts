/**
 * Quarantine replay's judgment: a bad row from the raw archive (which keeps every rejected event byte for byte)
 * judged again by today's validation and schemas, e.g. after a producer bug was understood or a new schema version
 * registered. What passes now becomes the canonical event the ingest function would have made, with the bad row's
 * receivedAt and source; what still fails stays where it is.
 *
 * Limits, because a bad row keeps the event but not its request: the batch's sentAt (clock-skew correction) and
 * outer context are gone, so the event's own timestamps are taken as sent; a truncated payload cannot be judged.
 */
import { createHash } from "node:crypto";
import type { IngestConfig } from "../ingest/config";
import type { BadRow, EventType } from "../ingest/events";
import { normalizeEvent } from "../ingest/normalize";
import type { SchemaRegistry } from "../ingest/schema-registry";
import type { ReplayRecord } from "./records";

export interface RejudgeContext {
  config: IngestConfig;
  schemas: SchemaRegistry;
}

export type Rejudged = { ok: true; record: ReplayRecord } | { ok: false; reason: string };

const SINGLE_TYPES = new Set<string>(["track", "identify", "page", "screen", "group", "alias"]);

/** A stable id for an event that came without a messageId: the same bad row always gets the same one. */
function derivedMessageId(row: BadRow): string {
  const hex = createHash("sha256").update(`${row.sourceId}\n${row.receivedAt}\n${row.endpoint}\n${row.index}\n${row.payload}`).digest("hex");
  // UUID layout, version 8 (custom), RFC 9562 variant.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function rejudgeBadRow(row: BadRow, ctx: RejudgeContext): Rejudged {
  if (row.payloadTruncated) return { ok: false, reason: "payload_truncated" };
  // The copy of an id accepted in the same request: its first occurrence is already an event.
  if (row.reason === "duplicate_message_id") return { ok: false, reason: "duplicate_message_id" };
  let item: unknown;
  try {
    item = JSON.parse(row.payload);
  } catch {
    return { ok: false, reason: "malformed_json" };
  }
  const route = row.endpoint.replace(/^\/v1\//, "");
  const receivedAtMs = Date.parse(row.receivedAt);
  if (Number.isNaN(receivedAtMs)) return { ok: false, reason: "unreadable_bad_row" };
  const result = normalizeEvent(item, {
    routeType: SINGLE_TYPES.has(route) ? (route as EventType) : undefined,
    defaultType: route === "events" ? "track" : undefined,
    batchSentAtMs: undefined,
    outerContext: undefined,
    receivedAtMs,
    receivedAt: row.receivedAt,
    sourceId: row.sourceId,
    config: ctx.config,
    schemas: ctx.schemas,
    newMessageId: () => derivedMessageId(row),
  });
  if (!result.ok) return { ok: false, reason: result.reason };
  const data = new Uint8Array(Buffer.from(JSON.stringify(result.event)));
  if (data.length > ctx.config.maxEventBytes && Buffer.byteLength(row.payload) > ctx.config.maxEventBytes) return { ok: false, reason: "event_too_large" };
  const event = result.event;
  return { ok: true, record: { kind: "event", messageId: event.messageId, partitionKey: (event.userId ?? event.anonymousId)!, data } };
}
