import { DescribeStreamSummaryCommand, KinesisClient, ListShardsCommand } from "@aws-sdk/client-kinesis";
import { clientConfig } from "@eventlake/adapters/aws-config";
import { S3ObjectStore } from "@eventlake/adapters/s3-object-store";
import { join } from "node:path";
import { readKinesisStats } from "@eventlake/emulators/kinesis";
import { readLocalInfo, resolveDataDir } from "../local-config";
import { n, table } from "./format";
import { alarmsStatus, formatAlarmsStatus } from "./alarms-status";
import { formatRawArchiveStatus, rawArchiveStatus } from "./raw-archive-status";
import { autoscalerStatus, formatAutoscalerStatus } from "./autoscaler-status";
import { readCuratorStatus } from "../curator/curator";
import { formatCuratorStatus } from "./curator-status";
import { formatStageStatus, stageStatus } from "./stage-status";
import { runOnStage, type StageCommandOptions } from "./stage-target";

async function isUp(endpoint: string): Promise<boolean> {
  try {
    return (await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
}

export async function runStatus(options: { dataDir?: string; json: boolean; stage?: string; outputs?: string; region?: string }) {
  if (options.stage !== undefined) {
    process.exitCode = await runOnStage("status", options as StageCommandOptions, async ({ resources, region }) => {
      const status = await stageStatus(resources, region);
      console.log(options.json ? JSON.stringify(status, null, 2) : formatStageStatus(status));
      return 0;
    });
    return;
  }
  const dataDir = resolveDataDir(options.dataDir);
  const info = readLocalInfo(dataDir);
  if (!info) {
    console.error(`eventlake status: no local pipeline in ${dataDir} yet. Start one with \`npm start\`.`);
    process.exit(1);
  }
  const running = await isUp(info.endpoint);
  const stats = readKinesisStats(join(dataDir, "kinesis"));
  const status: Record<string, unknown> = { running, endpoint: info.endpoint, stream: info.streamName, dataDir };

  let shards: { shardId: string; open: boolean }[] = [];
  if (running) {
    const kinesis = new KinesisClient(clientConfig({ region: info.region, endpoint: info.kinesisEndpoint }));
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: info.streamName }));
    const listed = await kinesis.send(new ListShardsCommand({ StreamName: info.streamName }));
    shards = (listed.Shards ?? []).map((s) => ({ shardId: s.ShardId!, open: !s.SequenceNumberRange?.EndingSequenceNumber }));
    status.openShards = summary.StreamDescriptionSummary?.OpenShardCount;
    status.streamStatus = summary.StreamDescriptionSummary?.StreamStatus;
    kinesis.destroy();

    const lake = new S3ObjectStore({ bucket: info.bucket, target: { region: info.region, endpoint: info.s3Endpoint } });
    let spillObjects = 0;
    let spillBytes = 0;
    for await (const object of lake.list("fallback/")) {
      spillObjects++;
      spillBytes += object.size;
    }
    status.fallback = { objects: spillObjects, bytes: spillBytes };
  }
  status.kinesisStats = stats;
  status.alarms = alarmsStatus(dataDir);
  status.rawArchive = rawArchiveStatus(dataDir, running);
  status.curator = readCuratorStatus(dataDir);
  status.autoscaler = await autoscalerStatus(dataDir, info, running);

  if (options.json) {
    console.log(JSON.stringify(status, null, 2));
    return;
  }
  console.log(`pipeline   ${running ? `running at ${info.endpoint}` : "not running (showing the last persisted counters)"}`);
  console.log(`stream     ${info.streamName}${running ? `: ${status.streamStatus}, ${status.openShards} open shard(s)` : ""}`);
  const perShard = stats?.streams[info.streamName]?.shards ?? {};
  const ids = new Set([...shards.map((s) => s.shardId), ...Object.keys(perShard)]);
  const rows = [...ids].sort().map((id) => {
    const s = perShard[id];
    const open = shards.find((x) => x.shardId === id)?.open;
    return [id, open === undefined ? "?" : open ? "open" : "closed", n(s?.recordsIn ?? 0), n(s?.bytesIn ?? 0), n(s?.throttledRecords ?? 0)];
  });
  console.log(`\n${table(rows, ["shard", "state", "records in", "bytes in", "throttled records"])}`);
  console.log(`\n${formatAutoscalerStatus(status.autoscaler as Awaited<ReturnType<typeof autoscalerStatus>>)}`);
  if (running) {
    const f = status.fallback as { objects: number; bytes: number };
    console.log(`\nfallback   ${f.objects === 0 ? "no spills" : `${n(f.objects)} spill object(s), ${n(f.bytes)} bytes under fallback/ (replay re-injects them)`}`);
  }
  console.log(`\n${formatRawArchiveStatus(status.rawArchive as ReturnType<typeof rawArchiveStatus>)}`);
  console.log(`\n${formatCuratorStatus(readCuratorStatus(dataDir))}`);
  console.log(`\n${formatAlarmsStatus(status.alarms as ReturnType<typeof alarmsStatus>)}`);
}
