/**
 * The pipeline's CloudWatch dashboard, as data (pure): the same metrics as the alarm catalog, laid out in data-flow
 * order (ingest -> stream -> raw archive -> curated layer -> functions), with each alarm's threshold drawn on its
 * graph and an alarm status widget. Generic over the type of resource names so the stacks can pass Pulumi outputs
 * (and serialize with $jsonStringify) and tests can pass strings.
 */
import { metricsNamespace } from "../stage-config";
import { CUSTOM_METRICS } from "../metrics/catalog";
import type { AlarmDefinition } from "./types";

export interface DashboardNames<T> {
  stream: T;
  deliveryStream?: T;
  glueJob?: T;
  /** Function key -> function name. */
  functions: Readonly<Record<string, T>>;
}

export interface DashboardInput<T> {
  region: string | T;
  stage: string;
  names: DashboardNames<T>;
  /** The stage's alarm catalog (thresholds are drawn from it). */
  catalog: readonly AlarmDefinition[];
  /** ARNs of the alarms, for the status widget. */
  alarmArns?: readonly T[];
}

/** A metric line: [namespace, metric, dimension name, value, ..., options]. */
export type MetricLine<T> = (string | T | Record<string, unknown>)[];

export interface Widget<T> {
  type: "metric" | "text" | "alarm";
  x: number;
  y: number;
  width: number;
  height: number;
  properties: Record<string, unknown> & { metrics?: MetricLine<T>[]; alarms?: readonly T[] };
}

export interface DashboardBody<T> {
  widgets: Widget<T>[];
}

