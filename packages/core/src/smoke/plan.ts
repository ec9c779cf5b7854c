/**
 * The smoke check's decisions, pure: which requests carry which events (known messageIds, one run id), where in the
 * lake those events must appear (raw/ hour partitions by arrival time, curated/events/ partitions by event time),
 * and the verdict from what was found. `eventlake smoke` (packages/local/src/smoke/) does the I/O through ports, the
 * same way against a deployed stage and against the local pipeline.
 *
 * No clock and no I/O here: the caller passes the run id and the times.
 */
import { CURATION_CONTRACT, partitionPath } from "../curation/contract";
import { FIREHOSE } from "../limits";
import { LAKE_PREFIXES } from "../stage-config";

/** What a smoke event looks like on the wire. */
export type SmokeEventType = "track" | "page" | "identify";

/**
 * The routes the smoke check sends to, defined once: each is a route of the API's route table (ingest/routes.ts).
 * `short` marks a short route, sent as the browser library posts it (analytics.js: `/v1/t`, the write key inside the
 * JSON body, `Content-Type: text/plain`).
 */
export interface SmokeRoute {
  path: string;
  body: "single" | "batch";
  type: SmokeEventType;
  short?: boolean;
}

export const SMOKE_ROUTES: readonly SmokeRoute[] = [
  { path: "/v1/track", body: "single", type: "track" },
  { path: "/v1/page", body: "single", type: "page" },
  { path: "/v1/identify", body: "single", type: "identify" },
  { path: "/v1/batch", body: "batch", type: "track" },
  // The short route analytics.js posts track events to.
  { path: "/v1/t", body: "single", type: "track", short: true },
];

export interface SmokeRequest {
  route: SmokeRoute;
  body: Record<string, unknown>;
  messageIds: string[];
}

export interface SmokePlan {
  runId: string;
  /** The events' timestamp (ms): it decides their curated partition. */
  eventTimeMs: number;
  requests: SmokeRequest[];
  /** Every messageId the run sends, in order. */
  messageIds: string[];
}

export const SMOKE_EVENT_NAME = "eventlake smoke";
/** Every smoke messageId starts with this, then the run id: `smoke-<runId>-<n>`. */
export const SMOKE_ID_PREFIX = "smoke-";

/** A run id from a time and random digits: sortable, safe in keys and SQL LIKE patterns. */
export function smokeRunId(nowMs: number, random: number): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:T.Z]/g, "").slice(0, 14);
  return `${stamp}-${Math.floor(random * 1e6).toString().padStart(6, "0")}`;
}

function smokeEvent(type: SmokeEventType, runId: string, messageId: string, eventTimeMs: number): Record<string, unknown> {
  const base = { type, messageId, userId: `smoke-user-${runId}`, timestamp: new Date(eventTimeMs).toISOString() };
  switch (type) {
    case "track":
      return { ...base, event: SMOKE_EVENT_NAME, properties: { smokeRun: runId } };
    case "page":
      return { ...base, name: SMOKE_EVENT_NAME, properties: { smokeRun: runId } };
    case "identify":
      return { ...base, traits: { smokeRun: runId } };
  }
}

/** The requests of one run: one event per single-event route, `batchSize` events per batch route. */
export function planSmoke(options: { runId: string; eventTimeMs: number; batchSize?: number; routes?: readonly SmokeRoute[] }): SmokePlan {
  const routes = options.routes ?? SMOKE_ROUTES;
  const batchSize = options.batchSize ?? 10;
  let n = 0;
  const nextId = () => `${SMOKE_ID_PREFIX}${options.runId}-${String(n++).padStart(4, "0")}`;
  const requests: SmokeRequest[] = routes.map((route) => {
    if (route.body === "single") {
      const id = nextId();
      return { route, body: smokeEvent(route.type, options.runId, id, options.eventTimeMs), messageIds: [id] };
    }
    const ids = Array.from({ length: batchSize }, nextId);
    return { route, body: { batch: ids.map((id) => smokeEvent(route.type, options.runId, id, options.eventTimeMs)) }, messageIds: ids };
  });
  return { runId: options.runId, eventTimeMs: options.eventTimeMs, requests, messageIds: requests.flatMap((r) => r.messageIds) };
}

const pad = (v: number) => String(v).padStart(2, "0");

/**
 * How far before a run the raw/ hour partition of its events can lie: Firehose names an object's hour by the oldest
 * record in the buffer (packages/core/src/firehose/raw-archive.ts), which can have arrived a whole buffering interval
 * (at most 900 s) before the run's events.
 */
export const RAW_PARTITION_LOOKBACK_MS = (FIREHOSE.destinationBufferIntervalSeconds.max + FIREHOSE.processorBufferIntervalSeconds.max) * 1000;

