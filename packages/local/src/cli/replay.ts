/**
 * `eventlake replay --from fallback|raw|quarantine`: re-sends fallback spills (events a client was answered 503 for
 * and may never have retried) or raw archive objects into the running local pipeline's stream, or judges the
 * archived bad rows again with today's validation and sends those that pass; through the same stream writer the
 * ingest function uses (KPL aggregation per shard, retries, spills). The curator removes what it already
 * curated by messageId, so a replay adds only what was missing. Replayed objects are marked (replay-ledger/ in the
 * lake bucket) and skipped by later replays unless --again.
 */
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { clientConfig, type AwsTarget } from "@eventlake/adapters/aws-config";
import { KinesisShardMap } from "@eventlake/adapters/kinesis-shard-map";
import { KinesisStreamWriter } from "@eventlake/adapters/kinesis-stream-writer";
import { S3ObjectStore } from "@eventlake/adapters/s3-object-store";
import { REPLAY_SOURCES, type ReplaySource } from "@eventlake/core/replay/records";
import { replay, type ReplayReport } from "@eventlake/core/replay/service";
import { loadSchemaDirectory } from "@eventlake/adapters/schema-loader";
import { ingestConfigFromEnv } from "@eventlake/core/ingest/config";
import { createSchemaRegistry } from "@eventlake/core/ingest/schema-registry";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StageResources } from "@eventlake/core/stage-outputs";
import { mirrorStageLake } from "./stage-lake-mirror";
import { runOnStage, stageLake, stageTarget } from "./stage-target";
import { fileURLToPath } from "node:url";
import { LAKE_PREFIXES } from "@eventlake/core/stage-config";
import { readLocalInfo, resolveDataDir, type LocalInfo } from "../local-config";
import { archivedRecords } from "./verify";
import { n, table } from "./format";
import { parseTimeOption } from "./time-option";

const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/** Today's validation, as the local ingest function has it (its config overrides from the environment, schemas/). */
function localValidation() {
  return { config: ingestConfigFromEnv(process.env), schemas: createSchemaRegistry(loadSchemaDirectory(join(REPO_ROOT, "schemas"), { required: true })) };
}

export interface ReplayCliOptions {
  dataDir?: string;
  /** A deployed stage instead of the local pipeline (resources from SST's outputs). */
  stage?: string;
  outputs?: string;
  region?: string;
  from: string;
  since?: string;
  until?: string;
  again: boolean;
  dryRun: boolean;
  json: boolean;
}

type ReplayRunOptions = { source: ReplaySource; sinceMs?: number; untilMs?: number; again?: boolean; dryRun?: boolean; onObject?: Parameters<typeof replay>[2]["onObject"] };

/** Where a replay reads and writes: the lake bucket and the stream, on AWS or on the local stand-ins. */
export interface ReplayTarget {
  bucket: string;
  streamName: string;
  s3: AwsTarget;
  kinesis: AwsTarget;
  /** Which of these records the raw archive already holds (their clients retried): they are not re-sent. */
  archived(records: readonly { kind: "event" | "bad_row"; messageId: string }[]): Promise<ReadonlySet<string>>;
}

/** Replays into a target's stream; the report says what was re-sent. */
export async function replayInto(target: ReplayTarget, options: ReplayRunOptions): Promise<ReplayReport> {
  // One attempt per call: the writer's own retries are deadline-aware and per entry (as in the ingest function).
  const client = new KinesisClient(clientConfig(target.kinesis, { maxAttempts: 1 }));
  const store = new S3ObjectStore({ bucket: target.bucket, target: target.s3 });
  const shardMap = new KinesisShardMap({ client, streamName: target.streamName });
  const writer = new KinesisStreamWriter({ streamName: target.streamName, client, shardMap, fallback: store, fallbackPrefix: LAKE_PREFIXES.fallback });
  try {
    return await replay(store, writer, {
      source: options.source,
      ...(options.sinceMs !== undefined ? { sinceMs: options.sinceMs } : {}),
      ...(options.untilMs !== undefined ? { untilMs: options.untilMs } : {}),
      again: options.again ?? false,
      dryRun: options.dryRun ?? false,
      ...(options.onObject ? { onObject: options.onObject } : {}),
      archived: (records) => target.archived(records),
      ...(options.source === "quarantine" ? { rejudge: localValidation() } : {}),
    });
  } finally {
    store.destroy();
    client.destroy();
  }
}

/** Replays into a running local pipeline; the report says what was re-sent. */
export async function replayLocal(info: LocalInfo, dataDir: string, options: ReplayRunOptions): Promise<ReplayReport> {
  return replayInto(
    {
      bucket: info.bucket,
      streamName: info.streamName,
      s3: { region: info.region, endpoint: info.s3Endpoint },
      kinesis: { region: info.region, endpoint: info.kinesisEndpoint },
      archived: (records) => archivedRecords(dataDir, records),
    },
    options,
  );
}

