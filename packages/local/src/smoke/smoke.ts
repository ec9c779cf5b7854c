/**
 * `eventlake smoke`: events with known messageIds through a pipeline's API, then found in the raw archive (gzip
 * NDJSON under raw/) and in the curated table (the Parquet objects of their curated/events/ partitions), with the
 * curation job's latest run and the alarms' states. The decisions (plan, partitions, verdict) are
 * packages/core/src/smoke/plan.ts; this module only does the I/O, through ports, so the same code checks a deployed
 * stage (AWS SDK clients: S3, Glue GetJobRuns, CloudWatch DescribeAlarms) and the local pipeline (the S3 stand-in,
 * the local job service, the local alarm evaluator's states).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import type { ObjectInfo, ObjectStore } from "@eventlake/core/ports";
import {
  curatedPrefixes,
  planSmoke,
  RAW_PARTITION_LOOKBACK_MS,
  rawPrefixes,
  SMOKE_ID_PREFIX,
  smokeRunId,
  smokeSettled,
  smokeVerdict,
  type SmokePlan,
  type SmokeVerdict,
} from "@eventlake/core/smoke/plan";
import type { JobRunInfo } from "@eventlake/core/ports";

export interface AlarmStateView {
  name: string;
  state: string;
  reason: string;
  /** ISO time the alarm entered its state. */
  since?: string;
}

/** What the smoke check needs of a pipeline: its API, its lake, its curation job's runs, its alarms. */
export interface SmokePorts {
  api: { endpoint: string; writeKey: string };
  lake: Pick<ObjectStore, "list" | "get">;
  /** The curation job's runs, newest first; or why there is no job to ask (e.g. curation runs under `sst dev`). */
  job: { name: string; runs(max: number): Promise<JobRunInfo[]> } | { none: string };
  alarms: { states(): Promise<AlarmStateView[]> };
}

export interface SmokeOptions {
  /** How long to wait for the events to reach both layers. */
  timeoutMs: number;
  /** Between two looks at the lake. */
  pollMs?: number;
  /** Events in the batch request. */
  batchSize?: number;
  onProgress?: (line: string) => void;
}

export interface SmokeReport {
  runId: string;
  messageIds: string[];
  verdict: SmokeVerdict;
  /** Milliseconds: sending (all requests answered), then until every event was in raw/, then in curated/ (from the send). */
  timings: { apiMs: number; rawMs: number | null; curatedMs: number | null };
  /** The latest run of the curation job, or why it could not be read. */
  job: { name: string; latest?: JobRunInfo; lastError?: string } | { none: string } | { error: string };
  alarms: AlarmStateView[] | { error: string };
}

const errorText = (error: unknown) => {
  const e = error as Error;
  return `${e.name && e.name !== "Error" ? `${e.name}: ` : ""}${e.message}`;
};

async function send(ports: SmokePorts, plan: SmokePlan) {
  const accepted: string[] = [];
  const notAccepted: { messageId: string; answer: string }[] = [];
  const auth = `Basic ${Buffer.from(`${ports.api.writeKey}:`).toString("base64")}`;
  for (const request of plan.requests) {
    const url = `${ports.api.endpoint.replace(/\/$/, "")}${request.route.path}`;
    let status: number;
    let body: { errors?: { messageId?: string; reason?: string }[]; message?: string } = {};
    try {
      // A short route is sent the way the browser library sends it: the key in the body, text/plain, no header.
      const response = await fetch(url, {
        method: "POST",
        headers: request.route.short ? { "content-type": "text/plain" } : { authorization: auth, "content-type": "application/json" },
        body: JSON.stringify(request.route.short ? { ...request.body, writeKey: ports.api.writeKey } : request.body),
        signal: AbortSignal.timeout(30_000),
      });
      status = response.status;
      const text = await response.text();
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        body = { message: text.slice(0, 200) };
      }
    } catch (error) {
      for (const id of request.messageIds) notAccepted.push({ messageId: id, answer: `${request.route.path}: ${errorText(error)}` });
      continue;
    }
    if (status === 200 || status === 207) {
      const rejected = new Map((body.errors ?? []).map((e) => [e.messageId, e.reason ?? "rejected"]));
      for (const id of request.messageIds) {
        if (rejected.has(id)) notAccepted.push({ messageId: id, answer: `${request.route.path} ${status}: ${rejected.get(id)}` });
        else accepted.push(id);
      }
    } else {
      const why = body.message ? `: ${String(body.message).slice(0, 120)}` : "";
      for (const id of request.messageIds) notAccepted.push({ messageId: id, answer: `${request.route.path} HTTP ${status}${why}` });
    }
  }
  return { accepted, notAccepted };
}

