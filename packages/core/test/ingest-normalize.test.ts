import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_INGEST_CONFIG } from "../src/ingest/config";
import { normalizeEvent, type NormalizeContext } from "../src/ingest/normalize";
import { createSchemaRegistry } from "../src/ingest/schema-registry";
import { correctedTimestamp, parseTimestamp } from "../src/ingest/timestamps";

const RECEIVED = Date.UTC(2026, 10, 26, 12, 0, 0);
let counter = 0;
const ctx = (overrides: Partial<NormalizeContext> = {}): NormalizeContext => ({
  routeType: undefined,
  defaultType: undefined,
  batchSentAtMs: undefined,
  outerContext: undefined,
  receivedAtMs: RECEIVED,
  receivedAt: new Date(RECEIVED).toISOString(),
  sourceId: "web",
  config: DEFAULT_INGEST_CONFIG,
  schemas: createSchemaRegistry([]),
  newMessageId: () => `generated-${++counter}`,
  ...overrides,
});

describe("timestamps", () => {
  it("parses ISO-8601 with zones and fractions, and epoch millis", () => {
    expect(parseTimestamp("2026-11-26T12:00:00Z")).toBe(RECEIVED);
    expect(parseTimestamp("2026-11-26T13:00:00+01:00")).toBe(RECEIVED);
    expect(parseTimestamp("2026-11-26T13:00:00+0100")).toBe(RECEIVED);
    expect(parseTimestamp("2026-11-26T12:00:00.123456Z")).toBe(RECEIVED + 123);
    expect(parseTimestamp(RECEIVED)).toBe(RECEIVED);
    expect(parseTimestamp("2024-02-29T23:59:59Z")).toBe(Date.UTC(2024, 1, 29, 23, 59, 59));
  });
  it("rejects ambiguous or invalid values", () => {
    for (const bad of ["2026-11-26", "2026-11-26T12:00:00", "yesterday", "2026-13-40T99:00:00Z", "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-04-31T10:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T10:60:00Z", "", Number.NaN, Infinity, {}, [], true, 1e20]) {
      expect(parseTimestamp(bad)).toBeUndefined();
    }
  });
  it("corrects device clock skew like Segment", () => {
    // Device clock is 1 h fast: event at device 13:00, sent at device 13:00:05, received 12:00:05 server time.
    const original = Date.UTC(2026, 10, 26, 13, 0, 0);
    const sent = original + 5_000;
    const received = Date.UTC(2026, 10, 26, 12, 0, 5);
    expect(correctedTimestamp(received, original, sent)).toBe(Date.UTC(2026, 10, 26, 12, 0, 0));
    expect(correctedTimestamp(received, original, undefined)).toBe(original);
    expect(correctedTimestamp(received, undefined, sent)).toBe(received);
  });
});

