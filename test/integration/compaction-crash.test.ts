/**
 * Crash safety of the compaction protocol (packages/core/src/compaction/protocol.ts), against the real local S3 and
 * real Parquet files:
 * - what a reader listing the partition sees at every step of a merge: every row, twice only between the output
 *   becoming visible and the inputs being deleted (the documented window);
 * - a kill at every step (and a second kill at every step of the recovering run) followed by a re-run converges to
 *   every row exactly once, one compacted file and no intent left;
 * - faults no component produces on demand: a DeleteObjects that stops half-way, a writer adding or replacing a
 *   file mid-merge, two runs at once, and a real SIGKILL of a process in the middle of a merge.
 * The executor's onStep hook throwing stops the run on the spot with no clean-up, as a kill would.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runConfigFromSettings } from "@eventlake/core/compaction/config";
import { compactedKey, intentKeyFor } from "@eventlake/core/compaction/layout";
import { PROTOCOL_STEPS, type ProtocolStep } from "@eventlake/core/compaction/protocol";
import type { CompactionStore } from "@eventlake/core/ports";
import { STAGES } from "@eventlake/core/stage-config";
import { runCompaction, SimulatedCrash, type CompactionReport, type CompactionRunOptions } from "@eventlake/adapters/compaction/executor";
import { afterAll, describe, expect, it } from "vitest";
import { BUCKET, startTestLake, type TestLake } from "../helpers/compaction-lake";

const config = { ...runConfigFromSettings(STAGES.dev.compaction), settleMs: 0, lookbackDays: 0, intentLeaseMs: 0 };
const PARTITION = "curated/events/year=2023/month=07/day=14/event_type=track/";
const fileKey = (batch: number) => `${PARTITION}part-${String(batch).padStart(10, "0")}-0.parquet`;

const lakes: TestLake[] = [];
afterAll(async () => {
  for (const lake of lakes) await lake.close();
});

interface Scenario {
  lake: TestLake;
  inputs: string[];
  output: string;
  before: { rows: number; sum: string; distinctMessageIds: number };
  run(options?: Partial<CompactionRunOptions>): Promise<CompactionReport>;
  reader(): Promise<{ rows: number; sum: string; distinctMessageIds: number }>;
}

/** Each case gets its own lake (nothing another case left behind can interfere) with one partition of small files. */
async function scenario(files = 3, rows = 60): Promise<Scenario> {
  const lake = await startTestLake("compaction-crash");
  lakes.push(lake);
  const inputs: string[] = [];
  for (let i = 1; i <= files; i++) {
    inputs.push(fileKey(i));
    await lake.putCurated(fileKey(i), rows + i, lakes.length * 100 + i);
  }
  return {
    lake,
    inputs,
    output: compactedKey(PARTITION, inputs),
    before: await lake.readerChecksum(),
    run: (options = {}) => runCompaction({ store: lake.store, config, ...options }),
    reader: () => lake.readerChecksum(),
  };
}

function killAt(step: ProtocolStep): CompactionRunOptions["onStep"] {
  return (s) => {
    if (s === step) throw new Error(`killed at ${step}`);
  };
}

/** Exactly once: the reader sees every row once, in one compacted file, and no intent is left. */
async function expectConverged(c: Scenario) {
  expect(await c.reader()).toEqual(c.before);
  expect(await c.lake.visibleKeys()).toEqual([c.output]);
  expect(await c.lake.intents()).toEqual([]);
}

describe("compaction: what readers see at every step", () => {
  it("every row at every step; each row twice only between output-written and inputs-deleted", async () => {
    const p = await scenario();
    const seen: [ProtocolStep, number, number][] = [];
    const report = await p.run({
      onStep: async (step) => {
        const c = await p.reader();
        seen.push([step, c.rows, c.distinctMessageIds]);
      },
    });
    expect(report.failures).toEqual([]);
    const n = p.before.rows;
    expect(seen).toEqual(
      PROTOCOL_STEPS.map((step) => [step, step === "output-written" ? 2 * n : n, n] as [ProtocolStep, number, number]),
    );
    await expectConverged(p);
  });
});

