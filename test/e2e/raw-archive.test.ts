/**
 * End to end on one machine: events POSTed to the local pipeline (HTTP API stand-in -> ingest handler -> Kinesis
 * stand-in) reach raw/ through the local Firehose and the real transform handler, as gzip NDJSON that DuckDB's
 * read_json reads, every accepted event and every bad row byte for byte as they travelled the stream.
 */
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { clientConfig } from "@eventlake/adapters/aws-config";
import { startLocalPipeline, type LocalPipeline } from "@eventlake/local";
import { readFirehoseStats } from "@eventlake/emulators/firehose/state";
import { rawArchiveComponent } from "@eventlake/local/firehose/index";
import { formatRawArchiveStatus, rawArchiveStatus } from "@eventlake/local/cli/raw-archive-status";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readArchiveObjects, queryRawArchive } from "../helpers/raw-archive";
import { readWholeStream } from "../helpers/stream-reader";
import { tempDir } from "../helpers/temp-dir";

const tmp = tempDir("e2e-raw");
let pipeline: LocalPipeline;

beforeAll(async () => {
  pipeline = await startLocalPipeline({ dataDir: tmp.dir, port: 0, apiThrottling: false }, [
    rawArchiveComponent({ config: { bufferIntervalMs: 300, pollIntervalMs: 100, processor: { bufferIntervalMs: 0 } } }),
  ]);
}, 60_000);
afterAll(async () => {
  await pipeline?.close();
  tmp.remove();
});

const auth = () => ({ authorization: `Basic ${Buffer.from(`${pipeline.info.writeKey}:`).toString("base64")}` });
async function post(path: string, body: string, contentType = "application/json") {
  const response = await fetch(`${pipeline.info.endpoint}${path}`, { method: "POST", headers: { "content-type": contentType, ...auth() }, body });
  return { status: response.status, json: (await response.json()) as { accepted: number; rejected: number } };
}

/** Waits (loop, no timing assertion) until the local Firehose has delivered `count` records and holds none. */
async function delivered(count: number) {
  for (let i = 0; i < 600; i++) {
    const stats = readFirehoseStats(tmp.dir);
    if (stats && stats.delivered.records + stats.errorOutput.records >= count && stats.pendingRecords === 0) return stats;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`raw archive never caught up: ${JSON.stringify(readFirehoseStats(tmp.dir))}`);
}

describe("raw archive, end to end", () => {
  it("archives every accepted event and every bad row in raw/, byte for byte, as gzip NDJSON DuckDB reads", async () => {
    const batch = Array.from({ length: 150 }, (_, i) => ({
      type: "track",
      event: "Product Viewed",
      userId: `user-${i % 13}`,
      messageId: `raw-e2e-${i}`,
      properties: { i, text: "naïve café ✓ \u2028", quote: '"x"' },
    }));
    // Two invalid events among them: bad rows, archived too.
    batch[7] = { ...batch[7]!, type: "nonsense" };
    const first = await post("/v1/batch", JSON.stringify({ batch }));
    expect(first).toMatchObject({ status: 207, json: { accepted: 149, rejected: 1 } });
    const ndjson = ['{"userId":"nd","event":"A","messageId":"raw-e2e-nd-1"}', "{broken", '{"anonymousId":"a","event":"B","messageId":"raw-e2e-nd-2"}'].join("\n");
    const second = await post("/v1/events", ndjson, "application/x-ndjson");
    expect(second).toMatchObject({ status: 207, json: { accepted: 2, rejected: 1 } });

    const stats = await delivered(153);
    expect(stats.errorOutput.records).toBe(0);

    // The stream's user records (de-aggregated) are exactly the archive's lines.
    const client = new KinesisClient(clientConfig({ region: pipeline.info.region, endpoint: pipeline.info.kinesisEndpoint }));
    const streamed = (await readWholeStream(client, pipeline.info.streamName)).map((r) => r.data.toString("utf8"));
    client.destroy();
    const objects = readArchiveObjects(tmp.dir, pipeline.info.bucket);
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) expect(o.key).toMatch(/^raw\/year=\d{4}\/month=\d{2}\/day=\d{2}\/hour=\d{2}\/eventlake-local-raw-archive-1-[\d-]{19}-[0-9a-f-]{36}\.gz$/);
    const lines = objects.flatMap((o) => o.lines);
    expect(lines.sort()).toEqual(streamed.sort());
    expect(lines).toHaveLength(153);

    const byKind = await queryRawArchive(tmp.dir, pipeline.info.bucket, "SELECT kind, count(*) AS n FROM raw GROUP BY kind ORDER BY kind");
    expect(byKind).toEqual([
      { kind: "bad_row", n: "2" },
      { kind: "event", n: "151" },
    ]);
    const ids = await queryRawArchive(tmp.dir, pipeline.info.bucket, "SELECT messageId FROM raw WHERE kind = 'event' ORDER BY messageId");
    expect(ids.map((r) => r.messageId).sort()).toEqual(
      [...batch.filter((_, i) => i !== 7).map((e) => e.messageId), "raw-e2e-nd-1", "raw-e2e-nd-2"].sort(),
    );
    const badRows = await queryRawArchive(tmp.dir, pipeline.info.bucket, "SELECT reason, payload FROM raw WHERE kind = 'bad_row' ORDER BY reason");
    expect(badRows).toEqual([
      { reason: "malformed_json", payload: "{broken" },
      { reason: "unknown_type", payload: JSON.stringify(batch[7]) },
    ]);
    // Hive partitions by arrival hour: the hour the ingest function received the record, or (at an hour's edge)
    // the next one, since the stream's arrival time is a moment later.
    const partitions = await queryRawArchive(
      tmp.dir,
      pipeline.info.bucket,
      "SELECT DISTINCT year, month, day, hour, strftime(receivedAt, '%Y-%m-%dT%H:00:00Z') AS received_hour FROM raw",
    );
    for (const p of partitions) {
      const partitionHour = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour));
      const receivedHour = Date.parse(String(p.received_hour));
      expect([receivedHour, receivedHour + 3_600_000]).toContain(partitionHour);
    }
  });

  it("reports raw freshness and delivered counts for `eventlake status`", async () => {
    const status = rawArchiveStatus(tmp.dir, true);
    expect(status).toMatchObject({
      deliveryStreamName: "eventlake-local-raw-archive",
      freshnessSeconds: 0,
      pendingRecords: 0,
      delivered: { records: 153 },
      errorOutput: { records: 0 },
    });
    expect(status!.delivered.objects).toBeGreaterThan(0);
    expect(formatRawArchiveStatus(status)).toMatch(/freshness fresh \(nothing waiting\)[\s\S]*delivered 153 record\(s\)/);
    expect(rawArchiveStatus(tmp.dir, false)?.freshnessSeconds).toBeNull();
  });
});