/** raw/ hour prefixes (arrival time, UTC) from `fromMs` through `toMs`, oldest first. */
export function rawPrefixes(fromMs: number, toMs: number): string[] {
  const hour = 3_600_000;
  const prefixes: string[] = [];
  for (let t = Math.floor(fromMs / hour) * hour; t <= toMs; t += hour) {
    const d = new Date(t);
    prefixes.push(`${LAKE_PREFIXES.raw}year=${d.getUTCFullYear()}/month=${pad(d.getUTCMonth() + 1)}/day=${pad(d.getUTCDate())}/hour=${pad(d.getUTCHours())}/`);
  }
  return prefixes;
}

/** The curated/events/ partitions the plan's events belong to (event time, event type). */
export function curatedPrefixes(plan: SmokePlan): string[] {
  const d = new Date(plan.eventTimeMs);
  const day = { year: String(d.getUTCFullYear()), month: pad(d.getUTCMonth() + 1), day: pad(d.getUTCDate()) };
  const types = [...new Set(plan.requests.map((r) => r.route.type))];
  const events = CURATION_CONTRACT.tables.events;
  return types.map((eventType) => `${events.prefix}${partitionPath(events, { ...day, event_type: eventType })}`);
}

/** How often each of the plan's messageIds was found in one layer. */
export type Sightings = ReadonlyMap<string, number>;

export interface LayerVerdict {
  found: number;
  missing: string[];
  /** messageIds found more than once, with their count. */
  duplicated: { messageId: string; count: number }[];
}

export interface SmokeObservation {
  /** messageIds the API answered as accepted; the others with the status or reason the client got. */
  accepted: readonly string[];
  notAccepted: readonly { messageId: string; answer: string }[];
  raw: Sightings;
  curated: Sightings;
}

export interface SmokeVerdict {
  ok: boolean;
  api: { accepted: number; notAccepted: SmokeObservation["notAccepted"] };
  raw: LayerVerdict;
  curated: LayerVerdict;
  problems: string[];
  notes: string[];
}

function layer(plan: SmokePlan, sightings: Sightings): LayerVerdict {
  const missing = plan.messageIds.filter((id) => !sightings.get(id));
  const duplicated = plan.messageIds.filter((id) => (sightings.get(id) ?? 0) > 1).map((messageId) => ({ messageId, count: sightings.get(messageId)! }));
  return { found: plan.messageIds.length - missing.length, missing, duplicated };
}

const listed = (ids: readonly string[]) => (ids.length <= 5 ? ids.join(", ") : `${ids.slice(0, 5).join(", ")} and ${ids.length - 5} more`);

/**
 * Whether waiting can stop: every event the API accepted is seen in both layers (the verdict then decides on
 * duplicates; events it did not accept never arrive, and the verdict names them).
 */
export function smokeSettled(accepted: readonly string[], observation: Pick<SmokeObservation, "raw" | "curated">): boolean {
  return accepted.every((id) => (observation.raw.get(id) ?? 0) > 0 && (observation.curated.get(id) ?? 0) > 0);
}

/**
 * The verdict: ok only when the API accepted every event, every event is in the raw archive and every event is in
 * the curated table exactly once. The raw archive is at-least-once (ARCHITECTURE.md, "Raw archive"): a record
 * Firehose delivered twice is a note, not a failure; a curated duplicate is a failure (curation is exactly-once).
 */
export function smokeVerdict(plan: SmokePlan, observation: SmokeObservation): SmokeVerdict {
  const raw = layer(plan, observation.raw);
  const curated = layer(plan, observation.curated);
  const problems: string[] = [];
  const notes: string[] = [];
  if (observation.notAccepted.length > 0) {
    problems.push(`the API did not accept ${observation.notAccepted.length} of ${plan.messageIds.length} event(s): ${listed(observation.notAccepted.map((e) => `${e.messageId} (${e.answer})`))}`);
  }
  if (raw.missing.length > 0) problems.push(`${raw.missing.length} of ${plan.messageIds.length} event(s) missing from raw/: ${listed(raw.missing)}`);
  if (curated.missing.length > 0) problems.push(`${curated.missing.length} of ${plan.messageIds.length} event(s) missing from curated/: ${listed(curated.missing)}`);
  if (curated.duplicated.length > 0) problems.push(`${curated.duplicated.length} event(s) curated more than once: ${listed(curated.duplicated.map((d) => `${d.messageId} x${d.count}`))}`);
  if (raw.duplicated.length > 0) notes.push(`${raw.duplicated.length} event(s) archived more than once in raw/ (at-least-once delivery; curation keeps one)`);
  return { ok: problems.length === 0, api: { accepted: observation.accepted.length, notAccepted: observation.notAccepted }, raw, curated, problems, notes };
}