export function pipelineDashboard<T>(input: DashboardInput<T>): DashboardBody<T> {
  const { region, names, catalog } = input;
  const ns = metricsNamespace(input.stage);
  const ingest = CUSTOM_METRICS.ingest;
  const curation = CUSTOM_METRICS.curation;
  const thresholdOf = (id: string, label = "alarm threshold") => {
    const def = catalog.find((d) => d.id === id);
    return def ? { horizontal: [{ label, value: def.threshold }] } : undefined;
  };

  type Graph = { title: string; metrics: MetricLine<T>[]; stat?: string; annotations?: unknown; yAxisLabel?: string };
  const rows: Graph[][] = [];

  rows.push([
    {
      title: "Ingest: requests and events",
      metrics: [
        [ns, ingest.requests, "service", ingest.service, { label: "requests" }],
        [ns, ingest.eventsAccepted, "service", ingest.service, { label: "accepted" }],
        [ns, ingest.eventsRejected, "service", ingest.service, { label: "rejected (bad rows)" }],
      ],
      stat: "Sum",
    },
    {
      title: "Ingest: written, spilled to fallback/, failed",
      metrics: [
        [ns, ingest.recordsWritten, "service", ingest.service, { label: "written" }],
        [ns, ingest.recordsSpilled, "service", ingest.service, { label: "spilled" }],
        [ns, ingest.recordsFailed, "service", ingest.service, { label: "failed (503, not kept)" }],
      ],
      stat: "Sum",
    },
    {
      title: "Stream: incoming",
      metrics: [
        ["AWS/Kinesis", "IncomingRecords", "StreamName", names.stream, { label: "records" }],
        ["AWS/Kinesis", "IncomingBytes", "StreamName", names.stream, { label: "bytes", yAxis: "right" }],
      ],
      stat: "Sum",
    },
  ]);

  const consumers: Graph[] = [
    {
      title: "Stream: write throttling",
      metrics: [
        ["AWS/Kinesis", "WriteProvisionedThroughputExceeded", "StreamName", names.stream, { label: "records over shard limits" }],
        ["AWS/Kinesis", "PutRecords.ThrottledRecords", "StreamName", names.stream, { label: "PutRecords throttled" }],
        ["AWS/Kinesis", "PutRecords.FailedRecords", "StreamName", names.stream, { label: "PutRecords internal failures" }],
      ],
      stat: "Sum",
    },
    {
      title: "Stream: consumer iterator age (ms)",
      metrics: [["AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", "StreamName", names.stream, { label: "iterator age" }]],
      stat: "Maximum",
      annotations: thresholdOf("stream-iterator-age"),
    },
  ];
  if (names.deliveryStream !== undefined) {
    consumers.push({
      title: "Raw archive: Firehose data freshness (s)",
      metrics: [
        ["AWS/Firehose", "DeliveryToS3.DataFreshness", "DeliveryStreamName", names.deliveryStream, { label: "oldest undelivered record" }],
      ],
      stat: "Maximum",
      annotations: thresholdOf("raw-delivery-freshness"),
    });
  }
  rows.push(consumers);

  const curated: Graph[] = [];
  if (names.glueJob !== undefined) {
    curated.push({
      title: "Curated layer: Glue consumer lag (ms)",
      metrics: [
        ["Glue", "glue.driver.streaming.maxConsumerLagInMs", "JobName", names.glueJob, "JobRunId", "ALL", "Type", "gauge", { label: "max consumer lag" }],
      ],
      stat: "Maximum",
      annotations: thresholdOf("curated-consumer-lag"),
    });
  }
  curated.push({
    title: "Curated layer: quarantine rate",
    metrics: [
      [{ expression: "IF((FILL(cur,0)+FILL(qua,0)) > 0, FILL(qua,0)/(FILL(cur,0)+FILL(qua,0)))", label: "quarantined share", id: "rate" }],
      [ns, curation.eventsCurated, "service", curation.service, { id: "cur", visible: false }],
      [ns, curation.eventsQuarantined, "service", curation.service, { id: "qua", visible: false }],
    ],
    stat: "Sum",
    annotations: thresholdOf("curated-quarantine-rate"),
  });
  if (names.deliveryStream !== undefined) {
    curated.push({
      title: "Raw archive: transform success",
      metrics: [["AWS/Firehose", "ExecuteProcessing.Success", "DeliveryStreamName", names.deliveryStream, { label: "successful invocations (share)" }]],
      stat: "Average",
      annotations: thresholdOf("raw-transform-failures"),
    });
  }
  rows.push(curated);

  const functionKeys = Object.keys(names.functions);
  rows.push([
    {
      title: "Functions: errors",
      metrics: functionKeys.map((key) => ["AWS/Lambda", "Errors", "FunctionName", names.functions[key]!, { label: key }]),
      stat: "Sum",
    },
    {
      title: "Functions: throttles",
      metrics: functionKeys.map((key) => ["AWS/Lambda", "Throttles", "FunctionName", names.functions[key]!, { label: key }]),
      stat: "Sum",
    },
    {
      title: "Functions: duration p99 (ms)",
      metrics: functionKeys.map((key) => ["AWS/Lambda", "Duration", "FunctionName", names.functions[key]!, { label: key }]),
      stat: "p99",
    },
  ]);

  const widgets: Widget<T>[] = [
    {
      type: "text",
      x: 0,
      y: 0,
      width: 24,
      height: 2,
      properties: {
        markdown: `## eventlake ${input.stage}\nClient -> API -> ingest -> Kinesis -> Firehose (raw/) and Glue (curated/). Every alarm's runbook: RUNBOOK.md in the repository (one section per alarm id).`,
      },
    },
  ];
  let y = 2;
  for (const row of rows) {
    const width = Math.floor(24 / row.length);
    row.forEach((graph, i) => {
      widgets.push({
        type: "metric",
        x: i * width,
        y,
        width,
        height: 6,
        properties: {
          title: graph.title,
          region,
          view: "timeSeries",
          stacked: false,
          period: 60,
          ...(graph.stat ? { stat: graph.stat } : {}),
          metrics: graph.metrics,
          ...(graph.annotations ? { annotations: graph.annotations } : {}),
        },
      });
    });
    y += 6;
  }
  if (input.alarmArns && input.alarmArns.length > 0) {
    widgets.push({
      type: "alarm",
      x: 0,
      y,
      width: 24,
      height: Math.min(12, 2 + Math.ceil(input.alarmArns.length / 4) * 2),
      properties: { title: "Alarms", alarms: input.alarmArns, sortBy: "stateUpdatedTimestamp" },
    });
  }
  return { widgets };
}
