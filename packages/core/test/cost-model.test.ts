/**
 * The cost model against a case computed by hand: 1,000 events/s of 500 B in batches of 100, production settings.
 * Month = 730 h = 2,628,000 s -> 2.628e9 events, 2.628e7 requests. GB = 2^30 bytes.
 */
import { describe, expect, it } from "vitest";
import { costModel, defaultAssumptions, validateCostInput, type CostLine, type DesignCost } from "@eventlake/core/cost/model";
import { PRICES } from "@eventlake/core/cost/prices";

const report = costModel({ eventsPerSecond: 1000, eventBytes: 500, eventsPerRequest: 100 });
const [ours, naive] = report.designs as [DesignCost, DesignCost];
const GB = 2 ** 30;
const find = (design: DesignCost, component: CostLine["component"], text: string) => {
  const found = design.lines.filter((l) => l.component === component && l.item.includes(text));
  expect(found, `${component} ${text}`).toHaveLength(1);
  return found[0]!;
};

describe("cost model, hand-computed case", () => {
  it("counts the month's events and requests", () => {
    expect(report.eventsPerMonth).toBe(2.628e9);
    expect(report.requestsPerMonth).toBe(2.628e7);
  });

  it("API Gateway: one metered request per HTTP request (50 KB < 512 KB) at $1.00/M", () => {
    expect(find(ours, "API Gateway", "first 300M").usd).toBeCloseTo(26.28, 6);
  });

  it("Lambda: 30 ms + 35 µs x 100 events x (1769/1024) = 36.05 -> 37 ms billed at 1 GB, arm64; $0.20/M requests", () => {
    expect(find(ours, "Lambda", "duration").quantity).toBeCloseTo(2.628e7 * 0.037, 3); // 972,360 GB-s
    expect(find(ours, "Lambda", "duration").usd).toBeCloseTo(972_360 * 0.0000133334, 6);
    expect(find(ours, "Lambda", "invocations").usd).toBeCloseTo(5.256, 6);
  });

  it("Kinesis, eventlake: 510 kB/s needs 0.49 shard / 0.7 -> 1, min 2 shards; one 51,000 B aggregate per request = 2 PUT units; retention 168 h", () => {
    expect(find(ours, "Kinesis", "provisioned shards").usd).toBeCloseTo(2 * 730 * 0.015, 6); // $21.90
    expect(find(ours, "Kinesis", "PUT payload units").quantity).toBeCloseTo((2.628e7 * 2) / 1e6, 6);
    expect(find(ours, "Kinesis", "PUT payload units").usd).toBeCloseTo(52.56 * 0.014, 6); // $0.7358
    expect(find(ours, "Kinesis", "extended retention").usd).toBeCloseTo(2 * 730 * 0.02, 6); // $29.20
    expect(ours.byComponent.Kinesis).toBeCloseTo(21.9 + 0.73584 + 29.2, 6);
  });

  it("Kinesis, naive: on-demand stream-hours, 1 KB per 500 B record in, 2 consumers out", () => {
    expect(find(naive, "Kinesis", "stream-hours").usd).toBeCloseTo(730 * 0.04, 6);
    expect(find(naive, "Kinesis", "data in").usd).toBeCloseTo(((2.628e9 * 1024) / GB) * 0.08, 6); // $200.50
    expect(find(naive, "Kinesis", "data out").usd).toBeCloseTo(((2 * 2.628e9 * 500) / GB) * 0.04, 6); // $97.90
  });

  it("Firehose: 5 KB rounding per record costs the naive design ten times as much ingestion", () => {
    expect(find(ours, "Firehose", "ingestion").usd).toBeCloseTo(((2.628e7 * 10 * 5120) / GB) * 0.029, 6); // $36.34
    expect(find(naive, "Firehose", "ingestion").usd).toBeCloseTo(((2.628e9 * 5120) / GB) * 0.029, 6); // $363.41
  });

  it("Glue: two G.025X workers (0.5 DPU) all month at $0.44", () => {
    expect(find(ours, "Glue", "streaming job").usd).toBeCloseTo(2 * 0.25 * 730 * 0.44, 6); // $160.60
  });

  it("totals are the sum of the lines, per million events too, and eventlake is cheaper here", () => {
    for (const d of report.designs) {
      const sum = d.lines.reduce((s, l) => s + l.usd, 0);
      expect(d.totalUsd).toBeCloseTo(sum, 9);
      expect(d.perMillionEventsUsd).toBeCloseTo((sum / 2.628e9) * 1e6, 9);
      for (const l of d.lines) expect(l.usd).toBeCloseTo(l.quantity * PRICES[l.price].usd, 9);
    }
    expect(ours.totalUsd).toBeLessThan(naive.totalUsd);
    // Shared components cost the same in both designs.
    for (const c of ["API Gateway", "Lambda", "Glue", "S3"] as const) expect(ours.byComponent[c]).toBeCloseTo(naive.byComponent[c], 9);
  });

  it("without client batching, aggregation cannot help: one Kinesis record per request", () => {
    const single = costModel({ eventsPerSecond: 1000, eventBytes: 500, eventsPerRequest: 1 });
    expect(find(single.designs[0], "Kinesis", "PUT payload units").quantity).toBeCloseTo(2.628e9 / 1e6, 3);
    // 1,000 records/s at 510 B: 1 shard by records / 0.7 -> 2 shards.
    expect(find(single.designs[0], "Kinesis", "provisioned shards").quantity).toBe(2 * 730);
  });

  it("refuses input it cannot price, with clear reasons", () => {
    expect(validateCostInput({ eventsPerSecond: 0, eventBytes: 0.5, eventsPerRequest: 5000 })).toHaveLength(3);
    expect(() => costModel({ eventsPerSecond: -1, eventBytes: 500, eventsPerRequest: 1 })).toThrow(/events per second/);
  });

  it("states where each assumption comes from and flags unverified prices", () => {
    const a = defaultAssumptions();
    expect(a.ingestCpuMicrosPerEvent.why).toMatch(/measured/);
    expect(a.ingestMemoryMb.why).toMatch(/stage setting/);
    expect(PRICES.kinesisShardHour.verified).toBe(false);
    expect(PRICES.glueDpuHour.verified).toBe(true);
  });
});
