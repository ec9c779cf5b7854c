import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** What a running local pipeline publishes for scripts and other CLI commands: `<dataDir>/local.json`. */
export interface LocalInfo {
  endpoint: string;
  /** The local write key, in plain text: it only guards this machine's pipeline. */
  writeKey: string;
  sourceId: string;
  streamName: string;
  bucket: string;
  kinesisEndpoint: string;
  s3Endpoint: string;
  region: string;
  /** The local job service (Glue GetJobRuns/StartJobRun stand-in) when the pipeline runs jobs; smoke and status read it. */
  glueEndpoint?: string;
  pid: number;
  startedAt: string;
}

export const DEFAULT_DATA_DIR = ".eventlake";
export const LOCAL_STREAM_NAME = "eventlake-local";
export const LOCAL_BUCKET = "eventlake-local-lake";
/** The local assets bucket (operational state: the autoscaler's call history), like the stage's assets bucket. */
export const LOCAL_ASSETS_BUCKET = "eventlake-local-assets";
/** The local curator's job name (the watchdog's EVENTLAKE_GLUE_JOB_NAME locally). */
export const LOCAL_CURATION_JOB = "eventlake-local-curation";
/** The local alarm topic (the local SNS stand-in started by the scheduler component). */
export const LOCAL_ALARM_TOPIC_ARN = "arn:aws:sns:us-east-1:000000000000:eventlake-local-alarms";
export const LOCAL_SOURCE_ID = "local";
export const LOCAL_REGION = "us-east-1";

/** Variables of the local tools (the CLI, the curator), never read by a deployed function; named here once. */
export const LOCAL_VARIABLES = {
  /** The CLI's data directory (default .eventlake). */
  dataDir: "EVENTLAKE_DATA_DIR",
  /** The write key `eventlake send` and `eventlake smoke` use. */
  writeKey: "EVENTLAKE_WRITE_KEY",
  /** The local curator's batch window, in ms (tests and the proof shorten it). */
  curatorWindowMs: "EVENTLAKE_CURATOR_WINDOW_MS",
  /** Tests only: `<point>:<batch>` at which the local curator kills itself. */
  curatorCrashAt: "EVENTLAKE_CURATOR_CRASH_AT",
} as const;

export function resolveDataDir(option: string | undefined): string {
  return resolve(option ?? process.env[LOCAL_VARIABLES.dataDir] ?? DEFAULT_DATA_DIR);
}

/** Writes a file so readers never see it half-written. */
export function writeFileAtomic(path: string, content: string) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

/** The local write key: generated once on first start and kept in the data directory. */
export function localWriteKey(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, "write-key");
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    const key = `wk_local_${randomBytes(24).toString("base64url")}`;
    writeFileSync(path, `${key}\n`, { mode: 0o600 });
    return key;
  }
}

export function writeLocalInfo(dataDir: string, info: LocalInfo) {
  writeFileAtomic(join(dataDir, "local.json"), `${JSON.stringify(info, null, 2)}\n`);
}

export function readLocalInfo(dataDir: string): LocalInfo | undefined {
  try {
    return JSON.parse(readFileSync(join(dataDir, "local.json"), "utf8")) as LocalInfo;
  } catch {
    return undefined;
  }
}
