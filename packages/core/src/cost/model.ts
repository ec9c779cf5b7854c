/**
 * The cost model behind `npx eventlake cost`, pure: the monthly cost and the cost per million events of the pipeline per component
 * (API Gateway, Lambda, Kinesis, Firehose, Glue, S3, CloudWatch), for an event rate and size, from the one price
 * table (prices.ts), next to the naive design it avoids: no KPL aggregation (one Kinesis record per event) on an
 * on-demand stream. Every quantity is a line item (quantity x unit price) so the arithmetic can be checked by hand;
 * every assumption is a named field with the reason for its value, printed by `npx eventlake cost`.
 */
import { alarmCatalog, metricRefs } from "../alarms/catalog";
import { KINESIS, KPL_DEFAULT_MAX_AGGREGATED_BYTES } from "../limits";
import { stageConfig, type StageConfig } from "../stage-config";
import { PRICES, type PriceKey, type PriceTable } from "./prices";

export const COMPONENTS = ["API Gateway", "Lambda", "Kinesis", "Firehose", "Glue", "S3", "CloudWatch"] as const;
export type Component = (typeof COMPONENTS)[number];

export interface CostInput {
  eventsPerSecond: number;
  /** Size of one event as written to the stream (canonical JSON), in bytes. */
  eventBytes: number;
  /** Client batching: events per HTTP request (Segment SDKs batch; 1 = one request per event). */
  eventsPerRequest: number;
}

/** One assumption: its value, its unit, and where it comes from (measured, stage setting, AWS rule, or assumed). */
export interface Assumption {
  value: number;
  unit: string;
  why: string;
}

export interface CostAssumptions {
  hoursPerMonth: Assumption;
  /** Bytes per GB in the price units (AWS bills data in binary gigabytes). */
  bytesPerGb: Assumption;
  ingestCpuMicrosPerEvent: Assumption;
  ingestFixedMsPerInvocation: Assumption;
  ingestMemoryMb: Assumption;
  /** Memory at which a Lambda function has one full vCPU: CPU-bound time scales by this / memory below it. */
  fullVcpuMemoryMb: Assumption;
  ingestArm64: Assumption;
  kplOverheadBytesPerEvent: Assumption;
  kplMaxAggregateBytes: Assumption;
  shardTargetUtilization: Assumption;
  minShards: Assumption;
  retentionHours: Assumption;
  streamConsumers: Assumption;
  firehoseRoundingBytes: Assumption;
  transformCpuMicrosPerEvent: Assumption;
  transformFixedMsPerInvocation: Assumption;
  transformMemoryMb: Assumption;
  transformBufferMb: Assumption;
  transformBufferSeconds: Assumption;
  rawBufferMb: Assumption;
  rawBufferSeconds: Assumption;
  glueDpuPerWorker: Assumption;
  glueMinWorkers: Assumption;
  glueMaxWorkers: Assumption;
  glueEventsPerWorkerSecond: Assumption;
  curationWindowSeconds: Assumption;
  curatedFilesPerBatch: Assumption;
  compactedFileMb: Assumption;
  multipartPartMb: Assumption;
  rawGzipRatio: Assumption;
  parquetRatio: Assumption;
  logBytesPerRequest: Assumption;
  customMetrics: Assumption;
  shardLevelMetrics: Assumption;
  alarmMetrics: Assumption;
}

