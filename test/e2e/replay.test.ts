/**
 * `eventlake replay` over real spills: a pipeline whose stream refuses every write spills what the ingest function
 * accepted to fallback/ and answers 503; the client here never retries (the case replay exists for). After a restart
 * with a healthy stream, `replay --from fallback` re-sends the spills: every spilled event is then archived and
 * curated exactly once. A second replay skips what was replayed; `--again` re-sends nothing the raw archive already
 * holds; `--from raw` re-sends everything, which the curator removes by messageId (curated stays once per event).
 */
import { startLocalPipeline, type LocalPipeline } from "@eventlake/local";
import { countLayers, reconcile, recordOutcomes } from "@eventlake/local/cli/verify";
import { replayLocal } from "@eventlake/local/cli/replay";
import { curatorComponent } from "@eventlake/local/curator/curator";
import { rawArchiveComponent } from "@eventlake/local/firehose/index";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir";
import { ingestLimitVariable } from "@eventlake/core/ingest/config";
import { ingestFunction } from "@eventlake/core/functions/ingest";

const tmp = tempDir("replay");
let pipeline: LocalPipeline | undefined;
afterAll(async () => {
  await pipeline?.close();
  tmp.remove();
  rmSync(`${tmp.dir}-quarantine`, { recursive: true, force: true });
});

