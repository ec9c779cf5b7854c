/** Quarantine replay's judgment: bad rows judged again by today's rules; what passes becomes the event ingest makes. */
import { DEFAULT_INGEST_CONFIG } from "@eventlake/core/ingest/config";
import type { BadRow } from "@eventlake/core/ingest/events";
import { createSchemaRegistry } from "@eventlake/core/ingest/schema-registry";
import { rejudgeBadRow } from "@eventlake/core/replay/rejudge";
import { describe, expect, it } from "vitest";

const today = { config: DEFAULT_INGEST_CONFIG, schemas: createSchemaRegistry([]) };
const badRow = (payload: unknown, extra: Partial<BadRow> = {}): BadRow => ({
  kind: "bad_row", formatVersion: 1, reason: "event_too_large", message: "the event is larger than 600 bytes", index: 3,
  sourceId: "web", receivedAt: "2026-11-26T09:00:00.000Z", endpoint: "/v1/batch",
  payload: typeof payload === "string" ? payload : JSON.stringify(payload), payloadTruncated: false, ...extra,
});

describe("rejudgeBadRow", () => {
  it("turns a bad row that passes today into the canonical event, keeping its messageId, receivedAt and source", () => {
    const judged = rejudgeBadRow(badRow({ type: "track", event: "Big", userId: "u1", messageId: "m-1", properties: { pad: "x".repeat(700) } }), today);
    expect(judged.ok).toBe(true);
    if (!judged.ok) return;
    expect(judged.record).toMatchObject({ kind: "event", messageId: "m-1", partitionKey: "u1" });
    expect(JSON.parse(Buffer.from(judged.record.data).toString())).toMatchObject({ kind: "event", messageId: "m-1", type: "track", event: "Big", receivedAt: "2026-11-26T09:00:00.000Z", sourceId: "web" });
  });

  it("takes the type from a single-event endpoint, and gives an event without messageId a stable derived one", () => {
    const row = badRow({ event: "Clicked", anonymousId: "a1" }, { endpoint: "/v1/track" });
    const first = rejudgeBadRow(row, today);
    const again = rejudgeBadRow(row, today);
    expect(first.ok && again.ok).toBe(true);
    if (!first.ok || !again.ok) return;
    expect(first.record.messageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(again.record.messageId).toBe(first.record.messageId);
    expect(rejudgeBadRow({ ...row, index: 4 }, today)).not.toEqual(first);
  });

  it("leaves what still fails, and what cannot be judged, in quarantine with a reason", () => {
    expect(rejudgeBadRow(badRow({ type: "track", event: "No identity" }), today)).toEqual({ ok: false, reason: "missing_identity" });
    expect(rejudgeBadRow(badRow("{not json"), today)).toEqual({ ok: false, reason: "malformed_json" });
    expect(rejudgeBadRow(badRow({ type: "track", event: "E", userId: "u" }, { payloadTruncated: true }), today)).toEqual({ ok: false, reason: "payload_truncated" });
    // The second copy of an id in one request: the first copy was accepted already.
    expect(rejudgeBadRow(badRow({ type: "track", event: "E", userId: "u", messageId: "m" }, { reason: "duplicate_message_id" }), today)).toEqual({ ok: false, reason: "duplicate_message_id" });
    const small = { ...today, config: { ...DEFAULT_INGEST_CONFIG, maxEventBytes: 600 } };
    expect(rejudgeBadRow(badRow({ type: "track", event: "Big", userId: "u1", properties: { pad: "x".repeat(700) } }), small)).toEqual({ ok: false, reason: "event_too_large" });
  });
});