/** The assumptions for a stage's settings (default: production, what a cost estimate is usually for). */
export function defaultAssumptions(config: StageConfig = stageConfig("prod"), stageName = "prod"): CostAssumptions {
  const alarmMetrics = alarmCatalog(stageName, config).reduce((n, def) => n + metricRefs(def.signal).length, 0);
  const a = (value: number, unit: string, why: string): Assumption => ({ value, unit, why });
  return {
    hoursPerMonth: a(730, "h", "AWS's monthly estimate convention (8,760 h / 12)"),
    bytesPerGb: a(1024 ** 3, "B", "AWS bills data volumes in binary gigabytes"),
    ingestCpuMicrosPerEvent: a(35, "µs/event", "measured: `npm run bench` (ingest handler, 500-event batches of ~440 B events, x86 dev machine): 34 µs/event"),
    ingestFixedMsPerInvocation: a(30, "ms", "assumed (not measured on AWS): PutRecords round trip, middy/Powertools overhead and logging per invocation"),
    ingestMemoryMb: a(config.ingest.memoryMb, "MB", "stage setting ingest.memoryMb"),
    fullVcpuMemoryMb: a(1769, "MB", "Lambda allocates CPU in proportion to memory: one full vCPU at 1,769 MB (AWS Lambda docs)"),
    ingestArm64: a(config.ingest.architecture === "arm64" ? 1 : 0, "bool", "stage setting ingest.architecture (arm64 is cheaper per GB-second)"),
    kplOverheadBytesPerEvent: a(10, "B/event", "assumed: KPL aggregate framing per user record (protobuf tags, lengths, key index) plus each aggregate's 20-byte header"),
    kplMaxAggregateBytes: a(KPL_DEFAULT_MAX_AGGREGATED_BYTES, "B", "KPL default aggregation size (limits.ts); the ingest aggregates the events of one request"),
    shardTargetUtilization: a(config.autoscaler.scaleUpUtilization, "share", "stage setting autoscaler.scaleUpUtilization: the autoscaler scales up above this share of a shard's write capacity"),
    minShards: a(config.stream.minShards, "shards", "stage setting stream.minShards"),
    retentionHours: a(config.stream.retentionHours, "h", "stage setting stream.retentionHours (beyond 24 h is billed as extended retention)"),
    streamConsumers: a(2, "consumers", "Firehose and the Glue job each read everything (on-demand bills data out per consumer)"),
    firehoseRoundingBytes: a(5 * 1024, "B", "Firehose bills each record rounded up to 5 KB (https://aws.amazon.com/firehose/pricing/ states it for Direct PUT; applied here to Kinesis-source records too, unverified; a KPL aggregate is assumed to count as one record)"),
    transformCpuMicrosPerEvent: a(5, "µs/event", "assumed (not measured): the transform de-aggregates and appends a newline per record"),
    transformFixedMsPerInvocation: a(50, "ms", "assumed (not measured): base64 decode/encode and response assembly per invocation"),
    transformMemoryMb: a(config.rawArchive.transformMemoryMb, "MB", "stage setting rawArchive.transformMemoryMb"),
    transformBufferMb: a(config.rawArchive.transformBufferSizeMb, "MB", "stage setting rawArchive.transformBufferSizeMb"),
    transformBufferSeconds: a(config.rawArchive.transformBufferIntervalSeconds, "s", "stage setting rawArchive.transformBufferIntervalSeconds"),
    rawBufferMb: a(config.rawArchive.bufferSizeMb, "MB", "stage setting rawArchive.bufferSizeMb"),
    rawBufferSeconds: a(config.rawArchive.bufferIntervalSeconds, "s", "stage setting rawArchive.bufferIntervalSeconds"),
    glueDpuPerWorker: a(config.curation.workerType === "G.025X" ? 0.25 : config.curation.workerType === "G.1X" ? 1 : 2, "DPU", `stage setting curation.workerType (${config.curation.workerType})`),
    glueMinWorkers: a(2, "workers", "the smallest streaming job assumed (2 x G.025X, as https://aws.amazon.com/glue/pricing/ prices streaming jobs; the minimum was not verified)"),
    glueMaxWorkers: a(config.curation.maxWorkers, "workers", "stage setting curation.maxWorkers (auto scaling bound)"),
    glueEventsPerWorkerSecond: a(5_000, "events/s", "assumed (not measured on Glue): throughput of one G.025X worker on the compiled curation SQL"),
    curationWindowSeconds: a(config.curation.windowSeconds, "s", "stage setting curation.windowSeconds (one write per micro-batch)"),
    curatedFilesPerBatch: a(12, "files", "assumed: ~10 event_type partitions touched per micro-batch, plus quarantine and aggregates"),
    compactedFileMb: a(config.compaction.targetFileMb, "MB", "stage setting compaction.targetFileMb (the compactor's target file size)"),
    multipartPartMb: a(16, "MB", "assumed multipart part size of compacted files"),
    rawGzipRatio: a(0.15, "share", "assumed: gzip of clickstream NDJSON is ~6-7x smaller"),
    parquetRatio: a(0.1, "share", "assumed: zstd/snappy Parquet of clickstream is ~10x smaller than its JSON"),
    logBytesPerRequest: a(1_600, "B/request", "measured locally: ~1,270 B of log and EMF lines per ingest request (functions.log), plus ~330 B of Lambda START/END/REPORT lines (assumed)"),
    customMetrics: a(45, "metrics", "assumed: ingest EMF metrics (incl. one per rejection reason and request error) plus those of the other functions and the curation job"),
    shardLevelMetrics: a(config.stream.shardLevelMetrics.length, "per shard", "stage setting stream.shardLevelMetrics (each is a custom metric per shard)"),
    alarmMetrics: a(alarmMetrics, "alarm metrics", "the alarm catalog for the stage (ratio alarms bill each metric they read)"),
  };
}

