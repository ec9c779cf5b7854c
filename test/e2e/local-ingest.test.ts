/**
 * End to end on one machine: the local runtime (HTTP API stand-in -> the real ingest handler in its Lambda sandbox
 * -> the Kinesis stand-in with shard limits), driven over real HTTP, then the stream read back and de-aggregated.
 */
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { clientConfig } from "@eventlake/adapters/aws-config";
import { startLocalPipeline, type LocalPipeline } from "@eventlake/local";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readWholeStream } from "../helpers/stream-reader";
import { tempDir } from "../helpers/temp-dir";

const tmp = tempDir("e2e");
let pipeline: LocalPipeline;

async function start() {
  pipeline = await startLocalPipeline({ dataDir: tmp.dir, port: 0, apiThrottling: false });
}
beforeAll(start, 60_000);
afterAll(async () => {
  await pipeline?.close();
  tmp.remove();
});

const auth = () => ({ authorization: `Basic ${Buffer.from(`${pipeline.info.writeKey}:`).toString("base64")}` });
async function post(path: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const response = await fetch(`${pipeline.info.endpoint}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...auth(), ...headers },
    body,
  });
  return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, unknown> };
}
async function streamRecords() {
  const client = new KinesisClient(clientConfig({ region: "us-east-1", endpoint: pipeline.info.kinesisEndpoint }));
  try {
    return (await readWholeStream(client, pipeline.info.streamName)).map((r) => ({ ...r, json: JSON.parse(r.data.toString("utf8")) as Record<string, unknown> }));
  } finally {
    client.destroy();
  }
}

describe("local ingest path, end to end", () => {
  it("publishes the endpoint and write key in local.json", () => {
    const info = JSON.parse(readFileSync(`${tmp.dir}/local.json`, "utf8"));
    expect(info).toMatchObject({ endpoint: pipeline.info.endpoint, writeKey: expect.stringMatching(/^wk_local_/), streamName: "eventlake-local" });
  });

  it("takes a Segment batch over HTTP and puts every event on the stream, byte-faithful and KPL-aggregated", async () => {
    const batch = Array.from({ length: 120 }, (_, i) => ({
      type: i % 3 === 0 ? "page" : "track",
      ...(i % 3 === 0 ? { name: "Home" } : { event: "Product Clicked" }),
      userId: `user-${i % 7}`,
      messageId: `e2e-${i}`,
      timestamp: new Date(Date.now() - 5_000).toISOString(),
      properties: { i, text: "naïve café ✓" },
    }));
    const { status, json } = await post("/v1/batch", gzipSync(JSON.stringify({ batch, context: { library: { name: "analytics.js" } } })), { "content-encoding": "gzip" });
    expect(status).toBe(200);
    expect(json).toEqual({ ok: true, accepted: 120, rejected: 0 });

    const records = (await streamRecords()).filter((r) => String(r.json.messageId).startsWith("e2e-"));
    expect(records).toHaveLength(120);
    const byId = new Map(records.map((r) => [r.json.messageId as string, r]));
    for (const sent of batch) {
      const got = byId.get(sent.messageId)!;
      expect(got.partitionKey).toBe(sent.userId);
      expect(got.json).toMatchObject({ kind: "event", type: sent.type, userId: sent.userId, properties: sent.properties, sourceId: "local", context: { library: { name: "analytics.js" } } });
    }
    // Aggregated: far fewer Kinesis records than events.
    expect(new Set(records.map((r) => r.sequenceNumber)).size).toBeLessThan(20);
  });

  it("writes rejected events as bad rows and answers 207 per event", async () => {
    const { status, json } = await post(
      "/v1/events",
      ['{"userId":"u-bad","event":"ok","messageId":"nd-1"}', "{broken", '{"event":"no identity","messageId":"nd-3"}'].join("\n"),
      { "content-type": "application/x-ndjson" },
    );
    expect(status).toBe(207);
    expect(json.errors).toEqual([
      { index: 1, reason: "malformed_json", message: expect.any(String) },
      { index: 2, messageId: "nd-3", reason: "missing_identity", message: expect.any(String) },
    ]);
    const badRows = (await streamRecords()).filter((r) => r.json.kind === "bad_row" && r.json.endpoint === "/v1/events");
    expect(badRows.map((r) => r.json.payload).sort()).toEqual(['{"event":"no identity","messageId":"nd-3"}', "{broken"]);
  });

  it("refuses bad requests with their status and writes nothing for them", async () => {
    const before = (await streamRecords()).length;
    expect((await post("/v1/track", "{}", { authorization: "Basic d3Jvbmc6" })).status).toBe(401);
    expect((await post("/v1/batch", "{nope")).status).toBe(400);
    expect((await post("/v1/batch", Buffer.from([0x7b, 0xff, 0x7d]), { "content-type": "application/octet-stream" })).status).toBe(400);
    expect((await post("/v1/batch", gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20)), { "content-encoding": "gzip" })).status).toBe(413);
    expect((await post("/v1/nope", "{}")).status).toBe(404);
    const get = await fetch(`${pipeline.info.endpoint}/v1/track`);
    expect(get.status).toBe(405);
    expect((await streamRecords()).length).toBe(before);
    // And it keeps serving.
    expect((await fetch(`${pipeline.info.endpoint}/health`)).status).toBe(200);
  });

  it("keeps the stream and the write key across a restart", async () => {
    const key = pipeline.info.writeKey;
    const before = (await streamRecords()).length;
    await pipeline.close();
    await start();
    expect(pipeline.info.writeKey).toBe(key);
    expect((await streamRecords()).length).toBe(before);
    const { status } = await post("/v1/track", JSON.stringify({ userId: "after-restart", event: "x", messageId: "restart-1" }));
    expect(status).toBe(200);
    expect((await streamRecords()).some((r) => r.json.messageId === "restart-1")).toBe(true);
  });
});
