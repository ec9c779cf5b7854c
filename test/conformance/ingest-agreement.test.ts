/**
 * One notion of a valid event from ingest to curated (ARCHITECTURE.md, "One notion of a valid event"): generated
 * client events (test/conformance/generated-events.ts) are judged by the real ingest core, and what it writes to the
 * stream is curated by the DuckDB engine. Every event the ingest accepted must be curated (exactly once), every
 * rejection must carry a typed reason, and the curator must quarantine only the ingest's bad rows: never an event
 * the ingest answered as accepted.
 */
import fc from "fast-check";
import { CurationEngine } from "@eventlake/local/curator/engine";
import { EVENT_REJECTIONS, REQUEST_ERRORS } from "@eventlake/core/ingest/reasons";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientBatch, judgeBatch, RECEIVED_AT_MS, type JudgedRequest } from "./generated-events";

let engine: CurationEngine;
beforeAll(async () => {
  engine = await CurationEngine.open(":memory:", { threads: 1 });
});
afterAll(() => engine?.close());

let batchId = 0;

/** Text columns through base64: the client's string decoding would drop a leading byte-order mark. */
const text = (column: string) => `to_base64(encode(${column})) AS ${column}`;
const decoded = (v: unknown) => Buffer.from(String(v), "base64").toString("utf8");

/**
 * Curates what the requests wrote, as one micro-batch from empty state; returns the curated messageIds and the
 * quarantine rows.
 */
async function curate(requests: readonly JudgedRequest[]) {
  const arrivalTime = new Date(RECEIVED_AT_MS + 1000);
  const records = requests.flatMap((j) => j.records.map((r) => ({ data: r.data, arrivalTime })));
  await engine.runBatch(++batchId, new Date(RECEIVED_AT_MS + 5000), records);
  try {
    const { outputs } = engine.compiled;
    const events = await engine.query(`SELECT ${text("message_id")} FROM ${outputs.events}`);
    const quarantine = await engine.query(`SELECT reason, stage, ${text("payload")} FROM ${outputs.quarantine}`);
    return { curated: events.map((r) => decoded(r.message_id)), quarantine: quarantine.map((q) => ({ reason: String(q.reason), stage: String(q.stage), payload: decoded(q.payload) })) };
  } finally {
    await engine.discard();
  }
}

async function expectAgreement(requests: readonly JudgedRequest[]) {
  for (const judged of requests) {
    if (judged.requestError !== undefined) expect(Object.keys(REQUEST_ERRORS)).toContain(judged.requestError);
    for (const r of judged.rejections) expect(Object.keys(EVENT_REJECTIONS), JSON.stringify(r)).toContain(r.reason);
  }
  // Requests may reuse a client's messageId: the curator keeps one row per messageId.
  const accepted = new Set(requests.flatMap((j) => j.records.filter((r) => r.kind === "event").map((r) => r.messageId!)));
  const { curated, quarantine } = await curate(requests);
  const notIngest = quarantine.filter((q) => q.stage !== "ingest");
  expect(notIngest, `accepted by the ingest, quarantined by the curator; requests: ${requests.map((j) => j.body).join("\n")}`).toEqual([]);
  expect(curated.length, "each messageId curated once").toBe(new Set(curated).size);
  expect(new Set(curated)).toEqual(accepted);
  expect(quarantine.map((q) => q.reason).sort()).toEqual(requests.flatMap((j) => j.rejections.map((r) => r.reason)).sort());
}

describe("ingest and curation agree on what a valid event is", () => {
  it("property: generated events are accepted and curated, or rejected with a typed reason; never accepted then quarantined", async () => {
    // Several requests per micro-batch, as the curator sees them: ~100 runs of up to 8 requests of up to 12 events.
    await fc.assert(
      fc.asyncProperty(fc.array(clientBatch, { minLength: 1, maxLength: 8 }), async (bodies) => expectAgreement(bodies.map((b, i) => judgeBatch(b, `r${i}`)))),
      { numRuns: 100 },
    );
  });

  it("the edge cases behind the rules: lone surrogates, blank names, NUL, padded names", async () => {
    const now = new Date(RECEIVED_AT_MS - 1000).toISOString();
    const cases: [event: Record<string, unknown>, expected: string][] = [
      [{ type: "track", event: "E\ud800", userId: "u" }, "invalid_unicode"],
      [{ type: "track", event: "E", userId: "u", properties: { "k\udc00": 1 } }, "invalid_unicode"],
      [{ type: "track", event: "E", userId: "u", messageId: "m\ud800" }, "invalid_unicode"],
      [{ type: "track", event: " \t", userId: "u" }, "missing_field"],
      [{ type: "track", event: "E\u0000", userId: "u\u0000", properties: { "\u0000": "\u0000" } }, "accepted"],
      [{ type: "page", name: "  ", anonymousId: "a" }, "accepted"],
      // Clock-skew correction can bring any client instant into range: sentAt and timestamp must still be writable.
      [{ type: "track", event: "E", userId: "u", timestamp: 1e15, sentAt: 1e15 }, "invalid_timestamp"],
      [{ type: "track", event: "E", userId: "u", timestamp: "9999-12-31T23:30:00-01:00", sentAt: "9999-12-31T23:30:00-01:00" }, "invalid_timestamp"],
      [{ type: "track", event: "E", userId: "u", timestamp: "0000-01-01T00:30:00+01:00", sentAt: "0000-01-01T00:30:00+01:00" }, "invalid_timestamp"],
      [{ type: "track", event: "E", userId: "u", timestamp: "0001-01-01T00:00:00Z", sentAt: "0001-01-01T00:00:01Z" }, "invalid_timestamp"],
      [{ type: "track", event: "E", userId: "u", timestamp: "1900-01-01T00:00:00Z", sentAt: "1900-01-01T00:00:01Z" }, "accepted"],
      [{ type: "track", event: "E", userId: "u", timestamp: 253402300799999, sentAt: 253402300799999 }, "accepted"],
      [{ type: "track", event: "  Signed Up ", userId: "u", timestamp: now, properties: { emoji: "\ud83d\ude00" } }, "accepted"],
    ];
    for (const [event, expected] of cases) {
      const judged = judgeBatch(JSON.stringify({ batch: [event] }), "edge");
      expect(judged.rejections[0]?.reason ?? "accepted", JSON.stringify(event)).toBe(expected);
      await expectAgreement([judged]);
    }
  });
});