export interface CostLine {
  component: Component;
  item: string;
  quantity: number;
  /** Quantity is in units of the price's `per` (e.g. millions of requests). */
  price: PriceKey;
  usd: number;
}

export interface DesignCost {
  design: "eventlake" | "naive";
  label: string;
  lines: CostLine[];
  byComponent: Record<Component, number>;
  totalUsd: number;
  perMillionEventsUsd: number;
  /** What this design's figures leave out or depend on. */
  notes: string[];
}

export interface CostReport {
  input: CostInput;
  eventsPerMonth: number;
  requestsPerMonth: number;
  assumptions: CostAssumptions;
  designs: [DesignCost, DesignCost];
  /** Prices used, by key. */
  pricesUsed: PriceKey[];
}

export function validateCostInput(input: CostInput): string[] {
  const problems: string[] = [];
  if (!(input.eventsPerSecond > 0) || !Number.isFinite(input.eventsPerSecond)) problems.push("events per second must be a number > 0");
  if (!Number.isInteger(input.eventBytes) || input.eventBytes < 1 || input.eventBytes > KINESIS.maxRecordBytes)
    problems.push(`event bytes must be an integer in 1..${KINESIS.maxRecordBytes}`);
  if (!Number.isInteger(input.eventsPerRequest) || input.eventsPerRequest < 1 || input.eventsPerRequest > 2_500)
    problems.push("events per request must be an integer in 1..2500 (the ingest's batch limit)");
  return problems;
}

