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
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir";

const tmp = tempDir("replay");
let pipeline: LocalPipeline | undefined;
afterAll(async () => {
  await pipeline?.close();
  tmp.remove();
});

const components = () => [rawArchiveComponent({ config: { bufferIntervalMs: 500, pollIntervalMs: 100, processor: { bufferIntervalMs: 0 } } }), curatorComponent({ windowMs: 500 })];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("eventlake replay", () => {
  it("re-sends spills the client never retried: then archived and curated exactly once, and idempotent", { timeout: 240_000 }, async () => {
    // 1. Every PutRecords call throttled: the ingest function retries until its deadline, spills, answers 503.
    pipeline = await startLocalPipeline({ dataDir: tmp.dir, port: 0, apiThrottling: false, faults: { throttledCalls: 1 }, functionEnv: { EVENTLAKE_RETRY_AFTER_SECONDS: "1" } }, []);
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
});
