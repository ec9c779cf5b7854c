/**
 * The curation contract on the DuckDB engine (the local curator's): every fixture's batches run in order with the
 * state carried over, and each batch's curated rows, quarantined rows and aggregates must match exactly.
 */
import { CurationEngine } from "@eventlake/local/curator/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCanonicalRows } from "./engine-rows";
import { loadConformanceFixtures } from "./fixtures";

const fixtures = loadConformanceFixtures();

describe("curation conformance: DuckDB engine", () => {
  it("has fixtures", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(5);
  });

  for (const fixture of fixtures) {
    describe(fixture.name, () => {
      let engine: CurationEngine;
      beforeAll(async () => {
        engine = await CurationEngine.open(":memory:", { threads: 1 });
      });
      afterAll(() => engine?.close());

      fixture.batches.forEach((batch, i) => {
        it(`batch ${i}: ${fixture.description}`, async () => {
          const stats = await engine.runBatch(
            batch.batchId,
            new Date(batch.processingTime),
            batch.records.map((r) => ({ data: r.bytes, arrivalTime: new Date(r.arrivalTime) })),
          );
          const { outputs } = engine.compiled;
          expect(await readCanonicalRows(engine, "events", outputs.events)).toEqual(batch.expected.events);
          expect(await readCanonicalRows(engine, "quarantine", outputs.quarantine)).toEqual(batch.expected.quarantine);
          expect(await readCanonicalRows(engine, "aggregates", outputs.aggregates)).toEqual(batch.expected.aggregates);
          if (batch.expectedStats) expect(stats).toMatchObject(batch.expectedStats);
          expect(stats.records).toBe(batch.records.length);
          await engine.commit();
        });
      });
    });
  }

  // properties, traits and context must be JSON objects. Both engines read fields as text (Spark's json_tuple cannot
  // tell a string from other JSON), so a string whose text is a JSON object passes like an object does; DuckDB reads
  // object-ness from the record's one parse, and these cases pin that it agrees with parsing the field's text.
  it("object fields: objects and strings holding an object pass; other strings, arrays and scalars are quarantined", async () => {
    const engine = await CurationEngine.open(":memory:", { threads: 1 });
    try {
      const base = { kind: "event", formatVersion: 1, sourceId: "web", schemaVersion: null, type: "track", event: "Clicked", userId: "u-1", receivedAt: "2024-06-02T07:59:59.000Z", timestamp: "2024-06-02T07:59:58.000Z" };
      const cases: [id: string, fields: Record<string, unknown>][] = [
        ["obj", { properties: { a: [1, 2.50], "b c": { d: null } }, traits: {}, context: { ip: "1.2.3.4" } }],
        ["str-obj", { properties: '{"a": 1}', traits: " {}", context: '{"x":"y"}' }],
        ["str-brace", { properties: "{not json" }],
        ["str-quote", { traits: '"{}"' }],
        ["array", { context: [{ a: 1 }] }],
        ["number", { properties: 7 }],
        ["null", { properties: null, traits: null, context: null }],
      ];
      const arrivalTime = new Date("2024-06-02T08:00:00Z");
      const records = cases.map(([messageId, fields]) => ({ data: Buffer.from(JSON.stringify({ ...base, messageId, ...fields })), arrivalTime }));
      await engine.runBatch(1, new Date("2024-06-02T08:00:30Z"), records);
      const curated = await engine.query(`SELECT message_id, properties, traits, context FROM ${engine.compiled.outputs.events} ORDER BY message_id`);
      expect(curated).toEqual([
        { message_id: "null", properties: null, traits: null, context: null },
        { message_id: "obj", properties: '{"a":[1,2.5],"b c":{"d":null}}', traits: "{}", context: '{"ip":"1.2.3.4"}' },
        { message_id: "str-obj", properties: '{"a": 1}', traits: " {}", context: '{"x":"y"}' },
      ]);
      const quarantined = await engine.query(`SELECT message_id, reason, message FROM ${engine.compiled.outputs.quarantine} ORDER BY message_id`);
      expect(quarantined).toEqual([
        { message_id: "array", reason: "invalid_field_type", message: "context must be a JSON object" },
        { message_id: "number", reason: "invalid_field_type", message: "properties must be a JSON object" },
        { message_id: "str-brace", reason: "invalid_field_type", message: "properties must be a JSON object" },
        { message_id: "str-quote", reason: "invalid_field_type", message: "traits must be a JSON object" },
      ]);
    } finally {
      engine.close();
    }
  });
});
