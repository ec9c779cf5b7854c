/**
 * `eventlake status --stage <name>`: a deployed stage at a glance, from its outputs and AWS's APIs: the stream
 * (DescribeStreamSummary), how fresh raw/ and curated/ are (their newest objects), the curation job's latest run and
 * last error (GetJobRuns), the alarms' states (DescribeAlarms).
 */
import { DescribeStreamSummaryCommand, KinesisClient } from "@aws-sdk/client-kinesis";
import { clientConfig } from "@eventlake/adapters/aws-config";
import { CURATION_CONTRACT } from "@eventlake/core/curation/contract";
import { rawPrefixes } from "@eventlake/core/smoke/plan";
import type { StageResources } from "@eventlake/core/stage-outputs";
import type { ObjectStore } from "@eventlake/core/ports";
import { jobState, type AlarmStateView, type SmokeReport } from "../smoke/smoke";
import { n, table } from "./format";
import { stageSmokePorts, stageTarget } from "./stage-target";

export interface StageStatus {
  stage: string;
  region: string;
  stream: { name: string; status: string; openShards: number; retentionHours: number; consumers: number };
  /** The newest object under raw/ (last two hours) and under today's curated/events/ partitions. */
  newest: { raw: { key: string; at: string } | null; curated: { key: string; at: string } | null };
  job: SmokeReport["job"];
  alarms: AlarmStateView[];
}

async function newestUnder(lake: Pick<ObjectStore, "list">, prefixes: readonly string[]) {
  let newest: { key: string; at: Date } | null = null;
  for (const prefix of prefixes) {
    for await (const o of lake.list(prefix)) if (!newest || o.lastModified > newest.at) newest = { key: o.key, at: o.lastModified };
  }
  return newest ? { key: newest.key, at: newest.at.toISOString() } : null;
}

const pad = (v: number) => String(v).padStart(2, "0");

export async function stageStatus(resources: StageResources, region: string, nowMs = Date.now()): Promise<StageStatus> {
  const ports = stageSmokePorts(resources, region, "");
  const kinesis = new KinesisClient(clientConfig(stageTarget(region, "KINESIS")));
  try {
    const { StreamDescriptionSummary: s } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: resources.streamName }));
    const day = new Date(nowMs);
    const today = `${CURATION_CONTRACT.tables.events.prefix}year=${day.getUTCFullYear()}/month=${pad(day.getUTCMonth() + 1)}/day=${pad(day.getUTCDate())}/`;
    return {
      stage: resources.stage,
      region,
      stream: {
        name: resources.streamName,
        status: s?.StreamStatus ?? "UNKNOWN",
        openShards: s?.OpenShardCount ?? 0,
        retentionHours: s?.RetentionPeriodHours ?? 0,
        consumers: s?.ConsumerCount ?? 0,
      },
      newest: { raw: await newestUnder(ports.lake, rawPrefixes(nowMs - 2 * 3_600_000, nowMs)), curated: await newestUnder(ports.lake, [today]) },
      job: await jobState(ports),
      alarms: await ports.alarms.states(),
    };
  } finally {
    kinesis.destroy();
    ports.close();
  }
}

export function formatStageStatus(status: StageStatus, nowMs = Date.now()): string {
  const age = (o: { key: string; at: string } | null) => (o ? `newest object ${Math.max(0, Math.round((nowMs - Date.parse(o.at)) / 1000))} s ago (${o.key})` : "no object in the last two hours / today");
  const job = status.job;
  const jobLine =
    "none" in job
      ? job.none
      : "error" in job
        ? `could not read its runs: ${job.error}`
        : `${job.name}: ${job.latest ? job.latest.state : "no runs yet"}${job.lastError ? `; last error: ${job.lastError}` : ""}`;
  const inAlarm = status.alarms.filter((a) => a.state === "ALARM");
  const order = { ALARM: 0, INSUFFICIENT_DATA: 1, OK: 2 } as Record<string, number>;
  const alarms = [...status.alarms].sort((a, b) => (order[a.state] ?? 3) - (order[b.state] ?? 3) || a.name.localeCompare(b.name));
  return [
    `stage        ${status.stage} (${status.region})`,
    `stream       ${status.stream.name}: ${status.stream.status}, ${n(status.stream.openShards)} open shard(s), ${status.stream.retentionHours} h retention`,
    `raw/         ${age(status.newest.raw)}`,
    `curated/     ${age(status.newest.curated)}`,
    `curation     ${jobLine}`,
    `alarms       ${inAlarm.length ? `${inAlarm.length} in ALARM` : "none in ALARM"} of ${status.alarms.length}`,
    ...(alarms.length ? ["", table(alarms.map((a) => [a.state, a.name, a.since ?? "", a.state === "OK" ? "" : a.reason.slice(0, 100)]), ["state", "alarm", "since", "reason"])] : []),
  ].join("\n");
}
