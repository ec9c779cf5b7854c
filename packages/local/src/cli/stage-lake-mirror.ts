/**
 * A time window of a deployed stage's lake, copied through the S3 API into a local S3 stand-in's directory, so
 * `verify --stage` reconciles it with exactly the queries `verify` runs on the local lake (./verify.ts) and
 * `replay --stage` asks the same raw-archive question as locally.
 *
 * What is copied: raw/ and fallback/ objects written since `sinceMs` (the records to account for), and curated/events/
 * and quarantine/ objects written since `sinceMs - settleMs` (a record archived at the window's start may have been
 * curated earlier: the curator reads the stream, not the archive).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { S3ObjectStore } from "@eventlake/adapters/s3-object-store";
import { CURATION_CONTRACT } from "@eventlake/core/curation/contract";
import type { ObjectStore } from "@eventlake/core/ports";
import { RAW_PARTITION_LOOKBACK_MS, rawPrefixes } from "@eventlake/core/smoke/plan";
import { LAKE_PREFIXES } from "@eventlake/core/stage-config";
import { LOCAL_BUCKET, LOCAL_REGION } from "../local-config";
import { startLocalS3 } from "@eventlake/emulators/s3/server";

export interface MirrorWindow {
  sinceMs: number;
  nowMs: number;
  /**
   * How much earlier curated and quarantined objects are copied too: the curator reads the stream, so it can write an
   * event up to a Firehose buffering delay before its raw object (default RAW_PARTITION_LOOKBACK_MS, 30 minutes).
   */
  settleMs?: number;
  /** Copy only these layers (default all four). */
  layers?: readonly ("raw" | "fallback" | "curated" | "quarantine")[];
}

export interface MirrorReport {
  objects: number;
  bytes: number;
}

export async function mirrorStageLake(source: Pick<ObjectStore, "list" | "get">, dataDir: string, window: MirrorWindow, onObject?: (key: string, size: number) => void): Promise<MirrorReport> {
  const layers = new Set(window.layers ?? ["raw", "fallback", "curated", "quarantine"]);
  const settled = window.sinceMs - (window.settleMs ?? RAW_PARTITION_LOOKBACK_MS);
  const plan: { prefix: string; since: number }[] = [
    // An object written in the window can be named after an hour before it (the oldest record of its buffer).
    ...(layers.has("raw") ? rawPrefixes(window.sinceMs - RAW_PARTITION_LOOKBACK_MS, window.nowMs).map((prefix) => ({ prefix, since: window.sinceMs })) : []),
    ...(layers.has("fallback") ? [{ prefix: LAKE_PREFIXES.fallback, since: window.sinceMs }] : []),
    ...(layers.has("curated") ? [{ prefix: CURATION_CONTRACT.tables.events.prefix, since: settled }] : []),
    ...(layers.has("quarantine") ? [{ prefix: CURATION_CONTRACT.tables.quarantine.prefix, since: settled }] : []),
  ];
  const rootDir = join(dataDir, "s3");
  mkdirSync(rootDir, { recursive: true });
  const s3 = await startLocalS3({ rootDir, buckets: [LOCAL_BUCKET], durable: false });
  const target = new S3ObjectStore({ bucket: LOCAL_BUCKET, target: { region: LOCAL_REGION, endpoint: s3.endpoint } });
  const report: MirrorReport = { objects: 0, bytes: 0 };
  try {
    for (const { prefix, since } of plan) {
      for await (const o of source.list(prefix)) {
        if (o.lastModified.getTime() < since) continue;
        const body = await source.get(o.key);
        if (!body) continue; // deleted meanwhile (e.g. compacted): its rows are in the object that replaced it
        await target.put(o.key, body);
        report.objects++;
        report.bytes += body.byteLength;
        onObject?.(o.key, body.byteLength);
      }
    }
    return report;
  } finally {
    target.destroy();
    await s3.close();
  }
}