const components = () => [rawArchiveComponent({ config: { bufferIntervalMs: 500, pollIntervalMs: 100, processor: { bufferIntervalMs: 0 } } }), curatorComponent({ windowMs: 500 })];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("eventlake replay", () => {
  it("re-sends spills the client never retried: then archived and curated exactly once, and idempotent", { timeout: 240_000 }, async () => {
    // 1. Every PutRecords call throttled: the ingest function retries until its deadline, spills, answers 503.
    pipeline = await startLocalPipeline({ dataDir: tmp.dir, port: 0, apiThrottling: false, faults: { throttledCalls: 1 }, functionEnv: { [ingestFunction.env.retryAfterSeconds.name]: "1" } }, []);
    const auth = { authorization: `Basic ${Buffer.from(`${pipeline.info.writeKey}:`).toString("base64")}`, "content-type": "application/json" };
    const spilledIds: string[] = [];
    await Promise.all(
      [0, 1].map(async (r) => {
        const batch = Array.from({ length: 60 }, (_, i) => ({ type: "track", event: "Spilled", userId: `u${i % 7}`, messageId: `spill-${r}-${i}` }));
        const response = await fetch(`${pipeline!.info.endpoint}/v1/batch`, { method: "POST", headers: auth, body: JSON.stringify({ batch }) });
        const body = (await response.json()) as { spilled?: number };
        expect(response.status).toBe(503);
        expect(body.spilled).toBe(60);
        spilledIds.push(...batch.map((e) => e.messageId));
      }),
    );
    await pipeline.close();

    // 2. A healthy restart: the spills are only in fallback/.
    pipeline = await startLocalPipeline({ dataDir: tmp.dir, port: 0, apiThrottling: false }, components());
    const before = await countLayers(tmp.dir);
    expect(before).toMatchObject({ spilledEvents: 120, spilledNotInRaw: 120, rawEvents: 0, curatedRows: 0 });
    expect(reconcile(before).notes.join("\n")).toMatch(/120 spilled event\(s\) are only in fallback\/.*eventlake replay --from fallback/);

    // 3. Replay: every spilled event reaches the stream, then raw and curated, once.
    const dry = await replayLocal(pipeline.info, tmp.dir, { source: "fallback", dryRun: true });
    expect(dry).toMatchObject({ objects: 2, records: 120, events: 120, written: 0 });
    const first = await replayLocal(pipeline.info, tmp.dir, { source: "fallback" });
    expect(first).toMatchObject({ objects: 2, alreadyReplayed: 0, records: 120, written: 120, spilled: 0, failed: 0, refused: 0, incompleteObjects: [] });
    const expectFile = join(tmp.dir, "spilled.csv");
    recordOutcomes(expectFile, { accepted: spilledIds, rejected: [] }, { create: true });
    const settle = async (rawEvents: number) => {
      const deadline = Date.now() + 60_000;
      let layers = await countLayers(tmp.dir, expectFile);
      while ((layers.rawEvents < rawEvents || layers.expected.acceptedNotCurated > 0) && Date.now() < deadline) {
        await sleep(500);
        layers = await countLayers(tmp.dir, expectFile);
      }
      await sleep(1_500); // one more curator window: nothing further may arrive
      return countLayers(tmp.dir, expectFile);
    };
    const afterFirst = await settle(120);
    expect(afterFirst).toMatchObject({ rawEvents: 120, curatedRows: 120, curatedDistinct: 120, spilledNotInRaw: 0 });
    expect(afterFirst.expected).toMatchObject({ accepted: 120, acceptedNotInRaw: 0, acceptedNotCurated: 0, acceptedCuratedDuplicates: 0 });

    // 4. Idempotent: a second replay skips both objects.
    const second = await replayLocal(pipeline.info, tmp.dir, { source: "fallback" });
    expect(second).toMatchObject({ objects: 2, alreadyReplayed: 2, records: 0, written: 0 });

    // 5. A replay of the whole raw archive: the stream gets everything again, the curated table still holds each
    //    event once (dedup by messageId).
    //    (Raw first: it holds exactly the 120 archived events now.)
    const fromRaw = await replayLocal(pipeline.info, tmp.dir, { source: "raw" });
    expect(fromRaw).toMatchObject({ records: 120, written: 120, failed: 0 });
    // --again finds every spilled event in the raw archive now, so it re-sends none of them (an event curated more
    // than the dedup window ago would otherwise be curated twice).
    expect(await replayLocal(pipeline.info, tmp.dir, { source: "fallback", again: true })).toMatchObject({ objects: 2, records: 0, alreadyArchived: 120, written: 0 });
    const afterAll3 = await settle(240);
    expect(afterAll3.rawEvents).toBe(240);
    expect(afterAll3).toMatchObject({ rawDistinctEvents: 120, curatedRows: 120, curatedDistinct: 120 });
    expect(reconcile(afterAll3, afterAll3.expected).ok).toBe(true);
  });

  it("judges quarantined events again: those valid today are curated once, the rest stay quarantined", { timeout: 240_000 }, async () => {
    await pipeline?.close();
    const dataDir = `${tmp.dir}-quarantine`;
    // The ingest function with a 600-byte event limit: the padded events are rejected (event_too_large).
    pipeline = await startLocalPipeline({ dataDir, port: 0, apiThrottling: false, functionEnv: { [ingestLimitVariable("maxEventBytes")]: "600" } }, components());
    const auth = { authorization: `Basic ${Buffer.from(`${pipeline.info.writeKey}:`).toString("base64")}`, "content-type": "application/json" };
    const big = Array.from({ length: 20 }, (_, i) => ({ type: "track", event: "Big", userId: `u${i}`, messageId: `big-${i}`, properties: { pad: "x".repeat(800) } }));
    const small = Array.from({ length: 20 }, (_, i) => ({ type: "track", event: "Small", userId: `u${i}`, messageId: `small-${i}` }));
    const duplicate = { ...small[0]!, properties: { second: true } }; // same messageId in the same request
    const response = await fetch(`${pipeline.info.endpoint}/v1/batch`, { method: "POST", headers: auth, body: JSON.stringify({ batch: [...big, ...small, duplicate] }) });
    const answer = (await response.json()) as { errors: { reason: string }[] };
    expect(response.status).toBe(207);
    expect(answer.errors.map((e) => e.reason).sort()).toEqual([...new Array(20).fill("event_too_large"), "duplicate_message_id"].sort());
    const deadline = Date.now() + 60_000;
    let layers = await countLayers(dataDir);
    while ((layers.rawBadRows < 21 || layers.curatedRows < 20 || layers.quarantinedRows < 21) && Date.now() < deadline) {
      await sleep(500);
      layers = await countLayers(dataDir);
    }
    expect(layers).toMatchObject({ rawBadRows: 21, curatedRows: 20, quarantinedRows: 21 });
    await pipeline.close();

    // Today's limit is the default (32 KB): the 20 big events pass; the duplicate never will.
    pipeline = await startLocalPipeline({ dataDir, port: 0, apiThrottling: false }, components());
    const report = await replayLocal(pipeline.info, dataDir, { source: "quarantine" });
    expect(report).toMatchObject({ records: 20, events: 20, written: 20, failed: 0, stillRejected: 1, stillRejectedReasons: { duplicate_message_id: 1 } });
    const expectFile = join(dataDir, "expected.csv");
    recordOutcomes(expectFile, { accepted: [...big, ...small].map((e) => e.messageId), rejected: [] }, { create: true });
    let after = await countLayers(dataDir, expectFile);
    while (after.curatedDistinct < 40 && Date.now() < deadline + 60_000) {
      await sleep(500);
      after = await countLayers(dataDir, expectFile);
    }
    expect(after.expected).toMatchObject({ accepted: 40, acceptedNotCurated: 0, acceptedQuarantined: 0, acceptedCuratedDuplicates: 0 });
    expect(after).toMatchObject({ curatedRows: 40, curatedDistinct: 40, quarantinedRows: 21 }); // quarantine keeps its history

    // Once replayed, the raw objects are marked for this source: a second quarantine replay re-sends nothing.
    expect(await replayLocal(pipeline.info, dataDir, { source: "quarantine" })).toMatchObject({ records: 0, written: 0 });
  });
});