/** The cost of both designs. Throws on invalid input (see validateCostInput). */
export function costModel(input: CostInput, assumptions: CostAssumptions = defaultAssumptions(), prices: PriceTable = PRICES): CostReport {
  const problems = validateCostInput(input);
  if (problems.length > 0) throw new Error(`invalid cost input: ${problems.join("; ")}`);
  const A = Object.fromEntries(Object.entries(assumptions).map(([k, v]) => [k, (v as Assumption).value])) as Record<keyof CostAssumptions, number>;
  const seconds = A.hoursPerMonth * 3600;
  const GB = A.bytesPerGb;
  const MB = 1024 * 1024;
  const N = input.eventsPerSecond;
  const B = input.eventBytes;
  const events = N * seconds;
  const requests = events / input.eventsPerRequest;
  const used = new Set<PriceKey>();

  const line = (component: Component, item: string, quantity: number, price: PriceKey): CostLine => {
    used.add(price);
    return { component, item, quantity, price, usd: quantity * prices[price].usd };
  };

  // --- shared by both designs -------------------------------------------------------------------------------
  const shared: CostLine[] = [];
  // API Gateway: each 512 KB of a request is metered as one request.
  const requestBytes = input.eventsPerRequest * B;
  const apiUnits = requests * Math.ceil(requestBytes / (512 * 1024));
  shared.push(line("API Gateway", "HTTP API requests (first 300M)", Math.min(apiUnits, 300e6) / 1e6, "apiHttpRequests"));
  if (apiUnits > 300e6) shared.push(line("API Gateway", "HTTP API requests (beyond 300M)", (apiUnits - 300e6) / 1e6, "apiHttpRequestsOver300M"));

  // Ingest Lambda: billed duration (1 ms granularity) x memory, plus requests.
  const lambdaGbSecond: PriceKey = A.ingestArm64 ? "lambdaGbSecondArm" : "lambdaGbSecondX86";
  const cpuScale = Math.max(1, A.fullVcpuMemoryMb / A.ingestMemoryMb);
  const ingestMs = Math.ceil(A.ingestFixedMsPerInvocation + (A.ingestCpuMicrosPerEvent * input.eventsPerRequest * cpuScale) / 1000);
  shared.push(line("Lambda", `ingest duration (${ingestMs} ms x ${A.ingestMemoryMb} MB per request)`, (requests * ingestMs * A.ingestMemoryMb) / 1000 / 1024, lambdaGbSecond));
  shared.push(line("Lambda", "ingest invocations", requests / 1e6, "lambdaRequests"));

  // Glue streaming job: workers sized to the rate within the stage's bounds, billed every hour of the month.
  const workers = Math.min(A.glueMaxWorkers, Math.max(A.glueMinWorkers, Math.ceil(N / A.glueEventsPerWorkerSecond)));
  shared.push(line("Glue", `streaming job, ${workers} workers x ${A.glueDpuPerWorker} DPU, all month`, workers * A.glueDpuPerWorker * A.hoursPerMonth, "glueDpuHour"));

  // S3: one month of data (each further month kept adds the same storage), and the writes.
  const rawBytes = events * B;
  shared.push(line("S3", "raw/ storage, one month of gzip NDJSON (GB-month)", (rawBytes * A.rawGzipRatio) / GB, "s3Storage"));
  shared.push(line("S3", "curated/ storage, one month of Parquet (GB-month)", (rawBytes * A.parquetRatio) / GB, "s3Storage"));
  const rawObjects = Math.max(seconds / A.rawBufferSeconds, rawBytes / (A.rawBufferMb * MB));
  const curatedPuts = (seconds / A.curationWindowSeconds) * A.curatedFilesPerBatch;
  const compactedFiles = (rawBytes * A.parquetRatio) / (A.compactedFileMb * MB);
  const compactionPuts = compactedFiles * (Math.ceil(A.compactedFileMb / A.multipartPartMb) + 2);
  shared.push(line("S3", "PUTs: raw/ objects, curated micro-batch files, compaction uploads (thousands)", (rawObjects + curatedPuts + compactionPuts) / 1000, "s3Put"));

  // CloudWatch: the ingest's logs, custom metrics, alarms, the dashboard.
  shared.push(line("CloudWatch", "ingest logs and EMF (GB ingested)", (requests * A.logBytesPerRequest) / GB, "logsIngest"));
  shared.push(line("CloudWatch", "custom metrics (EMF)", A.customMetrics, "customMetric"));
  shared.push(line("CloudWatch", "alarms (metrics in the catalog's alarms)", A.alarmMetrics, "alarmMetric"));
  shared.push(line("CloudWatch", "dashboard", 1, "dashboard"));

  // Firehose transform Lambda (both designs: same events, same buffering).
  const transformInvocations = Math.max(seconds / A.transformBufferSeconds, rawBytes / (A.transformBufferMb * MB));
  const eventsPerTransform = events / transformInvocations;
  const transformScale = Math.max(1, A.fullVcpuMemoryMb / A.transformMemoryMb);
  const transformMs = Math.ceil(A.transformFixedMsPerInvocation + (A.transformCpuMicrosPerEvent * eventsPerTransform * transformScale) / 1000);
  const transformLines = [
    line("Firehose", `transform duration (${transformMs} ms x ${A.transformMemoryMb} MB per invocation)`, (transformInvocations * transformMs * A.transformMemoryMb) / 1000 / 1024, lambdaGbSecond),
    line("Firehose", "transform invocations", transformInvocations / 1e6, "lambdaRequests"),
  ];
  const firehoseIngest = (records: number, recordBytes: number) =>
    line("Firehose", `ingestion: ${fmtCount(records)} records rounded up to 5 KB (GB)`, (records * Math.ceil(recordBytes / A.firehoseRoundingBytes) * A.firehoseRoundingBytes) / GB, "firehoseIngest");

  // --- eventlake: provisioned stream, KPL-aggregated records ------------------------------------------------
  const perRecordBytes = B + A.kplOverheadBytesPerEvent;
  const aggregatesPerRequest = Math.ceil((input.eventsPerRequest * perRecordBytes) / A.kplMaxAggregateBytes);
  const aggregateBytes = (input.eventsPerRequest * perRecordBytes) / aggregatesPerRequest;
  const aggregates = requests * aggregatesPerRequest;
  const writeBytesPerSecond = N * perRecordBytes;
  const writeRecordsPerSecond = aggregates / seconds;
  const neededShards = Math.max(writeBytesPerSecond / KINESIS.shardWriteBytesPerSecond, writeRecordsPerSecond / KINESIS.shardWriteRecordsPerSecond);
  const shards = Math.max(A.minShards, Math.ceil(neededShards / A.shardTargetUtilization));
  const eventlake: CostLine[] = [
    ...shared,
    line("Kinesis", `${shards} provisioned shards (shard-hours)`, shards * A.hoursPerMonth, "kinesisShardHour"),
    line("Kinesis", `PUT payload units: ${fmtCount(aggregates)} aggregated records of ~${Math.round(aggregateBytes)} B (millions)`, (aggregates * Math.ceil(aggregateBytes / KINESIS.putPayloadUnitBytes)) / 1e6, "kinesisPutPayloadUnits"),
    ...(A.retentionHours > 24 ? [line("Kinesis", `extended retention to ${A.retentionHours} h (shard-hours)`, shards * A.hoursPerMonth, "kinesisExtendedRetention")] : []),
    line("CloudWatch", `enhanced shard-level metrics (${A.shardLevelMetrics} per shard)`, shards * A.shardLevelMetrics, "customMetric"),
    firehoseIngest(aggregates, aggregateBytes),
    ...transformLines,
  ];

  // --- naive: on-demand stream, one Kinesis record per event -----------------------------------------------
  const naive: CostLine[] = [
    ...shared,
    line("Kinesis", "on-demand stream-hours", A.hoursPerMonth, "kinesisOnDemandStreamHour"),
    line("Kinesis", `on-demand data in: ${fmtCount(events)} records rounded up to 1 KB (GB)`, (events * Math.ceil(B / 1024) * 1024) / GB, "kinesisOnDemandIngest"),
    line("Kinesis", `on-demand data out: ${A.streamConsumers} consumers (GB)`, (A.streamConsumers * events * B) / GB, "kinesisOnDemandRetrieval"),
    firehoseIngest(events, B),
    ...transformLines,
  ];

  const summarize = (design: DesignCost["design"], label: string, lines: CostLine[], notes: string[]): DesignCost => {
    const byComponent = Object.fromEntries(COMPONENTS.map((c) => [c, 0])) as Record<Component, number>;
    for (const l of lines) byComponent[l.component] += l.usd;
    const totalUsd = lines.reduce((sum, l) => sum + l.usd, 0);
    return { design, label, lines, byComponent, totalUsd, perMillionEventsUsd: (totalUsd / events) * 1e6, notes };
  };

  return {
    input,
    eventsPerMonth: events,
    requestsPerMonth: requests,
    assumptions,
    designs: [
      summarize("eventlake", `eventlake: provisioned stream (${shards} shards at <= ${A.shardTargetUtilization * 100}% of capacity), KPL aggregation`, eventlake, [
        `${aggregatesPerRequest} aggregated Kinesis record(s) per request of ${input.eventsPerRequest} event(s): aggregation only helps when clients batch.`,
      ]),
      summarize("naive", "naive: on-demand stream, one Kinesis record per event, no aggregation", naive, [
        "Extended retention on on-demand streams is not priced (no price in the reference): with the stage's retention above 24 h the naive design costs more than shown.",
        "Enhanced shard-level metrics are not counted for the on-demand stream (its shard count is AWS's).",
      ]),
    ],
    pricesUsed: [...used],
  };
}

function fmtCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}