describe("compaction: a kill at every step, then re-runs converge to exactly once", () => {
  /** Kills a run at `first`, checks the crashed state, optionally kills the recovering run at `second`, converges. */
  async function crashAndConverge(first: ProtocolStep, second?: ProtocolStep) {
    const p = await scenario(2, 40);
    await expect(p.run({ onStep: killAt(first) })).rejects.toBeInstanceOf(SimulatedCrash);
    // The crashed state: no row lost; duplicates exactly in the window.
    const crashed = await p.reader();
    expect(crashed.distinctMessageIds).toBe(p.before.rows);
    expect(crashed.rows).toBe(first === "output-written" ? 2 * p.before.rows : p.before.rows);
    if (second) {
      await expect(p.run({ onStep: killAt(second) })).rejects.toBeInstanceOf(SimulatedCrash);
      expect((await p.reader()).distinctMessageIds).toBe(p.before.rows);
    }
    const final = await p.run();
    expect(final.failures).toEqual([]);
    await expectConverged(p);
    await p.lake.close();
    lakes.splice(lakes.indexOf(p.lake), 1);
  }

  for (const first of PROTOCOL_STEPS) {
    it(`killed at ${first}`, () => crashAndConverge(first));
  }
  // Recovery of a merge killed after its output became visible rolls forward through the same steps: kill it there too.
  // (Killed earlier, recovery undoes the intent and the same run merges again: the cases above cover those steps.)
  for (const first of ["output-written", "inputs-deleted"] as const) {
    for (const second of ["inputs-deleted", "intent-deleted"] as const) {
      it(`killed at ${first}, then the recovering run killed at ${second}`, () => crashAndConverge(first, second));
    }
  }
});

describe("compaction: recovery waits for the intent lease", () => {
  it("leaves a young intent (and its partition) alone, and finishes it once the lease has passed", async () => {
    const p = await scenario();
    const lease = { ...config, intentLeaseMs: 30 * 60_000 };
    await expect(p.run({ config: lease, onStep: killAt("output-written") })).rejects.toBeInstanceOf(SimulatedCrash);
    const waiting = await p.run({ config: lease });
    expect(waiting.recoveries.filter((r) => r.output === p.output)).toEqual([expect.objectContaining({ action: "wait" })]);
    expect(waiting.merges).toEqual([]);
    expect((await p.reader()).rows).toBe(2 * p.before.rows);
    const later = await p.run({ config: lease, now: () => new Date(Date.now() + 31 * 60_000) });
    expect(later.recoveries.filter((r) => r.output === p.output)).toEqual([expect.objectContaining({ action: "roll-forward", deletedInputs: 3 })]);
    await expectConverged(p);
  });
});

/** A store whose DeleteObjects deletes only the first key of a multi-key request, then fails. */
function halfDeletingStore(inner: CompactionStore): CompactionStore {
  return {
    list: (prefix) => inner.list(prefix),
    head: (key) => inner.head(key),
    readRange: (...args) => inner.readRange(...args),
    read: (...args) => inner.read(...args),
    download: (...args) => inner.download(...args),
    putIfAbsent: (...args) => inner.putIfAbsent(...args),
    startUpload: (...args) => inner.startUpload(...args),
    async delete(keys) {
      if (keys.length < 2) return inner.delete(keys);
      await inner.delete(keys.slice(0, 1));
      throw new Error("connection reset during DeleteObjects");
    },
  };
}

