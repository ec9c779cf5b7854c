/** What replay re-sends: the same bytes with the ingest function's partition key, only for the chosen hours. */
import { hourOfKey, inReplayRange, ledgerKeyOf, ndjsonLines, replayRecordOf } from "@eventlake/core/replay/records";
import { describe, expect, it } from "vitest";

const bytes = (s: string) => new Uint8Array(Buffer.from(s));

describe("replayRecordOf", () => {
  it("re-sends an event's exact bytes keyed by userId, else anonymousId", () => {
    const line = bytes(JSON.stringify({ kind: "event", messageId: "m1", userId: "u1", anonymousId: "a1", type: "track" }));
    const record = replayRecordOf(line);
    expect(record).toMatchObject({ kind: "event", messageId: "m1", partitionKey: "u1" });
    expect(Buffer.from((record as { data: Uint8Array }).data).equals(Buffer.from(line))).toBe(true);
    expect(replayRecordOf(bytes(JSON.stringify({ kind: "event", messageId: "m2", anonymousId: "a2" })))).toMatchObject({ partitionKey: "a2" });
  });

  it("keys a bad row by its messageId, else by a hash of the line", () => {
    expect(replayRecordOf(bytes(JSON.stringify({ kind: "bad_row", messageId: "b1", reason: "x" })))).toMatchObject({ kind: "bad_row", partitionKey: "b1" });
    const anonymous = replayRecordOf(bytes(JSON.stringify({ kind: "bad_row", reason: "malformed_json" })));
    expect(anonymous).toMatchObject({ kind: "bad_row", partitionKey: expect.stringMatching(/^[0-9a-f]{32}$/) });
  });

  it("refuses what the pipeline never writes", () => {
    expect(replayRecordOf(bytes("{not json"))).toEqual({ refused: "not JSON" });
    expect(replayRecordOf(bytes("[1,2]"))).toEqual({ refused: "not a JSON object" });
    expect(replayRecordOf(bytes(JSON.stringify({ kind: "weird" })))).toEqual({ refused: 'unknown kind "weird"' });
    expect(replayRecordOf(bytes(JSON.stringify({ kind: "event", messageId: "m" })))).toEqual({ refused: "an event without messageId, userId or anonymousId" });
  });
});

describe("which objects a replay covers", () => {
  const key = "fallback/year=2026/month=11/day=26/hour=10/2026-11-26T10-15-00-000Z-x.ndjson";
  it("reads the hour from the Hive partition", () => {
    expect(hourOfKey(key)).toBe(Date.UTC(2026, 10, 26, 10));
    expect(hourOfKey("fallback/loose.ndjson")).toBeUndefined();
  });

  it("includes hours overlapping [since, until), and unpartitioned objects only without a range", () => {
    expect(inReplayRange(key, {})).toBe(true);
    expect(inReplayRange(key, { sinceMs: Date.UTC(2026, 10, 26, 10, 59) })).toBe(true);
    expect(inReplayRange(key, { sinceMs: Date.UTC(2026, 10, 26, 11) })).toBe(false);
    expect(inReplayRange(key, { untilMs: Date.UTC(2026, 10, 26, 10) })).toBe(false);
    expect(inReplayRange(key, { untilMs: Date.UTC(2026, 10, 26, 10, 1) })).toBe(true);
    expect(inReplayRange("fallback/loose.ndjson", { sinceMs: 0 })).toBe(false);
  });

  it("marks replayed objects outside every source and table", () => {
    expect(ledgerKeyOf("fallback", key)).toBe(`replay-ledger/fallback/${key}.json`);
    expect(ledgerKeyOf("quarantine", "raw/x.gz")).not.toBe(ledgerKeyOf("raw", "raw/x.gz"));
  });
});

describe("ndjsonLines", () => {
  it("splits on newlines, skipping empty lines, with or without a final newline", () => {
    const text = (ls: Uint8Array[]) => ls.map((l) => Buffer.from(l).toString());
    expect(text(ndjsonLines(bytes('{"a":1}\n\n{"b":2}\n')))).toEqual(['{"a":1}', '{"b":2}']);
    expect(text(ndjsonLines(bytes('{"a":1}')))).toEqual(['{"a":1}']);
    expect(ndjsonLines(bytes(""))).toEqual([]);
  });
});
