/**
 * The one table of unit prices the cost model uses (us-east-1, USD), each with its source and whether it was
 * verified against an AWS-owned source. Most AWS pricing pages load their figures dynamically, so their stored
 * copies did not contain them: prices marked unverified are commonly quoted list prices (from third-party cost
 * write-ups), with the AWS pricing page to check them on. Check them there before budgeting; `npx eventlake cost`
 * prints which ones are unverified.
 */

export interface UnitPrice {
  service: string;
  description: string;
  usd: number;
  /** What one unit is. */
  per: string;
  source: string;
  /** True only when the figure was read in an AWS-owned source. */
  verified: boolean;
}

export const PRICE_TABLE_REGION = "us-east-1";
/** When the table was compiled (the prices themselves are as quoted by the sources). */
export const PRICE_TABLE_DATE = "2026-11-26";

/** A price not read on AWS's page (the page loads it dynamically): the commonly quoted list price, and where to check it. */
const QUOTED = (page: string) => `${page} (commonly quoted list price, from third-party cost write-ups; not read on the page)`;
const KINESIS_PRICING = "https://aws.amazon.com/kinesis/data-streams/pricing/";

export const PRICES = {
  apiHttpRequests: {
    service: "API Gateway",
    description: "HTTP API requests, first 300 million per month (each 512 KB of a request is metered as one request)",
    usd: 1.0,
    per: "million requests",
    source: QUOTED("https://aws.amazon.com/api-gateway/pricing/"),
    verified: false,
  },
  apiHttpRequestsOver300M: {
    service: "API Gateway",
    description: "HTTP API requests beyond 300 million per month",
    usd: 0.9,
    per: "million requests",
    source: QUOTED("https://aws.amazon.com/api-gateway/pricing/"),
    verified: false,
  },
  lambdaRequests: {
    service: "Lambda",
    description: "invocations",
    usd: 0.2,
    per: "million requests",
    source: QUOTED("https://aws.amazon.com/lambda/pricing/"),
    verified: false,
  },
  lambdaGbSecondArm: {
    service: "Lambda",
    description: "duration, arm64 (first pricing tier)",
    usd: 0.0000133334,
    per: "GB-second",
    source: QUOTED("https://aws.amazon.com/lambda/pricing/"),
    verified: false,
  },
  lambdaGbSecondX86: {
    service: "Lambda",
    description: "duration, x86_64 (first pricing tier)",
    usd: 0.0000166667,
    per: "GB-second",
    source: QUOTED("https://aws.amazon.com/lambda/pricing/"),
    verified: false,
  },
  kinesisShardHour: {
    service: "Kinesis Data Streams",
    description: "provisioned shard-hour",
    usd: 0.015,
    per: "shard-hour",
    source: QUOTED(KINESIS_PRICING),
    verified: false,
  },
  kinesisPutPayloadUnits: {
    service: "Kinesis Data Streams",
    description: "provisioned PUT payload units (25 KB each, per record)",
    usd: 0.014,
    per: "million units",
    source: QUOTED(KINESIS_PRICING),
    verified: false,
  },
  kinesisExtendedRetention: {
    service: "Kinesis Data Streams",
    description: "provisioned extended retention (24 h to 7 days)",
    usd: 0.02,
    per: "shard-hour",
    source: QUOTED(KINESIS_PRICING),
    verified: false,
  },
  kinesisOnDemandStreamHour: {
    service: "Kinesis Data Streams",
    description: "on-demand Standard stream-hour (quoted 0.04-0.045; the lower bound)",
    usd: 0.04,
    per: "stream-hour",
    source: QUOTED(KINESIS_PRICING),
    verified: false,
  },
  kinesisOnDemandIngest: {
    service: "Kinesis Data Streams",
    description: "on-demand Standard data in (each record rounded up to 1 KB)",
    usd: 0.08,
    per: "GB",
    source: QUOTED(KINESIS_PRICING),
    verified: false,
  },
  kinesisOnDemandRetrieval: {
    service: "Kinesis Data Streams",
    description: "on-demand Standard data out, per consumer",
    usd: 0.04,
    per: "GB",
    source: QUOTED(KINESIS_PRICING),
    verified: false,
  },
  firehoseIngest: {
    service: "Data Firehose",
    description: "ingestion, first tier (records rounded up to 5 KB)",
    usd: 0.029,
    per: "GB",
    source: QUOTED("https://aws.amazon.com/firehose/pricing/"),
    verified: false,
  },
  glueDpuHour: {
    service: "Glue",
    description: "DPU-hour (streaming jobs bill while running)",
    usd: 0.44,
    per: "DPU-hour",
    source: "https://aws.amazon.com/glue/pricing/ (its worked example: 6 DPU x 0.25 h x $0.44 = $0.66)",
    verified: true,
  },
  s3Put: {
    service: "S3",
    description: "PUT, COPY, POST, LIST requests (Standard)",
    usd: 0.005,
    per: "1,000 requests",
    source: QUOTED("https://aws.amazon.com/s3/pricing/"),
    verified: false,
  },
  s3Storage: {
    service: "S3",
    description: "Standard storage, first 50 TB",
    usd: 0.023,
    per: "GB-month",
    source: QUOTED("https://aws.amazon.com/s3/pricing/"),
    verified: false,
  },
  logsIngest: {
    service: "CloudWatch",
    description: "Logs ingestion (standard class)",
    usd: 0.5,
    per: "GB",
    source: QUOTED("https://aws.amazon.com/cloudwatch/pricing/"),
    verified: false,
  },
  customMetric: {
    service: "CloudWatch",
    description: "custom metric (EMF, enhanced shard-level metrics), first 10,000",
    usd: 0.3,
    per: "metric-month",
    source: QUOTED("https://aws.amazon.com/cloudwatch/pricing/"),
    verified: false,
  },
  alarmMetric: {
    service: "CloudWatch",
    description: "standard-resolution alarm, per metric in the alarm",
    usd: 0.1,
    per: "alarm metric-month",
    source: QUOTED("https://aws.amazon.com/cloudwatch/pricing/"),
    verified: false,
  },
  dashboard: {
    service: "CloudWatch",
    description: "dashboard (beyond the free three)",
    usd: 3.0,
    per: "dashboard-month",
    source: QUOTED("https://aws.amazon.com/cloudwatch/pricing/"),
    verified: false,
  },
} as const satisfies Record<string, UnitPrice>;

export type PriceKey = keyof typeof PRICES;
export type PriceTable = Record<PriceKey, UnitPrice>;
