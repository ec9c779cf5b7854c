/**
 * Loss accounting (`eventlake verify`) over a real local run: events and bad rows POSTed to the pipeline pass through
 * the raw archive and the curator, and the reconciliation finds every accepted event in raw, every valid one curated
 * exactly once, every rejected one quarantined. Removing curated files makes it report the loss.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { startLocalPipeline, type LocalPipeline } from "@eventlake/local";
import { countLayers, reconcile, recordOutcomes } from "@eventlake/local/cli/verify";
import { curatorComponent } from "@eventlake/local/curator/curator";
import { rawArchiveComponent } from "@eventlake/local/firehose/index";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir";

const tmp = tempDir("verify");
let pipeline: LocalPipeline;
beforeAll(async () => {
  pipeline = await startLocalPipeline({ dataDir: tmp.dir, port: 0, apiThrottling: false }, [rawArchiveComponent(), curatorComponent({ windowMs: 500 })]);
}, 60_000);
afterAll(async () => {
  await pipeline?.close();
  tmp.remove();
});

describe("reconcile", () => {
  const clean = { rawEvents: 10, rawDistinctEvents: 10, rawBadRows: 2, curatedRows: 10, curatedDistinct: 10, quarantinedRows: 2, rawNotCurated: 0, spilledEvents: 0, spilledNotInRaw: 0 };
  it("passes a clean lake and names each kind of problem", () => {
    expect(reconcile(clean)).toEqual({ ok: true, problems: [], notes: [] });
    expect(reconcile({ ...clean, curatedRows: 11 }).problems).toEqual(["1 duplicate row(s) in the curated events table"]);
    expect(reconcile({ ...clean, rawNotCurated: 3 }).ok).toBe(false);
    expect(reconcile({ ...clean, quarantinedRows: 1 }).ok).toBe(false);
    expect(reconcile({ ...clean, spilledNotInRaw: 4, rawEvents: 12 })).toMatchObject({ ok: true, notes: [expect.stringMatching(/4 spilled/), expect.stringMatching(/2 duplicate event/)] });
  });
});

describe("eventlake verify over a local run", () => {
  it("accounts for every event across raw, curated and quarantine, and reports a loss", async () => {
    const auth = { authorization: `Basic ${Buffer.from(`${pipeline.info.writeKey}:`).toString("base64")}`, "content-type": "application/json" };
    const batch = Array.from({ length: 200 }, (_, i) =>
      i % 20 === 0 ? { type: "track", userId: `u${i}`, messageId: `bad-${i}` } : { type: "track", event: "Clicked", userId: `u${i % 13}`, messageId: `ok-${i}` },
    );
    const body = JSON.stringify({ batch });
    for (let attempt = 0; attempt < 2; attempt++) {
      // Sent twice, as a client retrying after a 503 would: the raw archive keeps both, curation keeps one.
      const response = await fetch(`${pipeline.info.endpoint}/v1/batch`, { method: "POST", headers: auth, body });
      expect(response.status).toBe(207);
    }
    let counts = await countLayers(tmp.dir);
    const deadline = Date.now() + 45_000;
    while ((counts.curatedDistinct < 190 || counts.quarantinedRows < 10 || counts.rawEvents < 380 || counts.rawBadRows < 20) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      counts = await countLayers(tmp.dir);
    }
    expect(counts).toMatchObject({ rawEvents: 380, rawDistinctEvents: 190, rawBadRows: 20, curatedRows: 190, curatedDistinct: 190, rawNotCurated: 0 });
    expect(counts.quarantinedRows).toBeGreaterThanOrEqual(10);
    expect(reconcile(counts).ok).toBe(true);

    // Against what the client was answered (`verify --expect`): all there; an accepted event that never arrived is named.
    const expectFile = join(tmp.dir, "expected.csv");
    const accepted = batch.filter((_, i) => i % 20 !== 0).map((e) => e.messageId);
    const rejected = batch.filter((_, i) => i % 20 === 0).map((e) => e.messageId);
    recordOutcomes(expectFile, { accepted, rejected }, { create: true });
    const exact = await countLayers(tmp.dir, expectFile);
    expect(exact.expected).toEqual({
      accepted: 190, rejected: 10, acceptedNotInRaw: 0, acceptedNotCurated: 0, acceptedQuarantined: 0, acceptedCuratedDuplicates: 0, rejectedNotInRaw: 0, rejectedNotQuarantined: 0,
    });
    expect(reconcile(exact, exact.expected).ok).toBe(true);
    recordOutcomes(expectFile, { accepted: ["never-arrived"], rejected: ["bad-never-arrived"] });
    const short = await countLayers(tmp.dir, expectFile);
    expect(short.expected).toMatchObject({ accepted: 191, acceptedNotInRaw: 1, acceptedNotCurated: 1, rejectedNotInRaw: 1, rejectedNotQuarantined: 1 });
    expect(reconcile(short, short.expected).problems).toEqual([
      "1 accepted event(s) are not in the raw archive",
      "1 accepted event(s) are neither curated nor quarantined",
      "1 rejected event(s) are not in the raw archive as bad rows",
      "1 rejected event(s) are missing from quarantine",
    ]);

    // Lose the curated files: verify must say so.
    rmSync(join(tmp.dir, "s3", pipeline.info.bucket, "curated"), { recursive: true, force: true });
    const after = await countLayers(tmp.dir);
    expect(after.rawNotCurated).toBe(190);
    expect(reconcile(after).ok).toBe(false);
    const lost = await countLayers(tmp.dir, expectFile);
    expect(lost.expected).toMatchObject({ acceptedNotCurated: 191, rejectedNotQuarantined: 1 }); // quarantine has its own prefix
  }, 90_000);
});
