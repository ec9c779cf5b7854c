/**
 * The local curator across resharding: the stream is split (1 -> 2 shards) and merged back (2 -> 1) while events
 * flow; the curator reads closed parent shards to their end before their children, and every valid event is curated
 * exactly once.
 */
import { DescribeStreamSummaryCommand, KinesisClient, ListShardsCommand, UpdateShardCountCommand } from "@aws-sdk/client-kinesis";
import { clientConfig } from "@eventlake/adapters/aws-config";
import { startLocalPipeline, type LocalPipeline } from "@eventlake/local";
import { queryLocalLake } from "@eventlake/local/cli/query";
import { curatorComponent, readCuratorStatus } from "@eventlake/local/curator/curator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir";

const tmp = tempDir("curator-reshard");
let pipeline: LocalPipeline;
let kinesis: KinesisClient;

beforeAll(async () => {
  pipeline = await startLocalPipeline({ dataDir: tmp.dir, port: 0, apiThrottling: false, shards: 1 }, [curatorComponent({ windowMs: 200 })]);
  kinesis = new KinesisClient(clientConfig({ region: pipeline.info.region, endpoint: pipeline.info.kinesisEndpoint }));
});
afterAll(async () => {
  kinesis?.destroy();
  await pipeline?.close();
  tmp.remove();
});

async function send(phase: string, count: number) {
  const headers = { "content-type": "application/json", authorization: `Basic ${Buffer.from(`${pipeline.info.writeKey}:`).toString("base64")}` };
  for (let i = 0; i < count; i += 100) {
    const batch = Array.from({ length: 100 }, (_, j) => ({ type: "track", event: "Resharded", userId: `user-${(i + j) % 31}`, messageId: `${phase}-${i + j}` }));
    const response = await fetch(`${pipeline.info.endpoint}/v1/batch`, { method: "POST", headers, body: JSON.stringify({ batch }) });
    expect(response.status).toBe(200);
  }
}

async function reshard(target: number) {
  await kinesis.send(new UpdateShardCountCommand({ StreamName: pipeline.info.streamName, TargetShardCount: target, ScalingType: "UNIFORM_SCALING" }));
  for (let i = 0; i < 200; i++) {
    const s = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: pipeline.info.streamName }));
    if (s.StreamDescriptionSummary?.StreamStatus === "ACTIVE" && s.StreamDescriptionSummary.OpenShardCount === target) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the stream did not reach ${target} open shards`);
}

describe("local curator and resharding", () => {
  it("curates every event exactly once through a split and a merge", { timeout: 120_000 }, async () => {
    await send("before", 500);
    await reshard(2);
    await send("split", 500);
    await reshard(1);
    await send("merged", 500);
    const shards = (await kinesis.send(new ListShardsCommand({ StreamName: pipeline.info.streamName }))).Shards ?? [];
    expect(shards.length).toBeGreaterThanOrEqual(4); // the first shard, its two children, their merged child

    const deadline = Date.now() + 60_000;
    while ((readCuratorStatus(tmp.dir)?.totals.records ?? 0) < 1500 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(readCuratorStatus(tmp.dir)?.totals).toMatchObject({ records: 1500, curated: 1500, duplicates: 0, quarantined: 0 });
    const result = await queryLocalLake(tmp.dir, "SELECT split_part(message_id, '-', 1) AS phase, count(*), count(DISTINCT message_id) FROM events GROUP BY 1 ORDER BY 1");
    expect(result.rows).toEqual([
      ["before", 500, 500],
      ["merged", 500, 500],
      ["split", 500, 500],
    ]);
  });
});
