/**
 * The autoscaler's part of `eventlake status`: its last decisions and the UpdateShardCount calls of the last 24 h,
 * from its state object in the local assets bucket (the same object the function keeps on AWS). Read through the
 * S3 API when the pipeline runs, else straight from the local S3's files.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { S3ObjectStore } from "@eventlake/adapters/s3-object-store";
import { KINESIS } from "@eventlake/core/limits";
import { ROLLING_WINDOW_MS } from "@eventlake/core/autoscaler/planner";
import { autoscalerStateKey, parseAutoscalerState, type AutoscalerState } from "@eventlake/core/autoscaler/state";
import { LOCAL_ASSETS_BUCKET, type LocalInfo } from "../local-config";
import { keyToPath } from "@eventlake/emulators/s3/key-codec";
import { table } from "./format";

export interface AutoscalerStatus {
  callsLast24h: number;
  callLimit: number;
  calls: { at: string; from: number; to: number; source: string; outcome: string }[];
  decisions: { at: string; action: string; code: string; current: number; target: number; outcome: string; reason: string }[];
  error?: string;
}

async function readState(dataDir: string, info: LocalInfo, running: boolean): Promise<Uint8Array | undefined> {
  const key = autoscalerStateKey(info.streamName);
  if (running) {
    const store = new S3ObjectStore({ bucket: LOCAL_ASSETS_BUCKET, target: { region: info.region, endpoint: info.s3Endpoint } });
    try {
      return await store.get(key);
    } finally {
      store.destroy();
    }
  }
  const path = keyToPath(key, { foldSafe: false });
  try {
    return await readFile(join(dataDir, "s3", LOCAL_ASSETS_BUCKET, ...path.dirs, path.file));
  } catch {
    return undefined;
  }
}

export async function autoscalerStatus(dataDir: string, info: LocalInfo, running: boolean, nowMs = Date.now()): Promise<AutoscalerStatus | undefined> {
  let state: AutoscalerState;
  try {
    const raw = await readState(dataDir, info, running);
    if (!raw) return undefined;
    state = parseAutoscalerState(new TextDecoder().decode(raw), info.streamName);
  } catch (err) {
    return { callsLast24h: 0, callLimit: KINESIS.maxScalingCallsPer24h, calls: [], decisions: [], error: (err as Error).message };
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  const recent = state.calls.filter((c) => c.atMs > nowMs - ROLLING_WINDOW_MS);
  return {
    callsLast24h: recent.length,
    callLimit: KINESIS.maxScalingCallsPer24h,
    calls: recent.map((c) => ({ at: iso(c.atMs), from: c.from, to: c.to, source: c.source, outcome: c.outcome })),
    decisions: state.decisions.map((d) => ({ at: iso(d.atMs), action: d.action, code: d.code, current: d.current, target: d.target, outcome: d.outcome, reason: d.error ? `${d.reason} (${d.error})` : d.reason })),
  };
}

export function formatAutoscalerStatus(status: AutoscalerStatus | undefined, last = 5): string {
  if (!status) return "autoscaler no decisions yet (it runs on schedules.autoscaler)";
  if (status.error) return `autoscaler state unreadable: ${status.error}`;
  const lines = [`autoscaler ${status.callsLast24h} of ${status.callLimit} UpdateShardCount calls used in the last 24 h; last decisions:`];
  const rows = status.decisions.slice(-last).map((d) => [d.at.replace("T", " ").slice(0, 19), d.action === "none" ? d.code : `${d.action} ${d.current} -> ${d.target}`, d.outcome, d.reason]);
  lines.push(table(rows, ["time (UTC)", "decision", "outcome", "why"]));
  return lines.join("\n");
}
