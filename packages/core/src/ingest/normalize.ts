import { CURATION_CONTRACT } from "../curation/contract";
import { KINESIS } from "../limits";
import type { IngestConfig } from "./config";
import { CANONICAL_FORMAT_VERSION, EVENT_TYPES, type CanonicalEvent, type EventType, type JsonObject } from "./events";
import { inspectJson, isPlainObject, isWellFormedText, mergeContext } from "./inspect";
import type { EventRejectionReason } from "./reasons";
import type { SchemaRegistry, SchemaViolation } from "./schema-registry";
import { correctedTimestamp, parseTimestamp } from "./timestamps";

export interface NormalizeContext {
  /** The type implied by the route (/v1/track ...); undefined for batch endpoints. */
  routeType: EventType | undefined;
  /** Type assumed when an item of a batch has none (native /v1/events: "track"); undefined means required. */
  defaultType: EventType | undefined;
  /** Batch-level sentAt (epoch ms, and as sent), used when the item has none. */
  batchSentAtMs: number | undefined;
  batchSentAtIso?: unknown;
  /** Batch-level context merged under each item's context. */
  outerContext: JsonObject | undefined;
  receivedAtMs: number;
  receivedAt: string;
  sourceId: string;
  config: IngestConfig;
  schemas: SchemaRegistry;
  newMessageId: () => string;
}

export type Normalized =
  | { ok: true; event: CanonicalEvent }
  | { ok: false; reason: EventRejectionReason; message: string; messageId?: string };

const TYPES = new Set<string>(EVENT_TYPES);
const MAX_ID_CHARS = KINESIS.maxPartitionKeyChars; // userId/anonymousId become the partition key
const MAX_NAME_CHARS = 256;
/** Empty, or only the characters the curation contract trims from names before requiring one. */
const BLANK = new RegExp(`^[${[...CURATION_CONTRACT.trimCharacters].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("")}]*$`);

/** Strings already in canonical form (UTC, milliseconds) are reused instead of formatted again. */
const CANONICAL_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
function canonicalIso(raw: unknown, ms: number): string {
  return typeof raw === "string" && CANONICAL_ISO.test(raw) ? raw : new Date(ms).toISOString();
}

function isoOrNumber(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : `${ms} ms`;
}

function reject(reason: EventRejectionReason, message: string, messageId?: string): Normalized {
  return messageId === undefined ? { ok: false, reason, message } : { ok: false, reason, message, messageId };
}

/** Identifiers: strings, or finite numbers turned into strings (as Segment does); "" counts as absent. */
function readId(value: unknown): string | undefined | null {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return null; // wrong type
}

/**
 * Validates one incoming message and turns it into the canonical event, or says exactly why it is rejected.
 * Pure: the clock and the id generator come in through the context.
 */
