import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import type { StreamDatapoint, StreamMetricsQuery, StreamMetricsSource } from "@eventlake/core/ports";
import { clientConfig, type AwsTarget } from "./aws-config";

/**
 * The stream-level metrics the autoscaler reads, with the statistic each needs
 * (https://docs.aws.amazon.com/streams/latest/dev/monitoring-with-cloudwatch.html).
 */
const QUERIES = [
  { id: "bytes", metric: "IncomingBytes", stat: "Sum" },
  { id: "records", metric: "IncomingRecords", stat: "Sum" },
  { id: "throttled", metric: "WriteProvisionedThroughputExceeded", stat: "Sum" },
  { id: "age", metric: "GetRecords.IteratorAgeMilliseconds", stat: "Maximum" },
] as const;

/**
 * StreamMetricsSource over CloudWatch GetMetricData (namespace AWS/Kinesis, dimension StreamName): one call for the
 * four metrics, paginated. CloudWatch returns no point for a period without writes: those periods are zeros here
 * (the port's contract), and the iterator age is left undefined (no consumer polled).
 * IAM: cloudwatch:GetMetricData, which has no resource type (Resource "*"): it reads metrics, not stream data.
 */
export class CloudWatchStreamMetrics implements StreamMetricsSource {
  readonly client: CloudWatchClient;

  constructor(options: { target: AwsTarget } | { client: CloudWatchClient }) {
    this.client = "client" in options ? options.client : new CloudWatchClient(clientConfig(options.target));
  }

  async read(query: StreamMetricsQuery): Promise<StreamDatapoint[]> {
    const periodMs = query.periodSeconds * 1000;
    const startMs = Math.ceil(query.startMs / periodMs) * periodMs;
    const endMs = Math.floor(query.endMs / periodMs) * periodMs;
    if (endMs <= startMs) return [];
    const queries: MetricDataQuery[] = QUERIES.map((q) => ({
      Id: q.id,
      MetricStat: {
        Metric: { Namespace: "AWS/Kinesis", MetricName: q.metric, Dimensions: [{ Name: "StreamName", Value: query.streamName }] },
        Period: query.periodSeconds,
        Stat: q.stat,
      },
      ReturnData: true,
    }));
    const values: Record<string, Map<number, number>> = Object.fromEntries(QUERIES.map((q) => [q.id, new Map<number, number>()]));
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries,
          StartTime: new Date(startMs),
          EndTime: new Date(endMs),
          ScanBy: "TimestampAscending",
          ...(token ? { NextToken: token } : {}),
        }),
      );
      for (const result of page.MetricDataResults ?? []) {
        const series = values[result.Id ?? ""];
        if (!series) continue;
        const timestamps = result.Timestamps ?? [];
        const points = result.Values ?? [];
        timestamps.forEach((t, i) => {
          const v = points[i];
          // Each point belongs to the period that contains its timestamp (CloudWatch aligns them to the period).
          const ms = new Date(t).getTime();
          if (v !== undefined && ms >= startMs && ms < endMs) series.set(startMs + Math.floor((ms - startMs) / periodMs) * periodMs, v);
        });
      }
      token = page.NextToken;
    } while (token);

    const out: StreamDatapoint[] = [];
    for (let t = startMs; t + periodMs <= endMs; t += periodMs) {
      const age = values.age?.get(t);
      out.push({
        startMs: t,
        periodSeconds: query.periodSeconds,
        incomingBytes: values.bytes?.get(t) ?? 0,
        incomingRecords: values.records?.get(t) ?? 0,
        throttledRecords: values.throttled?.get(t) ?? 0,
        ...(age !== undefined ? { iteratorAgeMs: age } : {}),
      });
    }
    return out;
  }
}
