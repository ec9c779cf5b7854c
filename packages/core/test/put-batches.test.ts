import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KINESIS } from "../src/limits";
import {
  DEFAULT_PUT_RECORDS_LIMITS,
  PutRecordsEntryTooLargeError,
  planPutRecordsBatches,
  putRecordsEntrySize,
  splitPutRecordsBatches,
  type PutRecordsEntryLike,
} from "../src/kinesis/put-batches";

const entry = (partitionKey: string, bytes: number): PutRecordsEntryLike => ({ partitionKey, data: new Uint8Array(bytes) });

describe("planPutRecordsBatches", () => {
  it("uses the Kinesis limits by default", () => {
    expect(DEFAULT_PUT_RECORDS_LIMITS).toEqual({
      maxRecords: KINESIS.maxRecordsPerPutRecords,
      maxRequestBytes: KINESIS.maxPutRecordsRequestBytes,
      maxRecordBytes: KINESIS.maxRecordBytes,
    });
  });

  it("returns no batch for no entries", () => {
    expect(planPutRecordsBatches([])).toEqual([]);
  });

  it("puts at most 500 records in a call", () => {
    const entries = Array.from({ length: 1001 }, (_, i) => entry(`k${i}`, 10));
    const batches = planPutRecordsBatches(entries);
    expect(batches.map((b) => b.length)).toEqual([500, 500, 1]);
    expect(batches.flat()).toEqual(entries.map((_, i) => i));
  });

  it("puts at most 10 MiB (data + partition keys) in a call", () => {
    // Each entry is exactly 1 MiB with its one-byte key: ten fill a call.
    const data = new Uint8Array(KINESIS.maxRecordBytes - 1);
    const entries = Array.from({ length: 25 }, () => ({ partitionKey: "a", data }));
    expect(planPutRecordsBatches(entries).map((b) => b.length)).toEqual([10, 10, 5]);
    // Boundary: ten entries 600 bytes short of 1 MiB leave exactly 6,000 bytes of the request.
    const big = { partitionKey: "a", data: new Uint8Array(KINESIS.maxRecordBytes - 601) };
    const tens = Array.from({ length: 10 }, () => big);
    expect(planPutRecordsBatches([...tens, entry("a", 5_999)]).map((b) => b.length)).toEqual([11]);
    expect(planPutRecordsBatches([...tens, entry("é", 5_999)]).map((b) => b.length)).toEqual([10, 1]);
    expect(planPutRecordsBatches([...tens, entry("a", 6_000)]).map((b) => b.length)).toEqual([10, 1]);
  });

  it("counts partition keys in UTF-8 bytes, not characters, and ignores the explicit hash key", () => {
    expect(putRecordsEntrySize({ partitionKey: "é", data: new Uint8Array(3) })).toBe(5);
    expect(putRecordsEntrySize({ partitionKey: "🙂", explicitHashKey: "123456", data: new Uint8Array(0) })).toBe(4);
    const limits = { maxRequestBytes: 10, maxRecordBytes: 10 };
    // "é" + 3 bytes = 5: two fit exactly in 10.
    expect(planPutRecordsBatches([entry("é", 3), entry("é", 3), entry("é", 3)], limits)).toEqual([[0, 1], [2]]);
    // "e" + 3 bytes = 4: two fit, a third would make 12.
    expect(planPutRecordsBatches([entry("e", 3), entry("e", 3), entry("e", 2)], limits)).toEqual([[0, 1], [2]]);
    expect(planPutRecordsBatches([entry("e", 3), entry("e", 3), entry("e", 1)], limits)).toEqual([[0, 1, 2]]);
  });

  it("throws a typed error for an entry no call can carry", () => {
    const tooBig = { partitionKey: "k", data: new Uint8Array(KINESIS.maxRecordBytes) };
    expect(() => planPutRecordsBatches([entry("a", 1), tooBig])).toThrow(PutRecordsEntryTooLargeError);
    try {
      planPutRecordsBatches([entry("a", 1), tooBig]);
    } catch (e) {
      expect(e).toBeInstanceOf(PutRecordsEntryTooLargeError);
      expect(e).toMatchObject({ index: 1, sizeBytes: KINESIS.maxRecordBytes + 1, limitBytes: KINESIS.maxRecordBytes });
    }
    expect(() => planPutRecordsBatches([entry("a", 20)], { maxRequestBytes: 10 })).toThrow(PutRecordsEntryTooLargeError);
  });

  it("rejects nonsensical limits", () => {
    expect(() => planPutRecordsBatches([], { maxRecords: 0 })).toThrow(RangeError);
    expect(() => planPutRecordsBatches([], { maxRequestBytes: 0 })).toThrow(RangeError);
  });

  it("keeps order, stays within limits and fills calls greedily (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.constantFrom("a", "é", "日本", "🙂", "user-12"), bytes: fc.nat(60) }), { maxLength: 120 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 100, max: 400 }),
        (specs, maxRecords, maxRequestBytes) => {
          const entries = specs.map((s) => entry(s.key, s.bytes));
          const batches = planPutRecordsBatches(entries, { maxRecords, maxRequestBytes });
          expect(batches.flat()).toEqual(entries.map((_, i) => i));
          const sizeOf = (b: number[]) => b.reduce((sum, i) => sum + putRecordsEntrySize(entries[i]!), 0);
          batches.forEach((batch, n) => {
            expect(batch.length > 0 && batch.length <= maxRecords && sizeOf(batch) <= maxRequestBytes).toBe(true);
            const next = batches[n + 1];
            if (next !== undefined) {
              // greedy: the next call's first entry did not fit in this one
              const first = next[0]!;
              expect(
                batch.length === maxRecords || sizeOf(batch) + putRecordsEntrySize(entries[first]!) > maxRequestBytes,
              ).toBe(true);
            }
          });
        },
      ),
    );
  });
});

describe("splitPutRecordsBatches", () => {
  it("returns the entries themselves", () => {
    const entries = [entry("a", 1), entry("b", 1), entry("c", 1)];
    const batches = splitPutRecordsBatches(entries, { maxRecords: 2 });
    expect(batches).toHaveLength(2);
    expect(batches[0]![0]).toBe(entries[0]);
    expect(batches[0]![1]).toBe(entries[1]);
    expect(batches[1]![0]).toBe(entries[2]);
  });
});
