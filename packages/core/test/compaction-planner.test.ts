import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PlannerConfig } from "../src/compaction/config";
import { compactedKey, intentKeyFor, listingPrefixes, parseDataKey } from "../src/compaction/layout";
import { MIN_PARQUET_BYTES, planCompaction, type CompactionPlan, type ListedObject } from "../src/compaction/planner";

const NOW = new Date("2024-03-06T12:00:00Z");
const MINUTE = 60_000;
const TABLE = "curated/events/";

const PARTITIONS = [
  `${TABLE}year=2024/month=03/day=05/event_type=track/`,
  `${TABLE}year=2024/month=03/day=05/event_type=page/`,
  `${TABLE}year=2024/month=03/day=06/event_type=track/`,
  `${TABLE}year=2024/month=02/day=29/event_type=identify/`,
];

const configArb: fc.Arbitrary<PlannerConfig> = fc
  .record({
    targetBytes: fc.integer({ min: 100, max: 5_000 }),
    smallShare: fc.double({ min: 0.1, max: 1, noNaN: true }),
    maxFilesPerMerge: fc.integer({ min: 2, max: 12 }),
    budgetFactor: fc.double({ min: 1, max: 8, noNaN: true }),
    settleMinutes: fc.integer({ min: 0, max: 180 }),
  })
  .map(({ targetBytes, smallShare, maxFilesPerMerge, budgetFactor, settleMinutes }) => ({
    targetBytes,
    smallFileBytes: Math.max(1, Math.floor(targetBytes * smallShare)),
    maxFilesPerMerge,
    maxBytesPerRun: Math.floor(targetBytes * budgetFactor),
    settleMs: settleMinutes * MINUTE,
  }));

/** Listings with writer files, compacted files, hidden and foreign keys, sizes around the thresholds. */
const listingArb = (maxSize: number) =>
  fc
    .array(
      fc.record({
        partition: fc.constantFrom(...PARTITIONS),
        kind: fc.constantFrom("writer", "writer", "writer", "compacted", "hidden", "foreign"),
        id: fc.integer({ min: 0, max: 9_999_999 }),
        size: fc.oneof(fc.integer({ min: 0, max: maxSize }), fc.integer({ min: 0, max: 40 })),
        ageMinutes: fc.integer({ min: 0, max: 400 }),
      }),
      { maxLength: 60 },
    )
    .map((rows) => {
      const out = new Map<string, ListedObject>();
      for (const r of rows) {
        const name =
          r.kind === "writer"
            ? `part-${String(r.id).padStart(10, "0")}-0.parquet`
            : r.kind === "compacted"
              ? `compacted-${r.id.toString(16).padStart(32, "0")}.parquet`
              : r.kind === "hidden"
                ? `_tmp-${r.id}.parquet`
                : `${r.id}.crc`;
        const key = `${r.partition}${name}`;
        out.set(key, { key, size: r.size, lastModified: new Date(NOW.getTime() - r.ageMinutes * MINUTE), etag: `"${r.id}"` });
      }
      return [...out.values()];
    });

const scenarioArb = configArb.chain((config) =>
  fc.record({
    config: fc.constant(config),
    objects: listingArb(config.targetBytes * 2),
    inFlightShare: fc.double({ min: 0, max: 0.2, noNaN: true }),
    seed: fc.integer(),
  }),
);

function summarize(plan: CompactionPlan) {
  return JSON.stringify(plan);
}

