import type { StreamWriter } from "../ports";
import { authenticate, writeKeyFromAuthorization, type StoredWriteKey } from "./auth";
import { decodeBody } from "./body";
import type { IngestConfig } from "./config";
import type { EventRejectionReason } from "./reasons";
import { RequestRejected, REQUEST_ERRORS, type RequestErrorCode } from "./reasons";
import { parseRequestBody, planIngest, type EventRejection, type IngestRoute } from "./request";
import { routeForPath } from "./routes";
import type { SchemaRegistry } from "./schema-registry";

/** An HTTP request as the ingest service needs it (header names lower-cased). */
export interface IngestHttpRequest {
  method: string;
  path: string;
  headers: Record<string, string | undefined>;
  body: string | undefined;
  isBase64Encoded: boolean;
  receivedAtMs: number;
}

export interface IngestHttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface IngestDeps {
  config: IngestConfig;
  schemas: SchemaRegistry;
  writeKeys: readonly StoredWriteKey[];
  writer: StreamWriter;
  newMessageId: () => string;
  /** Seconds a client should wait before retrying after a 503. */
  retryAfterSeconds?: number;
}

/** What happened, for metrics and logs: counts and codes only, never payloads or keys. */
export interface IngestOutcome {
  route: IngestRoute | "health" | "unknown";
  statusCode: number;
  error?: RequestErrorCode | "stream_unavailable";
  events: number;
  accepted: number;
  rejectedByReason: Partial<Record<EventRejectionReason, number>>;
  written: number;
  spilled: number;
  failed: number;
  retriedEntries: number;
  throttledEntries: number;
  putRecordsCalls: number;
  stoppedBecause?: string;
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

function respond(statusCode: number, body: unknown, headers: Record<string, string> = {}): IngestHttpResponse {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

function emptyOutcome(route: IngestOutcome["route"], statusCode: number): IngestOutcome {
  return { route, statusCode, events: 0, accepted: 0, rejectedByReason: {}, written: 0, spilled: 0, failed: 0, retriedEntries: 0, throttledEntries: 0, putRecordsCalls: 0 };
}

/**
 * Resolves `METHOD /path` to its endpoint (short routes such as `/v1/t` to their long form), or to the HTTP error for
 * an unknown path or a wrong method.
 */
export function resolveRoute(method: string, path: string): IngestRoute | "health" | RequestErrorCode {
  const route = routeForPath(path);
  if (!route) return "not_found";
  if (route.endpoint === "health") return method === "GET" || method === "HEAD" ? "health" : "method_not_allowed";
  return method === route.method ? route.endpoint : "method_not_allowed";
}

function requestError(error: RequestRejected, route: IngestOutcome["route"]) {
  const headers: Record<string, string> = error.code === "unauthorized" ? { "www-authenticate": 'Basic realm="eventlake"' } : {};
  if (error.code === "method_not_allowed") headers.allow = route === "health" ? "GET, HEAD" : "POST";
  return {
    response: respond(error.status, { ok: false, error: error.code, message: error.message }, headers),
    outcome: { ...emptyOutcome(route, error.status), error: error.code },
  };
}

/**
 * The ingest API: route, decode, authenticate, judge each event, write events and bad rows to the stream, and
 * answer honestly per event. 200: all accepted; 207: some rejected (each listed with index, messageId, reason);
 * 4xx: the request itself is wrong and nothing was written; 503 + Retry-After: the stream could not take the
 * events in time (what was not written is in the fallback prefix; the client should retry the request).
 */
export async function handleIngestRequest(
  request: IngestHttpRequest,
  deps: IngestDeps,
  deadlineMs: number,
): Promise<{ response: IngestHttpResponse; outcome: IngestOutcome }> {
  const resolved = resolveRoute(request.method.toUpperCase(), request.path);
  if (resolved === "health") {
    return { response: respond(200, { ok: true, status: "healthy" }), outcome: emptyOutcome("health", 200) };
  }
  if (resolved in REQUEST_ERRORS) return requestError(new RequestRejected(resolved as RequestErrorCode), "unknown");
  const route = resolved as IngestRoute;

  try {
    const headerKey = writeKeyFromAuthorization(request.headers.authorization);
    // Without a header key, reject unknown keys before spending time on the body.
    if (headerKey !== undefined && authenticate(headerKey, deps.writeKeys) === undefined) {
      throw new RequestRejected("unauthorized");
    }
    const text = decodeBody(request.body, request.isBase64Encoded, request.headers["content-encoding"], deps.config);
    const parsed = parseRequestBody(route, text, request.headers["content-type"], deps.config);
    const sourceId = authenticate(headerKey ?? parsed.writeKey, deps.writeKeys);
    if (sourceId === undefined) throw new RequestRejected("unauthorized");

    const plan = planIngest(parsed, {
      route,
      endpoint: routeForPath(request.path)!.path,
      sourceId,
      receivedAtMs: request.receivedAtMs,
      config: deps.config,
      schemas: deps.schemas,
      newMessageId: deps.newMessageId,
    });
    const report = await deps.writer.write(plan.records, deadlineMs);

    const outcome: IngestOutcome = {
      ...emptyOutcome(route, 200),
      events: parsed.items.length,
      accepted: plan.accepted,
      retriedEntries: report.retriedEntries,
      throttledEntries: report.throttledEntries,
      putRecordsCalls: report.putRecordsCalls,
      ...(report.stoppedBecause ? { stoppedBecause: report.stoppedBecause } : {}),
    };
    for (const r of plan.rejections) outcome.rejectedByReason[r.reason] = (outcome.rejectedByReason[r.reason] ?? 0) + 1;
    for (const o of report.outcomes) outcome[o === "written" ? "written" : o === "spilled" ? "spilled" : "failed"]++;

    if (outcome.spilled > 0 || outcome.failed > 0) {
      const retryAfter = String(deps.retryAfterSeconds ?? 1);
      outcome.statusCode = 503;
      outcome.error = "stream_unavailable";
      return {
        response: respond(
          503,
          {
            ok: false,
            error: "stream_unavailable",
            message:
              outcome.failed > 0
                ? "the stream could not take the events; retry the request"
                : "the stream could not take every event in time; they are held in the fallback store, but retry the request to be sure",
            written: outcome.written,
            spilled: outcome.spilled,
            failed: outcome.failed,
          },
          { "retry-after": retryAfter },
        ),
        outcome,
      };
    }
    const rejected = plan.rejections.length;
    if (rejected === 0) return { response: respond(200, { ok: true, accepted: plan.accepted, rejected: 0 }), outcome };
    outcome.statusCode = 207;
    return {
      response: respond(207, { ok: false, accepted: plan.accepted, rejected, errors: plan.rejections satisfies EventRejection[] }),
      outcome,
    };
  } catch (error) {
    if (error instanceof RequestRejected) return requestError(error, route);
    throw error;
  }
}
