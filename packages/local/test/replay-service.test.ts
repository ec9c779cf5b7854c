/**
 * The replay service's failure path, which the real stand-ins cannot produce on their own: a stream writer that
 * reports records failed (neither written nor spilled). The object store is the real local S3.
 */
import { S3ObjectStore } from "@eventlake/adapters/s3-object-store";
import type { StreamRecordInput, StreamWriter, WriteReport } from "@eventlake/core/ports";
import { ledgerKeyOf } from "@eventlake/core/replay/records";
import { replay } from "@eventlake/core/replay/service";
import { startLocalS3, type LocalS3 } from "@eventlake/emulators/s3/server";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "replay-service-"));
let s3: LocalS3;
let store: S3ObjectStore;
beforeAll(async () => {
  s3 = await startLocalS3({ rootDir: dir, buckets: ["lake"] });
  store = new S3ObjectStore({ bucket: "lake", target: { region: "us-east-1", endpoint: s3.endpoint } });
});
afterAll(async () => {
  store.destroy();
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Fails the first `failures` records it is given, writes the rest; remembers what it wrote. */
function flakyWriter(failures: number): StreamWriter & { written: string[] } {
  const written: string[] = [];
  return {
    written,
    async write(records: readonly StreamRecordInput[]): Promise<WriteReport> {
      const outcomes = records.map((r) => {
        if (failures-- > 0) return "failed" as const;
        written.push(Buffer.from(r.data).toString());
        return "written" as const;
      });
      return { outcomes, putRecordsCalls: 1, retriedEntries: 0, throttledEntries: 0 };
    },
  };
}

const event = (id: string) => JSON.stringify({ kind: "event", messageId: id, anonymousId: "a" });

describe("replay service", () => {
  it("leaves an object with a failed record unmarked, so the next replay re-sends it whole; refuses foreign lines", async () => {
    const key = "fallback/year=2026/month=11/day=26/hour=09/spill.ndjson";
    await store.put(key, `${event("e1")}\nnot json\n${event("e2")}\n`);

    const failing = flakyWriter(1);
    const first = await replay(store, failing, { source: "fallback" });
    expect(first).toMatchObject({ objects: 1, records: 2, written: 1, failed: 1, refused: 1, refusedReasons: { "not JSON": 1 }, incompleteObjects: [key] });
    expect(await store.get(ledgerKeyOf("fallback", key))).toBeUndefined();

    const healthy = flakyWriter(0);
    const second = await replay(store, healthy, { source: "fallback" });
    expect(second).toMatchObject({ records: 2, written: 2, failed: 0, incompleteObjects: [] });
    expect(healthy.written).toEqual([event("e1"), event("e2")]); // the same bytes
    expect(await store.get(ledgerKeyOf("fallback", key))).toBeDefined();

    const third = await replay(store, flakyWriter(0), { source: "fallback" });
    expect(third).toMatchObject({ alreadyReplayed: 1, records: 0 });
  });

  it("honours the time range by hour partition", async () => {
    const count = async (range: { sinceMs?: number; untilMs?: number }) => (await replay(store, flakyWriter(0), { source: "fallback", again: true, dryRun: true, ...range })).objects;
    expect(await count({ sinceMs: Date.UTC(2026, 10, 26, 9, 30) })).toBe(1); // the hour-09 object overlaps
    expect(await count({ sinceMs: Date.UTC(2026, 10, 26, 10) })).toBe(0);
    expect(await count({ untilMs: Date.UTC(2026, 10, 26, 9) })).toBe(0);
  });
});
