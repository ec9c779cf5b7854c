/**
 * The CloudWatch adapter's contract with GetMetricData (AWS JSON 1.0, as the SDK sends it), against a small server
 * that answers like CloudWatch: points only for periods with data, paginated with NextToken
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html). No CloudWatch emulator
 * is published on the npm registry to run it against; this checks what we ask and how we read the answer.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloudWatchStreamMetrics } from "../src/cloudwatch-stream-metrics";

const requests: { target: string; body: Record<string, unknown> }[] = [];
let server: http.Server;
let endpoint = "";
const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
      requests.push({ target: String(req.headers["x-amz-target"]), body });
      const s = (ms: number) => ms / 1000;
      // Page 1: bytes and records for minutes 0 and 2 (minute 1 had no writes); page 2: throttling and iterator age.
      const page =
        body.NextToken === undefined
          ? {
              MetricDataResults: [
                { Id: "bytes", Timestamps: [s(T0), s(T0 + 120_000)], Values: [600, 1200], StatusCode: "PartialData" },
                { Id: "records", Timestamps: [s(T0), s(T0 + 120_000)], Values: [6, 12], StatusCode: "PartialData" },
              ],
              NextToken: "page-2",
            }
          : {
              MetricDataResults: [
                { Id: "throttled", Timestamps: [s(T0 + 120_000)], Values: [3], StatusCode: "Complete" },
                { Id: "age", Timestamps: [s(T0)], Values: [42_000], StatusCode: "Complete" },
              ],
            };
      const text = JSON.stringify(page);
      res.writeHead(200, { "content-type": "application/x-amz-json-1.0", "content-length": Buffer.byteLength(text) });
      res.end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("CloudWatchStreamMetrics", () => {
  it("asks GetMetricData for the four stream metrics with the right statistics, and reads every page", async () => {
    const source = new CloudWatchStreamMetrics({ target: { region: "us-east-1", endpoint } });
    const points = await source.read({ streamName: "events", startMs: T0, endMs: T0 + 180_000, periodSeconds: 60 });
    source.client.destroy();

    expect(requests.map((r) => r.target)).toEqual(["GraniteServiceVersion20100801.GetMetricData", "GraniteServiceVersion20100801.GetMetricData"]);
    const first = requests[0]!.body as { MetricDataQueries: { Id: string; MetricStat: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown }; Period: number; Stat: string } }[]; StartTime: number; EndTime: number };
    expect(first.MetricDataQueries.map((q) => [q.Id, q.MetricStat.Metric.Namespace, q.MetricStat.Metric.MetricName, q.MetricStat.Stat, q.MetricStat.Period])).toEqual([
      ["bytes", "AWS/Kinesis", "IncomingBytes", "Sum", 60],
      ["records", "AWS/Kinesis", "IncomingRecords", "Sum", 60],
      ["throttled", "AWS/Kinesis", "WriteProvisionedThroughputExceeded", "Sum", 60],
      ["age", "AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", "Maximum", 60],
    ]);
    for (const q of first.MetricDataQueries) expect(q.MetricStat.Metric.Dimensions).toEqual([{ Name: "StreamName", Value: "events" }]);
    expect([first.StartTime, first.EndTime]).toEqual([T0 / 1000, (T0 + 180_000) / 1000]);
    expect(requests[1]!.body.NextToken).toBe("page-2");

    // Every period of the range, zeros where CloudWatch had no point; iterator age only where a consumer polled.
    expect(points).toEqual([
      { startMs: T0, periodSeconds: 60, incomingBytes: 600, incomingRecords: 6, throttledRecords: 0, iteratorAgeMs: 42_000 },
      { startMs: T0 + 60_000, periodSeconds: 60, incomingBytes: 0, incomingRecords: 0, throttledRecords: 0 },
      { startMs: T0 + 120_000, periodSeconds: 60, incomingBytes: 1200, incomingRecords: 12, throttledRecords: 3 },
    ]);
  });
});
