/**
 * The fault matrix at reduced size (`npm run proof` runs it at full size): each cell starts a fresh local pipeline in
 * a child process under one fault, sends clickstream with known messageIds through a client that retries what is not
 * answered 2xx, and reconciles the lake against exactly what the client was answered. Zero loss and zero curated
 * duplicates in every cell, and evidence that each cell's fault really happened. The kill-9 cell kills the runtime
 * 10 times at random moments, each followed by a restart.
 */
import { FAULT_CELLS, runCell, type CellResult } from "@eventlake/local/proof/fault-matrix";
import { describe, expect, it } from "vitest";

const EVENTS = 1_500;

function expectNothingLost(r: CellResult) {
  expect(r.problems).toEqual([]);
  expect(r.expected.accepted).toBeGreaterThan(0);
  expect(r.expected.rejected).toBeGreaterThan(0);
  expect(r.expected).toMatchObject({
    acceptedNotInRaw: 0,
    acceptedNotCurated: 0,
    acceptedQuarantined: 0,
    acceptedCuratedDuplicates: 0,
    rejectedNotInRaw: 0,
    rejectedNotQuarantined: 0,
  });
  // Nothing curated twice, and the curated table holds exactly the accepted events (no strays either).
  expect(r.counts.curatedRows).toBe(r.expected.accepted);
  expect(r.counts.curatedDistinct).toBe(r.expected.accepted);
  // Every event sent was answered in the end (the client retried through every fault).
  expect(r.send.failedEvents).toBe(0);
  expect(r.expected.accepted + r.expected.rejected).toBe(EVENTS);
  expect(r.ok).toBe(true);
}

const cell = (name: string) => FAULT_CELLS.find((c) => c.name === name)!;

describe.sequential("fault matrix (reduced size)", () => {
  it("no faults: the baseline reconciles exactly", { timeout: 180_000 }, async () => {
    const r = await runCell(cell("no-faults"), { events: EVENTS });
    expectNothingLost(r);
    expect(r.counts.rawEvents).toBe(r.expected.accepted); // nothing retried, so nothing archived twice
  });

  it("30% of PutRecords entries failing: resent until written", { timeout: 180_000 }, async () => {
    const r = await runCell(cell("putrecords-partial-failures"), { events: EVENTS });
    expect(r.evidence.injected?.putRecordsEntries).toBeGreaterThan(0);
    expectNothingLost(r);
  });

  it("whole PutRecords and GetRecords calls throttled: writers and readers retry", { timeout: 180_000 }, async () => {
    const r = await runCell(cell("throttled-calls"), { events: EVENTS });
    expect(r.evidence.injected?.throttledCalls).toBeGreaterThan(0);
    expectNothingLost(r);
  });

  it("a saturated shard: throttled writes are retried or spilled and answered 503, and the client's retries are deduplicated", { timeout: 300_000 }, async () => {
    const r = await runCell(cell("saturated-shard"), { events: EVENTS });
    expect(r.evidence.shardThrottledRecords).toBeGreaterThan(0);
    expectNothingLost(r);
  });

  it("S3 answering SlowDown and InternalError: deliveries, curated writes and listings retried", { timeout: 180_000 }, async () => {
    const r = await runCell(cell("object-store-errors"), { events: EVENTS });
    expect(r.evidence.injected?.objectStoreErrors).toBeGreaterThan(0);
    expectNothingLost(r);
  });

  it("a slow transform: the raw archive falls behind and catches up", { timeout: 180_000 }, async () => {
    const r = await runCell(cell("slow-transform"), { events: EVENTS });
    expect(r.evidence.injected?.slowedInvocations).toBeGreaterThan(0);
    expectNothingLost(r);
  });

  it("kill -9 of the runtime 10 times at random moments, each followed by a restart", { timeout: 400_000 }, async () => {
    const r = await runCell(cell("kill-9"), { events: EVENTS, kills: 10 });
    expect(r.evidence).toMatchObject({ kills: 10, restarts: 10 });
    expect(r.evidence.clientRetries).toBeGreaterThan(0);
    expectNothingLost(r);
  });
});
