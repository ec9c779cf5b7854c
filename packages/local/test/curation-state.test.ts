/**
 * The local curation engine's state as append-only segments (ARCHITECTURE.md, "Curation state"): a commit adds
 * exactly the batch's curated messageIds as its own segment and leaves earlier segments as they are, drops whole
 * segments once the dedup window has passed them, a replayed batch reads what it read the first time (segments of
 * its own or later batches never count), and a state database from before segments keeps what it had curated.
 */
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";
import { CurationEngine, STATE_SEGMENTS, type RawRecord } from "../src/curator/engine";
import { tempDir } from "../../../test/helpers/temp-dir";

const tmp = tempDir("curation-state");
afterAll(() => tmp.remove());

const HOUR_MS = 3_600_000;
const T0 = Date.parse("2024-06-03T10:00:00Z");

/** Canonical track events as the ingest path writes them, received `offsetMs` after T0. */
function events(ids: string[], offsetMs: number): RawRecord[] {
  const at = new Date(T0 + offsetMs);
  return ids.map((messageId) => ({
    data: Buffer.from(
      JSON.stringify({ kind: "event", formatVersion: 1, sourceId: "web", messageId, type: "track", event: "Viewed", userId: `u-${messageId}`, receivedAt: at.toISOString(), timestamp: at.toISOString() }),
    ),
    arrivalTime: at,
  }));
}

async function batch(engine: CurationEngine, batchId: number, records: RawRecord[], commit = true) {
  const stats = await engine.runBatch(batchId, new Date(T0), records);
  const curated = (await engine.query("SELECT message_id FROM out_events ORDER BY message_id")).map((r) => String(r.message_id));
  if (commit) await engine.commit();
  else await engine.discard();
  return { stats, curated };
}

