import { describe, expect, it } from "vitest";
import { datapointsFromCounterSamples, parseCounterSample, counterSampleFiles } from "../src/kinesis/counter-samples";

describe("counter samples -> metric periods", () => {
  const s = (t: number, bytesIn: number, recordsIn = bytesIn / 100, throttledRecords = 0) => ({ t, bytesIn, recordsIn, throttledRecords });

  it("sums each period as the counters' growth between the samples at its edges", () => {
    const samples = [s(500, 0), s(1_500, 1_000), s(2_500, 3_000, 30, 5), s(4_100, 3_000, 30, 5)];
    expect(datapointsFromCounterSamples(samples, 0, 4_000, 1)).toEqual([
      // Before the first sample: nothing was running.
      { startMs: 0, periodSeconds: 1, incomingBytes: 0, incomingRecords: 0, throttledRecords: 0 },
      { startMs: 1_000, periodSeconds: 1, incomingBytes: 1_000, incomingRecords: 10, throttledRecords: 0 },
      // The counters as of 3,000 are the sample at 2,500: its growth belongs to the period ending then.
      { startMs: 2_000, periodSeconds: 1, incomingBytes: 2_000, incomingRecords: 20, throttledRecords: 5 },
      { startMs: 3_000, periodSeconds: 1, incomingBytes: 0, incomingRecords: 0, throttledRecords: 0 },
    ]);
  });

  it("returns only periods the samples have reached (a stopped sampler gives no fresh periods, not zeros)", () => {
    expect(datapointsFromCounterSamples([s(0, 0), s(2_500, 10)], 0, 10_000, 1).map((d) => d.startMs)).toEqual([0, 1_000]);
    expect(datapointsFromCounterSamples([], 0, 10_000, 1)).toEqual([]);
  });

  it("treats a counter that went down as a reset", () => {
    const points = datapointsFromCounterSamples([s(0, 5_000), s(1_000, 200), s(2_000, 700)], 0, 2_000, 1);
    expect(points.map((p) => p.incomingBytes)).toEqual([200, 500]);
  });

  it("names hourly files and skips torn lines", () => {
    expect(counterSampleFiles("st", Date.UTC(2025, 0, 1, 10, 59), Date.UTC(2025, 0, 1, 12, 0))).toEqual([
      "st/2025-01-01T10.jsonl",
      "st/2025-01-01T11.jsonl",
      "st/2025-01-01T12.jsonl",
    ]);
    expect(parseCounterSample('{"t":1,"bytesIn":2,"recordsIn":3,"throttledRecords":0}')).toEqual({ t: 1, bytesIn: 2, recordsIn: 3, throttledRecords: 0 });
    expect(parseCounterSample('{"t":1,"bytesIn":2,"reco')).toBeUndefined();
    expect(parseCounterSample('{"t":1}')).toBeUndefined();
  });
});
