/**
 * Local metrics collection from real sources: EMF lines in the functions' log and the inbox, and the counters of a
 * real local Kinesis under its per-shard limits; persisted, reloaded without double counting, robust to torn lines.
 */
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { afterAll, describe, expect, it } from "vitest";
import { clientConfig } from "@eventlake/adapters/aws-config";
import type { MetricStatQuery } from "@eventlake/core/ports";
import { startLocalKinesis } from "@eventlake/emulators/kinesis";
import { MetricsCollector } from "@eventlake/local/metrics/collector";
import { LocalMetricsStore } from "@eventlake/emulators/metrics/local-store";
import { publishLocalMetrics } from "@eventlake/local/metrics/publish";
import { StreamSampler, streamSamplesDir } from "@eventlake/local/metrics/stream-sampler";
import { tempDir } from "../../../test/helpers/temp-dir";
import { CUSTOM_METRICS } from "@eventlake/core/metrics/catalog";

const SPILLED = CUSTOM_METRICS.ingest.recordsSpilled;

const tmp = tempDir("metrics");
afterAll(() => tmp.remove());

const emf = (timestampMs: number, spilled: number) =>
  `{"_aws":{"Timestamp":${timestampMs},"CloudWatchMetrics":[{"Namespace":"eventlake/local","Dimensions":[["service"]],"Metrics":[{"Name":"${SPILLED}","Unit":"Count"}]}]},"service":"ingest","${SPILLED}":${spilled}}`;

const sum = (namespace: string, metricName: string, dimensions: Record<string, string>): MetricStatQuery => ({
  id: "q",
  namespace,
  metricName,
  dimensions,
  stat: "Sum",
  periodSeconds: 3600,
});

async function total(store: LocalMetricsStore, query: MetricStatQuery): Promise<number> {
  const [result] = await store.getMetricData([query], 0, Date.now() + 3_600_000);
  return result!.points.reduce((s, p) => s + p.value, 0);
}

describe("local metrics collector", () => {
  it("collects EMF and Kinesis counters into a persisted store with CloudWatch's names", async () => {
    const dataDir = tmp.dir;
    mkdirSync(join(dataDir, "logs"), { recursive: true });
    const log = join(dataDir, "logs", "functions.log");
    writeFileSync(log, "");
    const kinesis = await startLocalKinesis({ dataDir: join(dataDir, "kinesis"), limits: true });
    const client = new KinesisClient(clientConfig({ region: "us-east-1", endpoint: kinesis.endpoint }));
    const store = new LocalMetricsStore(dataDir, { resolutionSeconds: 1 });
    const collector = new MetricsCollector({ dataDir, store });
    let accepted = 0;
    collector.collect(Date.now()); // a fresh store: sources that appear from now on are new

    try {
      await client.send(new CreateStreamCommand({ StreamName: "s", ShardCount: 1 }));
      for (let i = 0; i < 100; i++) {
        const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: "s" }));
        if (summary.StreamDescriptionSummary?.StreamStatus === "ACTIVE") break;
        await new Promise((r) => setTimeout(r, 20));
      }
      // 6 x 500 records at once into one shard: its 1,000 records/s limit refuses some of them.
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          client.send(new PutRecordsCommand({ StreamName: "s", Records: Array.from({ length: 500 }, (_, i) => ({ PartitionKey: `k${i}`, Data: Buffer.from("x") })) })),
        ),
      );
      accepted = results.reduce((n, res) => n + 500 - (res.FailedRecordCount ?? 0), 0);
      expect(accepted).toBeLessThan(3000);

      const now = Date.now();
      appendFileSync(log, `${emf(now, 3)}\n{"level":"INFO","message":"not a metric"}\n${emf(now, 4).slice(0, 40)}`);
      publishLocalMetrics(dataDir, { namespace: "Glue", dimensions: { JobName: "j", JobRunId: "ALL", Type: "gauge" }, values: { "glue.driver.streaming.maxConsumerLagInMs": 900 } });
    } finally {
      client.destroy();
      await kinesis.close(); // writes the counters
    }
    // The counters reach the collector the one way they reach the autoscaler: the stream sampler's samples.
    await new StreamSampler({ kinesisDir: join(dataDir, "kinesis"), samplesDir: streamSamplesDir(dataDir), streamName: "s" }).sample();
    collector.collect(Date.now());

    const stream = { StreamName: "s" };
    const incoming = await total(store, sum("AWS/Kinesis", "IncomingRecords", stream));
    const throttled = await total(store, sum("AWS/Kinesis", "WriteProvisionedThroughputExceeded", stream));
    expect(incoming).toBe(accepted);
    expect(incoming + throttled).toBe(3000);
    expect(await total(store, sum("AWS/Kinesis", "PutRecords.TotalRecords", stream))).toBe(3000);
    expect(await total(store, sum("AWS/Kinesis", "PutRecords.SuccessfulRecords", stream))).toBe(incoming);
    // The complete EMF line only; the half-written one waits for its newline.
    const spilled = sum("eventlake/local", CUSTOM_METRICS.ingest.recordsSpilled, { service: "ingest" });
    expect(await total(store, spilled)).toBe(3);
    expect(collector.ignoredLines).toBeGreaterThan(0);
    const [lag] = await store.getMetricData([{ ...sum("Glue", "glue.driver.streaming.maxConsumerLagInMs", { JobName: "j", JobRunId: "ALL", Type: "gauge" }), stat: "Maximum" }], 0, Date.now() + 3_600_000);
    expect(lag!.points[0]?.value).toBe(900);

    // The rest of the torn line arrives: it is read once.
    appendFileSync(log, `${emf(Date.now(), 4).slice(40)}\n`);
    collector.collect(Date.now());
    expect(await total(store, spilled)).toBe(7);

    // A restart: the store reloads the points and the cursor; nothing is counted twice.
    appendFileSync(store.path, '{"c":{"version":1},"p":[["broken'); // a crash mid-append
    const reopened = new LocalMetricsStore(dataDir, { resolutionSeconds: 1 });
    expect(await total(reopened, spilled)).toBe(7);
    expect(await total(reopened, sum("AWS/Kinesis", "PutRecords.TotalRecords", stream))).toBe(3000);
    new MetricsCollector({ dataDir, store: reopened }).collect(Date.now());
    expect(await total(reopened, spilled)).toBe(7);
    expect(await total(reopened, sum("AWS/Kinesis", "PutRecords.TotalRecords", stream))).toBe(3000);
  }, 60_000);
});