async function segments(engine: CurationEngine) {
  const rows = await engine.query("SELECT batch_id, count(*) AS ids FROM dedup_state GROUP BY batch_id ORDER BY batch_id");
  return Object.fromEntries(rows.map((r) => [Number(r.batch_id), Number(r.ids)]));
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe("curation state segments (local engine)", () => {
  it("a commit adds the batch's curated ids as its own segment and never rewrites earlier ones", async () => {
    const engine = await CurationEngine.open(join(tmp.dir, "append.duckdb"), { threads: 1 });
    try {
      await batch(engine, 0, events(ids("a", 300), 0));
      // 50 resent (already curated) and 20 new.
      const second = await batch(engine, 1, events([...ids("a", 50), ...ids("b", 20)], 60_000));
      expect(second.stats.curated).toBe(20);
      expect(second.stats.duplicates).toBe(50);
      expect(await segments(engine)).toEqual({ 0: 300, 1: 20 });
      const catalog = await engine.query(`SELECT state, batch_id FROM ${STATE_SEGMENTS} ORDER BY state, batch_id`);
      expect(catalog.map((r) => `${String(r.state)}:${Number(r.batch_id)}`)).toEqual(["aggregate:0", "aggregate:1", "dedup:0", "dedup:1"]);
      // Segment 0's rows are the very rows it was written with (a delete + insert would give them new row ids).
      const before = await engine.query("SELECT min(rowid) AS lo, max(rowid) AS hi FROM dedup_state WHERE batch_id = 0");
      await batch(engine, 2, events(ids("c", 10), 120_000));
      expect(await engine.query("SELECT min(rowid) AS lo, max(rowid) AS hi FROM dedup_state WHERE batch_id = 0")).toEqual(before);
      expect(await segments(engine)).toEqual({ 0: 300, 1: 20, 2: 10 });
    } finally {
      engine.close();
    }
  });

  it("drops a segment whole once the window has passed all of it, and only then curates its ids again", async () => {
    const engine = await CurationEngine.open(join(tmp.dir, "expire.duckdb"), { threads: 1 });
    try {
      await batch(engine, 0, events(ids("x", 10), 0));
      await batch(engine, 1, events(ids("y", 10), 30 * 60_000));
      // One hour after batch 0 minus a millisecond: batch 0's segment is still inside the window.
      const inside = await batch(engine, 2, events(["x-0", "z-0"], HOUR_MS - 1));
      expect(inside.curated).toEqual(["z-0"]);
      expect(Object.keys(await segments(engine))).toEqual(["0", "1", "2"]);
      // A batch received past it moves the window beyond all of segment 0: its commit drops the segment, whole.
      // (The window's clock is the newest receivedAt curated: w-0 moves it.)
      const past = await batch(engine, 3, events(["y-1", "w-0"], HOUR_MS + 1));
      expect(past.curated).toEqual(["w-0"]);
      expect(await segments(engine)).toEqual({ 1: 10, 2: 1, 3: 1 });
      expect((await engine.query(`SELECT batch_id FROM ${STATE_SEGMENTS} WHERE state = 'dedup' ORDER BY 1`)).map((r) => Number(r.batch_id))).toEqual([1, 2, 3]);
      // From then on x-1 is curated again (the contract's window, read from the state the previous batch left).
      const again = await batch(engine, 4, events(["x-1"], HOUR_MS + 2));
      expect(again.curated).toEqual(["x-1"]);
    } finally {
      engine.close();
    }
  });

  it("a replayed batch reads the state it read the first time: its own and later segments never count", async () => {
    const engine = await CurationEngine.open(join(tmp.dir, "replay.duckdb"), { threads: 1 });
    try {
      await batch(engine, 0, events(ids("p", 5), 0));
      const records = events(["p-0", "q-0", "q-1"], 60_000);
      const first = await batch(engine, 1, records, false); // crashed before its commit
      const again = await batch(engine, 1, records, false);
      expect(again).toEqual(first);
      expect(first.curated).toEqual(["q-0", "q-1"]);
      // A segment written by batch 1 itself or a later batch (as a state file restored from a later point would hold)
      // is not the state batch 1 read: it must not turn q-0 into a duplicate.
      await engine.run("INSERT INTO dedup_state VALUES ('q-0', TIMESTAMPTZ '2024-06-03 10:01:00+00', 1), ('q-1', TIMESTAMPTZ '2024-06-03 10:01:00+00', 7)");
      expect(await batch(engine, 1, records, false)).toEqual(first);
    } finally {
      engine.close();
    }
  });

  it("a state database from before segments keeps what it had curated, as one segment older than any batch", async () => {
    const path = join(tmp.dir, "old.duckdb");
    const instance = await DuckDBInstance.create(path);
    const old = await instance.connect();
    await old.run("CREATE TABLE dedup_state (message_id VARCHAR NOT NULL, received_at TIMESTAMPTZ NOT NULL)");
    await old.run("CREATE TABLE aggregate_state (window_start TIMESTAMPTZ NOT NULL, event_type VARCHAR NOT NULL, user_key VARCHAR NOT NULL, events BIGINT NOT NULL)");
    await old.run("CREATE TABLE watermark_state (event_watermark TIMESTAMPTZ, max_received_at TIMESTAMPTZ)");
    await old.run("INSERT INTO dedup_state VALUES ('old-1', TIMESTAMPTZ '2024-06-03 10:00:00+00'), ('old-2', TIMESTAMPTZ '2024-06-03 10:00:00+00')");
    await old.run("INSERT INTO watermark_state VALUES (TIMESTAMPTZ '2024-06-03 09:50:00+00', TIMESTAMPTZ '2024-06-03 10:00:00+00')");
    old.closeSync();
    instance.closeSync();

    const engine = await CurationEngine.open(path, { threads: 1 });
    try {
      expect(await segments(engine)).toEqual({ [-1]: 2 });
      const next = await batch(engine, 0, events(["old-1", "new-1"], 60_000));
      expect(next.curated).toEqual(["new-1"]);
      // The old segment expires like any other.
      await batch(engine, 1, events(["new-2"], HOUR_MS + 1));
      expect(Object.keys(await segments(engine))).not.toContain("-1");
      expect((await batch(engine, 2, events(["old-2"], HOUR_MS + 2))).curated).toEqual(["old-2"]);
    } finally {
      engine.close();
    }
  });
});