/** Object identity for caching what was already read: a compacted or rewritten object is read again. */
const versionOf = (o: ObjectInfo) => `${o.key}|${o.size}|${o.lastModified.getTime()}`;

/** Counts, per object, how often each of the run's messageIds occurs; recomputed from the current listing. */
class LayerReader {
  private readonly cache = new Map<string, Map<string, number>>();

  constructor(
    private readonly lake: SmokePorts["lake"],
    private readonly ids: ReadonlySet<string>,
    private readonly readObjects: (objects: { info: ObjectInfo; body: Uint8Array }[]) => Promise<Map<string, Map<string, number>>>,
  ) {}

  async sightings(prefixes: readonly string[], since: number): Promise<Map<string, number>> {
    const listed: ObjectInfo[] = [];
    for (const prefix of prefixes) {
      for await (const o of this.lake.list(prefix)) if (o.lastModified.getTime() >= since) listed.push(o);
    }
    const fresh: { info: ObjectInfo; body: Uint8Array }[] = [];
    for (const o of listed) {
      if (this.cache.has(versionOf(o))) continue;
      const body = await this.lake.get(o.key);
      if (body) fresh.push({ info: o, body });
    }
    if (fresh.length > 0) for (const [version, counts] of await this.readObjects(fresh)) this.cache.set(version, counts);
    const total = new Map<string, number>();
    for (const o of listed) for (const [id, c] of this.cache.get(versionOf(o)) ?? []) total.set(id, (total.get(id) ?? 0) + c);
    for (const id of total.keys()) if (!this.ids.has(id)) total.delete(id);
    return total;
  }
}

/** raw/: gzip NDJSON, one canonical record per line (`kind: "event"` with its messageId). */
function rawReader(lake: SmokePorts["lake"], ids: ReadonlySet<string>) {
  return new LayerReader(lake, ids, async (objects) => {
    const out = new Map<string, Map<string, number>>();
    for (const { info, body } of objects) {
      const counts = new Map<string, number>();
      let text: string;
      try {
        text = gunzipSync(body).toString("utf8");
      } catch {
        continue; // not a delivery object (never counted, never fatal)
      }
      for (const line of text.split("\n")) {
        if (!line.includes('"messageId"')) continue;
        try {
          const record = JSON.parse(line) as { kind?: string; messageId?: unknown };
          if (record.kind === "event" && typeof record.messageId === "string" && ids.has(record.messageId)) {
            counts.set(record.messageId, (counts.get(record.messageId) ?? 0) + 1);
          }
        } catch {
          // a line that is not JSON is not one of ours
        }
      }
      out.set(versionOf(info), counts);
    }
    return out;
  });
}

/** curated/events/: Parquet objects, read with DuckDB from a temporary copy; counts rows per message_id. */
function curatedReader(lake: SmokePorts["lake"], ids: ReadonlySet<string>, runPrefix: string) {
  return new LayerReader(lake, ids, async (objects) => {
    const dir = mkdtempSync(join(tmpdir(), "eventlake-smoke-"));
    const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
    const connection = await instance.connect();
    const out = new Map<string, Map<string, number>>();
    try {
      for (const [i, { info, body }] of objects.entries()) {
        const file = join(dir, `${i}.parquet`);
        writeFileSync(file, body);
        const reader = await connection.runAndReadAll(
          `SELECT message_id, count(*) FROM read_parquet('${file.replace(/'/g, "''")}') WHERE starts_with(message_id, '${runPrefix.replace(/'/g, "''")}') GROUP BY 1`,
        );
        out.set(versionOf(info), new Map(reader.getRows().map((r) => [String(r[0]), Number(r[1])])));
      }
    } finally {
      connection.closeSync();
      instance.closeSync();
      rmSync(dir, { recursive: true, force: true });
    }
    return out;
  });
}

