/**
 * Crash safety of the raw archive (ARCHITECTURE.md, "Guarantees": a kill -9 of any local component at any point
 * loses nothing): the whole local pipeline runs in a child process while events are POSTed and delivered
 * continuously; the child is killed with SIGKILL mid-flow; the pipeline restarts on the same data directory; every
 * event the API accepted (and every bad row) must then be in raw/ at least once, byte for byte as it travelled the
 * stream. Duplicates are allowed (at least once, like Firehose) and counted.
 */
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { clientConfig } from "@eventlake/adapters/aws-config";
import { startLocalPipeline, type LocalPipeline } from "@eventlake/local";
import { readFirehoseStats } from "@eventlake/emulators/firehose/state";
import { rawArchiveComponent } from "@eventlake/local/firehose/index";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { spawnPipeline } from "@eventlake/local/proof/pipeline-process";
import { readArchiveObjects } from "../helpers/raw-archive";
import { readWholeStream } from "../helpers/stream-reader";
import { tempDir } from "../helpers/temp-dir";

const FAST = { config: { bufferIntervalMs: 100, pollIntervalMs: 50, processor: { bufferIntervalMs: 0 } } };
const tmp = tempDir("e2e-raw-crash");
let restarted: LocalPipeline | undefined;

afterAll(async () => {
  await restarted?.close();
  tmp.remove();
});

function startChild() {
  return spawnPipeline({
    dataDir: tmp.dir,
    imports: { rawArchiveComponent: "packages/local/src/firehose/index.ts" },
    components: `[rawArchiveComponent(${JSON.stringify(FAST)})]`,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("raw archive under kill -9", () => {
  it("delivers every accepted event and bad row at least once after a SIGKILL mid-delivery and a restart", async () => {
    const { child, info: started } = startChild();
    const expected = new Set<string>();
    const sendErrors: unknown[] = [];
    let killed = false;
    try {
      const info = await started;
      const headers = { "content-type": "application/json", authorization: `Basic ${Buffer.from(`${info.writeKey}:`).toString("base64")}` };
      const send = async (batchNo: number) => {
        const batch = Array.from({ length: 40 }, (_, i) => ({
          type: i === 0 ? "nonsense" : "track", // one bad row per batch
          event: "Crash Tested",
          userId: `user-${i}`,
          messageId: `crash-${batchNo}-${i}`,
          properties: { batchNo, i },
        }));
        try {
          const response = await fetch(`${info.endpoint}/v1/batch`, { method: "POST", headers, body: JSON.stringify({ batch }) });
          await response.arrayBuffer();
          // 200: all accepted; 207: accepted except the rejected ones, which are bad rows (archived as well).
          // Anything else (503 after a spill, a 5xx under load) is not an acceptance: a client would retry it.
          if (response.status === 200 || response.status === 207) for (const e of batch) expected.add(e.messageId);
        } catch (error) {
          if (!killed) sendErrors.push(error);
        }
      };
      const objects = () => readFirehoseStats(tmp.dir)?.delivered.objects ?? 0;
      // Warm up (the functions' cold starts), then send continuously and kill while deliveries are flowing.
      await send(0);
      for (let i = 0; i < 1200 && objects() < 1; i++) await sleep(50);
      const warm = objects();
      expect(warm).toBeGreaterThanOrEqual(1);
      const sender = (async () => {
        for (let batchNo = 1; !killed; batchNo++) await send(batchNo);
      })();
      for (let i = 0; i < 3000 && objects() < warm + 3; i++) await sleep(20);
      expect(objects()).toBeGreaterThanOrEqual(warm + 3);
      const exited = new Promise((r) => child.once("exit", r));
      killed = true;
      child.kill("SIGKILL");
      await exited;
      await sender;
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    expect(sendErrors).toEqual([]);
    expect(expected.size).toBeGreaterThan(0);
    // The checkpoint file is whole (written with rename), whatever the kill interrupted.
    const checkpoints = JSON.parse(readFileSync(join(tmp.dir, "firehose", "checkpoints.json"), "utf8")) as { shards: Record<string, unknown> };
    expect(Object.keys(checkpoints.shards).length).toBeGreaterThan(0);

    restarted = await startLocalPipeline({ dataDir: tmp.dir, port: 0, apiThrottling: false }, [rawArchiveComponent(FAST)]);
    const messageIdsInRaw = () => readArchiveObjects(tmp.dir, restarted!.info.bucket).flatMap((o) => o.lines.map((l) => (JSON.parse(l) as { messageId?: string }).messageId));
    let missing: string[] = [...expected];
    for (let i = 0; i < 900 && missing.length > 0; i++) {
      await sleep(100);
      const present = new Set(messageIdsInRaw());
      missing = [...expected].filter((id) => !present.has(id));
    }
    expect(missing).toEqual([]);

    // Byte for byte: every archived line is a record of the stream, and none is a fragment.
    const client = new KinesisClient(clientConfig({ region: restarted.info.region, endpoint: restarted.info.kinesisEndpoint }));
    const streamed = new Set((await readWholeStream(client, restarted.info.streamName)).map((r) => r.data.toString("utf8")));
    client.destroy();
    const lines = readArchiveObjects(tmp.dir, restarted.info.bucket).flatMap((o) => o.lines);
    for (const line of lines) expect(streamed.has(line)).toBe(true);
    // At least once: a kill between storing an object and its checkpoint re-delivers that object's records, so
    // duplicates may exist; what is archived is exactly what was sent (plus nothing else).
    const ids = new Set(lines.map((l) => (JSON.parse(l) as { messageId: string }).messageId));
    expect([...ids].filter((id) => !id.startsWith("crash-"))).toEqual([]);
    expect(ids.size).toBeGreaterThanOrEqual(expected.size);
  }, 240_000);
});