export function normalizeEvent(item: unknown, ctx: NormalizeContext): Normalized {
  if (!isPlainObject(item)) return reject("not_an_object", "the event must be a JSON object");
  const raw = item;

  const rawMessageId = raw.messageId;
  let messageId: string | undefined;
  if (rawMessageId !== undefined && rawMessageId !== null) {
    if (typeof rawMessageId !== "string" || rawMessageId.length === 0 || rawMessageId.length > ctx.config.maxMessageIdChars) {
      return reject("invalid_message_id", `messageId must be a string of 1-${ctx.config.maxMessageIdChars} characters`);
    }
    messageId = rawMessageId;
  }

  const shape = inspectJson(raw, ctx.config.maxNestingDepth);
  if (shape.forbiddenKey) return reject("forbidden_key", "the key __proto__ is not allowed", messageId);
  if (shape.tooDeep) return reject("nesting_too_deep", `nesting deeper than ${ctx.config.maxNestingDepth} levels`, messageId);
  if (shape.invalidUnicode) {
    // Rejected, not repaired to U+FFFD: a repaired id or name would silently be another id or name (ARCHITECTURE.md,
    // "One notion of a valid event"). The bad row keeps the payload with the escape as sent; a messageId that is
    // itself invalid is left out of it, so the bad row stays valid Unicode too.
    return reject(
      "invalid_unicode",
      "a string or key is not valid Unicode (a lone UTF-16 surrogate escape)",
      messageId !== undefined && isWellFormedText(messageId) ? messageId : undefined,
    );
  }

  let type: EventType;
  if (ctx.routeType) {
    type = ctx.routeType;
  } else if (raw.type === undefined && ctx.defaultType) {
    type = ctx.defaultType;
  } else if (typeof raw.type === "string" && TYPES.has(raw.type)) {
    type = raw.type as EventType;
  } else {
    return reject("unknown_type", `type ${JSON.stringify(raw.type ?? null)} is not one of ${EVENT_TYPES.join(", ")}`, messageId);
  }

  const userId = readId(raw.userId);
  const anonymousId = readId(raw.anonymousId);
  if (userId === null) return reject("invalid_field_type", "userId must be a string or a number", messageId);
  if (anonymousId === null) return reject("invalid_field_type", "anonymousId must be a string or a number", messageId);
  if ((userId?.length ?? 0) > MAX_ID_CHARS || (anonymousId?.length ?? 0) > MAX_ID_CHARS) {
    return reject("invalid_field_type", `userId and anonymousId are limited to ${MAX_ID_CHARS} characters`, messageId);
  }
  if (userId === undefined && anonymousId === undefined) {
    return reject("missing_identity", "userId or anonymousId is required", messageId);
  }

  const event: Partial<CanonicalEvent> = {};
  switch (type) {
    case "track": {
      // Blank after trimming is no name: the curation contract trims event names before requiring one.
      if (raw.event === undefined || raw.event === null || (typeof raw.event === "string" && BLANK.test(raw.event))) {
        return reject("missing_field", "track events need an event name", messageId);
      }
      if (typeof raw.event !== "string" || raw.event.length > MAX_NAME_CHARS) {
        return reject("invalid_field_type", `event must be a string of at most ${MAX_NAME_CHARS} characters`, messageId);
      }
      event.event = raw.event;
      break;
    }
    case "page":
    case "screen": {
      for (const field of ["name", "category"] as const) {
        const v = raw[field];
        if (v === undefined || v === null) continue;
        if (typeof v !== "string" || v.length > MAX_NAME_CHARS) {
          return reject("invalid_field_type", `${field} must be a string of at most ${MAX_NAME_CHARS} characters`, messageId);
        }
        event[field] = v;
      }
      break;
    }
    case "group": {
      const groupId = readId(raw.groupId);
      if (groupId === undefined) return reject("missing_field", "group events need a groupId", messageId);
      if (groupId === null) return reject("invalid_field_type", "groupId must be a string or a number", messageId);
      event.groupId = groupId;
      break;
    }
    case "alias": {
      const previousId = readId(raw.previousId);
      if (previousId === undefined) return reject("missing_field", "alias events need a previousId", messageId);
      if (previousId === null) return reject("invalid_field_type", "previousId must be a string or a number", messageId);
      if (userId === undefined) return reject("missing_field", "alias events need a userId", messageId);
      event.previousId = previousId;
      break;
    }
    case "identify":
      break;
  }

  for (const field of ["properties", "traits", "context"] as const) {
    const v = raw[field];
    if (v !== undefined && v !== null && !isPlainObject(v)) {
      return reject("invalid_field_type", `${field} must be an object`, messageId);
    }
  }

  const rawOriginal = raw.timestamp ?? raw.originalTimestamp;
  let originalMs: number | undefined;
  if (rawOriginal !== undefined && rawOriginal !== null) {
    originalMs = parseTimestamp(rawOriginal);
    if (originalMs === undefined) return reject("invalid_timestamp", "timestamp is not a valid date-time", messageId);
  }
  let sentAtMs = ctx.batchSentAtMs;
  if (raw.sentAt !== undefined && raw.sentAt !== null) {
    sentAtMs = parseTimestamp(raw.sentAt);
    if (sentAtMs === undefined) return reject("invalid_timestamp", "sentAt is not a valid date-time", messageId);
  }
  const timestampMs = correctedTimestamp(ctx.receivedAtMs, originalMs, sentAtMs);
  if (timestampMs < ctx.config.timestampFloorMs || timestampMs > ctx.receivedAtMs + ctx.config.maxFutureSkewMs) {
    return reject(
      "timestamp_out_of_range",
      `timestamp ${isoOrNumber(timestampMs)} is outside [${new Date(ctx.config.timestampFloorMs).toISOString()}, receivedAt + ${ctx.config.maxFutureSkewMs / 1000}s]`,
      messageId,
    );
  }

  let schemaVersion: string | null = null;
  let schemaViolations: SchemaViolation[] | undefined;
  if (type === "track") {
    const requested = raw.schemaVersion;
    if (requested !== undefined && typeof requested !== "string") {
      return reject("invalid_field_type", "schemaVersion must be a string", messageId);
    }
    const check = ctx.schemas.check(event.event!, requested, raw.properties);
    if (!check.ok) return reject(check.reason, check.message, messageId);
    schemaVersion = check.version;
    if (check.violations?.length) schemaViolations = check.violations;
  }

  const context = isPlainObject(raw.context) ? raw.context : undefined;
  const mergedContext = ctx.outerContext ? mergeContext(ctx.outerContext, context) : context;

  // Built by assignment in a fixed key order (cheaper than spreads on the hot path; identical inputs serialize
  // identically).
  const canonical = { kind: "event", formatVersion: CANONICAL_FORMAT_VERSION, messageId: messageId ?? ctx.newMessageId(), type } as CanonicalEvent;
  if (event.event !== undefined) canonical.event = event.event;
  if (event.name !== undefined) canonical.name = event.name;
  if (event.category !== undefined) canonical.category = event.category;
  if (event.groupId !== undefined) canonical.groupId = event.groupId;
  if (event.previousId !== undefined) canonical.previousId = event.previousId;
  if (userId !== undefined) canonical.userId = userId;
  if (anonymousId !== undefined) canonical.anonymousId = anonymousId;
  if (isPlainObject(raw.properties)) canonical.properties = raw.properties;
  if (isPlainObject(raw.traits)) canonical.traits = raw.traits;
  if (mergedContext) canonical.context = mergedContext;
  let originalIso: string | undefined;
  if (originalMs !== undefined) canonical.originalTimestamp = originalIso = canonicalIso(rawOriginal, originalMs);
  if (sentAtMs !== undefined) canonical.sentAt = canonicalIso(raw.sentAt ?? ctx.batchSentAtIso, sentAtMs);
  canonical.receivedAt = ctx.receivedAt;
  canonical.timestamp =
    timestampMs === originalMs && originalIso !== undefined ? originalIso : timestampMs === ctx.receivedAtMs ? ctx.receivedAt : new Date(timestampMs).toISOString();
  canonical.sourceId = ctx.sourceId;
  canonical.schemaVersion = schemaVersion;
  if (schemaViolations) canonical.schemaViolations = schemaViolations;
  return { ok: true, event: canonical };
}