/** The curation job's latest run and its last error (also `status --stage`). */
export async function jobState(ports: Pick<SmokePorts, "job">): Promise<SmokeReport["job"]> {
  if ("none" in ports.job) return { none: ports.job.none };
  try {
    const runs = await ports.job.runs(10);
    const latest = runs[0];
    const lastError = runs.find((r) => r.errorMessage)?.errorMessage;
    return { name: ports.job.name, ...(latest ? { latest } : {}), ...(lastError ? { lastError } : {}) };
  } catch (error) {
    return { error: errorText(error) };
  }
}

/** Sends the plan, waits for its events in both layers (or the timeout), reads the job and the alarms. */
export async function runSmokeCheck(ports: SmokePorts, options: SmokeOptions): Promise<SmokeReport> {
  const started = Date.now();
  const progress = options.onProgress ?? (() => undefined);
  const plan = planSmoke({ runId: smokeRunId(started, Math.random()), eventTimeMs: started, ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}) });
  const ids = new Set(plan.messageIds);
  progress(`smoke run ${plan.runId}: ${plan.messageIds.length} events to ${plan.requests.map((r) => r.route.path).join(", ")}`);
  const sent = await send(ports, plan);
  const sentAt = Date.now();
  const apiMs = sentAt - started;
  progress(`api: ${sent.accepted.length} of ${plan.messageIds.length} accepted in ${apiMs} ms`);

  // Objects older than the run cannot hold its events; a minute of slack for clock skew against S3's clock.
  const since = started - 60_000;
  const raw = rawReader(ports.lake, ids);
  const curated = curatedReader(ports.lake, ids, `${SMOKE_ID_PREFIX}${plan.runId}-`);
  let rawSeen = new Map<string, number>();
  let curatedSeen = new Map<string, number>();
  let rawMs: number | null = null;
  let curatedMs: number | null = null;
  const deadline = sentAt + options.timeoutMs;
  // Nothing to wait for when the API accepted nothing: the verdict says why.
  const waitFor = sent.accepted.length > 0;
  for (;;) {
    // Listed by hour partition back to where a buffer holding the run's events could have been named; read only
    // objects written since the run started.
    rawSeen = await raw.sightings(rawPrefixes(since - RAW_PARTITION_LOOKBACK_MS, Date.now()), since);
    curatedSeen = await curated.sightings(curatedPrefixes(plan), since);
    const now = Date.now();
    if (waitFor && rawMs === null && sent.accepted.every((id) => rawSeen.has(id))) {
      rawMs = now - sentAt;
      progress(`raw/: all ${sent.accepted.length} accepted events after ${rawMs} ms`);
    }
    if (waitFor && curatedMs === null && sent.accepted.every((id) => curatedSeen.has(id))) {
      curatedMs = now - sentAt;
      progress(`curated/: all ${sent.accepted.length} accepted events after ${curatedMs} ms`);
    }
    if (!waitFor || smokeSettled(sent.accepted, { raw: rawSeen, curated: curatedSeen }) || now >= deadline) break;
    await new Promise((r) => setTimeout(r, Math.min(options.pollMs ?? 2_000, Math.max(0, deadline - now))));
  }

  const verdict = smokeVerdict(plan, { ...sent, raw: rawSeen, curated: curatedSeen });
  let alarms: SmokeReport["alarms"];
  try {
    alarms = await ports.alarms.states();
  } catch (error) {
    alarms = { error: errorText(error) };
  }
  return { runId: plan.runId, messageIds: plan.messageIds, verdict, timings: { apiMs, rawMs, curatedMs }, job: await jobState(ports), alarms };
}