describe("normalizeEvent", () => {
  it("builds the canonical track event", () => {
    const result = normalizeEvent(
      { type: "track", event: "Order Completed", userId: "u1", messageId: "m-1", properties: { revenue: 10 }, timestamp: "2026-11-26T11:59:00Z", sentAt: "2026-11-26T11:59:30Z", context: { ip: "1.2.3.4" } },
      ctx(),
    );
    expect(result).toEqual({
      ok: true,
      event: {
        kind: "event",
        formatVersion: 1,
        messageId: "m-1",
        type: "track",
        event: "Order Completed",
        userId: "u1",
        properties: { revenue: 10 },
        context: { ip: "1.2.3.4" },
        originalTimestamp: "2026-11-26T11:59:00.000Z",
        sentAt: "2026-11-26T11:59:30.000Z",
        receivedAt: "2026-11-26T12:00:00.000Z",
        timestamp: "2026-11-26T11:59:30.000Z",
        sourceId: "web",
        schemaVersion: null,
      },
    });
  });

  it("generates a messageId when the client sent none, and uses receivedAt without client time", () => {
    const result = normalizeEvent({ anonymousId: "a1", name: "Home" }, ctx({ routeType: "page" }));
    expect(result.ok && result.event.messageId).toMatch(/^generated-/);
    expect(result.ok && result.event.timestamp).toBe("2026-11-26T12:00:00.000Z");
    expect(result.ok && result.event.type).toBe("page");
    expect(result.ok && result.event.name).toBe("Home");
  });

  it("takes the type from the route over the body, and numeric ids as strings", () => {
    const result = normalizeEvent({ type: "track", userId: 42, traits: { plan: "pro" } }, ctx({ routeType: "identify" }));
    expect(result.ok && result.event).toMatchObject({ type: "identify", userId: "42", traits: { plan: "pro" } });
  });

  it("merges the batch context under the event's own (event wins, deep)", () => {
    const result = normalizeEvent(
      { type: "track", event: "x", userId: "u", context: { app: { version: "2" }, locale: "de" } },
      ctx({ outerContext: { app: { version: "1", name: "shop" }, library: { name: "sdk" } } }),
    );
    expect(result.ok && result.event.context).toEqual({ app: { version: "2", name: "shop" }, library: { name: "sdk" }, locale: "de" });
  });

  const cases: [string, unknown, string, Partial<NormalizeContext>?][] = [
    ["array", [1, 2], "not_an_object"],
    ["null", null, "not_an_object"],
    ["no identity", { type: "track", event: "x" }, "missing_identity"],
    ["empty identity", { type: "track", event: "x", userId: "", anonymousId: "" }, "missing_identity"],
    ["object userId", { type: "track", event: "x", userId: { a: 1 } }, "invalid_field_type"],
    ["boolean anonymousId", { type: "track", event: "x", anonymousId: true }, "invalid_field_type"],
    ["userId over 256 chars", { type: "track", event: "x", userId: "u".repeat(257) }, "invalid_field_type"],
    ["track without event", { type: "track", userId: "u" }, "missing_field"],
    ["numeric event name", { type: "track", userId: "u", event: 5 }, "invalid_field_type"],
    ["unknown type", { type: "purchase", userId: "u" }, "unknown_type"],
    ["missing type in batch", { userId: "u", event: "x" }, "unknown_type"],
    ["group without groupId", { type: "group", userId: "u" }, "missing_field"],
    ["alias without previousId", { type: "alias", userId: "u" }, "missing_field"],
    ["alias without userId", { type: "alias", anonymousId: "a", previousId: "p" }, "missing_field"],
    ["properties as string", { type: "track", event: "x", userId: "u", properties: "x" }, "invalid_field_type"],
    ["context as array", { type: "track", event: "x", userId: "u", context: [] }, "invalid_field_type"],
    ["traits as number", { type: "identify", userId: "u", traits: 1 }, "invalid_field_type"],
    ["page name as object", { type: "page", userId: "u", name: {} }, "invalid_field_type"],
    ["messageId too long", { type: "track", event: "x", userId: "u", messageId: "m".repeat(101) }, "invalid_message_id"],
    ["messageId number", { type: "track", event: "x", userId: "u", messageId: 7 }, "invalid_message_id"],
    ["bad timestamp", { type: "track", event: "x", userId: "u", timestamp: "soon" }, "invalid_timestamp"],
    ["bad sentAt", { type: "track", event: "x", userId: "u", sentAt: "2026-02-30" }, "invalid_timestamp"],
    ["timestamp before floor", { type: "track", event: "x", userId: "u", timestamp: "1999-12-31T23:59:59Z" }, "timestamp_out_of_range"],
    ["timestamp far in future", { type: "track", event: "x", userId: "u", timestamp: "2030-01-01T00:00:00Z" }, "timestamp_out_of_range"],
    ["absurd skew via sentAt", { type: "track", event: "x", userId: "u", timestamp: "2026-01-01T00:00:00Z", sentAt: "1901-01-01T00:00:00Z" }, "timestamp_out_of_range"],
    ["extreme epoch", { type: "track", event: "x", userId: "u", timestamp: -8.64e15, sentAt: 8.64e15 }, "invalid_timestamp"], // outside years 1900-9999: not writable (timestamps.ts)
    ["__proto__ key", JSON.parse('{"type":"track","event":"x","userId":"u","properties":{"__proto__":{"admin":true}}}'), "forbidden_key"],
  ];
  it.each(cases)("rejects %s", (_name, input, reason, overrides) => {
    const result = normalizeEvent(input, ctx(overrides));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toBe(reason);
    expect(!result.ok && result.message.length).toBeGreaterThan(0);
  });

  it("rejects nesting deeper than the limit without recursion", () => {
    let deep: Record<string, unknown> = {};
    const root = { type: "track", event: "x", userId: "u", properties: deep };
    for (let i = 0; i < 100_000; i++) {
      const next = {};
      deep.a = next;
      deep = next;
    }
    const result = normalizeEvent(root, ctx());
    expect(!result.ok && result.reason).toBe("nesting_too_deep");
  });

  it("never pollutes prototypes", () => {
    normalizeEvent(JSON.parse('{"type":"track","event":"x","userId":"u","context":{"__proto__":{"polluted":1}}}'), ctx());
    normalizeEvent({ type: "track", event: "x", userId: "u", context: JSON.parse('{"constructor":{"prototype":{"polluted":1}}}') }, ctx({ outerContext: { a: 1 } }));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("validates track properties against the registered schema (latest or requested version)", () => {
    const schemas = createSchemaRegistry([
      { event: "Order Completed", version: "1-0-0", schema: { type: "object", required: ["revenue"], properties: { revenue: { type: "number" } } } },
      { event: "Order Completed", version: "1-1-0", schema: { type: "object", required: ["revenue", "currency"], properties: { revenue: { type: "number" }, currency: { type: "string" } } } },
    ]);
    const base = { type: "track", userId: "u", event: " order completed " };
    const ok = normalizeEvent({ ...base, properties: { revenue: 1, currency: "EUR" } }, ctx({ schemas }));
    expect(ok.ok && ok.event.schemaVersion).toBe("1-1-0");
    const old = normalizeEvent({ ...base, schemaVersion: "1-0-0", properties: { revenue: 1 } }, ctx({ schemas }));
    expect(old.ok && old.event.schemaVersion).toBe("1-0-0");
    const bad = normalizeEvent({ ...base, properties: { revenue: "1", currency: "EUR" } }, ctx({ schemas }));
    expect(!bad.ok && bad.reason).toBe("schema_violation");
    expect(!bad.ok && bad.message).toContain("properties.revenue");
    const unknown = normalizeEvent({ ...base, schemaVersion: "9-0-0", properties: {} }, ctx({ schemas }));
    expect(!unknown.ok && unknown.reason).toBe("unknown_schema_version");
    const unregistered = normalizeEvent({ type: "track", userId: "u", event: "Other" }, ctx({ schemas }));
    expect(unregistered.ok && unregistered.event.schemaVersion).toBeNull();
  });

  it("tag schemas accept non-matching events and record every violation", () => {
    const schemas = createSchemaRegistry([
      {
        event: "Order Completed",
        version: "1-0-0",
        enforcement: "tag",
        schema: { type: "object", required: ["order_id", "revenue"], properties: { order_id: { type: "string" }, revenue: { type: "number" } } },
      },
    ]);
    const base = { type: "track", userId: "u", event: "Order Completed" };
    const tagged = normalizeEvent({ ...base, properties: { revenue: "12" } }, ctx({ schemas }));
    expect(tagged.ok).toBe(true);
    if (!tagged.ok) return;
    expect(tagged.event.schemaVersion).toBe("1-0-0");
    expect(tagged.event.schemaViolations).toEqual([
      { schemaVersion: "1-0-0", path: "properties", message: "must have required property 'order_id'" },
      { schemaVersion: "1-0-0", path: "properties.revenue", message: "must be number" },
    ]);
    const clean = normalizeEvent({ ...base, properties: { order_id: "o1", revenue: 12 } }, ctx({ schemas }));
    expect(clean.ok && clean.event.schemaViolations).toBeUndefined();
    const unknownVersion = normalizeEvent({ ...base, schemaVersion: "2-0-0", properties: {} }, ctx({ schemas }));
    expect(unknownVersion.ok && unknownVersion.event.schemaVersion).toBeNull();
    expect(unknownVersion.ok && unknownVersion.event.schemaViolations?.[0]?.path).toBe("schemaVersion");
    expect(() => createSchemaRegistry([{ event: "X", version: "1-0-0", enforcement: "warn" as "tag", schema: {} }])).toThrow(/enforcement/);
  });

  it("rejects text that is not valid Unicode (a lone surrogate escape) anywhere in the event, keys included", () => {
    const cases = [
      '{"type":"track","event":"E\\ud800","userId":"u"}',
      '{"type":"track","event":"E","userId":"\\udfff"}',
      '{"type":"track","event":"E","userId":"u","properties":{"a":["ok","x\\ud83d"]}}',
      '{"type":"track","event":"E","userId":"u","context":{"k\\udc00":1}}',
      '{"type":"track","event":"E","userId":"u","messageId":"m\\ud800"}',
    ];
    for (const text of cases) {
      const result = normalizeEvent(JSON.parse(text), ctx());
      expect(result.ok ? "accepted" : result.reason, text).toBe("invalid_unicode");
      // The bad row never carries an invalid messageId.
      expect(result.ok || result.messageId === undefined || !/\p{Surrogate}/u.test(result.messageId)).toBe(true);
    }
    // A well-formed pair (an emoji written as escapes) is valid.
    const pair = normalizeEvent(JSON.parse('{"type":"track","event":"E \\ud83d\\udc4d","userId":"u"}'), ctx());
    expect(pair.ok && pair.event.event).toBe("E 👍");
  });

  it("rejects a track event whose name is blank once trimmed (the curation contract requires a name)", () => {
    for (const name of [" ", "\t\n", " \r "]) {
      const result = normalizeEvent({ type: "track", event: name, userId: "u" }, ctx());
      expect(result.ok ? "accepted" : result.reason).toBe("missing_field");
    }
  });

  it("property: any valid track event normalizes, keeps its ids and properties, and stays within bounds", () => {
    // Valid means no __proto__ key at any depth (such events are rejected as forbidden_key, tested above) and a
    // non-blank event name.
    const jsonValue = fc.jsonValue({ maxDepth: 4 }).filter((v) => !JSON.stringify(v).includes('"__proto__":'));
    fc.assert(
      fc.property(
        fc.record({
          userId: fc.option(fc.string({ minLength: 1, maxLength: 256 }), { nil: undefined }),
          anonymousId: fc.string({ minLength: 1, maxLength: 64 }),
          // A name blank once trimmed is missing (tested above).
          event: fc.string({ minLength: 1, maxLength: 100 }).filter((name) => /[^ \t\n\r]/.test(name)),
          messageId: fc.option(fc.string({ minLength: 1, maxLength: 100 }), { nil: undefined }),
          properties: fc.dictionary(fc.string().filter((k) => k !== "__proto__"), jsonValue, { maxKeys: 8 }),
          offsetMs: fc.integer({ min: -365 * 86_400_000, max: 3_600_000 }),
        }),
        (input) => {
          const raw = {
            type: "track",
            event: input.event,
            anonymousId: input.anonymousId,
            ...(input.userId !== undefined ? { userId: input.userId } : {}),
            ...(input.messageId !== undefined ? { messageId: input.messageId } : {}),
            properties: input.properties,
            timestamp: new Date(RECEIVED + input.offsetMs).toISOString(),
          };
          const result = normalizeEvent(raw, ctx());
          if (!result.ok) throw new Error(`rejected: ${result.reason} ${result.message}`);
          const e = result.event;
          expect(e.anonymousId).toBe(input.anonymousId);
          expect(e.userId).toBe(input.userId);
          if (input.messageId !== undefined) expect(e.messageId).toBe(input.messageId);
          expect(e.properties).toEqual(input.properties);
          expect(Date.parse(e.timestamp)).toBe(RECEIVED + input.offsetMs);
          // The canonical form survives a JSON round trip unchanged (it is what goes on the wire).
          expect(JSON.stringify(JSON.parse(JSON.stringify(e)))).toBe(JSON.stringify(e));
        },
      ),
      { numRuns: 300 },
    );
  });
});
