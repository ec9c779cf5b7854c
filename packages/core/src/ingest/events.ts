import type { EventRejectionReason } from "./reasons";
import type { SchemaViolation } from "./schema-registry";

export const EVENT_TYPES = ["track", "identify", "page", "screen", "group", "alias"] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Version of the canonical record layout written to the stream (bump on incompatible changes). */
export const CANONICAL_FORMAT_VERSION = 1;

export type JsonObject = { [key: string]: unknown };

/**
 * The canonical event: one JSON object per event on the stream, in the raw archive and (curated) in the lake.
 * Timestamps are ISO-8601 UTC strings with millisecond precision.
 */
export interface CanonicalEvent {
  kind: "event";
  formatVersion: number;
  messageId: string;
  type: EventType;
  /** Track events: the event name as sent. */
  event?: string;
  /** Page and screen events. */
  name?: string;
  category?: string;
  /** Group events. */
  groupId?: string;
  /** Alias events. */
  previousId?: string;
  userId?: string;
  anonymousId?: string;
  properties?: JsonObject;
  traits?: JsonObject;
  context?: JsonObject;
  /** The client's timestamp, as sent. */
  originalTimestamp?: string;
  sentAt?: string;
  /** Server clock when the request arrived. */
  receivedAt: string;
  /** Clock-skew-corrected event time: receivedAt - (sentAt - originalTimestamp), else originalTimestamp, else receivedAt. */
  timestamp: string;
  sourceId: string;
  /** Version of the registered JSON Schema the event was validated against, if its type has one. */
  schemaVersion: string | null;
  /** Accepted despite not matching a `tag` schema: how it does not (absent when it matches or has no schema). */
  schemaViolations?: SchemaViolation[];
}

/**
 * A rejected event, kept whole so nothing is silently dropped: it travels the stream like an event, lands in the
 * raw archive, and the curated layer routes it to quarantine.
 */
export interface BadRow {
  kind: "bad_row";
  formatVersion: number;
  reason: EventRejectionReason;
  message: string;
  /** Position of the event in its request. */
  index: number;
  messageId?: string;
  sourceId: string;
  receivedAt: string;
  endpoint: string;
  /** The original event as received (JSON text), cut at payloadLimitBytes when larger. */
  payload: string;
  payloadTruncated: boolean;
}

export type StreamRecord = CanonicalEvent | BadRow;