/**
 * Replays into a deployed stage's stream. The raw-archive check reads the stage's raw/ objects of the hours since
 * `archiveSinceMs`, copied into a temporary local lake (./stage-lake-mirror.ts) and asked the same question as locally.
 */
export async function replayStage(resources: StageResources, region: string, options: ReplayRunOptions & { archiveSinceMs: number }): Promise<ReplayReport> {
  const dir = mkdtempSync(join(tmpdir(), "eventlake-replay-"));
  const lake = stageLake(resources, region);
  try {
    return await replayInto(
      {
        bucket: resources.lakeBucket,
        streamName: resources.streamName,
        s3: stageTarget(region, "S3"),
        kinesis: stageTarget(region, "KINESIS"),
        archived: async (records) => {
          await mirrorStageLake(lake, dir, { sinceMs: options.archiveSinceMs, nowMs: Date.now(), layers: ["raw"] });
          return archivedRecords(dir, records);
        },
      },
      options,
    );
  } finally {
    lake.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runReplay(options: ReplayCliOptions) {
  if (!(options.from in REPLAY_SOURCES)) {
    console.error(`eventlake replay: --from must be one of ${Object.keys(REPLAY_SOURCES).join(", ")} (got "${options.from}")`);
    process.exit(1);
  }
  let sinceMs: number | undefined;
  let untilMs: number | undefined;
  try {
    sinceMs = parseTimeOption(options.since);
    untilMs = parseTimeOption(options.until);
  } catch (error) {
    console.error(`eventlake replay: ${(error as Error).message}`);
    process.exit(1);
  }
  const source = options.from as ReplaySource;
  const onObject: ReplayRunOptions["onObject"] = (o) => {
    if (!options.json && !o.alreadyReplayed) process.stderr.write(`  ${o.key}: ${n(o.records)} records${options.dryRun ? "" : `, ${n(o.written)} written, ${n(o.spilled)} spilled, ${n(o.failed)} failed`}\n`);
  };
  const run = { source, ...(sinceMs !== undefined ? { sinceMs } : {}), ...(untilMs !== undefined ? { untilMs } : {}), again: options.again, dryRun: options.dryRun, onObject };
  if (options.stage !== undefined) {
    const stage = options.stage;
    process.exitCode = await runOnStage("replay", { ...options, stage }, async ({ resources, region }) => {
      // The raw-archive check covers the replayed window, or the last day without --since.
      const report = await replayStage(resources, region, { ...run, archiveSinceMs: sinceMs ?? Date.now() - 86_400_000 });
      return printReplay(report, source, options, sinceMs, untilMs);
    });
    return;
  }
  const dataDir = resolveDataDir(options.dataDir);
  const info = readLocalInfo(dataDir);
  let up = false;
  try {
    up = info !== undefined && (await fetch(`${info.endpoint}/health`, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    up = false;
  }
  if (!info || !up) {
    console.error("eventlake replay: the local pipeline is not running. Start it with `npm start` (replay writes into its stream).");
    process.exit(1);
  }
  process.exitCode = printReplay(await replayLocal(info, dataDir, run), source, options, sinceMs, untilMs);
}

/** Prints a replay's report; returns the exit code (2 when records failed). */
function printReplay(report: ReplayReport, source: ReplaySource, options: Pick<ReplayCliOptions, "json">, sinceMs: number | undefined, untilMs: number | undefined): number {
  if (options.json) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    console.log(
      table(
        [
          ["objects", `${n(report.objects)} under ${REPLAY_SOURCES[source]}${sinceMs !== undefined || untilMs !== undefined ? " in the time range" : ""}, ${n(report.alreadyReplayed)} skipped (replayed before; --again re-sends them)`],
          [source === "quarantine" ? "now valid" : "records", `${n(report.records)} (${n(report.events)} events, ${n(report.badRows)} bad rows)${report.alreadyArchived ? `; ${n(report.alreadyArchived)} not re-sent: already in the raw archive (their clients retried)` : ""}`],
          ...(report.dryRun ? [] : [["re-sent", `${n(report.written)} written to the stream, ${n(report.spilled)} spilled again to fallback/, ${n(report.failed)} failed`]]),
          ...(source === "quarantine" ? [["still rejected", n(report.stillRejected) + (report.stillRejected ? `  (${Object.entries(report.stillRejectedReasons).map(([r, c]) => `${r}: ${n(c)}`).join(", ")})` : "")]] : []),
          ["refused", n(report.refused) + (report.refused ? `  (${Object.entries(report.refusedReasons).map(([r, c]) => `${r}: ${n(c)}`).join(", ")})` : "")],
        ],
        ["replay", report.dryRun ? "dry run: nothing sent" : ""],
      ),
    );
    if (report.incompleteObjects.length) console.log(`\n${report.incompleteObjects.length} object(s) not fully re-sent (not marked): run the replay again.`);
    else if (!report.dryRun && report.records > 0) console.log("\nThe curator keeps one row per messageId: `npx eventlake verify` shows the result once it has run.");
  }
  return report.failed > 0 ? 2 : 0;
}