describe("compaction: faults mid-merge", () => {
  it("a DeleteObjects that stops half-way: the run reports it, the next run finishes the deletion", async () => {
    const p = await scenario();
    const report = await runCompaction({ store: halfDeletingStore(p.lake.store), config });
    expect(report.failures).toEqual([expect.objectContaining({ subject: p.output, error: expect.stringContaining("connection reset") })]);
    const mid = await p.reader();
    expect(mid.distinctMessageIds).toBe(p.before.rows);
    expect(mid.rows).toBeGreaterThan(p.before.rows);
    const next = await p.run();
    expect(next.recoveries).toEqual([expect.objectContaining({ output: p.output, action: "roll-forward", deletedInputs: 2 })]);
    await expectConverged(p);
  });

  it("a writer adding a file to the partition mid-merge: the new file is never deleted", async () => {
    const p = await scenario();
    const late = fileKey(99);
    await p.run({
      onStep: async (step) => {
        if (step === "intent-written") await p.lake.putCurated(late, 25, 9_999);
      },
    });
    const keys = await p.lake.visibleKeys();
    expect(keys).toEqual([p.output, late].sort());
    const [lateRows] = await p.lake.parquet.query(`SELECT count(*)::BIGINT AS n FROM read_parquet('${p.lake.fileOf(late)}')`);
    expect((await p.reader()).rows).toBe(p.before.rows + Number(lateRows!.n));
  });

  it("an input replaced (same key, new ETag) after the merge read it: the merge is rolled back, the new version kept", { timeout: 90_000 }, async () => {
    for (const kill of [undefined, "output-removed", "intent-removed"] as const) {
      const p = await scenario();
      const replaceThenMaybeKill: CompactionRunOptions["onStep"] = async (step) => {
        if (step === "output-written") await p.lake.putCurated(p.inputs[0]!, 10, 4_242);
        if (step === kill) throw new Error(`killed at ${kill}`);
      };
      const current = async () => p.lake.parquet.checksum((await p.lake.visibleKeys()).filter((k) => k !== p.output).map(p.lake.fileOf));
      if (kill) {
        // Killed while undoing: the next run finishes the undo (and merges the current files afresh).
        await expect(p.run({ onStep: replaceThenMaybeKill })).rejects.toBeInstanceOf(SimulatedCrash);
        const expected = await current();
        const next = await p.run();
        expect(next.failures).toEqual([]);
        expect(next.recoveries).toEqual(kill === "output-removed" ? [expect.objectContaining({ action: "roll-back" })] : []);
        expect(await p.reader()).toEqual(expected);
        expect(await p.lake.intents()).toEqual([]);
        continue;
      }
      const report = await p.run({ onStep: replaceThenMaybeKill });
      expect(report.merges).toEqual([expect.objectContaining({ output: p.output, result: "rolled-back" })]);
      expect(await p.lake.visibleKeys()).toEqual(p.inputs);
      expect(await p.lake.intents()).toEqual([]);
      // The reader sees exactly the current inputs (the replaced file's new rows, the others' rows once).
      expect(await p.reader()).toEqual(await current());
    }
  });

  it("an output that does not match its intent (not written by the protocol) is removed while every input is intact", async () => {
    const p = await scenario();
    await expect(p.run({ onStep: killAt("output-uploading") })).rejects.toBeInstanceOf(SimulatedCrash);
    await p.lake.putBytes(p.output, "not parquet at all");
    const next = await p.run();
    expect(next.failures).toEqual([]);
    expect(next.recoveries).toEqual([expect.objectContaining({ output: p.output, action: "roll-back" })]);
    // The same run then merged again, into the same deterministic key.
    await expectConverged(p);
  });

  it("an unreadable intent: reported every run, its partition left alone, nothing deleted", async () => {
    const p = await scenario();
    const intentKey = intentKeyFor(p.output);
    await p.lake.putBytes(intentKey, "{ not an intent");
    const report = await p.run();
    expect(report.failures).toEqual([expect.objectContaining({ subject: intentKey, stage: "recovery", error: expect.stringMatching(/not JSON/) })]);
    expect(report.merges).toEqual([]);
    expect(await p.lake.visibleKeys()).toEqual(p.inputs);
    await p.lake.objects.delete([intentKey]);
    expect((await p.run()).failures).toEqual([]);
    await expectConverged(p);
  });

  it("two runs at once: one merges, the other leaves it alone; every row once", async () => {
    const p = await scenario();
    const [a, b] = await Promise.all([p.run({ runId: "a" }), p.run({ runId: "b" })]);
    expect([...a.failures, ...b.failures]).toEqual([]);
    expect([...a.merges, ...b.merges].filter((m) => m.result === "merged")).toHaveLength(1);
    await expectConverged(p);
  });
});

describe("compaction: a real kill", () => {
  it("SIGKILL of the process right after the output became visible; the next run converges", async () => {
    const p = await scenario();
    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("../fixtures/compaction-kill-child.ts", import.meta.url))], {
      env: { ...process.env, S3_ENDPOINT: p.lake.s3.endpoint, BUCKET, KILL_AT: "output-written" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, s) => resolve(s)));
    expect(signal, stderr).toBe("SIGKILL");
    expect((await p.reader()).rows).toBe(2 * p.before.rows);
    expect(await p.lake.intents()).toHaveLength(1);
    const next = await p.run();
    expect(next.failures).toEqual([]);
    await expectConverged(p);
  });
});
