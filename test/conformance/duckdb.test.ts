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
});