describe("compaction planner: properties", () => {
  it("merges only small files of settled, non-busy partitions, each group within the target and file limits", () => {
    fc.assert(
      fc.property(scenarioArb, ({ config, objects, inFlightShare }) => {
        const inFlight = objects.filter((_, i) => i < objects.length * inFlightShare).map((o) => o.key);
        const plan = planCompaction({ objects, now: NOW, config, inFlightKeys: inFlight });
        const busy = new Set(inFlight.map((k) => parseDataKey(k)?.partition).filter(Boolean));
        const existing = new Set(objects.map((o) => o.key));
        const used = new Set<string>();
        let total = 0;
        for (const g of plan.groups) {
          expect(g.inputs.length).toBeGreaterThanOrEqual(2);
          expect(g.inputs.length).toBeLessThanOrEqual(config.maxFilesPerMerge);
          expect(g.bytes).toBe(g.inputs.reduce((s, f) => s + f.size, 0));
          expect(g.bytes).toBeLessThanOrEqual(config.targetBytes);
          expect(busy.has(g.partition)).toBe(false);
          // Settled: no writer file of the partition (in the listing) is younger than the settle age.
          for (const o of objects) {
            const p = parseDataKey(o.key);
            if (p?.partition === g.partition && p.kind === "writer") {
              expect(o.lastModified.getTime()).toBeLessThanOrEqual(NOW.getTime() - config.settleMs);
            }
          }
          for (const f of g.inputs) {
            const p = parseDataKey(f.key);
            expect(p?.partition).toBe(g.partition);
            expect(f.size).toBeLessThan(config.smallFileBytes);
            expect(f.size).toBeGreaterThanOrEqual(MIN_PARQUET_BYTES);
            expect(existing.has(f.key)).toBe(true);
            expect(used.has(f.key)).toBe(false);
            used.add(f.key);
          }
          expect(g.output).toBe(compactedKey(g.partition, g.inputs.map((f) => f.key)));
          expect(existing.has(g.output)).toBe(false);
          expect(parseDataKey(g.output)?.kind).toBe("compacted");
          total += g.bytes;
        }
        expect(total).toBeLessThanOrEqual(config.maxBytesPerRun);
        for (const d of plan.deferred) for (const f of d.inputs) expect(used.has(f.key)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("is deterministic: any order of the same listing gives the same plan", () => {
    fc.assert(
      fc.property(scenarioArb, ({ config, objects, seed }) => {
        const shuffled = fc.sample(fc.shuffledSubarray(objects, { minLength: objects.length, maxLength: objects.length }), { numRuns: 1, seed })[0]!;
        expect(summarize(planCompaction({ objects: shuffled, now: NOW, config }))).toBe(summarize(planCompaction({ objects, now: NOW, config })));
      }),
      { numRuns: 200 },
    );
  });

  it("packs tightly: no two groups (or leftover small files) of a settled partition could have been merged", () => {
    fc.assert(
      fc.property(scenarioArb, ({ config: base, objects }) => {
        const config = { ...base, maxBytesPerRun: Number.MAX_SAFE_INTEGER };
        const plan = planCompaction({ objects, now: NOW, config });
        const grouped = new Set(plan.groups.flatMap((g) => g.inputs.map((f) => f.key)));
        for (const p of plan.partitions.filter((x) => x.status === "settled")) {
          const groups = plan.groups.filter((g) => g.partition === p.partition);
          const leftovers = objects.filter(
            (o) => parseDataKey(o.key)?.partition === p.partition && o.size >= MIN_PARQUET_BYTES && o.size < config.smallFileBytes && !grouped.has(o.key),
          );
          const units = [...groups.map((g) => ({ bytes: g.bytes, files: g.inputs.length })), ...leftovers.map((o) => ({ bytes: o.size, files: 1 }))];
          for (let i = 0; i < units.length; i++) {
            for (let j = i + 1; j < units.length; j++) {
              const a = units[i]!;
              const b = units[j]!;
              const combinable = a.bytes + b.bytes <= config.targetBytes && a.files + b.files <= config.maxFilesPerMerge;
              expect(combinable).toBe(false);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("converges: repeated runs never add files, keep every byte, and stop", () => {
    fc.assert(
      fc.property(scenarioArb, ({ config, objects }) => {
        let files = objects.filter((o) => parseDataKey(o.key));
        const bytes = files.reduce((s, f) => s + f.size, 0);
        let now = NOW;
        for (let round = 0; round < 200; round++) {
          const plan = planCompaction({ objects: files, now, config });
          if (plan.groups.length === 0 && plan.deferred.length === 0) {
            // Fixpoint: no settled partition has two small files that fit one target.
            return;
          }
          const merged = new Set(plan.groups.flatMap((g) => g.inputs.map((f) => f.key)));
          const before = files.length;
          files = [
            ...files.filter((f) => !merged.has(f.key)),
            ...plan.groups.map((g) => ({ key: g.output, size: g.bytes, lastModified: now })),
          ];
          expect(files.length).toBeLessThanOrEqual(before - plan.groups.length);
          expect(files.reduce((s, f) => s + f.size, 0)).toBe(bytes);
          now = new Date(now.getTime() + config.settleMs + MINUTE);
        }
        throw new Error("did not converge in 200 runs");
      }),
      { numRuns: 150 },
    );
  });
});

describe("compaction planner: examples", () => {
  const config: PlannerConfig = { settleMs: 60 * MINUTE, targetBytes: 128, smallFileBytes: 96, maxFilesPerMerge: 3, maxBytesPerRun: 10_000 };
  const p = PARTITIONS[0]!;
  const file = (name: string, size: number, ageMinutes = 120): ListedObject => ({
    key: `${p}${name}`,
    size,
    lastModified: new Date(NOW.getTime() - ageMinutes * MINUTE),
  });

  it("leaves a partition alone while a writer file in it is younger than the settle age", () => {
    const objects = [file("part-0000000001-0.parquet", 20), file("part-0000000002-0.parquet", 20, 30)];
    const plan = planCompaction({ objects, now: NOW, config });
    expect(plan.groups).toEqual([]);
    expect(plan.partitions).toMatchObject([{ partition: p, status: "unsettled", files: 2, smallFiles: 2 }]);
  });

  it("does not count its own outputs as writes: a fresh compacted file does not unsettle the partition", () => {
    const objects = [file("part-0000000001-0.parquet", 20), file(`compacted-${"a".repeat(32)}.parquet`, 40, 1)];
    const plan = planCompaction({ objects, now: NOW, config });
    expect(plan.partitions[0]?.status).toBe("settled");
    expect(plan.groups.map((g) => g.inputs.length)).toEqual([2]);
  });

  it("packs first-fit decreasing within the target and the file limit, and drops single-file groups", () => {
    const objects = [
      file("part-0000000001-0.parquet", 90),
      file("part-0000000002-0.parquet", 30),
      file("part-0000000003-0.parquet", 30),
      file("part-0000000004-0.parquet", 15),
      file("part-0000000005-0.parquet", 15),
      file("part-0000000006-0.parquet", 15),
      file("part-0000000007-0.parquet", 200), // above the small-file threshold: never rewritten
    ];
    const plan = planCompaction({ objects, now: NOW, config });
    const shapes = plan.groups.map((g) => g.inputs.map((f) => f.size));
    // 90+30 fits 128 (30 does not fit again); then 30+15+15 (file limit 3); the last 15 alone is dropped.
    expect(shapes).toEqual([[30, 15, 15], [90, 30]]);
    expect(plan.groups.every((g) => !g.inputs.some((f) => f.size === 200))).toBe(true);
  });

  it("skips partitions with a live intent and files too small to be Parquet", () => {
    const objects = [file("part-0000000001-0.parquet", 20), file("part-0000000002-0.parquet", 20), file("part-0000000003-0.parquet", 0)];
    expect(planCompaction({ objects, now: NOW, config, inFlightKeys: [`${p}part-0000000009-0.parquet`] }).partitions[0]?.status).toBe("busy");
    const plan = planCompaction({ objects, now: NOW, config });
    expect(plan.partitions[0]?.invalidFiles).toEqual([`${p}part-0000000003-0.parquet`]);
    expect(plan.groups[0]?.inputs.map((f) => f.key)).not.toContain(`${p}part-0000000003-0.parquet`);
  });

  it("defers what does not fit the run's byte budget, most files per byte first", () => {
    const q = PARTITIONS[1]!;
    const objects = [
      file("part-0000000001-0.parquet", 60),
      file("part-0000000002-0.parquet", 60),
      { key: `${q}part-0000000001-0.parquet`, size: 20, lastModified: new Date(0) },
      { key: `${q}part-0000000002-0.parquet`, size: 20, lastModified: new Date(0) },
      { key: `${q}part-0000000003-0.parquet`, size: 20, lastModified: new Date(0) },
    ];
    const plan = planCompaction({ objects, now: NOW, config: { ...config, maxBytesPerRun: 128 } });
    expect(plan.groups.map((g) => g.partition)).toEqual([q]);
    expect(plan.deferred.map((g) => g.partition)).toEqual([p]);
  });

  it("rejects an impossible configuration with a clear error", () => {
    expect(() => planCompaction({ objects: [], now: NOW, config: { ...config, smallFileBytes: 500 } })).toThrow(/smallFileBytes/);
    expect(() => planCompaction({ objects: [], now: NOW, config: { ...config, maxBytesPerRun: 1 } })).toThrow(/maxBytesPerRun/);
  });
});

describe("compaction layout", () => {
  it("parses only visible Parquet files directly inside a complete partition", () => {
    expect(parseDataKey(`${PARTITIONS[0]}part-0000000001-0.parquet`)).toMatchObject({
      partition: PARTITIONS[0],
      values: { year: "2024", month: "03", day: "05", event_type: "track" },
      kind: "writer",
    });
    expect(parseDataKey(`${PARTITIONS[0]}compacted-${"0".repeat(32)}.parquet`)?.kind).toBe("compacted");
    for (const key of [
      `${PARTITIONS[0]}_tmp.parquet`,
      `${PARTITIONS[0]}.hidden.parquet`,
      `${PARTITIONS[0]}x.json`,
      `${TABLE}year=2024/month=03/day=05/x.parquet`,
      `${TABLE}year=2024/month=03/day=05/event_type=track/extra/x.parquet`,
      `${TABLE}year=2024/month=03/day=05/type=track/x.parquet`,
      `quarantine/year=2024/month=03/day=05/x.parquet`,
    ]) {
      expect(parseDataKey(key), key).toBeUndefined();
    }
  });

  it("names outputs deterministically from the set of inputs, and intents outside the table", () => {
    const a = `${PARTITIONS[0]}part-0000000001-0.parquet`;
    const b = `${PARTITIONS[0]}part-0000000002-0.parquet`;
    expect(compactedKey(PARTITIONS[0]!, [a, b])).toBe(compactedKey(PARTITIONS[0]!, [b, a]));
    expect(compactedKey(PARTITIONS[0]!, [a, b])).not.toBe(compactedKey(PARTITIONS[0]!, [a]));
    expect(() => compactedKey(PARTITIONS[1]!, [a])).toThrow(/not a file of partition/);
    const out = compactedKey(PARTITIONS[0]!, [a, b]);
    expect(intentKeyFor(out)).toBe(`curated/_compaction/intents/${out.slice("curated/".length)}.json`);
    expect(parseDataKey(intentKeyFor(out))).toBeUndefined();
  });

  it("lists the last N event days, zero-padded as the contract's projection says", () => {
    expect(listingPrefixes(new Date("2024-03-01T05:00:00Z"), 2)).toEqual([
      `${TABLE}year=2024/month=03/day=01/`,
      `${TABLE}year=2024/month=02/day=29/`,
    ]);
    expect(listingPrefixes(NOW, 0)).toEqual([TABLE]);
  });
});
