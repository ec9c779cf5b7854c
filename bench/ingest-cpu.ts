/**
 * BENCHMARKS.md figure 1: ingest handler CPU per event on 500-event Segment batches of ~400 B events, with the
 * Kinesis client stubbed at the network boundary (a request handler that answers PutRecords without a socket),
 * against the floor of JSON.parse + JSON.stringify of the same body (target: within 3x of it). Both run side by side
 * in this process, interleaved.
 */
import "./ingest-env";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { HttpResponse } from "@smithy/core/protocols";
import type { HttpRequest } from "@smithy/types";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { Readable } from "node:stream";
import { KinesisStreamWriter } from "@eventlake/adapters/kinesis-stream-writer";
import { hashWriteKey } from "@eventlake/core/ingest/auth";
import { DEFAULT_INGEST_CONFIG } from "@eventlake/core/ingest/config";
import { newMessageId } from "@eventlake/core/ingest/message-id";
import { createSchemaRegistry } from "@eventlake/core/ingest/schema-registry";
import type { ObjectStore } from "@eventlake/core/ports";
import { handler, setIngestDeps } from "../functions/ingest";

const KEY = "wk_bench";
const PARTITION_KEY_FIELD = Buffer.from('"PartitionKey"');

/** Answers every PutRecords with success for each entry, as Kinesis would, without any I/O. */
const stubHandler = {
  handle: async (request: HttpRequest) => {
    // Count the entries without decoding the body (a real network handler only sends bytes).
    const bytes = request.body as Uint8Array;
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let entries = 0;
    for (let at = view.indexOf(PARTITION_KEY_FIELD); at !== -1; at = view.indexOf(PARTITION_KEY_FIELD, at + 1)) entries++;
    const payload = JSON.stringify({ FailedRecordCount: 0, Records: Array.from({ length: entries }, (_, i) => ({ SequenceNumber: String(49_000_000 + i), ShardId: "shardId-000000000000" })) });
    return { response: new HttpResponse({ statusCode: 200, headers: { "content-type": "application/x-amz-json-1.1" }, body: Readable.from([Buffer.from(payload)]) }) };
  },
  updateHttpClientConfig: () => undefined,
  httpHandlerConfigs: () => ({}),
};

const unusedStore: ObjectStore = {
  put: async () => { throw new Error("no spills expected in the benchmark"); },
  get: async () => undefined,
  list: async function* () {},
  delete: async () => undefined,
};

/** ~400 B Segment track events, one user per batch (as analytics SDKs batch per device). */
export function segmentBatch(size: number, user = "user-1234567"): string {
  const batch = Array.from({ length: size }, (_, i) => ({
    type: "track",
    event: "Product Clicked",
    userId: user,
    anonymousId: "3f1b5a9e-8c2d-4e6f-9a7b-1c2d3e4f5a6b",
    messageId: newMessageId(),
    timestamp: new Date(Date.now() - 1000).toISOString(),
    properties: { product_id: `sku-${1000 + (i % 50)}`, name: "Trail Running Shoes", category: "footwear", price: 129.0, position: i % 24 },
    context: { page: { path: "/category/footwear", url: "https://shop.example.com/category/footwear" }, locale: "en-US" },
  }));
  return JSON.stringify({ batch, sentAt: new Date().toISOString() });
}

function apiEvent(body: string): APIGatewayProxyEventV2 {
  return {
    version: "2.0", routeKey: "POST /v1/batch", rawPath: "/v1/batch", rawQueryString: "",
    headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from(`${KEY}:`).toString("base64")}` },
    requestContext: {
      accountId: "000000000000", apiId: "bench", domainName: "bench", domainPrefix: "bench",
      http: { method: "POST", path: "/v1/batch", protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "bench" },
      requestId: "r", routeKey: "POST /v1/batch", stage: "$default", time: "", timeEpoch: Date.now(),
    },
    body, isBase64Encoded: false,
  };
}

const context = {
  functionName: "bench", awsRequestId: "r", getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Where the handler's time goes: the core alone, plus KPL aggregation, plus the SDK call (serialization, signing). */
async function breakdown(bodies: string[], writer: KinesisStreamWriter) {
  const { parseRequestBody, planIngest } = await import("@eventlake/core/ingest/request");
  const { aggregate } = await import("@eventlake/core/kinesis/kpl");
  const schemas = createSchemaRegistry([]);
  const plan = (b: string) =>
    planIngest(parseRequestBody("batch", b, "application/json", DEFAULT_INGEST_CONFIG), {
      route: "batch", endpoint: "/v1/batch", sourceId: "bench", receivedAtMs: Date.now(), config: DEFAULT_INGEST_CONFIG, schemas, newMessageId,
    });
  let core = 0;
  let aggregation = 0;
  let write = 0;
  for (const body of bodies) {
    let t = cpuMicros();
    const planned = plan(body);
    core += cpuMicros() - t;
    t = cpuMicros();
    aggregate(planned.records);
    aggregation += cpuMicros() - t;
    t = cpuMicros();
    await writer.write(planned.records, Date.now() + 10_000);
    write += cpuMicros() - t;
  }
  return { core, aggregation, sdk: write - aggregation };
}

export async function benchIngestCpu(rounds = 40, batchSize = 500) {
  const writer = new KinesisStreamWriter({
    streamName: "bench",
    client: new KinesisClient({ region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" }, requestHandler: stubHandler, maxAttempts: 1 }),
    fallback: unusedStore,
  });
  setIngestDeps({
    config: DEFAULT_INGEST_CONFIG,
    schemas: createSchemaRegistry([]),
    writeKeys: [{ sourceId: "bench", sha256: hashWriteKey(KEY) }],
    writer,
    newMessageId,
  });
  const bodies = Array.from({ length: rounds }, () => segmentBatch(batchSize));
  const eventBytes = Buffer.byteLength(bodies[0]!) / batchSize;

  // The handler's logs and EMF metrics are formatted as usual; only the final write to the terminal is skipped.
  const write = process.stdout.write.bind(process.stdout);
  let handlerCpu = 0;
  let floorCpu = 0;
  let sink = 0;
  try {
    process.stdout.write = (() => true) as typeof process.stdout.write;
    for (let warm = 0; warm < 10; warm++) await handler(apiEvent(bodies[warm % rounds]!), context);
    for (const body of bodies) {
      let t = cpuMicros();
      const result = await handler(apiEvent(body), context);
      handlerCpu += cpuMicros() - t;
      if (typeof result === "object" && result.statusCode !== 200) throw new Error(`handler answered ${result.statusCode}: ${result.body}`);
      t = cpuMicros();
      sink += JSON.stringify(JSON.parse(body)).length;
      floorCpu += cpuMicros() - t;
    }
  } finally {
    process.stdout.write = write;
  }
  const events = rounds * batchSize;
  const parts = await breakdown(bodies, writer);
  return {
    eventBytes,
    handlerMicrosPerEvent: handlerCpu / events,
    floorMicrosPerEvent: floorCpu / events,
    ratio: handlerCpu / floorCpu,
    coreMicrosPerEvent: parts.core / events,
    aggregationMicrosPerEvent: parts.aggregation / events,
    sdkMicrosPerEvent: parts.sdk / events,
    sink,
  };
}
