/**
 * How the local curation engine loads a batch's records into the contract's `raw_records` relation: in data chunks of
 * DuckDB's vector size, each record as UTF-8 text when it is valid UTF-8, else NULL text and its exact bytes in
 * base64, with its own arrival time. The oracle here is the WHATWG TextDecoder in fatal mode (strict UTF-8, as the
 * Glue runner's Python `bytes.decode("utf-8", "strict")`), not the check the engine uses; the batch spans several
 * chunks and puts undecodable records on both sides of chunk boundaries.
 */
import { describe, expect, it } from "vitest";
import { CurationEngine, type RawRecord } from "../src/curator/engine";

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
function decodeStrict(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Byte sequences that are not UTF-8: a lone surrogate (CESU-8), an overlong "/", past U+10FFFF, a cut sequence, a stray continuation byte. */
const UNDECODABLE = ["eda080", "c0af", "f4908080", "e282", "80", "7bfffe7d"].map((hex) => Buffer.from(hex, "hex"));

describe("curation engine: loading records", () => {
  it("keeps every record's text or bytes and arrival time, across chunk boundaries", async () => {
    const count = 5_000;
    const base = Date.parse("2024-06-03T10:00:00Z");
    const records: RawRecord[] = Array.from({ length: count }, (_, i) => {
      // Every 97th record undecodable, and the records right at the chunk edges (2047, 2048, 4095, 4096).
      const bad = i % 97 === 3 || i === 2047 || i === 2048 || i === 4095 || i === 4096;
      const data = bad
        ? Buffer.concat([Buffer.from(`{"n":${i},"x":"`), UNDECODABLE[i % UNDECODABLE.length]!, Buffer.from('"}')])
        : Buffer.from(JSON.stringify({ n: i, text: i % 5 === 0 ? "ünïcødé 😀 \u0000 end" : "plain", empty: "" }));
      // A new arrival time every 7 records (records of one Kinesis record share theirs).
      return { data, arrivalTime: new Date(base + Math.floor(i / 7) * 1_000) };
    });
    records.push({ data: new Uint8Array(0), arrivalTime: new Date(base) }); // an empty record: valid (empty) UTF-8

    const engine = await CurationEngine.open(":memory:", { threads: 1 });
    try {
      await engine.loadRecords(records);
      const rows = await engine.query("SELECT data, data_base64, epoch_ms(arrival_time) AS arrival_ms FROM raw_records");
      expect(rows).toHaveLength(records.length);
      const expected = records.map((r) => {
        const text = decodeStrict(r.data);
        return { data: text ?? null, data_base64: text === undefined ? Buffer.from(r.data).toString("base64") : null, arrival_ms: BigInt(r.arrivalTime.getTime()) };
      });
      expect(expected.filter((e) => e.data === null).length).toBeGreaterThan(50);
      // Rows come back in load order (one thread, one appender); compare them all, the first difference shown.
      const mismatch = rows.findIndex((row, i) => row.data !== expected[i]!.data || row.data_base64 !== expected[i]!.data_base64 || row.arrival_ms !== expected[i]!.arrival_ms);
      expect(mismatch === -1 ? undefined : { index: mismatch, got: rows[mismatch], want: expected[mismatch] }).toBeUndefined();

      // A second batch replaces the first one's records entirely.
      await engine.loadRecords(records.slice(0, 3));
      expect((await engine.query("SELECT count(*) AS n FROM raw_records"))[0]!.n).toBe(3n);
    } finally {
      engine.close();
    }
  });
});
